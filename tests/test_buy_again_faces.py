"""Buy it again and the replenishment audience on every face: the CLI, the REST API (JSON and
CSV/XLSX download), MCP and the web pages.

The store is the hand-checkable shop (tests/shop_fixtures.py) plus customers with a rhythm of
their own, as of 2024-04-01:

- c9 buys coffee P every 28 days (2024-01-01, 01-29 at 18:00, 02-26), and dog food Q once
  (03-20): P is expected on 02-26 + 28 = 03-25, 7 days overdue;
- c8 buys Q every 21 days (02-05, 02-26, 03-18): expected 04-08, due within 14 days;
- c7 bought P weekly in October 2023: lapsed long ago, no reminder;
- c6 bought P on two days only (03-01, 03-15): under the 3 purchase days a rhythm needs;
- c5 bought R on three days and returned it: never reminded;
- c4 has no orders.
"""

from __future__ import annotations

import csv
import io
import json
from contextlib import closing
from pathlib import Path

import anyio
import pandas as pd
import pytest
from mcp import Client
from typer.testing import CliRunner

from shopkeeper import accounts, mcp, store
from shopkeeper.cli import app as cli_app
from tests.server_fixtures import make_workspace, serve, sign_in
from tests.shop_fixtures import shop as hand_shop

AS_OF = "2024-04-01"
TS = pd.Timestamp
PURCHASES = [  # customer, product, when (UTC)
    ("c9", "P", "2024-01-01 10:00"), ("c9", "P", "2024-01-29 18:00"),
    ("c9", "P", "2024-02-26 10:00"), ("c9", "Q", "2024-03-20 10:00"),
    ("c8", "Q", "2024-02-05 10:00"), ("c8", "Q", "2024-02-26 10:00"),
    ("c8", "Q", "2024-03-18 10:00"),
    ("c7", "P", "2023-10-01 10:00"), ("c7", "P", "2023-10-08 10:00"),
    ("c7", "P", "2023-10-15 10:00"),
    ("c6", "P", "2024-03-01 10:00"), ("c6", "P", "2024-03-15 10:00"),
    ("c5", "R", "2024-01-10 10:00"), ("c5", "R", "2024-02-10 10:00"),
    ("c5", "R", "2024-03-10 10:00"),
]
# the audience as of 2024-04-01 with the defaults (min 3 purchase days, due within 14 days)
AUDIENCE = [
    {"customer_id": "c9", "name": "Nina Regular", "product_id": "P",
     "title": "Coffee beans 1kg", "times_bought": 3, "usual_interval_days": 28.0,
     "last_ordered": "2024-02-26", "expected_reorder": "2024-03-25", "status": "overdue",
     "days_overdue": 7},
    {"customer_id": "c8", "name": "Otto Due", "product_id": "Q", "title": "Dog food",
     "times_bought": 3, "usual_interval_days": 21.0, "last_ordered": "2024-03-18",
     "expected_reorder": "2024-04-08", "status": "due", "days_overdue": 0},
]
NINA_EN = "you order this about every 4 weeks; last order 5 weeks ago (3 times)"
NINA_ZH = "您大约每4周买一次；上次是5周前（共3次）"


