"""Review insights shaped for display: sentiment counts and shares, aspects with their polarity,
the weekly trend and the alerts, for the whole store or one product, plus their Plotly figures.

Every face (API, web, MCP) renders the same :class:`ReviewInsights`. It is computed once per
data version and review analysis (:func:`shopkeeper.metrics.cached`), since a page asks the same
question of the same data many times.
"""

from __future__ import annotations

import datetime as dt
import json

import plotly.graph_objects as go
from pydantic import BaseModel

from shopkeeper import metrics
from shopkeeper.reviews.overview import ReviewAlertItem, ReviewAlerts, recent_alerts
from shopkeeper.reviews.trends import aspect_label
from shopkeeper.store import Warehouse

SENTIMENTS = ("positive", "neutral", "negative")
ALERTS_KEPT = 200
COLORS = {"positive": "#2a9d8f", "neutral": "#8d99ae", "negative": "#e76f51"}


class SentimentShare(BaseModel):
    """How many analysed reviews have one sentiment label, and their share of all."""

    label: str
    reviews: int
    share: float


class AspectPolarity(BaseModel):
    """Mentions of one aspect by polarity."""

    aspect: str
    label_en: str
    label_zh: str
    mentions: int
    positive: int
    neutral: int
    negative: int
    negative_share: float


class SentimentWeek(BaseModel):
    """Analysed reviews of one week, by sentiment label."""

    week: dt.date
    reviews: int
    positive: int
    neutral: int
    negative: int


class AspectWeek(BaseModel):
    """One aspect's mentions in one week and the negative share of them."""

    week: dt.date
    aspect: str
    mentions: int
    negative: int
    negative_share: float


class ReviewInsights(BaseModel):
    """Everything the reviews page shows above the reply queue."""

    product_id: str | None
    reviews: int  # reviews in the warehouse (of the product)
    analysed: int  # of them, analysed ('shopkeeper reviews analyze')
    rating: float | None
    by_stars: int  # judged by stars alone (language without a text model, or no text)
    sentiment: list[SentimentShare]
    aspects: list[AspectPolarity]
    weekly: list[SentimentWeek]
    trend: list[AspectWeek]
    alerts: ReviewAlerts


def _analysis_stamp(wh: Warehouse) -> str:
    n, last = wh.query("SELECT count(*), max(analyzed_at) FROM review_sentiment")[0]
    m = wh.query("SELECT count(*) FROM reviews")[0][0]
    return f"{n}:{last}:{m}"


def review_insights(wh: Warehouse, *, product_id: str | None = None, top_aspects: int = 12,
                    trend_aspects: int = 5, weeks: int = 52, alerts: int = 10
                    ) -> ReviewInsights:
    """Sentiment, aspects, the weekly series of the last ``weeks`` weeks with reviews, and the
    latest alerts (store-wide, or only ``product_id``'s), computed once per data version."""
    key = "reviews.insights:" + json.dumps(
        [product_id, top_aspects, trend_aspects, weeks, alerts, _analysis_stamp(wh)])
    return metrics.cached(wh, key, lambda: _insights(wh, product_id, top_aspects,
                                                     trend_aspects, weeks, alerts))


def insight_charts(wh: Warehouse, *, product_id: str | None = None, lang: str = "en"
                   ) -> dict[str, dict]:
    """:func:`insight_figures` of :func:`review_insights` as Plotly JSON dicts, built once per
    data version, review analysis and language (building Plotly figures takes ~0.5 s).
    Shared by every caller: read them, never change them."""
    key = "reviews.insight_charts:" + json.dumps([product_id, lang, _analysis_stamp(wh)])

    def build() -> dict[str, dict]:
        figures = insight_figures(review_insights(wh, product_id=product_id), lang)
        return {name: fig.to_plotly_json() for name, fig in figures.items()}

    return metrics.cached(wh, key, build)


