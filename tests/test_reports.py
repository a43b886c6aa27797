"""The finance report: the narrative checker, and rendering to HTML, PDF and XLSX that parse
back, in English and Chinese (with real CJK glyphs) — and what a browser draws of the HTML."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess

import openpyxl
import pytest

from shopkeeper import finance
from shopkeeper.finance.narrative import checked_narrative, unsupported_numbers

FEB = finance.Period("month", dt.date(2024, 2, 1), dt.date(2024, 2, 29))


@pytest.fixture
def feb_report(shop):
    return finance.build_report(shop, FEB, lang="en")


def test_narrative_states_only_computed_numbers(feb_report):
    text, facts = feb_report.narrative.text, feb_report.facts
    assert feb_report.narrative.path == "template"
    assert "35.00" in text and "2 orders" in text  # February's net revenue and orders
    assert unsupported_numbers(text, facts) == []
    changed = text.replace("35.00", "35.17", 1)
    assert unsupported_numbers(changed, facts) == ["35.17"]
    assert unsupported_numbers(text + " Margins rose 12.5%.", facts) == ["12.5%"]


def test_a_model_rewrite_is_kept_only_when_its_numbers_are_facts(feb_report):
    facts = feb_report.facts
    honest = checked_narrative(facts, "en", lambda t, lang: "Put simply: " + t)
    assert honest.path == "model" and honest.text.startswith("Put simply")
    lying = checked_narrative(facts, "en", lambda t, lang: t.replace("35.00", "53.17"))
    assert lying.path == "template" and lying.rejected_numbers == ["53.17", "leaves out 35.00"]
    assert "53.17" not in lying.text
    bare = checked_narrative(facts, "en", lambda t, lang: "Fine.")  # keeps none of the facts
    assert bare.path == "template" and "leaves out 35.00" in bare.rejected_numbers

    def broken(text: str, lang: str) -> str:
        raise TimeoutError("endpoint down")

    assert checked_narrative(facts, "en", broken).path == "template"


def test_report_renders_to_html_pdf_and_xlsx_that_parse_back(feb_report, tmp_path):
    from pypdf import PdfReader

    files = finance.write_report(feb_report, tmp_path)
    html = files["html"].read_text(encoding="utf-8")
    assert "Plotly.newPlot" in html and "cdn" not in html.lower().split("<body")[1][:5000]
    assert feb_report.narrative.text.split("\n\n")[0][:40] in html
    book = openpyxl.load_workbook(files["xlsx"])
    assert {"P&L", "KPIs", "variance", "by sku", "anomalies", "about"} <= set(book.sheetnames)
    pnl = {row[0]: row for row in book["P&L"].iter_rows(values_only=True)}
    header = list(next(book["P&L"].iter_rows(values_only=True)))
    assert pnl["gmv"][header.index("current")] == pytest.approx(61.00)
    text = "".join(page.extract_text() for page in PdfReader(files["pdf"]).pages)
    assert "Profit and loss" in text and "35.00" in text


def _cjk_font_installed() -> bool:
    if shutil.which("fc-list") is None:
        return False
    return bool(subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True).stdout)


@pytest.mark.skipif(not _cjk_font_installed(),
                    reason="no CJK font on this machine: install fonts-wqy-microhei (.ci/run does)")
def test_chinese_pdf_has_the_characters_in_a_cjk_font(shop, tmp_path):
    from pypdf import PdfReader

    report = finance.build_report(shop, FEB, lang="zh")
    pdf = finance.write_report(report, tmp_path, ("pdf",))["pdf"]
    reader = PdfReader(pdf)
    text = "".join(page.extract_text() for page in reader.pages)
    assert "利润表" in text and "净收入" in text
    fonts = {str(font.get_object()["/BaseFont"]) for page in reader.pages
             for font in page["/Resources"]["/Font"].values()}
    # the glyphs come from a font that has them, not from a fallback's empty boxes
    assert any(name in f for f in fonts for name in ("WenQuanYi", "NotoSansCJK", "SourceHan",
                                                     "NotoSansSC"))


@pytest.mark.skipif(shutil.which("chromium") is None,
                    reason="Debian's chromium is not installed (.ci/run installs it)")
def test_html_report_draws_its_charts_in_a_browser(feb_report, tmp_path):
    import numpy as np
    from PIL import Image

    html = finance.write_report(feb_report, tmp_path, ("html",))["html"]
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=5000"]
    dom = subprocess.run(["chromium", *flags, "--dump-dom", html.as_uri()], capture_output=True,
                         text=True, timeout=120).stdout
    assert dom.count('class="main-svg"') >= 3  # plotly drew the three charts
    png = tmp_path / "report.png"
    subprocess.run(["chromium", *flags, f"--screenshot={png}", "--window-size=1100,1600",
                    html.as_uri()], capture_output=True, timeout=120, check=True)
    pixels = np.asarray(Image.open(png).convert("RGB"), dtype=int)
    line_blue = int((np.abs(pixels - [31, 119, 180]).max(axis=2) < 30).sum())
    assert line_blue > 200  # the daily revenue line is on the page


def test_a_demand_chart_also_comes_as_png(tmp_path):
    import numpy as np
    import pandas as pd
    from PIL import Image

    from shopkeeper import reports

    days = pd.date_range("2024-01-01", periods=60)
    history = pd.DataFrame({"ds": days[:40], "y": np.arange(40) % 7 + 1.0})
    future = pd.DataFrame({"ds": days[40:], "yhat": 4.0, "lo_80": 2.0, "hi_80": 6.0,
                           "lo_95": 1.0, "hi_95": 7.0})
    stock = pd.DataFrame({"ds": days[40:], "p10": 5.0, "p50": 10.0, "p90": 15.0})
    png = reports.write_png(reports.demand_chart("A", history, future, stock), tmp_path / "a.png")
    pixels = np.asarray(Image.open(png).convert("RGB"), dtype=int)
    assert pixels.shape[0] > 600  # two panels: demand and stock
    band = (np.abs(pixels - [31, 119, 180]).max(axis=2) < 60).sum()  # forecast line and bands
    stock_line = (np.abs(pixels - [44, 160, 44]).max(axis=2) < 30).sum()
    assert band > 500 and stock_line > 100


def test_cli_keeps_currencies_apart_or_converts_at_the_configured_rates(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from shopkeeper.cli import app
    from shopkeeper.store import Warehouse
    from tests.money_fixtures import two_currency_shop

    monkeypatch.chdir(tmp_path)
    for name in ("SHOPKEEPER_CONFIG", "SHOPKEEPER_FX_RATES", "SHOPKEEPER_REPORT_CURRENCY"):
        monkeypatch.delenv(name, raising=False)
    with Warehouse(tmp_path / "w.duckdb") as wh:
        two_currency_shop.__wrapped__(wh)

    def invoke(*args: str):
        result = CliRunner().invoke(app, ["--warehouse", "w.duckdb", *args],
                                    catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    assert invoke("metrics", "gmv,orders", "--csv").splitlines() == [
        "currency,gmv,orders", "EUR,200.0,1.0", "USD,150.0,2.0"]
    margin = invoke("metrics", "gross_margin,cost_coverage")
    assert "amounts: by currency" in margin
    assert "gross_margin: empty where some sales have no known unit cost" in margin
    report = ("report", "--as-of", "2024-03-31", "--format", "xlsx", "--out", "out",
              "--no-model")
    out = invoke(*report)
    assert sorted(p.name for p in (tmp_path / "out").glob("*.xlsx")) == [
        "report-2024-03-en-EUR.xlsx", "report-2024-03-en-USD.xlsx"]
    assert "amounts: EUR" in out and "amounts: USD" in out
    (tmp_path / "shopkeeper.toml").write_text('report_currency = "USD"\n'
                                              "fx_rates = { EUR = 1.10 }\n")
    out = invoke(*report)
    assert (tmp_path / "out" / "report-2024-03-en.xlsx").exists()
    assert "amounts: USD (converted at 1 EUR = 1.1 USD)" in out
    assert invoke("metrics", "gmv", "--csv").splitlines() == ["gmv", "370.0"]