def add_regulars(wh: store.Warehouse) -> store.Warehouse:
    """The hand shop plus the customers above."""
    hand_shop.__wrapped__(wh)
    orders = pd.DataFrame(
        [(f"ba{i}", c, "web", TS(at, tz="UTC"), 0.0, "completed")
         for i, (c, _, at) in enumerate(PURCHASES)],
        columns=["order_id", "customer_id", "channel", "ordered_at", "discount_amount",
                 "status"])
    orders["currency"] = "EUR"
    price = {"P": 12.0, "Q": 8.0, "R": 20.0}
    lines = pd.DataFrame([(f"ba{i}", 1, p, 1, price[p], 0.0) for i, (_, p, _) in
                          enumerate(PURCHASES)],
                         columns=["order_id", "line_number", "product_id", "quantity",
                                  "unit_price", "discount_amount"])
    lines["line_amount"], lines["currency"] = lines["unit_price"], "EUR"
    products = pd.DataFrame([("P", "Coffee beans 1kg", "grocery", 5.0, 12.0),
                             ("Q", "Dog food", "pets", 3.0, 8.0),
                             ("R", "Water filter", "home", 9.0, 20.0)],
                            columns=["product_id", "title", "category", "unit_cost", "price"])
    products["currency"] = "EUR"
    customers = pd.DataFrame([(c, n, f"{c}@example.com") for c, n in (
        ("c9", "Nina Regular"), ("c8", "Otto Due"), ("c7", "Lapsed Lou"), ("c6", "Twice Tim"),
        ("c5", "Returning Rae"), ("c4", "No Orders"))], columns=["customer_id", "name", "email"])
    refunds = pd.DataFrame([("ba-r1", "ba14", "R", "c5", 1, 20.0, TS("2024-03-12", tz="UTC"))],
                           columns=["refund_id", "order_id", "product_id", "customer_id",
                                    "quantity", "amount", "refunded_at"])
    refunds["currency"], refunds["kind"], refunds["status"] = "EUR", "return", "completed"
    with wh.transaction():
        for table, df in [("orders", orders), ("order_lines", lines), ("products", products),
                          ("customers", customers), ("refunds", refunds)]:
            wh.insert_df(table, df)
    return wh


def plain(rows: list[dict]) -> list[dict]:
    """Audience rows without the columns the expectations leave out (email)."""
    return [{k: v for k, v in r.items() if k != "email"} for r in rows]


# -- the CLI ----------------------------------------------------------------------------------
runner = CliRunner()


