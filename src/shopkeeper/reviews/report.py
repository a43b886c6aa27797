"""The review insight report: one HTML page with what customers love and hate per aspect,
how it moves week by week, the alerts, the most reviewed products' summaries and the reply
queue. Charts are interactive and work offline."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import plotly.graph_objects as go

from shopkeeper.llm import LLM
from shopkeeper.reports.documents import render_html
from shopkeeper.reviews.replies import reply_queue
from shopkeeper.reviews.summary import summarize_product
from shopkeeper.reviews.trends import aspect_label, aspect_trends, detect_review_alerts
from shopkeeper.store.warehouse import Warehouse


def write_review_report(wh: Warehouse, path: Path, *, lang: str = "en", llm: LLM | None = None,
                        top: int = 5) -> Path:
    """Write the report for the whole store to ``path`` (HTML)."""
    zh = lang == "zh"
    totals = wh.query_df(
        """SELECT count(*) AS reviews, avg(rating) AS rating,
                  avg(CASE WHEN label = 'positive' THEN 1.0 ELSE 0 END) AS positive_share,
                  count(*) FILTER (WHERE method = 'stars') AS by_stars
           FROM review_sentiment""").iloc[0]
    by_aspect = wh.query_df(
        """SELECT aspect, count(*) FILTER (WHERE polarity = 'positive') AS positive,
                  count(*) FILTER (WHERE polarity = 'negative') AS negative
           FROM review_aspects GROUP BY aspect ORDER BY positive + negative DESC LIMIT 12""")
    labels = [aspect_label(a, lang) for a in by_aspect["aspect"]]
    aspects = go.Figure([
        go.Bar(name="正面" if zh else "positive", x=labels, y=by_aspect["positive"],
               marker_color="#2a9d8f"),
        go.Bar(name="负面" if zh else "negative", x=labels, y=by_aspect["negative"],
               marker_color="#e76f51")])
    aspects.update_layout(barmode="stack", height=320, margin=dict(l=40, r=10, t=30, b=40),
                          title="各方面的提及" if zh else "Mentions by aspect")
    trend = go.Figure()
    weekly = aspect_trends(wh)
    if not weekly.empty:
        store_wide = weekly.groupby(["week", "aspect"], as_index=False)[
            ["mentions", "negative"]].sum()
        for aspect in by_aspect["aspect"].head(5):
            g = store_wide[store_wide["aspect"] == aspect]
            trend.add_scatter(x=g["week"], y=g["negative"] / g["mentions"], mode="lines",
                              name=aspect_label(aspect, lang))
    trend.update_layout(height=320, margin=dict(l=40, r=10, t=30, b=40),
                        yaxis_tickformat=".0%",
                        title="每周负面占比" if zh else "Negative share by week")
    products = [p for (p,) in wh.query(
        "SELECT product_id FROM review_sentiment WHERE product_id IS NOT NULL "
        "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT ?", [top])]
    summaries = [summarize_product(wh, p, lang=lang, llm=llm) for p in products]
    titles = dict(wh.query("SELECT product_id, title FROM products WHERE product_id IN "
                           f"({', '.join('?' for _ in products)})", products)) if products else {}
    html = render_html("shopkeeper.reviews", "report.html", {
        "zh": zh, "title": "评价洞察" if zh else "Review insights",
        "generated_at": dt.datetime.now().strftime("%Y-%m-%d %H:%M"), "totals": totals,
        "alerts": [a.explain(lang) for a in detect_review_alerts(wh)],
        "summaries": [(s, titles.get(s.product_id) or s.product_id) for s in summaries],
        "queue": reply_queue(wh, limit=10).to_dict("records"),
    }, {"aspects": aspects, "trend": trend})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path
