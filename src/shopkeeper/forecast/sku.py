"""One SKU's demand as every face shows it: sales history, the stored forecast with its
intervals, and which model was chosen for it and why (with every candidate's backtest).

Nothing is forecast here: the numbers are those of the newest stored run holding the SKU
(:func:`stored_run_with`), so the web page, the API and the CLI chart show the same run.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

import pandas as pd
from pydantic import BaseModel

from shopkeeper import metrics
from shopkeeper.forecast.chart import CHART_HISTORY_DAYS, stored_run_with
from shopkeeper.forecast.reasons import reason_zh
from shopkeeper.forecast.series import ForecastError, build_series, check_level_freq
from shopkeeper.store import Warehouse


class UnknownSkuError(ForecastError, LookupError):
    """No product, sale or forecast has this SKU id."""


class SalesPoint(BaseModel):
    ds: dt.date
    y: float


class ForecastPoint(BaseModel):
    ds: dt.date
    yhat: float
    lo_80: float | None = None
    hi_80: float | None = None
    lo_95: float | None = None
    hi_95: float | None = None


class ModelScore(BaseModel):
    """A candidate model's rolling-origin backtest on this SKU (lower errors are better)."""

    model: str
    chosen: bool
    mae: float | None = None
    rmse: float | None = None
    mase: float | None = None
    rmsse: float | None = None
    wape: float | None = None
    bias: float | None = None
    coverage_80: float | None = None
    coverage_95: float | None = None


class SkuForecast(BaseModel):
    """A SKU's history and its newest stored forecast; ``run_id`` is None when no stored run
    holds the SKU yet (run a forecast)."""

    product_id: str
    title: str | None
    category: str | None
    freq: str
    run_id: str | None
    run_kind: str | None = None
    run_created_at: dt.datetime | None = None
    cutoff: dt.date | None = None
    horizon: int | None = None
    model: str | None = None
    demand_class: str | None = None
    reason: str | None = None
    reason_zh: str | None = None  # the same reason in Chinese (see forecast/reasons.py)
    adi: float | None = None
    cv2: float | None = None
    n_obs: int | None = None
    forecast_total: float | None = None
    history: list[SalesPoint] = []
    forecast: list[ForecastPoint] = []
    scores: list[ModelScore] = []


def _num(value: Any) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def sku_forecast(warehouse: Warehouse, product_id: str, *, freq: str = "D",
                 history_days: int = CHART_HISTORY_DAYS) -> SkuForecast:
    """``product_id``'s sales over the last ``history_days`` before the run's cutoff, the
    newest stored forecast at ``freq`` with its 80%/95% intervals, the chosen model, its
    demand class and why, and every candidate model's backtest scores (best RMSSE first)."""
    check_level_freq("sku", freq)
    product = warehouse.query("SELECT any_value(title), any_value(category) FROM products "
                              "WHERE product_id = ?", [product_id])
    title, category = product[0] if product else (None, None)
    run_id = stored_run_with(warehouse, product_id, freq=freq)
    if run_id is None and title is None and not warehouse.query(
            "SELECT 1 FROM order_lines WHERE product_id = ? LIMIT 1", [product_id]):
        raise UnknownSkuError(f"no SKU {product_id!r}: no product, sale or forecast has it")
    detail = SkuForecast(product_id=product_id, title=title, category=category, freq=freq,
                         run_id=run_id)
    cutoff = None
    if run_id is not None:
        kind, created, cutoff, horizon = warehouse.query(
            "SELECT kind, created_at, cutoff, horizon FROM forecast_runs WHERE run_id = ?",
            [run_id])[0]
        detail.run_kind, detail.run_created_at = kind, created
        detail.cutoff, detail.horizon = cutoff, horizon
        rows = warehouse.query(
            "SELECT ds, yhat, lo_80, hi_80, lo_95, hi_95 FROM forecasts "
            "WHERE run_id = ? AND unique_id = ? ORDER BY ds", [run_id, product_id])
        keys = ("lo_80", "hi_80", "lo_95", "hi_95")
        detail.forecast = [ForecastPoint(
            ds=pd.Timestamp(r[0]).date(), yhat=_num(r[1]) or 0.0,
            **{k: _num(v) for k, v in zip(keys, r[2:], strict=True)}) for r in rows]
        detail.forecast_total = float(sum(p.yhat for p in detail.forecast))
        choice = warehouse.query(
            "SELECT model, demand_class, reason, adi, cv2, n_obs FROM model_choices "
            "WHERE run_id = ? AND unique_id = ?", [run_id, product_id])
        if choice:
            model, demand_class, reason, adi, cv2, n_obs = choice[0]
            detail.model, detail.demand_class, detail.reason = model, demand_class, reason
            detail.reason_zh = reason_zh(reason)
            detail.adi, detail.cv2 = _num(adi), _num(cv2)
            detail.n_obs = None if n_obs is None else int(n_obs)
        scores = warehouse.query(
            "SELECT model, mae, rmse, mase, rmsse, wape, bias, coverage_80, coverage_95 "
            "FROM backtest_scores WHERE run_id = ? AND unique_id = ? "
            "ORDER BY rmsse NULLS LAST, model", [run_id, product_id])
        keys = ("mae", "rmse", "mase", "rmsse", "wape", "bias", "coverage_80", "coverage_95")
        detail.scores = [ModelScore(model=r[0], chosen=r[0] == detail.model,
                                    **{k: _num(v) for k, v in zip(keys, r[1:], strict=True)})
                         for r in scores]
    detail.history = list(metrics.cached(
        warehouse, f"forecast.sku_history:{json.dumps([product_id, freq, str(cutoff), history_days])}",
        lambda: _history(warehouse, product_id, freq, cutoff, history_days)))
    return detail


