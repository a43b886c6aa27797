"""Forecast and backtest runs over the warehouse: build series, forecast, store the results."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass, field, replace

import pandas as pd

from shopkeeper import __version__
from shopkeeper.forecast.auto import AutoForecaster, ForecastResult, ProgressFn
from shopkeeper.forecast.hierarchy import hierarchy_frames, reconcile
from shopkeeper.forecast.series import (
    DemandSeries,
    ForecastError,
    apply_closed_weekdays,
    build_series,
    closed_weekdays,
    fill_closed_days,
    store_calendar,
    zero_closed_days,
)
from shopkeeper.store import Warehouse

DEFAULT_HORIZON = {"D": 28, "W": 12, "M": 6}
DEFAULT_INPUT_SIZE = {"D": 365, "W": 156, "M": None}
# LightGBM: 400 days, about 280 training rows per series after its features' warm-up. Two
# years made the global model alone better on M5 (RMSSE 0.871 against 0.891, the mean of three
# rolling windows) but would take 10,000 SKUs past the 4 GB memory target
# (bench/forecast_scale.py)
DEFAULT_LGBM_INPUT_SIZE = {"D": 400, "W": 156, "M": None}


@dataclass
class ForecastRun:
    """A stored run: its id and settings, the series it used and what it produced."""

    run_id: str
    kind: str
    series: DemandSeries
    result: ForecastResult
    params: dict = field(default_factory=dict)

    @property
    def forecasts(self) -> pd.DataFrame:
        return self.result.forecasts

    def leaderboard(self) -> pd.DataFrame:
        """Mean backtest accuracy per model over all series, best RMSSE first."""
        scores = self.result.scores
        if scores.empty:
            return scores
        board = scores.groupby("model").agg(
            series=("unique_id", "nunique"),
            **{m: (m, "mean") for m in ("mae", "rmse", "mase", "rmsse", "bias")},
            **{c: (c, "mean") for c in scores.columns if c.startswith("coverage_")},
        )
        chosen = self.result.choices["model"].value_counts().rename("chosen_for")
        return board.join(chosen).fillna({"chosen_for": 0}).sort_values("rmsse").reset_index()


def forecast_demand(
    warehouse: Warehouse,
    *,
    level: str = "sku",
    freq: str = "D",
    horizon: int | None = None,
    models: str | list[str] = "auto",
    n_windows: int = 2,
    cutoff: dt.date | str | None = None,
    history_days: int | None = None,
    products: list[str] | None = None,
    hierarchy: bool = False,
    reconciler: str = "mint_wls",
    n_jobs: int = 1,
    save: bool = True,
    progress: ProgressFn | None = None,
    kind: str = "forecast",
    isolate: bool = False,
) -> ForecastRun:
    """Forecast demand from the warehouse's orders and store the run.

    ``hierarchy=True`` forecasts SKUs, categories and the total together and reconciles them
    (``level`` must be "sku"). Returns the run; with ``save`` it is also written to the
    ``forecast_runs``, ``forecasts``, ``backtest_scores`` and ``model_choices`` tables.
    ``isolate=True`` fits in a spawned child process at a lower priority (see
    ``forecast/isolated.py``): for a server, whose request threads would otherwise wait for
    the fit to let go of Python's interpreter lock.
    """
    horizon = horizon or DEFAULT_HORIZON.get(freq, 28)
    report = progress or (lambda phase, fraction: None)
    report("reading demand series from the warehouse", None)
    series = build_series(
        warehouse, level=level, freq=freq, cutoff=cutoff, history_days=history_days,
        products=products,
    )
    calendar, closed_days, calendar_notes = _calendar(warehouse, series, horizon)
    if len(closed_days):
        filled, shut = fill_closed_days(series.df, closed_days)
        series = replace(series, df=filled)
        if shut:
            calendar_notes.append(
                f"{shut:,} closed day(s) in the history (store_calendar): their sales are read "
                "as missing, filled with the mean of the open days before them")
    df = series.df
    s_df = tags = None
    if hierarchy:
        df, s_df, tags = hierarchy_frames(series)
    forecaster = AutoForecaster(
        horizon,
        freq=series.pandas_freq,
        season_length=series.season_length,
        models=models,
        n_windows=n_windows,
        input_size=DEFAULT_INPUT_SIZE.get(freq),
        lgbm_input_size=DEFAULT_LGBM_INPUT_SIZE.get(freq),
        n_jobs=n_jobs,
    )
    if isolate:
        from shopkeeper.forecast.isolated import fit_isolated

        result = fit_isolated(forecaster, df, progress, exog=calendar)
    else:
        result = forecaster.fit(df, exog=calendar, progress=progress).result_
    report("checking for weekdays the store is closed", None)
    closed = closed_weekdays(warehouse, series.cutoff) if freq == "D" else []
    result.forecasts = apply_closed_weekdays(result.forecasts, closed)
    future_shut = closed_days[closed_days > pd.Timestamp(series.cutoff)]
    if len(future_shut):
        result.forecasts = zero_closed_days(result.forecasts, future_shut)
        calendar_notes.append(f"{len(future_shut):,} planned closed day(s) in the horizon "
                              "(store_calendar): forecast zero")
    result.notes = [*calendar_notes, *result.notes]
    if hierarchy:
        report(f"reconciling {len(s_df):,} series so every level adds up ({reconciler})", None)
        result.forecasts = reconcile(result.forecasts, s_df, tags, reconciler)
    params = {
        "models": models, "n_windows": n_windows, "history_days": history_days,
        "hierarchy": hierarchy, "reconciler": reconciler if hierarchy else None,
        "input_size": forecaster.input_size, "lgbm_input_size": forecaster.lgbm_input_size,
        "products": products, "closed_weekdays": closed,
        "calendar": calendar is not None,
    }
    run = ForecastRun(uuid.uuid4().hex[:12], kind, series, result, params)
    if save:
        report(f"storing run {run.run_id}: {len(result.forecasts):,} forecast rows", None)
        save_run(warehouse, run, level="hierarchy" if hierarchy else level, horizon=horizon)
    report("done", 1.0)
    return run


def _calendar(warehouse: Warehouse, series: DemandSeries,
              horizon: int) -> tuple[pd.DataFrame | None, pd.Series, list[str]]:
    """The store calendar as the global model's inputs over history and horizon, the closed
    days, and a note; (None, no days, no note) for weekly and monthly series or a store without
    a calendar."""
    none = pd.Series([], dtype="datetime64[ns]")
    if series.freq != "D" or series.df.empty:
        return None, none, []
    end = series.cutoff + dt.timedelta(days=horizon)
    calendar = store_calendar(warehouse, series.df["ds"].min().date(), end)
    if calendar.empty:
        return None, none, []
    marked = {c: int(calendar[c].sum()) for c in ("holiday", "promotion")}
    note = ("store calendar: " + ", ".join(f"{n:,} {c} day(s)" for c, n in marked.items())
            + " are inputs of the global model")
    return calendar, calendar.loc[calendar["closed"] > 0, "ds"], [note]


def save_run(warehouse: Warehouse, run: ForecastRun, *, level: str, horizon: int) -> None:
    """Write a run and all its tables in one transaction."""
    res = run.result
    meta = pd.DataFrame([{
        "run_id": run.run_id, "kind": run.kind, "created_at": pd.Timestamp.now(tz="UTC"),
        "level": level, "freq": run.series.freq, "horizon": horizon,
        "cutoff": run.series.cutoff, "n_series": len(res.choices),
        "n_windows": run.params.get("n_windows"), "params": json.dumps(run.params),
        "duration_s": res.seconds, "shopkeeper_version": __version__,
    }])
    forecasts = res.forecasts.assign(run_id=run.run_id)
    forecasts["ds"] = pd.to_datetime(forecasts["ds"]).dt.date
    with warehouse.transaction():
        warehouse.insert_df("forecast_runs", meta)
        warehouse.insert_df("forecasts", forecasts)
        warehouse.insert_df("backtest_scores", res.scores.assign(run_id=run.run_id))
        warehouse.insert_df("model_choices", res.choices.assign(run_id=run.run_id))


def latest_run_id(warehouse: Warehouse, *, level: str | None = "sku", freq: str | None = None,
                  kind: str = "forecast") -> str:
    """The newest stored run of that level/frequency; a clear error when there is none."""
    where, params = ["kind = ?"], [kind]
    if level:
        where.append("level = ?")
        params.append(level)
    if freq:
        where.append("freq = ?")
        params.append(freq)
    rows = warehouse.query(
        f"SELECT run_id FROM forecast_runs WHERE {' AND '.join(where)} "
        "ORDER BY created_at DESC LIMIT 1",
        params,
    )
    if not rows:
        raise ForecastError(
            f"no stored {kind} run at level {level or 'any'}; run 'shopkeeper forecast' first"
        )
    return rows[0][0]


def load_forecasts(warehouse: Warehouse, run_id: str) -> pd.DataFrame:
    """A stored run's forecasts (unique_id, ds, model, yhat, intervals)."""
    df = warehouse.query_df(
        "SELECT * EXCLUDE (run_id) FROM forecasts WHERE run_id = ? ORDER BY unique_id, ds",
        [run_id],
    )
    df["ds"] = pd.to_datetime(df["ds"])
    return df


def load_choices(warehouse: Warehouse, run_id: str) -> pd.DataFrame:
    """A stored run's model choices joined with the chosen model's backtest scores."""
    return warehouse.query_df(
        """SELECT c.* EXCLUDE (run_id), s.mae, s.rmse, s.mase, s.rmsse, s.wape, s.bias
           FROM model_choices c LEFT JOIN backtest_scores s
             ON s.run_id = c.run_id AND s.unique_id = c.unique_id AND s.model = c.model
           WHERE c.run_id = ? ORDER BY c.unique_id""",
        [run_id],
    )



