"""The overview's typed results: KPI tiles equal the metrics layer's numbers, the per-load cache
computes once and forgets on the next load, the stock-out rule, and the waiting-for-you lists."""

from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path

import pandas as pd
import pydantic
import pytest

from shopkeeper import content, finance, inventory, metrics, reviews, service
from shopkeeper.store import Warehouse, ingest

TS = pd.Timestamp
TILES = ("net_revenue", "orders", "aov", "gross_margin", "refund_rate")


def _same(actual: float | None, expected: object) -> bool:
    if expected is None or pd.isna(expected):
        return actual is None
    return actual is not None and actual == pytest.approx(float(expected), rel=1e-9, abs=1e-9)


def _metric_values(wh: Warehouse, start: dt.date, end: dt.date,
                   money: metrics.Money | None) -> pd.Series:
    df = metrics.query(wh, list(TILES), start=start, end=end, money=money).df
    return df.iloc[0] if len(df) else pd.Series({m: float("nan") for m in TILES})


def _check_against_metrics(wh: Warehouse, tiles: finance.KpiTiles) -> None:
    """Every tile, its previous and year-ago value and every sparkline point equal what
    metrics.query gives for the same dates, one currency at a time (as finance reads it)."""
    step = {"day": pd.DateOffset(days=1), "week": pd.DateOffset(weeks=1),
            "month": pd.DateOffset(months=1)}[tiles.period]
    several = len(metrics.currencies(wh)) > 1
    for group in tiles.groups:
        money = metrics.Money(group.currency) if several else None
        now = _metric_values(wh, tiles.start, tiles.end, money)
        prev = _metric_values(wh, tiles.previous_start, tiles.previous_end, money)
        year = _metric_values(wh, tiles.year_ago_start, tiles.year_ago_end, money)
        for tile in group.tiles:
            assert _same(tile.value, now[tile.metric]), (group.currency, tile.metric)
            if tile.metric in ("net_revenue", "orders") or not pd.isna(prev[tile.metric]):
                assert _same(tile.previous, prev[tile.metric]), (group.currency, tile.metric)
            if (year["orders"] or 0) > 0:
                assert _same(tile.year_ago, year[tile.metric]), (group.currency, tile.metric)
            assert tile.sparkline[-1].start == tiles.start
            assert _same(tile.sparkline[-1].value, now[tile.metric])
        # the sparkline's earlier points: each its own period
        for point in group.tile("net_revenue").sparkline[-4:-1]:
            end = (TS(point.start) + step - pd.Timedelta(days=1)).date()
            got = _metric_values(wh, point.start, end, money)["net_revenue"]
            assert _same(point.value, 0.0 if pd.isna(got) else got)


@pytest.mark.slow
def test_tiles_equal_the_metrics_layer_on_the_demo_store(demo_store):
    folder, _ = demo_store
    with Warehouse(folder / "shopkeeper-data" / "warehouse.duckdb", read_only=True) as wh:
        for period in ("month", "week", "day"):
            tiles = finance.kpi_tiles(wh, period=period)
            assert tiles.groups and all(len(g.tiles) == len(TILES) for g in tiles.groups)
            assert all(len(t.sparkline) == 12 for g in tiles.groups for t in g.tiles)
            _check_against_metrics(wh, tiles)
        assert finance.kpi_tiles(wh, period="month") is finance.kpi_tiles(wh, period="month")


def _sell(wh: Warehouse, orders: list[tuple], refunds: list[tuple] = ()) -> None:
    """Orders of product A (costs 4.00) as (order_id, when, quantity, unit price, currency)."""
    o = pd.DataFrame([(oid, f"c{oid}", TS(when, tz="UTC"), "completed", cur)
                      for oid, when, _, _, cur in orders],
                     columns=["order_id", "customer_id", "ordered_at", "status", "currency"])
    o["discount_amount"] = 0.0
    lines = pd.DataFrame([(oid, 1, "A", qty, price, cur) for oid, _, qty, price, cur in orders],
                         columns=["order_id", "line_number", "product_id", "quantity",
                                  "unit_price", "currency"])
    lines["discount_amount"] = 0.0
    lines["line_amount"] = lines["quantity"] * lines["unit_price"]
    with wh.transaction():
        wh.insert_df("orders", o)
        wh.insert_df("order_lines", lines)
        if refunds:
            wh.insert_df("refunds", pd.DataFrame(
                [(rid, oid, "A", f"c{oid}", 1, amount, TS(when, tz="UTC"), cur, "return",
                  "completed") for rid, oid, amount, when, cur in refunds],
                columns=["refund_id", "order_id", "product_id", "customer_id", "quantity",
                         "amount", "refunded_at", "currency", "kind", "status"]))