def _insights(wh: Warehouse, product_id: str | None, top_aspects: int, trend_aspects: int,
              weeks: int, alerts: int) -> ReviewInsights:
    where, params = ("WHERE product_id = ?", [product_id]) if product_id else ("", [])
    reviews = int(wh.query(f"SELECT count(*) FROM reviews {where}", params)[0][0])
    analysed, rating, by_stars = wh.query(
        f"SELECT count(*), avg(rating), count(*) FILTER (WHERE method = 'stars') "
        f"FROM review_sentiment {where}", params)[0]
    counts = dict(wh.query(f"SELECT label, count(*) FROM review_sentiment {where} GROUP BY 1",
                           params))
    total = sum(counts.values())
    labels = list(SENTIMENTS) + sorted(set(counts) - set(SENTIMENTS))
    sentiment = [SentimentShare(label=k, reviews=int(counts.get(k, 0)),
                                share=counts.get(k, 0) / total if total else 0.0)
                 for k in labels if k in counts or k != "neutral"]
    aspect_rows = wh.query(
        f"""SELECT aspect, count(*) AS n,
                   count(*) FILTER (WHERE polarity = 'positive'),
                   count(*) FILTER (WHERE polarity = 'neutral'),
                   count(*) FILTER (WHERE polarity = 'negative')
            FROM review_aspects {where} GROUP BY aspect ORDER BY n DESC, aspect LIMIT ?""",
        [*params, top_aspects])
    aspects = [AspectPolarity(aspect=a, label_en=aspect_label(a, "en"),
                              label_zh=aspect_label(a, "zh"), mentions=int(n), positive=int(p),
                              neutral=int(u), negative=int(g), negative_share=g / n if n else 0.0)
               for a, n, p, u, g in aspect_rows]
    weekly_rows = wh.query(
        f"""SELECT * FROM (
              SELECT CAST(date_trunc('week', created_at) AS DATE) AS week, count(*),
                     count(*) FILTER (WHERE label = 'positive'),
                     count(*) FILTER (WHERE label = 'neutral'),
                     count(*) FILTER (WHERE label = 'negative')
              FROM review_sentiment {where} {'AND' if where else 'WHERE'} created_at IS NOT NULL
              GROUP BY 1 ORDER BY 1 DESC LIMIT ?) ORDER BY week""", [*params, weeks])
    weekly = [SentimentWeek(week=w, reviews=int(n), positive=int(p), neutral=int(u),
                            negative=int(g)) for w, n, p, u, g in weekly_rows]
    trend: list[AspectWeek] = []
    chosen = [a.aspect for a in aspects[:trend_aspects]]
    if chosen and weekly:
        first = weekly[0].week
        rows = wh.query(
            f"""SELECT CAST(date_trunc('week', created_at) AS DATE) AS week, aspect, count(*),
                       count(*) FILTER (WHERE polarity = 'negative')
                FROM review_aspects {where} {'AND' if where else 'WHERE'}
                     aspect IN (SELECT unnest(?)) AND created_at >= CAST(? AS DATE)
                GROUP BY ALL ORDER BY week, aspect""", [*params, chosen, first])
        trend = [AspectWeek(week=w, aspect=a, mentions=int(n), negative=int(g),
                            negative_share=g / n if n else 0.0) for w, a, n, g in rows]
    found = recent_alerts(wh, limit=ALERTS_KEPT)  # one cached detection for every view
    if product_id:
        mine = [a for a in found.items if a.product_id == product_id]
        found = ReviewAlerts(count=len(mine), items=mine[:alerts])
    else:
        found = ReviewAlerts(count=found.count, items=found.items[:alerts])
    return ReviewInsights(product_id=product_id, reviews=reviews, analysed=int(analysed),
                          rating=float(rating) if rating is not None else None,
                          by_stars=int(by_stars or 0), sentiment=sentiment, aspects=aspects,
                          weekly=weekly, trend=trend, alerts=found)


_TEXT = {
    "en": {"positive": "positive", "neutral": "neutral", "negative": "negative",
           "sentiment": "Sentiment of the analysed reviews", "aspects": "Mentions by aspect",
           "trend": "Negative share by week", "weekly": "Reviews by week"},
    "zh": {"positive": "正面", "neutral": "中性", "negative": "负面",
           "sentiment": "已分析评价的情感", "aspects": "各方面的提及",
           "trend": "每周负面占比", "weekly": "每周评价数"},
}


def _layout(fig: go.Figure, title: str, height: int = 340) -> go.Figure:
    """Title above the legend above the plot, so rotated axis labels never meet the legend."""
    fig.update_layout(title={"text": title, "x": 0.0, "xanchor": "left", "y": 0.98},
                      height=height, template="plotly_white",
                      margin=dict(l=40, r=10, t=70, b=40),
                      legend={"orientation": "h", "x": 0.0, "y": 1.0, "yanchor": "bottom"})
    fig.update_xaxes(automargin=True)
    return fig


def insight_figures(insights: ReviewInsights, lang: str = "en") -> dict[str, go.Figure]:
    """The reviews page's charts: ``sentiment`` (a donut), ``aspects`` (stacked bars by
    polarity), ``weekly`` (reviews by week and label) and ``trend`` (the top aspects' negative
    share by week). Empty data gives empty figures, never an error."""
    text = _TEXT["zh" if lang == "zh" else "en"]
    sentiment = go.Figure(go.Pie(
        labels=[text.get(s.label, s.label) for s in insights.sentiment],
        values=[s.reviews for s in insights.sentiment], hole=0.55, sort=False,
        marker={"colors": [COLORS.get(s.label, "#999") for s in insights.sentiment]}))
    names = [a.label_zh if lang == "zh" else a.label_en for a in insights.aspects]
    aspects = go.Figure([
        go.Bar(name=text[p], x=names, y=[getattr(a, p) for a in insights.aspects],
               marker_color=COLORS[p]) for p in ("positive", "neutral", "negative")])
    aspects.update_layout(barmode="stack")
    weeks = [w.week for w in insights.weekly]
    weekly = go.Figure([
        go.Bar(name=text[p], x=weeks, y=[getattr(w, p) for w in insights.weekly],
               marker_color=COLORS[p]) for p in ("positive", "neutral", "negative")])
    weekly.update_layout(barmode="stack")
    trend = go.Figure()
    labels = {a.aspect: (a.label_zh if lang == "zh" else a.label_en) for a in insights.aspects}
    for aspect in dict.fromkeys(t.aspect for t in insights.trend):
        points = [t for t in insights.trend if t.aspect == aspect]
        trend.add_scatter(x=[t.week for t in points], y=[t.negative_share for t in points],
                          mode="lines+markers", name=labels.get(aspect, aspect),
                          customdata=[t.mentions for t in points],
                          hovertemplate="%{y:.0%} of %{customdata}<extra></extra>")
    trend.update_layout(yaxis_tickformat=".0%")
    return {"sentiment": _layout(sentiment, text["sentiment"], 300),
            "aspects": _layout(aspects, text["aspects"]),
            "weekly": _layout(weekly, text["weekly"]),
            "trend": _layout(trend, text["trend"])}


__all__ = ["AspectPolarity", "AspectWeek", "ReviewAlertItem", "ReviewInsights",
           "SentimentShare", "SentimentWeek", "insight_charts", "insight_figures", "review_insights"]
