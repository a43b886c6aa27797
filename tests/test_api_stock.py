"""Demand and stock over the REST API and the web page, on a copy of the real demo store:
SKU search, a SKU's stored forecast, the plan's lines with filters, edits and approvals with
their audit events, who may approve, exports, forecast and plan jobs, and the page in en/zh."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import openpyxl
import pytest
from fastapi.testclient import TestClient
from markupsafe import escape

from shopkeeper import accounts, forecast, store
from shopkeeper.api import create_app

pytestmark = pytest.mark.slow
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def demo_file(demo_store, tmp_path_factory) -> Path:
    """The demo warehouse copied once for this module, with an owner, an operator and a
    viewer (each test then copies this copy)."""
    source = demo_store[0] / "shopkeeper-data" / "warehouse.duckdb"
    path = tmp_path_factory.mktemp("stock-demo") / "warehouse.duckdb"
    shutil.copy(source, path)
    with store.Warehouse(path) as wh:
        for name, role in (("olivia", "owner"), ("oscar", "operator"), ("vera", "viewer")):
            accounts.add_user(wh, name, PASSWORD, role)
    return path


class Api:
    """A TestClient over a fresh copy of the demo store, with bearer tokens per user."""

    def __init__(self, client: TestClient, app, tokens: dict[str, str], path: Path) -> None:
        self.client, self.app, self.tokens, self.path = client, app, tokens, path

    def h(self, who: str = "oscar") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def get(self, url: str, who: str = "oscar", **kw):
        return self.client.get(url, headers=self.h(who), **kw)

    def wh(self) -> store.Warehouse:
        return self.app.state.server.wh


@pytest.fixture
def api(demo_file, tmp_path) -> Api:
    folder = tmp_path / "shopkeeper-data"
    folder.mkdir()
    path = folder / "warehouse.duckdb"
    shutil.copy(demo_file, path)
    tokens = {}
    with store.Warehouse(path) as wh:
        for user in ("olivia", "oscar", "vera"):
            tokens[user] = accounts.create_token(wh, user, "t", scope="write", actor=user,
                                                 via="cli").secret
        tokens["oscar-read"] = accounts.create_token(wh, "oscar", "r", scope="read",
                                                     actor="oscar", via="cli").secret
    settings = store.Settings(warehouse=path, output_dir=folder / "out",
                              model_dir=folder / "models")
    app = create_app(settings, mcp=False)
    with TestClient(app) as client:
        yield Api(client, app, tokens, path)


def _latest_plan(api: Api) -> dict:
    r = api.get("/api/v1/stock/plans/latest")
    assert r.status_code == 200, r.text
    return r.json()


def _order_lines(api: Api, n: int = 3, **params) -> list[dict]:
    r = api.get("/api/v1/stock/plans/latest/lines",
                params={"orders_only": True, "limit": n, **params})
    assert r.status_code == 200, r.text
    assert len(r.json()["items"]) == n, r.json()
    return r.json()["items"]


# -- SKUs ------------------------------------------------------------------------------------
def test_sku_search_by_id_and_title_and_sql_metacharacters_stay_text(api):
    r = api.get("/api/v1/stock/skus", params={"q": "heart", "limit": 500})
    assert r.status_code == 200
    body = r.json()
    with _same(api) as wh:
        expected = wh.query("SELECT count(DISTINCT product_id) FROM products WHERE "
                            "lower(product_id) LIKE '%heart%' OR lower(title) LIKE '%heart%'")[0][0]
    assert body["total"] == expected > 10
    assert all("heart" in (i["title"] or "").lower() or "heart" in i["product_id"].lower()
               for i in body["items"])
    exact = api.get("/api/v1/stock/skus", params={"q": "85123a"}).json()["items"][0]
    assert exact["product_id"] == "85123A" and exact["forecast"] is True
    for evil in ("%", "_", "' OR '1'='1", "'; DROP TABLE products; --", "\\", "85123A%"):
        r = api.get("/api/v1/stock/skus", params={"q": evil})
        assert r.status_code == 200, (evil, r.text)
        assert all(evil.lower() in (i["title"] or "").lower() + "\n" + i["product_id"].lower()
                   for i in r.json()["items"]), evil
    with _same(api) as wh:  # the table is still there, and '%' is a character, not a wildcard
        assert wh.query("SELECT count(*) FROM products")[0][0] > 1000
        literal = wh.query("SELECT count(DISTINCT product_id) FROM products WHERE "
                           "contains(product_id, '%') OR contains(title, '%')")[0][0]
    assert api.get("/api/v1/stock/skus", params={"q": "%"}).json()["total"] == literal


class _same:
    """The server's own warehouse handle, as a context manager (a cursor, closed after)."""

    def __init__(self, api: Api) -> None:
        self.wh = api.app.state.server.wh.shared()

    def __enter__(self) -> store.Warehouse:
        return self.wh

    def __exit__(self, *exc) -> None:
        self.wh.close()