@pytest.fixture
def year_shop(warehouse):
    """Product A at 10.00 (cost 4.00). Feb 2023: one order of 2. Jan 2024: one of 1. Feb 2024:
    two orders (3 + 1 units) and a 5.00 refund. Mar 2024: one order of 1."""
    with warehouse.transaction():
        warehouse.insert_df("products", pd.DataFrame(
            [("A", "toys", 4.0, "EUR", "A")],
            columns=["product_id", "category", "unit_cost", "currency", "title"]))
    _sell(warehouse, [("y1", "2023-02-10 10:00", 2, 10.0, "EUR"),
                      ("p1", "2024-01-15 10:00", 1, 10.0, "EUR"),
                      ("c1", "2024-02-05 10:00", 3, 10.0, "EUR"),
                      ("c2", "2024-02-20 10:00", 1, 10.0, "EUR"),
                      ("n1", "2024-03-02 10:00", 1, 10.0, "EUR")],
          [("r1", "c1", 5.0, "2024-02-21", "EUR")])
    return warehouse


def test_previous_and_year_ago_periods_on_a_hand_built_shop(year_shop):
    tiles = finance.kpi_tiles(year_shop, period="month", as_of="2024-03-02")
    assert (tiles.label, tiles.start, tiles.end) == ("2024-02", dt.date(2024, 2, 1),
                                                     dt.date(2024, 2, 29))
    assert (tiles.previous_start, tiles.previous_end) == (dt.date(2024, 1, 1),
                                                          dt.date(2024, 1, 31))
    assert (tiles.year_ago_start, tiles.year_ago_end) == (dt.date(2023, 2, 1),
                                                          dt.date(2023, 2, 28))
    (group,) = tiles.groups
    assert group.currency == "EUR" and not tiles.converted
    net, orders, aov = group.tile("net_revenue"), group.tile("orders"), group.tile("aov")
    margin, refund = group.tile("gross_margin"), group.tile("refund_rate")
    assert (net.value, net.previous, net.year_ago) == (35.0, 10.0, 20.0)  # 40 − 5 refunded
    assert net.change_prev == 25.0 and net.change_prev_pct == pytest.approx(2.5)
    assert net.change_year == 15.0 and net.change_year_pct == pytest.approx(0.75)
    assert (orders.value, orders.previous, orders.year_ago) == (2.0, 1.0, 1.0)
    assert (aov.value, aov.previous, aov.year_ago) == (20.0, 10.0, 20.0)
    assert refund.value == pytest.approx(5 / 40) and refund.previous == 0.0
    assert margin.value == pytest.approx((35 - 16) / 35)  # 4 units at cost 4.00
    # the sparkline: Mar 2023 … Feb 2024, nothing sold between the two Februaries
    points = net.sparkline
    assert [p.start for p in points][:2] == [dt.date(2023, 3, 1), dt.date(2023, 4, 1)]
    assert [p.value for p in points] == [0.0] * 10 + [10.0, 35.0]
    assert refund.sparkline[0].value is None  # a rate of no sales is unknown, not 0
    _check_against_metrics(year_shop, tiles)
    # a week and a day, with the same rules
    week = finance.kpi_tiles(year_shop, period="week", as_of="2024-02-25")
    assert (week.start, week.end) == (dt.date(2024, 2, 19), dt.date(2024, 2, 25))
    assert week.groups[0].tile("orders").value == 1.0
    assert week.groups[0].tile("orders").year_ago is None  # no sales that week a year ago
    day = finance.kpi_tiles(year_shop, period="day", as_of="2024-02-05")
    assert (day.start, day.previous_start) == (dt.date(2024, 2, 5), dt.date(2024, 2, 4))
    assert day.groups[0].tile("net_revenue").value == 30.0
    _check_against_metrics(year_shop, day)
    with pytest.raises(metrics.MetricError):
        finance.kpi_tiles(year_shop, period="fortnight")


