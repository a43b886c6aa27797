"""Customer segments: RFM on a hand-checkable shop, BG/NBD against the published CDNOW fit, CLV
and churn risk on the demo-sized real data, and audience export."""

from __future__ import annotations

import pandas as pd
import pytest

from shopkeeper.recommend.segments import (
    SegmentError,
    export_audience,
    fit_bg_nbd,
    lifetime_value,
    rfm,
    segment_customers,
)
from tests.conftest import shared_file

PUBLISHED_CDNOW = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}  # Fader, Hardie & Lee 2005


def test_bg_nbd_reproduces_the_published_cdnow_parameters_within_1_percent():
    summary = pd.read_csv(shared_file("transactions/cdnow/cdnow_customers_summary.csv"))
    params = fit_bg_nbd(summary).params_
    for name, published in PUBLISHED_CDNOW.items():
        assert params[name] == pytest.approx(published, rel=0.01), name


def _transactions() -> pd.DataFrame:
    rows = [("a", "2024-01-01", 10), ("a", "2024-02-01", 20), ("a", "2024-03-28", 30),
            ("b", "2024-03-30", 5), ("c", "2023-06-01", 100), ("d", "2024-01-15", 1)]
    return pd.DataFrame(rows, columns=["customer_id", "day", "amount"])


def test_rfm_values_scores_and_segments():
    table = rfm(_transactions(), pd.Timestamp("2024-03-31")).set_index("customer_id")
    assert table.loc["a", ["recency_days", "frequency", "monetary"]].tolist() == [3, 3, 60]
    assert table.loc["c", "recency_days"] == 304 and table.loc["c", "r_score"] == 2
    assert table.loc["b", "r_score"] == 5 and table.loc["a", "f_score"] == 5
    assert table["r_score"].between(1, 5).all() and table["m_score"].between(1, 5).all()
    assert table.loc["a", "segment"] in ("champions", "loyal")
    with pytest.raises(SegmentError, match="no customer orders"):
        rfm(_transactions().iloc[:0], pd.Timestamp("2024-03-31"))


def test_lifetime_value_needs_enough_customers():
    with pytest.raises(SegmentError, match="too few customers"):
        lifetime_value(_transactions(), pd.Timestamp("2024-03-31"))


def test_segments_of_a_real_store_with_clv_and_churn(tmp_path):
    master = shared_file("transactions/cdnow/CDNOW_master.txt")
    raw = pd.read_csv(master, sep=r"\s+", header=0,
                      names=["customer_id", "date", "units", "amount"], dtype={"date": str})
    raw["day"] = pd.to_datetime(raw["date"], format="%Y%m%d")
    tx = raw.groupby(["customer_id", "day"], as_index=False)["amount"].sum()
    tx["customer_id"] = tx["customer_id"].astype(str)
    table, model = lifetime_value(tx, pd.Timestamp("1998-06-30"))
    assert model.customers == 23_570 and model.repeat_customers > 5_000
    assert table["p_alive"].between(0, 1).all() and table["churn_risk"].between(0, 1).all()
    assert (table["clv"] >= 0).all()
    # customers who bought more and more recently are worth more and less likely to churn
    heavy = table[table["frequency"] >= 5]
    once = table[table["frequency"] == 0]
    assert heavy["clv"].mean() > 3 * once["clv"].mean()
    assert heavy["churn_risk"].mean() < once["churn_risk"].mean()
    seg = rfm(tx, pd.Timestamp("1998-06-30")).merge(table[["customer_id", "churn_risk"]])
    path = tmp_path / "at-risk.xlsx"
    n = export_audience(seg, path, segment="at risk")
    assert n == (seg["segment"] == "at risk").sum() > 0
    assert len(pd.read_excel(path)) == n
    with pytest.raises(SegmentError, match="segments here"):
        export_audience(seg, tmp_path / "x.csv", segment="vip")


def test_segment_customers_on_the_service_store(service_store):
    table, model = segment_customers(service_store)
    assert set(table["customer_id"]) == {"c1", "c2", "c3"} and model is None  # too few to fit
    assert table.set_index("customer_id").loc["c1", "frequency"] == 2