def test_sku_detail_equals_the_stored_run(api):
    r = api.get("/api/v1/stock/skus/85123A")
    assert r.status_code == 200, r.text
    body = r.json()
    with _same(api) as wh:
        run_id = forecast.stored_run_with(wh, "85123A")
        stored = wh.query("SELECT ds, yhat, lo_80, hi_80, lo_95, hi_95 FROM forecasts "
                          "WHERE run_id = ? AND unique_id = '85123A' ORDER BY ds", [run_id])
        model, reason, demand_class = wh.query(
            "SELECT model, reason, demand_class FROM model_choices WHERE run_id = ? AND "
            "unique_id = '85123A'", [run_id])[0]
        candidates = wh.query("SELECT count(*) FROM backtest_scores WHERE run_id = ? AND "
                              "unique_id = '85123A'", [run_id])[0][0]
    assert body["run_id"] == run_id
    assert (body["model"], body["reason"], body["demand_class"]) == (model, reason, demand_class)
    assert reason and len(body["scores"]) == candidates
    assert len(body["forecast"]) == len(stored) == 28
    for got, row in zip(body["forecast"], stored, strict=True):
        assert got["ds"] == row[0].isoformat()
        assert [got[k] for k in ("yhat", "lo_80", "hi_80", "lo_95", "hi_95")] == pytest.approx(
            list(row[1:]))
        assert got["lo_95"] <= got["lo_80"] <= got["hi_80"] <= got["hi_95"]
    assert len(body["history"]) >= 100 and sum(p["y"] for p in body["history"]) > 0
    assert api.get("/api/v1/stock/skus/NO-SUCH-SKU").status_code == 404


# -- the plan --------------------------------------------------------------------------------
def test_plan_lines_filter_by_supplier_abc_xyz_and_status(api):
    plan = _latest_plan(api)
    assert plan["lines"] > 1000 and plan["order_lines"] > 0 and plan["suppliers"]
    supplier = plan["suppliers"][0]
    r = api.get(f"/api/v1/stock/plans/{plan['plan_id']}/lines",
                params={"supplier": supplier, "abc": "A,B", "xyz": "Z", "limit": 500})
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert items and all(i["supplier_id"] == supplier and i["abc"] in "AB" and i["xyz"] == "Z"
                         for i in items)
    with _same(api) as wh:
        expected = wh.query("SELECT count(*) FROM plan_lines WHERE plan_id = ? AND "
                            "supplier_id = ? AND abc IN ('A', 'B') AND xyz = 'Z'",
                            [plan["plan_id"], supplier])[0][0]
    assert r.json()["total"] == expected
    drafts = api.get("/api/v1/stock/plans/latest/lines", params={"status": "draft"}).json()
    assert drafts["total"] == plan["lines"]
    assert api.get("/api/v1/stock/plans/latest/lines",
                   params={"status": "approved"}).json()["total"] == 0
    assert api.get("/api/v1/stock/plans/latest/lines", params={"abc": "A'--"}).status_code == 422
    assert api.get("/api/v1/stock/plans/nope/lines").status_code == 404