def _history(warehouse: Warehouse, product_id: str, freq: str, cutoff: dt.date | None,
             history_days: int) -> tuple[SalesPoint, ...]:
    """The SKU's demand series as the forecast saw it (computed once per data version)."""
    try:
        history = build_series(warehouse, freq=freq, cutoff=cutoff, history_days=history_days,
                               products=[product_id]).df
    except ForecastError:  # no sales (up to the cutoff): an empty history, said on the page
        return ()
    return tuple(SalesPoint(ds=pd.Timestamp(r["ds"]).date(), y=_num(r["y"]) or 0.0)
                 for r in history.to_dict("records"))


def sku_figure(detail: SkuForecast) -> dict[str, Any]:
    """The Plotly figure (a JSON-ready dict) of :func:`sku_forecast`'s result: sales, the
    forecast and its 95% and 80% bands, drawn as ``reports.demand_chart`` draws them. Built
    as plain data, not plotly objects: a page shows it in milliseconds."""
    days = [p.ds.isoformat() for p in detail.forecast]
    data: list[dict[str, Any]] = [{
        "type": "scatter", "mode": "lines", "name": "sales", "line": {"color": "#444"},
        "x": [p.ds.isoformat() for p in detail.history], "y": [p.y for p in detail.history]}]
    for level, alpha in ((95, 0.15), (80, 0.3)):
        lo = [getattr(p, f"lo_{level}") for p in detail.forecast]
        hi = [getattr(p, f"hi_{level}") for p in detail.forecast]
        if any(v is not None for v in lo + hi):
            data.append({"type": "scatter", "x": days + days[::-1], "y": hi + lo[::-1],
                         "fill": "toself", "fillcolor": f"rgba(31,119,180,{alpha})",
                         "line": {"width": 0}, "name": f"{level}% interval",
                         "hoverinfo": "skip"})
    data.append({"type": "scatter", "mode": "lines", "name": "forecast", "x": days,
                 "y": [p.yhat for p in detail.forecast],
                 "line": {"color": "#1f77b4", "width": 2}})
    title = detail.product_id + (f": forecast run {detail.run_id}" if detail.run_id else "")
    return {"data": data, "layout": {
        "title": {"text": title}, "height": 380, "legend": {"orientation": "h"},
        "margin": {"l": 40, "r": 10, "t": 50, "b": 30},
        "yaxis": {"title": {"text": "units"}, "rangemode": "tozero"}}}
