"""Repeat purchase: patterns and reorder dates, the repeats-counted protocol, the repeat-aware
ranker, buy-again lists and replenishment audiences."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shopkeeper.recommend import OwnHistory, RepeatAware, evaluate, temporal_split
from shopkeeper.recommend.buy_again import (
    buy_again,
    reorder_calibration,
    reorder_reason,
    replenishment_audience,
)
from shopkeeper.recommend.evaluate import ndcg
from shopkeeper.recommend.repeat import purchase_log, purchase_patterns
from shopkeeper.recommend.serving import RecommendError
from tests.conftest import shared_file

DAY0 = pd.Timestamp("2024-01-01")


def _log(rows):
    users, items, days = zip(*rows, strict=True)
    return purchase_log(np.array(users), np.array(items),
                        [DAY0 + pd.Timedelta(days=d) for d in days])


def _day(offset: int) -> int:
    return int(np.datetime64(DAY0, "D").astype(np.int64)) + offset


def test_patterns_count_days_gaps_and_the_expected_reorder():
    log = _log([(0, 0, 0), (0, 0, 10), (0, 0, 20), (0, 0, 20), (0, 1, 5), (1, 0, 0), (1, 0, 30)])
    pairs = purchase_patterns(log, _day(40))
    a = pairs.loc[(0, 0)]
    assert a["days_bought"] == 3 and a["usual_gap"] == 10 and a["last"] == _day(20)
    # due on day 30, already passed at day 40: the customer's next visit is expected instead,
    # half their usual gap between order days (0, 5, 10, 20 → median gap 5) after today
    assert a["expected"] == _day(43)
    assert pairs.loc[(0, 1), "days_bought"] == 1 and np.isnan(pairs.loc[(0, 1), "expected"])
    assert pairs.loc[(0, 1), "visits_since"] == 2  # visits on days 10 and 20 came after
    assert pairs.loc[(1, 0), "expected"] == _day(60)  # due day 60, not yet passed


def test_reorder_calibration_compares_expected_and_actual_days():
    log = _log([(0, 0, 0), (0, 0, 10), (0, 0, 20), (0, 0, 33), (1, 0, 0), (1, 0, 10)])
    cal = reorder_calibration(log, _day(25), _day(60))
    assert len(cal) == 1  # user 1 bought only twice
    assert cal.loc[0, "expected"] == _day(30) and cal.loc[0, "error_days"] == 3


def _events():
    rows = []
    for c in range(4):
        for d in (0, 10, 20):
            rows.append((f"c{c}", "staple", DAY0 + pd.Timedelta(days=d + c)))
        rows.append((f"c{c}", f"once{c}", DAY0 + pd.Timedelta(days=5)))
    rows += [("c0", "staple", DAY0 + pd.Timedelta(days=31)), ("c0", "once1", DAY0 + pd.Timedelta(days=32))]
    return pd.DataFrame(rows, columns=["customer", "sku", "ts"])


def test_repeats_counted_keeps_rebought_items_and_excludes_nothing():
    split = temporal_split(_events(), DAY0 + pd.Timedelta(days=30), "customer", "sku", "ts",
                           drop_seen=False)
    assert split.seen_at_test() is None and "repeats counted" in split.protocol
    assert split.info["repeat_share"] == pytest.approx(0.5)  # staple again, once1 new
    table = evaluate([OwnHistory()], split, metrics=[(ndcg, 1)])
    assert table["NDCG@1"].iloc[0] == 1.0  # c0's most-bought item is what they bought again
    new_only = temporal_split(_events(), DAY0 + pd.Timedelta(days=30), "customer", "sku", "ts")
    assert new_only.seen_at_test() is not None and new_only.info["dropped_already_seen"] == 1


def _drifting_store(seed: int = 0) -> pd.DataFrame:
    """Customers who once bought a now-discontinued item on many days, and now buy a staple
    every week: counting alone ranks the discontinued item first, the rhythm says otherwise."""
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(150):
        old, staple = f"old{c % 5}", f"staple{c % 7}"
        for d in rng.choice(100, size=30, replace=False):
            rows.append((f"c{c}", old, int(d)))
        for d in range(160 + c % 5, 260, 7):
            rows.append((f"c{c}", staple, d))
        for d in rng.choice(260, size=4, replace=False):
            rows.append((f"c{c}", f"noise{rng.integers(40)}", int(d)))
    frame = pd.DataFrame(rows, columns=["customer", "sku", "day"])
    frame["ts"] = DAY0 + pd.to_timedelta(frame.pop("day"), unit="D")
    return frame


def test_the_repeat_aware_ranker_learns_what_counting_misses():
    split = temporal_split(_drifting_store(), DAY0 + pd.Timedelta(days=232), "customer", "sku",
                           "ts", drop_seen=False)
    model = RepeatAware(horizon_days=28, windows=3, discovery_params={"l2": 10.0})
    table = evaluate([OwnHistory(), model], split, metrics=[(ndcg, 1)]).set_index("model")
    assert model.learned_from_ >= 30
    assert table.loc["OwnHistory", "NDCG@1"] < 0.5
    assert table.loc["RepeatAware(EASE)", "NDCG@1"] > 0.9
    scores = model.candidate_scores(np.arange(3))
    assert {"score", "usual_gap", "expected"} <= set(scores.columns)
    assert scores["score"].notna().all()
    restored = RepeatAware(**model.get_params())
    restored.restore_state(model.state_arrays(), split.train)
    assert restored.ranker_ is not None
    np.testing.assert_array_equal(restored.recommend(np.arange(20), exclude=None)[0],
                                  model.recommend(np.arange(20), exclude=None)[0])


def test_a_short_history_serves_own_items_then_discovery_without_a_ranker():
    events = _events()
    split = temporal_split(events, DAY0 + pd.Timedelta(days=30), "customer", "sku", "ts",
                           drop_seen=False)
    model = RepeatAware(horizon_days=14).fit(split.train, log=split.log)
    assert model.ranker_ is None and model.learned_from_ == 0
    items, _ = model.recommend([0], n=2, exclude=None)
    assert split.items[items[0][0]] == "staple"
    with pytest.raises(ValueError, match="purchase log"):
        RepeatAware().fit(split.train)


def test_reasons_say_the_rhythm_and_the_last_order():
    assert reorder_reason(4, 35.0, 42.0) == ("you order this about every 5 weeks; last order "
                                             "6 weeks ago (4 times)")
    assert reorder_reason(3, 10.0, 3.0, "zh") == "您大约每10天买一次；上次是3天前（共3次）"
    assert reorder_reason(1, float("nan"), 100.0) == "you bought this once, 3 months ago"


@pytest.fixture
def regulars(warehouse):
    """r1 buys soap every 14 days; r2 buys it every 30 days, a little overdue; r3 stopped a
    year ago; r4 returned the tea it bought three times; r5 bought tea twice."""
    plan = {
        "r1": [("SOAP", d) for d in (300, 314, 328, 342)] + [("TEA", 330)],
        "r2": [("SOAP", d) for d in (250, 280, 310)],
        "r3": [("SOAP", d) for d in (0, 10, 20)],
        "r4": [("TEA", d) for d in (200, 230, 260)],
        "r5": [("TEA", d) for d in (300, 330)],
    }
    orders, lines = [], []
    for customer, buys in plan.items():
        for n, (sku, day) in enumerate(buys):
            oid = f"{customer}-{n}"
            orders.append((oid, customer, pd.Timestamp("2024-01-01", tz="UTC")
                           + pd.Timedelta(days=day), "completed", "EUR"))
            lines.append((oid, 1, sku, 1, 3.0, 3.0, "EUR"))
    with warehouse.transaction():
        warehouse.insert_df("orders", pd.DataFrame(orders, columns=[
            "order_id", "customer_id", "ordered_at", "status", "currency"]))
        warehouse.insert_df("order_lines", pd.DataFrame(lines, columns=[
            "order_id", "line_number", "product_id", "quantity", "unit_price", "line_amount",
            "currency"]))
        warehouse.insert_df("products", pd.DataFrame(
            [("SOAP", "Olive soap", 3.0, "EUR"), ("TEA", "Green tea", 3.0, "EUR")],
            columns=["product_id", "title", "price", "currency"]))
        warehouse.insert_df("refunds", pd.DataFrame(
            [("x1", "r4-2", "TEA", "r4", 1, 3.0, pd.Timestamp("2024-09-20", tz="UTC"), "EUR",
              "return", "completed")],
            columns=["refund_id", "order_id", "product_id", "customer_id", "quantity", "amount",
                     "refunded_at", "currency", "kind", "status"]))
        warehouse.insert_df("inventory_snapshots", pd.DataFrame(
            [("SOAP", "main", 10, pd.Timestamp("2024-12-01", tz="UTC")),
             ("TEA", "main", 0, pd.Timestamp("2024-12-01", tz="UTC"))],
            columns=["product_id", "location", "on_hand", "snapshot_at"]))
    return warehouse


def test_buy_again_ranks_the_rhythm_first_and_says_why(regulars):
    items = buy_again(regulars, "r1", as_of=pd.Timestamp("2025-01-06"))  # day 371
    assert [i.product_id for i in items] == ["SOAP", "TEA"]
    soap = items[0]
    assert soap.times_bought == 4 and soap.usual_interval_days == 14
    # due on day 342 + 14 = 356 (2024-12-22), passed on 2025-01-06
    assert soap.status == "overdue" and soap.expected_reorder == pd.Timestamp("2024-12-22").date()
    assert soap.last_ordered == pd.Timestamp("2024-12-08").date()
    assert "about every 2 weeks" in soap.reason and "(4 times)" in soap.reason
    assert items[1].status == "bought once"
    zh = buy_again(regulars, "r1", lang="zh")
    assert "每2周" in zh[0].reason
    with pytest.raises(LookupError, match="no customer 'nobody'"):
        buy_again(regulars, "nobody")
    assert buy_again(regulars, "r1", as_of=pd.Timestamp("2024-12-08"))[0].reason == (
        "you order this about every 2 weeks; last order today (4 times)")


def test_the_replenishment_audience_is_who_is_due_not_who_lapsed_or_returned(regulars):
    audience = replenishment_audience(regulars, as_of=pd.Timestamp("2024-12-05"))  # day 339
    got = {(r.customer_id, r.product_id): r for r in audience.itertuples()}
    assert set(got) == {("r1", "SOAP"), ("r2", "SOAP")}
    r1, r2 = got[("r1", "SOAP")], got[("r2", "SOAP")]
    assert r1.expected_reorder == pd.Timestamp("2024-12-08").date() and r1.status == "due"
    assert r2.expected_reorder == pd.Timestamp("2024-12-06").date()  # day 310 + 30 = 340
    assert list(audience["customer_id"]) == ["r2", "r1"]  # soonest first
    later = replenishment_audience(regulars, as_of=pd.Timestamp("2024-12-20"))  # day 354
    assert later.set_index("customer_id").loc["r2", "status"] == "overdue"
    assert later.set_index("customer_id").loc["r2", "days_overdue"] == 14  # Dec 6 → Dec 20
    assert replenishment_audience(regulars, as_of=pd.Timestamp("2024-12-05"),
                                  products=["TEA"]).empty
    assert len(replenishment_audience(regulars, as_of=pd.Timestamp("2024-12-05"),
                                      min_orders=2, within_days=60)) == 3  # + r5's tea
    with pytest.raises(RecommendError, match="min_orders"):
        replenishment_audience(regulars, min_orders=1)


@pytest.mark.slow
def test_on_online_retail_the_repeat_aware_list_beats_own_history_and_als():
    """The tuning window of bench/recommend_eval.py (train before 2011-06-09, test to
    2011-09-09, repeats counted)."""
    path = shared_file("transactions/online_retail/online_retail_I_2010-2011_pos_qty.parquet")
    raw = pd.read_parquet(path)
    keep = (raw["CustomerID"] > 0) & raw["StockCode"].astype(str).str.match(r"^\d{5}") & (
        raw["UnitPrice"] > 0)
    events = raw[keep].assign(customer=raw["CustomerID"].astype(int).astype(str),
                              sku=raw["StockCode"].astype(str),
                              ts=pd.to_datetime(raw["InvoiceDate"]))
    events = events.groupby(["customer", "InvoiceNo", "sku"], as_index=False)["ts"].min()
    split = temporal_split(events, "2011-06-09", "customer", "sku", "ts", drop_seen=False,
                           end="2011-09-09")
    from shopkeeper.recommend import ALS

    table = evaluate([OwnHistory(), ALS(), RepeatAware()], split,
                     metrics=[(ndcg, 10)]).set_index("model")["NDCG@10"]
    assert table["RepeatAware(EASE)"] > 1.02 * table["OwnHistory"]
    assert table["RepeatAware(EASE)"] > 1.10 * table["ALS"]


def test_a_repeat_aware_store_model_serves_repeats_with_their_rhythm_and_keeps_the_rules(
        regulars, tmp_path):
    from shopkeeper.recommend import (
        ServingRules,
        load_recommender,
        recommend_for_customer,
        save_recommender,
        train,
    )

    rec = train(regulars, model="RepeatAware", params={"horizon_days": 28})
    repeats = ServingRules(exclude_bought=False, max_per_category=None)
    picks = recommend_for_customer(rec, "r1", 5, repeats)
    assert [p.product_id for p in picks] == ["SOAP"]  # TEA is out of stock
    assert picks[0].reason.startswith("you order this about every 2 weeks")
    assert recommend_for_customer(rec, "r1", 5, ServingRules()) == []  # no repeats: nothing new
    assert [p.product_id for p in recommend_for_customer(rec, "r5", 5, repeats)] == ["SOAP"]
    stored = load_recommender(save_recommender(rec, tmp_path / "m.npz"), regulars)
    assert stored.model == "RepeatAware"
    assert recommend_for_customer(stored.recommender, "r1", 5, repeats) == picks
