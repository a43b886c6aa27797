"""Forecast and backtest runs over the warehouse: build series, forecast, store the results."""

from __future__ import annotations

import datetime as dt
import json
import uuid
import zlib
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from shopkeeper import __version__
from shopkeeper.forecast.auto import AutoForecaster, ForecastResult, ProgressFn
from shopkeeper.forecast.hierarchy import hierarchy_frames, reconcile
from shopkeeper.forecast.series import (
    FREQS,
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
ENGINES = ("local", "spark")
PARTITIONS = (None, "category")
# a category bigger than this is split by a hash of the series id: one worker's fit stays
# within its memory, and a cluster has parts to spread
DEFAULT_PARTITION_SERIES = 5_000


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
    partition_by: str | None = None,
    max_partition_series: int = DEFAULT_PARTITION_SERIES,
    engine: str = "local",
    source: str | None = None,
) -> ForecastRun:
    """Forecast demand from the warehouse's orders and store the run.

    ``hierarchy=True`` forecasts SKUs, categories and the total together and reconciles them
    (``level`` must be "sku"). Returns the run; with ``save`` it is also written to the
    ``forecast_runs``, ``forecasts``, ``backtest_scores`` and ``model_choices`` tables.
    ``isolate=True`` fits in a spawned child process at a lower priority (see
    ``forecast/isolated.py``): for a server, whose request threads would otherwise wait for
    the fit to let go of Python's interpreter lock.

    ``partition_by="category"`` fits each category (split into parts of at most
    ``max_partition_series`` series) on its own: model rankings, interval scales and the
    global LightGBM model are then per partition. ``engine="spark"`` runs the same on Spark
    (see :mod:`shopkeeper.forecast.spark`), reading the tables from ``warehouse`` or from the
    Parquet/Delta folder ``source``; the run is written to ``warehouse`` either way, and it
    equals the local run with the same partitions.
    """
    horizon = horizon or DEFAULT_HORIZON.get(freq, 28)
    if engine not in ENGINES:
        raise ForecastError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    if partition_by not in PARTITIONS:
        raise ForecastError(f"unknown partitioning {partition_by!r}; choose "
                            f"{' or '.join(p for p in PARTITIONS if p)} (or none)")
    if source is not None and engine != "spark":
        raise ForecastError("a source folder of tables is read with Spark: add engine='spark' "
                            "(--engine spark)")
    if hierarchy and (partition_by or engine != "local"):
        raise ForecastError("a reconciled hierarchy needs every series in one fit: forecast "
                            "with --hierarchy on the local engine without partitions")
    if engine == "spark":
        from shopkeeper.forecast.spark import forecast_on_spark

        return forecast_on_spark(
            warehouse, level=level, freq=freq, horizon=horizon, models=models,
            n_windows=n_windows, cutoff=cutoff, history_days=history_days, products=products,
            save=save, progress=progress, kind=kind, partition_by=partition_by,
            max_partition_series=max_partition_series, source=source)
    report = progress or (lambda phase, fraction: None)
    report("reading demand series from the warehouse", None)
    series = build_series(
        warehouse, level=level, freq=freq, cutoff=cutoff, history_days=history_days,
        products=products,
    )
    spec, notes = fit_spec(warehouse, start=series.df["ds"].min(), cutoff=series.cutoff,
                           freq=freq, horizon=horizon, models=models, n_windows=n_windows,
                           n_jobs=n_jobs)
    # the closed days are filled once here (per series, as each partition's fit would): the
    # run's series are then the history the models saw
    filled, shut = fill_closed_days(series.df, spec.closed_days)
    series, spec, n_parts = replace(series, df=filled), replace(spec, fill_closed=False), 1
    if hierarchy:
        df, s_df, tags = hierarchy_frames(series)
        result, _ = fit_partition(df, spec, progress=progress, isolate=isolate)
    elif partition_by is None:
        result, _ = fit_partition(series.df, spec, progress=progress, isolate=isolate)
    else:
        parts = partition_series(series.df["unique_id"].unique(), series.level,
                                 series.categories, partition_by, max_partition_series)
        fitted, n_parts = {}, parts.nunique()
        for i, (name, ids) in enumerate(parts.groupby(parts, sort=True).groups.items()):
            report(f"partition {name}: {len(ids):,} series ({i + 1}/{n_parts})", i / n_parts)
            sub = series.df[series.df["unique_id"].isin(ids)].reset_index(drop=True)
            fitted[name] = fit_partition(sub, spec)
        result, _ = merge_results(fitted)
    result.notes = [*notes, *_closed_notes(spec, shut), *result.notes]
    if hierarchy:
        report(f"reconciling {len(s_df):,} series so every level adds up ({reconciler})", None)
        result.forecasts = reconcile(result.forecasts, s_df, tags, reconciler)
    params = {
        "models": models, "n_windows": n_windows, "history_days": history_days,
        "hierarchy": hierarchy, "reconciler": reconciler if hierarchy else None,
        "input_size": spec.input_size, "lgbm_input_size": spec.lgbm_input_size,
        "products": products, "closed_weekdays": spec.closed_weekdays,
        "calendar": spec.calendar is not None, "engine": engine,
        "partition_by": partition_by, "partitions": int(n_parts),
    }
    run = ForecastRun(uuid.uuid4().hex[:12], kind, series, result, params)
    if save:
        report(f"storing run {run.run_id}: {len(result.forecasts):,} forecast rows", None)
        save_run(warehouse, run, level="hierarchy" if hierarchy else level, horizon=horizon)
    report("done", 1.0)
    return run


