"""What keeps the server quick under many users (see bench/serve.py): a data version held for a
few seconds and forgotten after each job, the warm-up job that computes the pages' cached
aggregates before anyone asks, and forecasts fitted in a child process."""

from __future__ import annotations

import multiprocessing
import time

import pandas as pd
import pytest

from shopkeeper import accounts, forecast, metrics, store
from tests.server_fixtures import make_workspace, serve


def _orders(wh: store.Warehouse) -> int:
    return metrics.cached(wh, "test.orders", lambda: int(
        wh.query("SELECT count(*) FROM orders")[0][0]))


def _add_order(wh: store.Warehouse, order_id: str) -> None:
    wh.insert_df("orders", pd.DataFrame([{
        "order_id": order_id, "customer_id": "c9", "channel": "web", "status": "completed",
        "ordered_at": pd.Timestamp("2024-02-27 10:00", tz="UTC"), "currency": "EUR",
        "discount_amount": 0.0}]))


def test_a_held_data_version_is_trusted_until_forgotten(shop):
    metrics.clear_cache()
    try:
        assert _orders(shop) == 5
        _add_order(shop, "o6")
        assert _orders(shop) == 6  # not held: every call reads the version

        metrics.hold_version(shop, 60)
        assert _orders(shop) == 6
        _add_order(shop, "o7")
        assert _orders(shop) == 6  # held: the write by another path is not seen yet
        metrics.forget_version(shop)  # what the server does when one of its jobs ends
        assert _orders(shop) == 7

        metrics.hold_version(shop, 0.2)
        assert _orders(shop) == 7
        _add_order(shop, "o8")
        time.sleep(0.3)
        assert _orders(shop) == 8  # a held version expires
    finally:
        metrics.hold_version(shop, 0)
        metrics.clear_cache()


def test_the_server_warms_its_caches_at_start_without_auditing(shop, tmp_path):
    path = shop.path
    shop.close()
    ws = make_workspace(path)
    metrics.clear_cache()
    with serve(ws, mcp=False, warm=True) as client:
        runner = client.app.state.server.jobs
        deadline = time.monotonic() + 120
        while True:
            jobs = runner.list(kind="warm")
            if jobs and jobs[0].status in ("done", "failed") or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert len(jobs) == 1 and jobs[0].status == "done", jobs
        result = jobs[0].result
        assert result["after"] == "start" and result["seconds"]["overview (month)"] >= 0
        assert "overview (week)" in result["seconds"] and "metrics explorer" in result["seconds"]
        # the shop has no plan: said, not failed
        assert "no plan" in result["skipped"]["plan lines"]

        computed = metrics.cache.CACHE.computed
        headers = {"Authorization": f"Bearer {ws.read_tokens['owner']}"}
        r = client.get("/api/v1/overview", headers=headers)
        assert r.status_code == 200 and r.json()["tiles"] is not None
        r = client.get("/api/v1/metrics", headers=headers,
                       params={"metrics": "net_revenue,orders", "by": "month"})
        assert r.status_code == 200 and r.json()["rows"]
        assert metrics.cache.CACHE.computed == computed  # both answered from what the job computed
        # the shopping guide's catalogue was embedded by the job, not by the first shopper
        assert "shopping guide catalogue" in result["seconds"]
        r = client.post("/api/v1/customers/guide", headers=headers)
        assert r.status_code == 201, r.text
        assert metrics.cache.CACHE.computed == computed

        with client.app.state.server.session() as wh:
            actions = {e.action for e in accounts.audit_log(wh, limit=500)}
        assert not any("warm" in a for a in actions)  # housekeeping, not a person's write
    metrics.clear_cache()


def test_a_server_without_warm_starts_no_job_and_reads_the_version_each_time(shop):
    path = shop.path
    shop.close()
    ws = make_workspace(path)
    with serve(ws, mcp=False) as client:
        assert client.app.state.server.jobs.list(kind="warm") == []
        with client.app.state.server.session() as wh:
            key = str(path.resolve())
            metrics.cached(wh, "test.x", lambda: 1)
            assert key not in metrics.cache._HELD


@pytest.mark.slow
def test_an_isolated_fit_equals_the_fit_in_a_thread(shop):
    phases: list[str] = []
    apart = forecast.forecast_demand(shop, freq="W", save=False, isolate=True,
                                     progress=lambda phase, fraction: phases.append(phase))
    here = forecast.forecast_demand(shop, freq="W", save=False)
    keys = ["unique_id", "ds", "model"]
    pd.testing.assert_frame_equal(
        apart.result.forecasts.sort_values(keys).reset_index(drop=True),
        here.result.forecasts.sort_values(keys).reset_index(drop=True))
    assert phases[-1] == "done" and len(phases) > 2  # the child's progress came through
    assert multiprocessing.active_children() == []  # the child is gone
