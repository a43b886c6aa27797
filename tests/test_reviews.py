"""Review intelligence around the models: language routing, trend alerts, reply drafts that
never promise more than the policy, the reply queue."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from shopkeeper.llm.language import detect_language
from shopkeeper.reviews.replies import (
    ReplyError,
    draft_replies,
    draft_reply,
    load_policy,
    remedies_in,
    reply_queue,
    set_reply_status,
)
from shopkeeper.reviews.trends import aspect_trends, detect_review_alerts
from shopkeeper.store.complements import POLICY_DOCUMENTS

TS = pd.Timestamp


@pytest.mark.parametrize(("text", "lang"), [
    ("物流很快，包装也很好", "zh"),
    ("这个phone很好用，recommend", "zh"),
    ("The mug arrived broken and the box was crushed.", "en"),
    ("Produto chegou antes do prazo, muito bom!", "pt"),
    ("El producto llegó muy bien, excelente", "es"),
    ("👍👍👍", ""),
    ("", ""),
    ("   ", ""),
])
def test_language_detection(text, lang):
    assert detect_language(text) == lang


def _aspect_rows(product, aspect, week, mentions, negative, start_id=0):
    rows = []
    for i in range(mentions):
        rows.append({"review_id": f"{product}-{aspect}-{week:%Y%m%d}-{i + start_id}",
                     "product_id": product, "created_at": TS(week, tz="UTC") + pd.Timedelta(days=i % 5),
                     "aspect": aspect, "term": aspect,
                     "polarity": "negative" if i < negative else "positive", "score": 0.5,
                     "span_start": 0, "span_end": 4,
                     "evidence": "the box was crushed" if i < negative else "well packed"})
    return rows


def test_an_injected_packaging_spike_raises_an_alert(warehouse):
    weeks = [dt.date(2024, 1, 1) + dt.timedelta(weeks=w) for w in range(9)]
    rows = []
    for w in weeks[:-1]:  # eight quiet weeks: 1 complaint in 10
        rows += _aspect_rows("P1", "packaging", w, 10, 1)
        rows += _aspect_rows("P1", "quality", w, 10, 1)
    rows += _aspect_rows("P1", "packaging", weeks[-1], 10, 7)  # the supplier changed
    rows += _aspect_rows("P1", "quality", weeks[-1], 10, 1)
    rows += _aspect_rows("P2", "packaging", weeks[-1], 2, 2)  # tiny sample: no alert
    warehouse.insert_df("review_aspects", pd.DataFrame(rows))
    alerts = detect_review_alerts(warehouse)
    product_alerts = [(a.product_id, a.aspect, a.week) for a in alerts if a.product_id]
    assert product_alerts == [("P1", "packaging", weeks[-1])]
    alert = next(a for a in alerts if a.product_id == "P1")
    assert (alert.negative, alert.mentions, alert.baseline_negative, alert.baseline_mentions) == (
        7, 10, 8, 80)
    text = alert.explain("en")
    assert "7 of 10 mentions negative in the week of 2024-02-26" in text
    assert "the box was crushed" in text and "8 of 80" in text
    assert "包装" in alert.explain("zh")
    weekly = aspect_trends(warehouse, product_id="P1")
    last = weekly[(weekly["aspect"] == "packaging")].iloc[-1]
    assert last["negative_share"] == pytest.approx(0.7)


def test_no_alert_without_a_jump(warehouse):
    rows = []
    for w in range(9):
        rows += _aspect_rows("P1", "packaging", dt.date(2024, 1, 1) + dt.timedelta(weeks=w),
                             10, 3)
    warehouse.insert_df("review_aspects", pd.DataFrame(rows))
    assert detect_review_alerts(warehouse) == []


REFUND_ONLY = pd.DataFrame({
    "doc_id": ["POL1"], "kind": ["policy"], "title": ["Refunds"], "language": ["en"],
    "body": ["You can ask for a refund within 14 days of delivery. We do not offer "
             "replacements. We do not give vouchers or discount codes."]})


def test_replies_offer_only_what_the_policy_allows(warehouse):
    warehouse.insert_df("knowledge_documents", REFUND_ONLY)
    policy = load_policy(warehouse)
    assert set(policy.allowed) == {"refund"}
    assert policy.refused == {"replacement", "voucher"}
    for aspect in ("packaging", "quality", "size_fit", "logistics", None):
        draft = draft_reply("r1", "P1", "The box was crushed.", "en", aspect, policy)
        assert remedies_in(draft.text) <= {"refund"}, draft.text
        assert "replace" not in draft.text.lower() and "voucher" not in draft.text.lower()
    packaging = draft_reply("r1", "P1", "The box was crushed.", "en", "packaging", policy)
    assert packaging.remedies == ["refund"] and packaging.policy_docs == ["POL1"]
    assert "You can ask for a refund within 14 days of delivery." in packaging.text
    assert packaging.text.startswith("We are sorry to read about your experience with the "
                                     "packaging.")
    logistics = draft_reply("r2", "P1", "Slow delivery.", "en", "logistics", policy)
    assert logistics.remedies == [] and "contact us" in logistics.text


def test_replies_follow_the_review_language_and_the_demo_policy(warehouse):
    docs = pd.DataFrame(POLICY_DOCUMENTS, columns=["doc_id", "kind", "title", "body",
                                                   "language"])
    warehouse.insert_df("knowledge_documents", docs)
    policy = load_policy(warehouse)
    assert {"refund", "replacement", "exchange", "return"} <= set(policy.allowed)
    assert "voucher" in policy.refused
    zh = draft_reply("r1", "P1", "包装破了", "zh", "packaging", policy)
    assert zh.text.startswith("非常抱歉，包装方面让您失望了。")
    assert "补发" in zh.text and zh.policy_docs == ["POL-RETURNS-ZH"]
    assert "优惠券" not in zh.text.replace("不提供优惠券", "")
    en = draft_reply("r1", "P1", "Too small", "en", "size_fit", policy)
    assert en.remedies == ["exchange"] and en.policy_docs == ["POL-RETURNS-EN"]
    with pytest.raises(ReplyError, match="not 'pt'"):
        draft_reply("r3", "P1", "Muito ruim", "pt", "quality", policy)


def test_remedies_in_ignores_negated_offers():
    assert remedies_in("We will send a replacement. We do not offer vouchers.") == {
        "replacement"}
    assert remedies_in("我们不提供优惠券。可以退款。") == {"refund"}


def test_reply_queue_and_approval(warehouse):
    warehouse.insert_df("knowledge_documents", REFUND_ONLY)
    warehouse.insert_df("reviews", pd.DataFrame({
        "review_id": ["a", "b", "c", "d"], "product_id": ["P1"] * 4, "rating": [1, 5, 2, 1],
        "body": ["Broken on arrival.", "Lovely.", "Muito ruim, chegou quebrado.", "Too late."],
        "reply": [None, None, None, "Sorry!"],
        "created_at": [TS(f"2024-03-0{d}", tz="UTC") for d in (1, 2, 3, 4)]}))
    warehouse.insert_df("review_sentiment", pd.DataFrame({
        "review_id": ["a", "b", "c", "d"], "product_id": ["P1"] * 4,
        "lang": ["en", "en", "pt", "en"], "label": ["negative", "positive", "negative",
                                                    "negative"],
        "score": [0.1, 0.9, 0.25, 0.1], "method": ["model", "model", "stars", "model"]}))
    assert reply_queue(warehouse)["review_id"].tolist() == ["a", "c"]  # d already answered
    drafts, skipped = draft_replies(warehouse)
    assert [d.review_id for d in drafts] == ["a"] and skipped == [("c", "review in 'pt': "
                                                                   "reply by hand")]
    assert reply_queue(warehouse)["review_id"].tolist() == ["c"]  # a has a pending draft
    set_reply_status(warehouse, [drafts[0].reply_id], "approved", actor="alice")
    with pytest.raises(ReplyError, match="is approved, not a draft"):
        set_reply_status(warehouse, [drafts[0].reply_id], "rejected")
    with pytest.raises(ReplyError, match="no reply draft 'rp-x'"):
        set_reply_status(warehouse, ["rp-x"], "approved")


REVIEWS = pd.DataFrame({
    "review_id": ["en1", "en2", "zh1", "zh2", "pt1", "em1", "mx1", "long"],
    "product_id": ["P1", "P1", "P1", "P2", "P2", "P2", "P1", "P1"],
    "rating": [1, 5, 2, 5, 1, 5, 4, 3],
    "body": ["The mug arrived broken, the box was crushed.",
             "Great quality, arrived quickly and well packed.",
             "物流很快，但是包装破损了，质量不是很好",
             "质量很好，做工精细，非常满意",
             "Produto chegou quebrado, muito ruim",
             "👍👍👍",
             "这个phone很好用，recommend",
             "The fabric is soft but the size runs small. " * 400],
    "created_at": [TS(f"2024-03-0{d}", tz="UTC") for d in range(1, 9)]})


def test_analyze_routes_by_language_and_stores_results(warehouse):
    from shopkeeper.reviews import analyze_reviews

    warehouse.insert_df("reviews", REVIEWS)
    summary = analyze_reviews(warehouse)
    assert summary.reviews == 8
    rows = warehouse.query_df("SELECT * FROM review_sentiment ORDER BY review_id"
                              ).set_index("review_id")
    assert rows.loc["pt1", ["lang", "method", "label"]].tolist() == ["pt", "stars", "negative"]
    assert "language not supported" in rows.loc["pt1", "note"]
    assert rows.loc["em1", ["lang", "method", "label"]].tolist() == ["none", "stars", "positive"]
    assert rows.loc["en1", ["lang", "method", "label"]].tolist() == ["en", "model", "negative"]
    assert rows.loc["zh2", ["lang", "method", "label"]].tolist() == ["zh", "model", "positive"]
    aspects = warehouse.query_df("SELECT review_id, aspect, polarity FROM review_aspects")
    assert ("zh1", "packaging", "negative") in set(map(tuple, aspects.values.tolist()))
    assert "pt1" not in set(aspects["review_id"])  # no text analysis for Portuguese
    again = analyze_reviews(warehouse)  # re-running replaces, never duplicates
    assert again.reviews == 8
    assert warehouse.query("SELECT count(*) FROM review_sentiment")[0][0] == 8
    analyze_reviews(warehouse, product_id="P2", accurate=True)
    models = dict(warehouse.query("SELECT review_id, model FROM review_sentiment "
                                  "WHERE method = 'model'"))
    assert models["zh2"] == "nbsvm-zh+e5" and models["zh1"] == "nbsvm-zh"


def test_summary_counts_and_quotes_come_from_the_data(warehouse):
    from shopkeeper.reviews import analyze_reviews, summarize_product

    warehouse.insert_df("reviews", REVIEWS)
    analyze_reviews(warehouse)
    summary = summarize_product(warehouse, "P1", lang="en")
    assert summary.reviews == 5 and summary.method == "extractive"
    assert summary.text.startswith("5 reviews, 3.0 stars on average")
    cons = {v.aspect: v for v in summary.cons}
    assert "packaging" in cons and "the box was crushed" in cons["packaging"].examples
    assert summarize_product(warehouse, "P1", lang="zh").text.startswith("共5条评价，平均3.0星")


def test_cli_reviews_analyze_report_replies(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from shopkeeper.cli import app
    from shopkeeper.store import Warehouse

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SHOPKEEPER_CONFIG", raising=False)
    monkeypatch.delenv("SHOPKEEPER_LLM_PROVIDER", raising=False)
    with Warehouse(tmp_path / "shopkeeper-data" / "warehouse.duckdb") as wh:
        wh.insert_df("reviews", REVIEWS)
        wh.insert_df("knowledge_documents", REFUND_ONLY)
    runner = CliRunner()
    analyzed = runner.invoke(app, ["reviews", "analyze"], catch_exceptions=False)
    assert analyzed.exit_code == 0 and "8 reviews analysed" in analyzed.output
    sure = runner.invoke(app, ["reviews", "analyze", "--accurate", "--sku", "P2"],
                         catch_exceptions=False)
    assert sure.exit_code == 0 and "3 reviews analysed" in sure.output
    with Warehouse(tmp_path / "shopkeeper-data" / "warehouse.duckdb", read_only=True) as wh:
        assert wh.query("SELECT model FROM review_sentiment WHERE review_id = 'zh2'") == \
            [("nbsvm-zh+e5",)]
    report = runner.invoke(app, ["reviews", "report"], catch_exceptions=False)
    assert report.exit_code == 0
    html = (tmp_path / "shopkeeper-data/out/review-insights-en.html").read_text(encoding="utf-8")
    assert "Review insights" in html and "Plotly" in html
    one = runner.invoke(app, ["reviews", "report", "--sku", "P1"], catch_exceptions=False)
    assert "5 reviews" in one.output
    replies = runner.invoke(app, ["reviews", "replies"], catch_exceptions=False)
    assert replies.exit_code == 0 and "remedies refund" in replies.output
    assert "skipped pt1: review in 'pt': reply by hand" in replies.output