def _audit(api: Api, action: str) -> list[accounts.AuditEvent]:
    with _same(api) as wh:
        return accounts.audit_log(wh, action=action)


def test_edit_then_approve_lines_then_the_plan_with_audit(api):
    first, second, third = _order_lines(api, 3)
    plan_id = first["plan_id"]
    url = f"/api/v1/stock/plans/{plan_id}"
    r = api.client.patch(f"{url}/lines/{first['line_no']}", json={"order_qty": 7},
                         headers=api.h())
    assert r.status_code == 200, r.text
    line = r.json()
    assert line["order_qty"] == 7 and line["suggested_qty"] == first["suggested_qty"]
    assert line["edited"] and line["edited_by"] == "oscar" and line["status"] == "draft"
    assert line["order_value"] == pytest.approx(7 * (first["unit_cost"] or 0))
    [event] = _audit(api, "stock.edit")
    assert event.actor == "oscar" and event.via == "token"
    assert event.target == f"plan:{plan_id}/line:{first['line_no']}"
    assert event.before["order_qty"] == first["order_qty"] and event.after["order_qty"] == 7

    r = api.client.post(f"{url}/approve", json={"lines": [first["line_no"], second["line_no"]]},
                        headers=api.h())
    assert r.status_code == 200, r.text
    assert sorted(r.json()["approved"]) == sorted([first["line_no"], second["line_no"]])
    assert r.json()["plan_status_after"] == "draft"
    approved = api.get(f"{url}/lines", params={"status": "approved"}).json()
    assert {i["line_no"] for i in approved["items"]} == {first["line_no"], second["line_no"]}
    assert {i["order_qty"] for i in approved["items"] if i["line_no"] == first["line_no"]} == {7}
    [event] = _audit(api, "stock.approve")
    assert event.before["plan_status"] == "draft" and event.after["approved_lines"] == 2
    # an approved line is settled
    r = api.client.patch(f"{url}/lines/{first['line_no']}", json={"order_qty": 9},
                         headers=api.h())
    assert r.status_code == 409, r.text
    assert api.client.patch(f"{url}/lines/{third['line_no']}", json={"order_qty": -1},
                            headers=api.h()).status_code == 422
    assert api.client.patch(f"{url}/lines/99999999", json={"order_qty": 1},
                            headers=api.h()).status_code == 404
    # the whole plan
    r = api.client.post(f"{url}/approve", json={"all": True}, headers=api.h("olivia"))
    assert r.status_code == 200, r.text
    assert r.json()["plan_status_after"] == "approved"
    assert set(r.json()["already_approved"]) == {first["line_no"], second["line_no"]}
    summary = _latest_plan(api)
    assert summary["status"] == "approved" and summary["approved_by"] == "olivia"
    assert summary["approved_lines"] == summary["order_lines"]
    assert api.get(f"{url}/lines", params={"status": "draft"}).json()["total"] == 0
    assert len(_audit(api, "stock.approve")) == 2
    assert api.client.post(f"{url}/approve", json={"all": True},
                           headers=api.h()).status_code == 409


def test_viewer_and_read_token_cannot_edit_or_approve(api):
    [line] = _order_lines(api, 1)
    url = f"/api/v1/stock/plans/{line['plan_id']}"
    for who in ("vera", "oscar-read"):
        assert api.client.patch(f"{url}/lines/{line['line_no']}", json={"order_qty": 1},
                                headers=api.h(who)).status_code == 403
        assert api.client.post(f"{url}/approve", json={"all": True},
                               headers=api.h(who)).status_code == 403
        assert api.client.post("/api/v1/jobs", json={"kind": "plan", "params": {}},
                               headers=api.h(who)).status_code == 403
        assert api.get(f"{url}/lines", who=who).status_code == 200  # reading is fine
    # a signed-in operator without the CSRF token is refused too
    signed = api.client.post("/api/v1/session", json={"username": "oscar", "password": PASSWORD})
    assert signed.status_code == 200
    assert api.client.post(f"{url}/approve", json={"all": True}).status_code == 403
    csrf = signed.json()["csrf_token"]
    assert api.client.post(f"{url}/approve", json={"lines": [line["line_no"]]},
                           headers={"X-CSRF-Token": csrf}).status_code == 200
    assert _audit(api, "stock.approve")[0].via == "session"
    assert _latest_plan(api)["approved_lines"] == 1


