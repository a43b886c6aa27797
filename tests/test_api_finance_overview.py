"""The overview, finance and metrics-explorer faces over a real server on a copy of the demo
store: the numbers are the metrics layer's, the overview is computed once per load, CSV equals
the table, report jobs write real files, schedules start jobs, and who may do what."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from shopkeeper import accounts, finance, metrics, store
from shopkeeper.api.app import create_app
from shopkeeper.api.routers import finance as finance_router
from shopkeeper.metrics.cache import CACHE

PASSWORD = "correct horse battery"
TILES = ("net_revenue", "orders", "aov", "gross_margin", "refund_rate")


class Shop:
    """A running app over a warehouse, with a bearer token per role."""

    def __init__(self, client: TestClient, tokens: dict[str, str]) -> None:
        self.client = client
        self.tokens = tokens
        self.server = client.app.state.server

    def get(self, url: str, role: str = "owner", **kw):
        return self.client.get(url, headers=self.auth(role), **kw)

    def post(self, url: str, role: str = "owner", **kw):
        return self.client.post(url, headers=self.auth(role), **kw)

    def delete(self, url: str, role: str = "owner", **kw):
        return self.client.delete(url, headers=self.auth(role), **kw)

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def wh(self):
        return self.server.session()


@pytest.fixture(scope="module")
def shop(demo_store, tmp_path_factory) -> Iterator[Shop]:
    folder, _ = demo_store
    copy = tmp_path_factory.mktemp("finance-api") / "warehouse.duckdb"
    shutil.copy(folder / "shopkeeper-data" / "warehouse.duckdb", copy)
    with store.Warehouse(copy) as wh:
        tokens = {}
        for role in ("owner", "analyst", "operator", "viewer"):
            accounts.add_user(wh, role, PASSWORD, role, actor="test", via="test")
            tokens[role] = accounts.create_token(wh, role, "t", scope="write", actor="test",
                                                 via="test").secret
        tokens["owner-read"] = accounts.create_token(wh, "owner", "r", scope="read",
                                                     actor="test", via="test").secret
    app = create_app(store.Settings(warehouse=copy), mcp=False)
    with TestClient(app) as client:
        yield Shop(client, tokens)


def _same(actual: float | None, expected: object) -> bool:
    if expected is None or pd.isna(expected):
        return actual is None
    return actual is not None and actual == pytest.approx(float(expected), rel=1e-9, abs=1e-9)


# -- overview ------------------------------------------------------------------------------------
@pytest.mark.slow
def test_overview_tiles_are_the_metrics_layer_and_the_second_request_is_cached(shop):
    metrics.clear_cache()
    before = CACHE.computed
    t0 = time.perf_counter()
    r = shop.get("/api/v1/overview")
    cold = time.perf_counter() - t0
    assert r.status_code == 200, r.text
    computed = CACHE.computed
    assert computed > before  # the first request computed the aggregates
    body = r.json()
    assert body["empty"] is False
    tiles = body["tiles"]
    with shop.wh() as wh:
        df = metrics.query(wh, list(TILES), start=tiles["start"], end=tiles["end"]).df.iloc[0]
        prev = metrics.query(wh, list(TILES), start=tiles["previous_start"],
                             end=tiles["previous_end"]).df.iloc[0]
    (group,) = body["tiles"]["groups"]  # the demo store sells in one currency
    by_metric = {t["metric"]: t for t in group["tiles"]}
    assert set(by_metric) == set(TILES)
    for name in TILES:
        assert _same(by_metric[name]["value"], df[name]), name
        assert _same(by_metric[name]["previous"], prev[name]), name
        assert len(by_metric[name]["sparkline"]) == 12
        assert by_metric[name]["sparkline"][-1]["value"] == by_metric[name]["value"]

    t0 = time.perf_counter()
    again = shop.get("/api/v1/overview")
    warm = time.perf_counter() - t0
    for key in ("tiles", "anomalies", "review_alerts", "stockouts"):  # the cached parts
        assert again.json()[key] == body[key], key
    assert CACHE.computed == computed  # nothing computed again: served from the cache
    assert warm < cold
    print(f"overview on the demo store: cold {cold * 1000:.0f} ms, cached {warm * 1000:.0f} ms")

    # a load invalidates it: the next request computes again
    with shop.wh() as wh:
        wh.query("INSERT INTO loads (load_id, source, rows_read, rows_loaded, rows_quarantined, "
                 "started_at, finished_at) VALUES ('test-load', 'test', 0, 0, 0, now(), now())")
    assert shop.get("/api/v1/overview").status_code == 200
    assert CACHE.computed > computed


@pytest.mark.slow
def test_overview_shows_waiting_lists_only_to_roles_that_act_on_them(shop):
    owner = shop.get("/api/v1/overview").json()["waiting"]
    viewer = shop.get("/api/v1/overview", "viewer").json()
    assert all(owner[k] is not None for k in ("content_drafts", "review_replies", "plan_lines",
                                              "handoffs", "returns"))
    assert all(v is None for v in viewer["waiting"].values())
    assert viewer["tiles"] is not None
    # the demo store's plan is a draft: its lines wait for an approver
    assert owner["plan_lines"]["count"] >= 0


def test_overview_of_an_empty_store_says_so(tmp_path):
    with store.Warehouse(tmp_path / "w.duckdb") as wh:
        accounts.add_user(wh, "own", PASSWORD, "owner", actor="test", via="test")
        secret = accounts.create_token(wh, "own", "t", actor="test", via="test").secret
    app = create_app(store.Settings(warehouse=tmp_path / "w.duckdb"), mcp=False)
    with TestClient(app) as client:
        r = client.get("/api/v1/overview", headers={"Authorization": f"Bearer {secret}"})
        assert r.status_code == 200, r.text
        assert r.json()["empty"] is True and r.json()["tiles"] is None
        r = client.get("/api/v1/finance/report", headers={"Authorization": f"Bearer {secret}"})
        assert r.status_code == 400 and "no orders" in r.json()["detail"]
        assert client.get("/api/v1/overview").status_code == 401


# -- metrics explorer ----------------------------------------------------------------------------
@pytest.mark.slow
def test_metrics_explorer_numbers_and_csv_equal_the_metrics_layer(shop):
    params = {"metrics": "net_revenue,orders,aov", "by": "month", "from": "2011-01-01",
              "to": "2011-06-30", "compare": "previous"}
    r = shop.get("/api/v1/metrics", "viewer", params=params)
    assert r.status_code == 200, r.text
    table = r.json()
    with shop.wh() as wh:
        df = metrics.query(wh, ["net_revenue", "orders", "aov"], by="month",
                           start="2011-01-01", end="2011-06-30", compare="previous").df
    assert table["columns"] == [str(c) for c in df.columns]
    assert len(table["rows"]) == len(df) == 6
    for row, (_, expected) in zip(table["rows"], df.iterrows(), strict=True):
        got = dict(zip(table["columns"], row, strict=True))
        assert pd.Timestamp(got["month"]) == pd.Timestamp(expected["month"])
        for name in ("net_revenue", "orders", "aov", "net_revenue_prev", "orders_change_pct"):
            assert _same(got[name], expected[name]), name

    exported = shop.get("/api/v1/metrics/export", "viewer", params=params)
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.text)))
    assert rows[0] == table["columns"]
    assert len(rows) == len(table["rows"]) + 1
    for line, row in zip(rows[1:], table["rows"], strict=True):
        for text, value in zip(line, row, strict=True):
            if isinstance(value, float):
                assert float(text) == value
            else:
                assert text == ("" if value is None else str(value))

    bad = shop.get("/api/v1/metrics/export", params={"metrics": "no_such_metric"})
    assert bad.status_code == 400 and bad.headers["content-type"].startswith(
        "application/problem+json")


# -- finance -------------------------------------------------------------------------------------
@pytest.mark.slow
def test_finance_report_is_the_metrics_layer_and_its_bridge_adds_up(shop):
    r = shop.get("/api/v1/finance/report", "viewer", params={"period": "month"})
    assert r.status_code == 200, r.text
    summary = r.json()
    (report,) = summary["reports"]
    with shop.wh() as wh:
        row = metrics.query(wh, ["net_revenue", "gmv", "orders"], start=summary["start"],
                            end=summary["end"]).df.iloc[0]
    lines = {x["metric"]: x for x in report["pnl"]}
    kpis = {x["metric"]: x for x in report["kpis"]}
    assert _same(lines["net_revenue"]["current"], row["net_revenue"])
    assert _same(lines["gmv"]["current"], row["gmv"])
    assert _same(kpis["orders"]["current"], row["orders"])
    assert [x["metric"] for x in report["pnl"]] == [m for m, _, _ in finance.PNL_LINES]
    # the waterfall: previous + effects = current
    effects = sum(e["amount"] for e in report["effects"])
    assert report["total_previous"] + effects == pytest.approx(report["total_current"])
    assert report["total_current"] == pytest.approx(lines["net_revenue"]["current"])
    assert report["narrative"]
    assert report["outlook_weeks"], "the demo store has enough history for an outlook"
    # an earlier period, by as_of; and the next link comes back
    earlier = shop.get("/api/v1/finance/report", params={
        "period": "month", "as_of": summary["previous_as_of"]}).json()
    assert earlier["label"] == summary["previous_label"]
    assert earlier["next_as_of"] is not None
    charts = finance.summary_charts(finance.CurrencyReport(**report), "zh")
    assert charts["waterfall"]["data"][0]["type"] == "waterfall"
    bad = shop.get("/api/v1/finance/report", params={"period": "year"})
    assert bad.status_code == 422


@pytest.mark.slow
def test_report_job_writes_real_files_and_downloads_refuse_anything_else(shop):
    r = shop.post("/api/v1/finance/reports", "viewer",
                  json={"period": "month", "formats": ["html", "xlsx", "pdf"]})
    assert r.status_code == 202, r.text
    job = shop.server.jobs.wait(r.json()["job_id"], timeout=600)
    assert job.status == "done", job.error
    assert job.result["errors"] == {}
    html = shop.get(f"/api/v1/finance/reports/{job.job_id}/html", "viewer")
    assert html.status_code == 200 and "<html" in html.text.lower()
    assert job.result["period"] in html.text
    xlsx = shop.get(f"/api/v1/finance/reports/{job.job_id}/xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    sheets = pd.read_excel(io.BytesIO(xlsx.content), sheet_name=None)
    assert {"P&L", "KPIs", "variance"} <= set(sheets)
    pdf = shop.get(f"/api/v1/finance/reports/{job.job_id}/pdf")
    assert pdf.status_code == 200 and pdf.content[:5] == b"%PDF-"

    # nothing but a report job's own files: no traversal, no other formats, no other jobs
    for url, status in ((f"/api/v1/finance/reports/{job.job_id}/json", 422),
                        ("/api/v1/finance/reports/..%2F..%2Fwarehouse/html", 404),
                        ("/api/v1/finance/reports/0123456789abcdef/html", 404),
                        (f"/api/v1/finance/reports/{job.job_id}/html?currency=../x", 422),
                        (f"/api/v1/finance/reports/{job.job_id}/html?currency=EUR", 404)):
        got = shop.get(url)
        assert got.status_code == status, (url, got.status_code, got.text)
    assert shop.client.get(f"/api/v1/finance/reports/{job.job_id}/html").status_code == 401


@pytest.mark.slow
def test_a_viewer_reads_finance_but_only_an_owner_schedules(shop):
    body = {"period": "week", "formats": ["xlsx"], "weekday": 0, "hour": 7, "lang": "zh"}
    for role in ("viewer", "analyst", "operator", "owner-read"):
        assert shop.post("/api/v1/finance/schedules", role, json=body).status_code == 403, role
    assert shop.get("/api/v1/finance/schedules", "viewer").status_code == 200
    made = shop.post("/api/v1/finance/schedules", json=body)
    assert made.status_code == 201, made.text
    schedule = made.json()
    assert schedule["next_run_at"] is not None
    assert shop.delete(f"/api/v1/finance/schedules/{schedule['schedule_id']}",
                       "viewer").status_code == 403
    listed = shop.get("/api/v1/finance/schedules", "viewer").json()
    assert schedule["schedule_id"] in [s["schedule_id"] for s in listed]
    bad = shop.post("/api/v1/finance/schedules", json={**body, "hour": 24})
    assert bad.status_code == 422
    gone = shop.delete(f"/api/v1/finance/schedules/{schedule['schedule_id']}")
    assert gone.status_code == 200
    assert shop.delete(f"/api/v1/finance/schedules/{schedule['schedule_id']}").status_code == 404
    with shop.wh() as wh:
        actions = [e.action for e in accounts.audit_log(wh, limit=50)]
    assert "finance.schedule.add" in actions and "finance.schedule.remove" in actions


@pytest.mark.slow
def test_a_due_schedule_starts_one_report_job(shop):
    made = shop.post("/api/v1/finance/schedules", json={
        "period": "month", "formats": ["xlsx"], "weekday": 2, "hour": 6}).json()
    created = dt.datetime.fromisoformat(made["created_at"])
    slot = dt.datetime.fromisoformat(made["next_run_at"])
    runner = shop.server.jobs
    # the server's huey checks schedules every minute
    (check,) = [t for t in runner.huey._registry._periodic_tasks
                if t.__name__ == "shopkeeper.periodic.finance.schedules"]
    task = check()
    assert task.validate_datetime(dt.datetime.now())  # every minute
    runner.huey.execute(task)  # runs (nothing due yet) without error
    with shop.wh() as wh:
        assert finance.get_schedule(wh, made["schedule_id"]).last_job_id is None
    assert finance_router.run_due_schedules(runner, slot - dt.timedelta(minutes=1)) == []
    started = finance_router.run_due_schedules(runner, slot + dt.timedelta(minutes=5))
    assert len(started) == 1
    assert finance_router.run_due_schedules(runner, slot + dt.timedelta(minutes=6)) == []
    job = runner.wait(started[0], timeout=600)
    assert job.kind == "finance.report" and job.created_by == "owner"
    assert job.status == "done", job.error
    assert set(job.result["reports"][0]["files"]) == {"xlsx"}
    with shop.wh() as wh:
        after = finance.get_schedule(wh, made["schedule_id"])
    assert after.last_job_id == started[0]
    assert after.next_run_at > slot > created
    # a monthly schedule runs on the first such weekday of a month
    assert after.next_run_at.day <= 7 and after.next_run_at.weekday() == 2


def test_schedule_slots_follow_the_period():
    made = dt.datetime(2024, 5, 15, 12, tzinfo=dt.UTC)
    week = finance.ReportSchedule(schedule_id="w", period="week", lang="en", formats=["pdf"],
                                  weekday=0, hour=7, enabled=True, created_by="x",
                                  created_at=made)
    assert finance.next_run(week, made) == dt.datetime(2024, 5, 20, 7, tzinfo=dt.UTC)
    month = week.model_copy(update={"period": "month"})
    assert finance.next_run(month, made) == dt.datetime(2024, 6, 3, 7, tzinfo=dt.UTC)
    quarter = week.model_copy(update={"period": "quarter"})
    assert finance.next_run(quarter, made) == dt.datetime(2024, 7, 1, 7, tzinfo=dt.UTC)
    slot = finance.next_run(week, made)
    assert finance.next_run(week, slot) == slot + dt.timedelta(days=7)



# -- web pages -----------------------------------------------------------------------------------
TEMPLATES = Path(__file__).resolve().parents[1] / "src" / "shopkeeper" / "web" / "templates"


def _browser(shop: Shop, role: str = "owner") -> TestClient:
    """A signed-in browser session (cookie) on the shop's running app."""
    client = TestClient(shop.client.app)
    r = client.post("/login", data={"username": role, "password": PASSWORD},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    return client


def _finance_page(client: TestClient, shop: Shop, url: str) -> str:
    """The finance page, after the report job it may start (a period's first visit) is done."""
    r = client.get(url)
    assert r.status_code == 200
    match = re.search(r'data-job="([0-9a-f]{16})"', r.text)
    if match and 'data-testid="finance-computing"' in r.text:
        assert shop.server.jobs.wait(match.group(1), timeout=600).status == "done"
        r = client.get(url)
    assert 'data-testid="waterfall"' in r.text
    return r.text


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_pages_render_in_both_languages(shop, lang):
    client = _browser(shop)
    words = {"en": ("Waiting for you", "Profit and loss", "Compare with"),
             "zh": ("待我处理", "损益表", "对比")}[lang]
    home = client.get(f"/?lang={lang}")
    assert home.status_code == 200
    assert words[0] in home.text and 'data-testid="kpi-tiles"' in home.text
    tiles = shop.get("/api/v1/overview").json()["tiles"]["groups"][0]["tiles"]
    assert f"{tiles[0]['value']:,.2f}" in home.text  # net revenue as the API has it
    finance_html = _finance_page(client, shop, f"/finance?period=month&lang={lang}")
    assert words[1] in finance_html and 'data-testid="schedule-form"' in finance_html
    explorer = client.get("/metrics", params={"metrics": ["net_revenue", "aov"], "by": "channel",
                                              "from": "2011-01-01", "to": "2011-06-30",
                                              "compare": "year", "lang": lang})
    assert explorer.status_code == 200 and words[2] in explorer.text
    assert 'data-testid="metric-chart"' in explorer.text
    assert "/api/v1/metrics/export?metrics=net_revenue%2Caov&amp;by=channel" in explorer.text
    for html in (home.text, finance_html, explorer.text):
        # every visible word came from a catalog: no raw keys left
        assert not re.search(r">\s*(overview|finance|metrics)\.[a-z_.0-9]+\s*<", html)


@pytest.mark.slow
def test_a_viewer_sees_no_schedule_form_and_data_is_escaped(shop):
    client = _browser(shop, "viewer")
    html = _finance_page(client, shop, "/finance")
    assert 'data-testid="schedule-form"' not in html
    assert 'data-testid="make-report"' in html  # writing the files is reading finance
    hostile = client.get("/metrics", params={"metrics": "net_revenue",
                                             "where": "<script>alert(1)</script>"})
    assert hostile.status_code == 200
    assert "<script>alert(1)" not in hostile.text and "&lt;script&gt;" in hostile.text


def test_templates_mark_no_data_safe():
    for area in ("overview", "finance", "metrics"):
        for path in (TEMPLATES / area).glob("*.html"):
            text = path.read_text(encoding="utf-8")
            assert not re.search(r"\|\s*safe(?!_json)", text), path
            assert "Markup" not in text


def test_empty_store_pages_point_to_data(tmp_path):
    with store.Warehouse(tmp_path / "w.duckdb") as wh:
        accounts.add_user(wh, "own", PASSWORD, "owner", actor="test", via="test")
    app = create_app(store.Settings(warehouse=tmp_path / "w.duckdb"), mcp=False)
    with TestClient(app) as client:
        client.post("/login", data={"username": "own", "password": PASSWORD})
        for url, testid in (("/", "overview-empty"), ("/finance", "finance-empty"),
                            ("/metrics", "metrics-empty"), ("/?lang=zh", "overview-empty")):
            r = client.get(url)
            assert r.status_code == 200, (url, r.text[:500])
            assert f'data-testid="{testid}"' in r.text and 'href="/data"' in r.text, url


def test_one_version_pins_the_data_version_for_one_request(tmp_path):
    with store.Warehouse(tmp_path / "w.duckdb") as wh:
        runs: list[int] = []

        def compute() -> int:
            runs.append(1)
            return len(runs)

        with metrics.one_version(wh):
            first = metrics.cached(wh, "test.one_version", compute)
            wh.query("INSERT INTO loads (load_id, source, rows_read, rows_loaded, "
                     "rows_quarantined, started_at, finished_at) VALUES ('l1', 'test', 0, 0, 0, "
                     "now(), now())")
            assert metrics.cached(wh, "test.one_version", compute) == first  # pinned
            assert metrics.peek(wh, "test.one_version") == first
        assert metrics.peek(wh, "test.one_version") is None  # the load is seen after it
        assert metrics.cached(wh, "test.one_version", compute) == first + 1