def test_tiles_per_currency_or_converted(year_shop):
    _sell(year_shop, [("u1", "2024-02-07 10:00", 1, 50.0, "USD")])
    tiles = finance.kpi_tiles(year_shop, period="month", as_of="2024-03-02")
    assert [g.currency for g in tiles.groups] == ["EUR", "USD"]  # never added up
    assert tiles.for_currency("USD").tile("net_revenue").value == 50.0
    assert tiles.for_currency("EUR").tile("net_revenue").value == 35.0
    assert tiles.for_currency("EUR").tile("orders").value == 2.0
    _check_against_metrics(year_shop, tiles)
    converted = finance.kpi_tiles(year_shop, period="month", as_of="2024-03-02",
                                  report_currency="EUR", fx_rates={"USD": 0.5})
    (group,) = converted.groups
    assert converted.converted and group.money == "EUR (converted at 1 USD = 0.5 EUR)"
    assert group.tile("net_revenue").value == 35.0 + 25.0
    assert group.tile("orders").value == 3.0


def _load(wh: Warehouse, folder: Path, orders: list[tuple[str, str, int]]) -> None:
    """A real load of canonical CSVs: orders (id, day, units of P1 at 10.00 EUR)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "orders.csv").write_text(
        "order_id,customer_id,ordered_at,currency,status\n" + "".join(
            f"{oid},c{oid},{day}T10:00:00+00:00,EUR,completed\n" for oid, day, _ in orders))
    (folder / "order_lines.csv").write_text(
        "order_id,line_number,product_id,quantity,unit_price,currency\n" + "".join(
            f"{oid},1,P1,{qty},10.0,EUR\n" for oid, _, qty in orders))
    ingest(wh, [folder / "orders.csv", folder / "order_lines.csv"], preset="canonical")


def test_cache_keeps_the_value_until_the_next_load(warehouse, tmp_path):
    _load(warehouse, tmp_path / "one", [("A1", "2024-01-10", 2), ("A2", "2024-02-10", 1)])
    version = metrics.data_version(warehouse)
    first = finance.kpi_tiles(warehouse, period="month", as_of="2024-02-29")
    assert first.groups[0].tile("orders").value == 1.0
    assert finance.kpi_tiles(warehouse, period="month", as_of="2024-02-29") is first
    assert metrics.data_version(warehouse) == version
    with pytest.raises(pydantic.ValidationError):  # shared by every caller: read-only
        first.label = "changed"
    # other arguments are other entries
    assert finance.kpi_tiles(warehouse, period="week", as_of="2024-02-29") is not first
    _load(warehouse, tmp_path / "two", [("B1", "2024-02-12", 4)])
    assert metrics.data_version(warehouse) != version
    second = finance.kpi_tiles(warehouse, period="month", as_of="2024-02-29")
    assert second is not first
    assert second.groups[0].tile("orders").value == 2.0
    assert second.groups[0].tile("net_revenue").value == 50.0
    assert first.groups[0].tile("orders").value == 1.0  # the old value is left as it was


def test_concurrent_callers_compute_once(warehouse, tmp_path):
    _load(warehouse, tmp_path / "one", [("A1", "2024-01-10", 2)])
    calls, results, errors = [], [], []
    start = threading.Barrier(8)

    def compute() -> object:
        calls.append(threading.get_ident())
        time.sleep(0.3)  # long enough for every other thread to ask meanwhile
        return object()

    def ask() -> None:
        # one warehouse per thread, as a server uses one cursor per request
        try:
            with Warehouse(warehouse.path) as wh:
                start.wait()
                results.append(metrics.cached(wh, "test.concurrent", compute))
        except Exception as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(calls) == 1
    assert len(results) == 8 and all(r is results[0] for r in results)


def test_cache_is_bounded():
    cache = metrics.cache._Cache(max_entries=3)
    for i in range(5):
        cache.get(("w", "v", str(i)), lambda i=i: i)
    assert len(cache) == 3
    assert cache.get(("w", "v", "0"), lambda: "again") == "again"  # the oldest went first
    assert cache.get(("w", "v", "4"), lambda: "never") == 4


@pytest.fixture
def stock_shop(warehouse):
    """On 2024-03-31, 28 days of sales: A 56 units (2/day), B 28, C 28, D none. Stock counted
    on 2024-03-30: A 10 on hand, B 100, C 20 with 10 reserved, D 3; an older count of A (500)
    is superseded."""
    with warehouse.transaction():
        warehouse.insert_df("products", pd.DataFrame(
            [(p, p) for p in "ABCD"], columns=["product_id", "title"]))
    orders, n = [], 0
    for product, units in (("A", 56), ("B", 28), ("C", 28)):
        for day in range(28):
            qty = units // 28
            n += 1
            orders.append((f"o{n}", product, TS("2024-03-04 10:00", tz="UTC")
                           + pd.Timedelta(days=day), qty))
    o = pd.DataFrame([(oid, "c", when, "completed", "EUR", 0.0) for oid, _, when, _ in orders],
                     columns=["order_id", "customer_id", "ordered_at", "status", "currency",
                              "discount_amount"])
    lines = pd.DataFrame([(oid, 1, p, q, 10.0, "EUR", 0.0, 10.0 * q) for oid, p, _, q in orders],
                         columns=["order_id", "line_number", "product_id", "quantity",
                                  "unit_price", "currency", "discount_amount", "line_amount"])
    snaps = pd.DataFrame([
        ("A", "main", TS("2024-01-01", tz="UTC"), 500, 0, 0),
        ("A", "main", TS("2024-03-30", tz="UTC"), 10, 0, 0),
        ("B", "main", TS("2024-03-30", tz="UTC"), 100, 0, 0),
        ("C", "main", TS("2024-03-30", tz="UTC"), 20, 5, 10),
        ("D", "main", TS("2024-03-30", tz="UTC"), 3, 0, 0),
    ], columns=["product_id", "location", "snapshot_at", "on_hand", "on_order", "reserved"])
    with warehouse.transaction():
        warehouse.insert_df("orders", o)
        warehouse.insert_df("order_lines", lines)
        warehouse.insert_df("inventory_snapshots", snaps)
    return warehouse


def test_stockout_coverage_rule(stock_shop):
    alerts = inventory.stockout_alerts(stock_shop, days=14)
    assert alerts.source == "coverage" and alerts.plan_id is None
    assert alerts.as_of == dt.date(2024, 3, 31) and alerts.demand_days == 28
    assert [(a.product_id, a.days_of_cover) for a in alerts.items] == [("A", 5.0), ("C", 10.0)]
    c = alerts.items[1]
    assert (c.available, c.on_order, c.demand_per_day, c.reorder_now) == (10.0, 5.0, 1.0, False)
    assert alerts.count == 2
    # a shorter horizon flags only A; a longer one B too (100 units, 1 a day)
    assert [a.product_id for a in inventory.stockout_alerts(stock_shop, days=7).items] == ["A"]
    assert [a.product_id for a in inventory.stockout_alerts(stock_shop, days=101).items] == [
        "A", "C", "B"]


def test_stockout_from_the_latest_plan(stock_shop):
    before = inventory.stockout_alerts(stock_shop, days=14)
    with stock_shop.transaction():
        stock_shop.insert_df("replenishment_plans", pd.DataFrame([{
            "plan_id": "P1", "created_at": TS("2024-04-01", tz="UTC"), "status": "draft",
            "currency": "EUR"}]))
        stock_shop.insert_df("plan_lines", pd.DataFrame([
            # B orders now although it has 50 days; C has 3 days and orders nothing; A is fine
            {"plan_id": "P1", "product_id": "A", "on_hand": 10.0, "on_order": 0.0,
             "demand_per_day": 0.5, "days_of_cover": 20.0, "suggested_qty": 0.0},
            {"plan_id": "P1", "product_id": "B", "on_hand": 100.0, "on_order": 0.0,
             "demand_per_day": 2.0, "days_of_cover": 50.0, "suggested_qty": 40.0,
             "supplier_id": "S1", "order_by": dt.date(2024, 4, 1), "order_value": 400.0},
            {"plan_id": "P1", "product_id": "C", "on_hand": 10.0, "on_order": 0.0,
             "demand_per_day": 3.3, "days_of_cover": 3.0, "suggested_qty": 0.0},
        ]))
    alerts = inventory.stockout_alerts(stock_shop, days=14)
    assert alerts is not before  # a new plan is a new answer, though no load happened
    assert alerts.source == "plan" and alerts.plan_id == "P1"
    assert [(a.product_id, a.reorder_now) for a in alerts.items] == [("C", False), ("B", True)]
    assert alerts.items[1].suggested_qty == 40.0 and alerts.items[1].order_by == dt.date(2024, 4, 1)
    pending = inventory.pending_plan_lines(stock_shop)
    assert (pending.plan_id, pending.count, pending.older_drafts) == ("P1", 1, 0)
    assert [i.product_id for i in pending.items] == ["B"]
    assert pending.order_values == {"EUR": 400.0}
    inventory.approve_plan(stock_shop, "P1", "owner")
    assert inventory.pending_plan_lines(stock_shop).count == 0  # not cached


def test_waiting_for_you_lists(warehouse):
    now = TS("2024-05-01 09:00", tz="UTC")
    with warehouse.transaction():
        warehouse.insert_df("content_drafts", pd.DataFrame([
            {"draft_id": f"d{i}", "product_id": "A", "kind": "title", "lang": "en",
             "text": "x" * 300, "status": status, "version": 1,
             "compliance": '["a", "b"]' if i == 0 else "[]",
             "created_at": now + pd.Timedelta(minutes=i),
             "updated_at": now + pd.Timedelta(minutes=i)}
            for i, status in enumerate(["draft", "draft", "approved", "draft"])]))
        warehouse.insert_df("review_replies", pd.DataFrame([
            {"reply_id": f"r{i}", "review_id": f"rv{i}", "text": "sorry", "status": status,
             "created_at": now + pd.Timedelta(minutes=i)}
            for i, status in enumerate(["draft", "approved", "draft"])]))
        warehouse.insert_df("service_handoffs", pd.DataFrame([
            {"handoff_id": f"h{i}", "reason": "asked", "status": status,
             "created_at": now + pd.Timedelta(minutes=i)}
            for i, status in enumerate(["open", "closed", "open"])]))
        warehouse.insert_df("return_requests", pd.DataFrame([
            {"request_id": f"q{i}", "order_id": "o1", "status": status,
             "created_at": now + pd.Timedelta(minutes=i)}
            for i, status in enumerate(["draft", "rejected"])]))
    drafts = content.pending_drafts(warehouse, limit=2)
    assert drafts.count == 3 and [d.draft_id for d in drafts.items] == ["d0", "d1"]
    assert drafts.items[0].compliance_flags == 2 and len(drafts.items[0].text) == 140
    replies = reviews.pending_replies(warehouse)
    assert replies.count == 2 and [r.reply_id for r in replies.items] == ["r0", "r2"]
    handoffs = service.open_handoffs(warehouse)
    assert handoffs.count == 2 and [h.handoff_id for h in handoffs.items] == ["h0", "h2"]
    returns = service.pending_returns(warehouse)
    assert returns.count == 1 and returns.items[0].request_id == "q0"
    # approving changes the lists at once: they are never cached
    content.set_status(warehouse, ["d0"], "approved")
    service.close_handoff(warehouse, "h0", "staff")
    service.decide_return_request(warehouse, "q0", "approved", "staff")
    assert content.pending_drafts(warehouse).count == 2
    assert service.open_handoffs(warehouse).count == 1
    assert service.pending_returns(warehouse).count == 0
    assert inventory.pending_plan_lines(warehouse).plan_id is None


def test_review_alerts_and_anomalies_are_typed_and_cached(year_shop):
    assert reviews.recent_alerts(year_shop).count == 0  # nothing analysed: nothing to say
    found = finance.recent_anomalies(year_shop, days=7, as_of="2024-02-29")
    assert (found.start, found.end) == (dt.date(2024, 2, 23), dt.date(2024, 2, 29))
    assert found.alerts == []  # too short a history to judge: said, not guessed
    assert {f.kind for f in found.findings} <= {"short_history", "cannot_compute"}
    assert found.findings and all(f.currency == "EUR" for f in found.findings)
    assert finance.recent_anomalies(year_shop, days=7, as_of="2024-02-29") is found