def test_export_is_a_real_csv_and_xlsx_of_the_lines(api):
    plan = _latest_plan(api)
    url = f"/api/v1/stock/plans/{plan['plan_id']}"
    [line] = _order_lines(api, 1)
    api.client.patch(f"{url}/lines/{line['line_no']}", json={"order_qty": 11}, headers=api.h())
    r = api.get(f"{url}/export", params={"fmt": "csv", "abc": "A"}, who="vera")
    assert r.status_code == 200, r.text
    assert f'filename="plan-{plan["plan_id"]}.csv"' in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    total_a = api.get(f"{url}/lines", params={"abc": "A"}).json()["total"]
    assert len(rows) == total_a > 0 and {row["abc"] for row in rows} == {"A"}
    if line["abc"] == "A":
        [edited] = [row for row in rows if row["line_no"] == str(line["line_no"])]
        assert float(edited["order_qty"]) == 11
    r = api.get("/api/v1/stock/plans/latest/export", params={"fmt": "xlsx"})
    assert r.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(r.content), read_only=True)
    assert {"plan", "excess stock", "summary"} <= set(book.sheetnames)
    sheet = list(book["plan"].iter_rows(values_only=True))
    assert len(sheet) - 1 == plan["lines"] and "order_qty" in sheet[0]
    excess = list(book["excess stock"].iter_rows(values_only=True))
    assert len(excess) - 1 == api.get(f"{url}/excess").json()["total"]
    # no path from the client: traversal and odd formats are refused
    for bad in ("..%2F..%2Fetc%2Fpasswd", "..", "%2e%2e"):
        assert api.get(f"/api/v1/stock/plans/{bad}/export").status_code in (404, 422)
    assert api.get(f"{url}/export", params={"fmt": "../x"}).status_code == 422
    exports = list((api.path.parent / "exports").iterdir())
    assert all(p.parent == api.path.parent / "exports" for p in exports)


def test_excess_and_dead_stock_of_the_demo_plan(api):
    r = api.get("/api/v1/stock/plans/latest/excess", params={"limit": 500})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["kept"] and body["total"] == body["dead"] + body["slow"] > 0
    values = [i["excess_value"] for i in body["items"]]
    assert values == sorted(values, reverse=True)
    dead = api.get("/api/v1/stock/plans/latest/excess", params={"status": "dead"}).json()
    assert dead["total"] == body["dead"] and all(i["status"] == "dead" for i in dead["items"])


# -- jobs ------------------------------------------------------------------------------------
def test_plan_job_then_forecast_job_and_the_sku_shows_the_new_run(api):
    before = _latest_plan(api)["plan_id"]
    r = api.client.post("/api/v1/stock/plans", json={"review_days": 14, "service": "A=0.97"},
                        headers=api.h())
    assert r.status_code == 202, r.text
    job = api.app.state.server.jobs.wait(r.json()["job_id"], timeout=600)
    assert job.status == "done", job.error
    plan = _latest_plan(api)
    assert plan["plan_id"] == job.result["plan_id"] != before
    assert plan["params"]["review_days"] == 14 and plan["params"]["service_levels"]["A"] == 0.97
    assert api.get("/api/v1/stock/plans/latest/excess").json()["total"] == job.result[
        "excess_lines"]

    r = api.client.post("/api/v1/jobs", json={"kind": "forecast", "params": {
        "products": ["85123A"], "windows": 1, "horizon": 14}}, headers=api.h())
    assert r.status_code == 202, r.text
    job = api.app.state.server.jobs.wait(r.json()["job_id"], timeout=600)
    assert job.status == "done", job.error
    detail = api.get("/api/v1/stock/skus/85123A").json()
    assert detail["run_id"] == job.result["run_id"] and len(detail["forecast"]) == 14
    page = api.client.get("/stock", params={"sku": "85123A"}, headers=api.h())
    assert page.status_code == 200 and job.result["run_id"] in page.text
    bad = api.client.post("/api/v1/jobs", json={"kind": "forecast", "params": {"freq": "X"}},
                          headers=api.h())
    failed = api.app.state.server.jobs.wait(bad.json()["job_id"], timeout=60)
    assert failed.status == "failed" and "freq" in failed.error