# -- the fit of one partition, the same on one machine and on a cluster --------------------


@dataclass(frozen=True)
class FitSpec:
    """Everything a partition's fit needs besides its series: picklable, so a cluster's
    workers fit with exactly the settings the driver chose."""

    horizon: int
    freq: str
    season_length: int
    models: str | list[str]
    n_windows: int
    input_size: int | None
    lgbm_input_size: int | None
    n_jobs: int
    cutoff: pd.Timestamp
    calendar: pd.DataFrame | None
    closed_days: pd.Series
    closed_weekdays: list[int]
    fill_closed: bool = True

    def forecaster(self) -> AutoForecaster:
        return AutoForecaster(
            self.horizon, freq=FREQS[self.freq][0], season_length=self.season_length,
            models=self.models, n_windows=self.n_windows, input_size=self.input_size,
            lgbm_input_size=self.lgbm_input_size, n_jobs=self.n_jobs)


def fit_spec(warehouse: Warehouse, *, start: pd.Timestamp, cutoff: dt.date, freq: str,
             horizon: int, models: str | list[str], n_windows: int,
             n_jobs: int) -> tuple[FitSpec, list[str]]:
    """The fit's settings and the store calendar's (read from ``warehouse``), with a note."""
    calendar, closed_days, notes = _calendar(warehouse, start, cutoff, freq, horizon)
    closed = closed_weekdays(warehouse, cutoff) if freq == "D" else []
    return FitSpec(
        horizon=horizon, freq=freq, season_length=FREQS[freq][2], models=models,
        n_windows=n_windows, input_size=DEFAULT_INPUT_SIZE.get(freq),
        lgbm_input_size=DEFAULT_LGBM_INPUT_SIZE.get(freq), n_jobs=n_jobs,
        cutoff=pd.Timestamp(cutoff), calendar=calendar, closed_days=closed_days,
        closed_weekdays=closed), notes


def fit_partition(df: pd.DataFrame, spec: FitSpec, *, progress: ProgressFn | None = None,
                  isolate: bool = False) -> tuple[ForecastResult, int]:
    """Forecast one partition's series: closed days filled, models backtested and chosen,
    closed weekdays and planned closures applied. Returns the result and how many closed
    days the history held."""
    shut = 0
    if spec.fill_closed and len(spec.closed_days):
        df, shut = fill_closed_days(df, spec.closed_days)
    forecaster = spec.forecaster()
    if isolate:
        from shopkeeper.forecast.isolated import fit_isolated

        result = fit_isolated(forecaster, df, progress, exog=spec.calendar)
    else:
        result = forecaster.fit(df, exog=spec.calendar, progress=progress).result_
    result.forecasts = apply_closed_weekdays(result.forecasts, spec.closed_weekdays)
    future_shut = spec.closed_days[spec.closed_days > spec.cutoff]
    if len(future_shut):
        result.forecasts = zero_closed_days(result.forecasts, future_shut)
    return result, shut