@pytest.fixture
def shop_file(tmp_path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SHOPKEEPER_CONFIG", raising=False)
    monkeypatch.setenv("COLUMNS", "250")  # rich tables on one line per row
    path = tmp_path / "w.duckdb"
    with store.Warehouse(path) as wh:
        add_regulars(wh)
    return path


def cli(path: Path, *args: str):
    return runner.invoke(cli_app, ["-w", str(path), "recommend", *args])


def test_cli_buy_again_prints_each_product_with_its_reason(shop_file):
    got = cli(shop_file, "buy-again", "--customer", "c9", "--as-of", AS_OF)
    assert got.exit_code == 0, got.output
    rows = [line for line in got.output.splitlines() if "│" in line]
    assert len(rows) == 2 and "Coffee beans 1kg" in rows[0] and "Dog food" in rows[1]
    assert NINA_EN in rows[0] and "2024-02-26" in rows[0] and "28 d" in rows[0]
    assert "overdue" in rows[0]
    assert "bought once" in rows[1] and "you bought this once, 12 days ago" in rows[1]
    zh = cli(shop_file, "buy-again", "--customer", "c9", "--as-of", AS_OF, "--lang", "zh",
             "-n", "1")
    assert zh.exit_code == 0 and NINA_ZH in zh.output and "Dog food" not in zh.output
    # --as-of counts that whole day: the 18:00 order of 01-29 is the second purchase day
    early = cli(shop_file, "buy-again", "--customer", "c9", "--as-of", "2024-01-29")
    assert "you order this about every 4 weeks; last order" in early.output
    assert "(2 times)" in early.output


def test_cli_buy_again_errors_are_one_line(shop_file):
    got = cli(shop_file, "buy-again", "--customer", "c4")
    assert got.exit_code == 1
    assert got.output.strip() == "Error: customer 'c4' has no purchases to buy again"
    bad = cli(shop_file, "buy-again", "--customer", "c9", "--lang", "fr")
    assert bad.exit_code == 2 and "use en or zh" in bad.output
    date = cli(shop_file, "buy-again", "--customer", "c9", "--as-of", "01/04/2024")
    assert date.exit_code == 2 and "use YYYY-MM-DD" in date.output
    helped = cli(shop_file, "buy-again", "--help")
    assert "Example: shopkeeper recommend buy-again" in helped.output


def test_cli_replenish_summarises_prints_and_exports(shop_file, tmp_path):
    out = tmp_path / "reorder.csv"
    got = cli(shop_file, "replenish", "--as-of", AS_OF, "--export", str(out))
    assert got.exit_code == 0, got.output
    lines = got.output.splitlines()
    assert lines[0] == ("2 reorder reminders for 2 customers: 1 overdue, 1 due within 14 days "
                        "(products bought on 3+ days, as of 2024-04-01)")
    assert lines[1] == "top products: P Coffee beans 1kg (1), Q Dog food (1)"
    rows = [line for line in lines if "│" in line]
    assert [r.split("│")[1].strip() for r in rows] == ["c9", "c8"]
    assert "2024-03-25" in rows[0] and "overdue" in rows[0] and "2024-04-08" in rows[1]
    assert lines[-1] == f"replenishment audience of 2 rows: {out}"
    with out.open(encoding="utf-8") as f:
        exported = list(csv.DictReader(f))
    want = [{k: str(v) for k, v in r.items()} for r in AUDIENCE]
    assert plain(exported) == want
    assert exported[0]["email"] == "c9@example.com"


def test_cli_replenish_filters_and_refuses_clearly(shop_file, tmp_path):
    only_q = cli(shop_file, "replenish", "--as-of", AS_OF, "--product", "Q")
    assert only_q.exit_code == 0 and only_q.output.startswith("1 reorder reminder for 1 customer")
    assert "c9" not in only_q.output
    now = cli(shop_file, "replenish", "--as-of", AS_OF, "--within-days", "0")
    assert now.output.startswith("1 reorder reminder for 1 customer: 1 overdue, 0 due")
    twice = cli(shop_file, "replenish", "--as-of", AS_OF, "--min-orders", "2", "--rows", "0")
    # + c6's P; c1's A in the shop (Jan 5, Feb 25) is due on 04-16, 15 days after the as-of day
    assert twice.output.startswith("3 reorder reminders")
    wider = cli(shop_file, "replenish", "--as-of", AS_OF, "--min-orders", "2",
                "--within-days", "15", "--rows", "0")
    assert wider.output.startswith("4 reorder reminders")
    assert "│" not in twice.output
    unknown = cli(shop_file, "replenish", "--product", "ZZZ")
    assert unknown.exit_code == 1 and unknown.output.strip() == "Error: nobody bought ZZZ"
    txt = cli(shop_file, "replenish", "--export", str(tmp_path / "list.txt"))
    assert txt.exit_code == 2 and "name a .csv or .xlsx file" in txt.output
    assert not (tmp_path / "list.txt").exists()
    assert "Example: shopkeeper recommend replenish" in cli(shop_file, "replenish",
                                                            "--help").output


# -- the REST API and the pages ---------------------------------------------------------------
@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    path = tmp_path_factory.mktemp("buy-again") / "w.duckdb"
    with store.Warehouse(path) as wh:
        add_regulars(wh)
    return make_workspace(path)


@pytest.fixture(scope="module")
def client(workspace):
    with serve(workspace, mcp=False) as c:
        yield c


def bearer(workspace, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {workspace.read_tokens[role]}"}


def test_api_buy_again_for_a_customer(client, workspace):
    r = client.get("/api/v1/customers/c9/buy-again", params={"as_of": AS_OF},
                   headers=bearer(workspace, "analyst"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["customer_id"], body["as_of"], body["lang"]) == ("c9", AS_OF, "en")
    first, second = body["items"]
    assert (first["product_id"], first["title"], first["price"], first["times_bought"],
            first["usual_interval_days"], first["last_ordered"]) == (
        "P", "Coffee beans 1kg", 12.0, 3, 28.0, "2024-02-26")
    assert (first["reason"], first["status"]) == (NINA_EN, "overdue")  # 03-25 has passed
    assert (second["product_id"], second["status"], second["expected_reorder"]) == (
        "Q", "bought once", None)
    zh = client.get("/api/v1/customers/c9/buy-again", params={"as_of": AS_OF, "lang": "zh",
                                                             "n": 1},
                    headers=bearer(workspace, "analyst")).json()
    assert [i["reason"] for i in zh["items"]] == [NINA_ZH]
    early = client.get("/api/v1/customers/c9/buy-again", params={"as_of": "2024-01-29"},
                       headers=bearer(workspace, "analyst")).json()
    assert early["items"][0]["times_bought"] == 2  # the whole of 01-29, its 18:00 order too
    # errors: no purchases (a problem saying so), bad input, a role that reads no customers
    none = client.get("/api/v1/customers/c4/buy-again", headers=bearer(workspace, "analyst"))
    assert none.status_code == 400
    assert none.headers["content-type"] == "application/problem+json"
    assert none.json()["detail"] == "customer 'c4' has no purchases to buy again"
    assert client.get("/api/v1/customers/c9/buy-again", params={"lang": "fr"},
                      headers=bearer(workspace, "analyst")).status_code == 422
    assert client.get("/api/v1/customers/c9/buy-again",
                      headers=bearer(workspace, "viewer")).status_code == 403
    assert client.get("/api/v1/customers/c9/buy-again").status_code == 401


def test_api_replenishment_audience_json_pages_and_filters(client, workspace):
    who = bearer(workspace, "operator")
    r = client.get("/api/v1/customers/replenishment", params={"as_of": AS_OF}, headers=who)
    assert r.status_code == 200, r.text
    body = r.json()
    assert plain(body["items"]) == AUDIENCE
    assert (body["total"], body["customers"], body["overdue"], body["due"]) == (2, 2, 1, 1)
    assert (body["as_of"], body["within_days"], body["min_orders"]) == (AS_OF, 14, 3)
    assert body["top_products"] == [
        {"product_id": "P", "title": "Coffee beans 1kg", "customers": 1, "overdue": 1},
        {"product_id": "Q", "title": "Dog food", "customers": 1, "overdue": 0}]
    second = client.get("/api/v1/customers/replenishment",
                        params={"as_of": AS_OF, "limit": 1, "offset": 1}, headers=who).json()
    assert (second["total"], [i["customer_id"] for i in second["items"]]) == (2, ["c8"])
    only_q = client.get("/api/v1/customers/replenishment",
                        params={"as_of": AS_OF, "product": ["Q", "Z-none"]}, headers=who).json()
    assert [i["customer_id"] for i in only_q["items"]] == ["c8"]
    late = client.get("/api/v1/customers/replenishment",
                      params={"as_of": "2024-06-30"}, headers=who).json()
    assert late["total"] == 0 and late["items"] == [] and late["top_products"] == []
    unknown = client.get("/api/v1/customers/replenishment", params={"product": "ZZZ"},
                         headers=who)
    assert unknown.status_code == 400 and unknown.json()["detail"] == "nobody bought ZZZ"
    assert client.get("/api/v1/customers/replenishment", params={"min_orders": 1},
                      headers=who).status_code == 422
    assert client.get("/api/v1/customers/replenishment",
                      headers=bearer(workspace, "viewer")).status_code == 403


def test_api_replenishment_download_is_the_audience_and_is_audited(client, workspace):
    r = client.get("/api/v1/customers/replenishment/export", params={"as_of": AS_OF},
                   headers=bearer(workspace, "owner"))
    assert r.status_code == 200, r.text
    assert 'attachment; filename="replenishment-2024-04-01.csv"' in \
        r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert plain(rows) == [{k: str(v) for k, v in row.items()} for row in AUDIENCE]
    xlsx = client.get("/api/v1/customers/replenishment/export",
                      params={"as_of": AS_OF, "fmt": "xlsx", "within_days": 0},
                      headers=bearer(workspace, "owner"))
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    sheet = pd.read_excel(io.BytesIO(xlsx.content))
    assert sheet["customer_id"].tolist() == ["c9"]
    with client.app.state.server.session() as wh:
        events = accounts.audit_log(wh, action="customers.export_replenishment")
    assert sorted((e.actor, e.after["rows"], e.after["format"]) for e in events) == [
        ("owner", 1, "xlsx"), ("owner", 2, "csv")]
    assert client.get("/api/v1/customers/replenishment/export", params={"fmt": "txt"},
                      headers=bearer(workspace, "owner")).status_code == 422
    assert client.get("/api/v1/customers/replenishment/export",
                      headers=bearer(workspace, "viewer")).status_code == 403


def test_the_pages_show_buy_again_and_offer_the_download(client, workspace):
    sign_in(client, "owner")
    try:
        page = client.get("/customers/c9?lang=en")
        assert page.status_code == 200, page.text
        assert "Buy it again" in page.text and 'data-testid="buy-again"' in page.text
        # as of the store's last order (2024-03-20): P last ordered 3 weeks before
        assert page.text.count('data-testid="buy-again-reason"') == 2
        assert "you order this about every 4 weeks; last order 3 weeks ago (3 times)" in \
            page.text
        zh = client.get("/customers/c9?lang=zh")
        assert "再次购买" in zh.text and "您大约每4周买一次；上次是3周前（共3次）" in zh.text
        assert "仅买过一次" in zh.text and "即将到期" in zh.text  # P: 03-25 is 4 days on
        nothing = client.get("/customers/c4?lang=en")
        assert nothing.status_code == 200 and "No purchases to reorder yet." in nothing.text
        index = client.get("/customers?lang=en")
        assert index.status_code == 200 and 'data-testid="replenishment-form"' in index.text
        assert 'action="/api/v1/customers/replenishment/export"' in index.text
        assert "复购提醒人群" in client.get("/customers?lang=zh").text
    finally:
        client.cookies.clear()


# -- MCP --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def mcp_workspace(tmp_path_factory):
    """A store of its own: the server fixture above keeps its warehouse open."""
    path = tmp_path_factory.mktemp("buy-again-mcp") / "w.duckdb"
    with store.Warehouse(path) as wh:
        add_regulars(wh)
    return make_workspace(path)


def call_tools(workspace, role: str, calls: list[tuple[str, dict]]) -> list:
    """Call MCP tools as ``role`` (read-scoped token) through the SDK's in-memory client."""
    with store.Warehouse.from_settings(workspace.settings) as held:
        who = mcp.Principal(name=role, role=role, scope="read")
        server = mcp.build_server(lambda: closing(held.shared()), principal=lambda: who,
                                  settings=workspace.settings)

        async def run() -> list:
            async with Client(server) as c:
                tools = {t.name: t for t in (await c.list_tools()).tools}
                for name in ("buy_again", "replenishment_audience"):
                    assert tools[name].annotations.read_only_hint is True
                    assert tools[name].output_schema
                return [await c.call_tool(name, args) for name, args in calls]

        return anyio.run(run)


def test_mcp_tools_answer_with_the_same_lists(mcp_workspace):
    again, audience, none = call_tools(mcp_workspace, "analyst", [
        ("buy_again", {"customer_id": "c9", "as_of": AS_OF, "lang": "zh"}),
        ("replenishment_audience", {"as_of": AS_OF, "limit": 1}),
        ("buy_again", {"customer_id": "c4"})])
    assert not again.is_error, again.content
    items = again.structured_content["items"]
    assert [(i["product_id"], i["status"]) for i in items] == [("P", "overdue"),
                                                               ("Q", "bought once")]
    assert items[0]["reason"] == NINA_ZH
    assert again.content[0].text.startswith("2 product(s) c9 may buy again; P Coffee beans")
    assert not audience.is_error, audience.content
    got = audience.structured_content
    assert plain(got["items"]) == AUDIENCE[:1] and got["total"] == 2
    assert (got["overdue"], got["due"], got["customers"]) == (1, 1, 2)
    assert audience.content[0].text.startswith(
        "2 reorder reminder(s) for 2 customer(s): 1 overdue, 1 due within 14 days")
    assert none.is_error and json.loads(none.content[0].text)["status"] == 400
    only_q, = call_tools(mcp_workspace, "operator", [
        ("replenishment_audience", {"as_of": AS_OF, "products": ["Q"]})])
    assert [r["customer_id"] for r in only_q.structured_content["items"]] == ["c8"]
    refused, = call_tools(mcp_workspace, "viewer", [("replenishment_audience", {})])
    body = json.loads(refused.content[0].text)
    assert refused.is_error and body["status"] == 403