# -- the web page ----------------------------------------------------------------------------
XSS = "<script>alert(1)</script><img src=x onerror=alert(2)>"


def _sign_in(api: Api, who: str) -> None:
    r = api.client.post("/api/v1/session", json={"username": who, "password": PASSWORD})
    assert r.status_code == 200, r.text


def test_stock_page_in_en_and_zh_with_inert_data(api):
    with _same(api) as wh:
        wh.query("UPDATE products SET title = ? WHERE product_id = '85123A'", [XSS])
        [line] = wh.query("SELECT product_id FROM plan_lines WHERE plan_id = ? "
                          "ORDER BY order_value DESC LIMIT 1", [_latest_plan(api)["plan_id"]])
        wh.query("UPDATE products SET title = ? WHERE product_id = ?", [XSS + " top", line[0]])
    _sign_in(api, "oscar")
    pages = {}
    for lang in ("en", "zh"):
        r = api.client.get("/stock", params={"sku": "85123A", "q": "85123", "lang": lang})
        assert r.status_code == 200, r.text[-2000:]
        pages[lang] = r.text
        assert "<script>alert" not in r.text and "<img src=x" not in r.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text  # shown, as text
        assert 'data-testid="sku-chart"' in r.text and 'data-testid="approve-all"' in r.text
        assert 'data-testid="export-csv"' in r.text and 'id="plan-lines"' in r.text
    assert "Replenishment plan" in pages["en"] and "Model chosen" in pages["en"]
    assert "补货计划" in pages["zh"] and "选用的模型" in pages["zh"]
    detail = api.get("/api/v1/stock/skus/85123A").json()
    assert detail["run_id"] in pages["en"] and detail["model"] in pages["en"]
    # why the model was chosen, in the page's language
    assert str(escape(detail["reason"])) in pages["en"]
    assert detail["reason_zh"] != detail["reason"] and str(escape(detail["reason_zh"])) in pages["zh"]
    # the chart's JSON cannot close its script element
    assert "\\u003cscript\\u003e" in pages["en"] or XSS not in pages["en"]
    filtered = api.client.get("/stock", params={"abc": "A", "xyz": "Z", "status": "draft"})
    assert filtered.status_code == 200 and "<script>alert" not in filtered.text


def test_stock_page_for_a_viewer_and_without_a_plan(api):
    _sign_in(api, "vera")
    page = api.client.get("/stock").text
    assert 'id="plan-lines"' in page and 'data-testid="approve-all"' not in page
    assert 'data-testid="run-plan"' not in page
    with _same(api) as wh:
        wh.query("DELETE FROM plan_lines")
        wh.query("DELETE FROM replenishment_plans")
    page = api.client.get("/stock", params={"lang": "en"}).text
    assert 'data-testid="no-plan"' in page and "No plan yet: run a plan" in page
    unknown = api.client.get("/stock", params={"sku": "NOT-A-SKU", "lang": "en"})
    assert unknown.status_code == 200 and "No SKU NOT-A-SKU" in unknown.text
    anonymous = TestClient(api.app).get("/stock", follow_redirects=False)
    assert anonymous.status_code in (302, 303, 307) and "/login" in anonymous.headers["location"]