def _closed_notes(spec: FitSpec, shut: int) -> list[str]:
    notes = []
    if shut:
        notes.append(f"{shut:,} closed day(s) in the history (store_calendar): their sales are "
                     "read as missing, filled with the mean of the open days before them")
    future_shut = spec.closed_days[spec.closed_days > spec.cutoff]
    if len(future_shut):
        notes.append(f"{len(future_shut):,} planned closed day(s) in the horizon "
                     "(store_calendar): forecast zero")
    return notes


def partition_series(ids, level: str, categories: dict[str, str], by: str | None,
                     max_series: int = DEFAULT_PARTITION_SERIES) -> pd.Series:
    """Each series id's partition, by its category (``by="category"``) or one for all; a
    part bigger than ``max_series`` is split by a stable hash of the id, so the same store
    gets the same partitions on every machine."""
    ids = pd.Index(sorted(ids), name="unique_id")
    if by is None:
        return pd.Series("all", index=ids, name="partition")
    if level in ("sku", "sku_channel"):  # a SKU's category; a category or the total is its own
        sku = ids.str.split(" @ ").str[0] if level == "sku_channel" else ids
        key = [categories.get(p, "uncategorised") for p in sku]
    else:
        key = list(ids)
    part = pd.Series(key, index=ids, name="partition")
    sizes = part.map(part.value_counts())
    buckets = -(-sizes // max(1, max_series))
    split = buckets > 1
    if split.any():
        digest = pd.Series([zlib.crc32(str(i).encode()) for i in ids], index=ids)
        part[split] = part[split] + "#" + (digest[split] % buckets[split]).astype(str)
    return part


def merge_results(parts: dict[str, tuple[ForecastResult, int]]) -> tuple[ForecastResult, int]:
    """One result from the partitions' (in partition order): frames stacked, each
    partition's ensembles and notes named by it, interval scales averaged over partitions
    weighted by their series."""
    names = sorted(parts)
    results = [parts[n][0] for n in names]

    def stack(attr: str) -> pd.DataFrame:
        frames = [getattr(r, attr) for r in results if len(getattr(r, attr))]
        if not frames:
            return getattr(results[0], attr)
        return pd.concat(frames, ignore_index=True)

    weights = [len(r.choices) for r in results]
    levels = sorted({level for r in results for level in r.interval_scales})
    scales = {level: float(np.average(
        [r.interval_scales.get(level, 1.0) for r in results], weights=weights))
        for level in levels}
    single = len(names) == 1
    merged = ForecastResult(
        forecasts=stack("forecasts"), scores=stack("scores"), choices=stack("choices"),
        backtest=stack("backtest"), candidates=stack("candidates"),
        seconds=float(sum(r.seconds for r in results)),
        ensembles={(group if single else f"{name}: {group}"): models
                   for name, r in zip(names, results, strict=True)
                   for group, models in r.ensembles.items()},
        notes=[note if single else f"{name}: {note}"
               for name, r in zip(names, results, strict=True) for note in r.notes],
        interval_scales=scales,
    )
    return merged, max((parts[n][1] for n in names), default=0)


def _calendar(warehouse: Warehouse, start: pd.Timestamp, cutoff: dt.date, freq: str,
              horizon: int) -> tuple[pd.DataFrame | None, pd.Series, list[str]]:
    """The store calendar as the global model's inputs over history and horizon, the closed
    days, and a note; (None, no days, no note) for weekly and monthly series or a store without
    a calendar."""
    none = pd.Series([], dtype="datetime64[ns]")
    if freq != "D" or pd.isna(start):
        return None, none, []
    end = cutoff + dt.timedelta(days=horizon)
    calendar = store_calendar(warehouse, pd.Timestamp(start).date(), end)
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



