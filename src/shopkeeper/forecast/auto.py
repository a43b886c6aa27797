"""Automatic forecasting: backtest candidate models per series, choose, forecast with intervals.

The candidates for each series depend on its demand class (see :mod:`.classify`): smooth and
erratic demand gets ETS and Theta, sparse demand the intermittent family (Croston, ADIDA, IMAPA,
TSB); every series with enough history also gets the global LightGBM model. A rolling-origin
backtest (``n_windows`` windows of ``horizon`` periods) scores every candidate on every series.
The default choice is the ensemble of the best models for the series' demand class (ranked on
the whole class over every window, which is far less noisy than a single series' windows); a
single model replaces it only where it was ``switch_margin`` better in every one of at least two
windows, judged on at least ``MIN_SWITCH_POINTS`` backtest points. The reason is recorded per
series.

Intervals are conformal: the quantiles of the chosen model's absolute backtest errors. Interval
coverage in the scores is measured honestly, each window with quantiles from the other windows.

Every series is made regular first: a date missing inside a series' span is a period without
sales, filled with zero (and said so in its reason). Histories too short for the backtest asked
are not refused: a series gets as many windows as fit after two seasons of training data, else
as many as fit without the season, else it is too short to backtest and gets its mean demand
with an interval from its own spread. ``choices.reason`` says which, per series, and
``ForecastResult.notes`` sums it up for the run.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from statistics import NormalDist

import numpy as np
import pandas as pd

from shopkeeper.forecast import models as catalogue
from shopkeeper.forecast.classify import classify_demand
from shopkeeper.forecast.metrics import error_scale, interval_scales, score_backtest
from shopkeeper.forecast.series import ForecastError

ProgressFn = Callable[[str, float | None], None]
KEYS = ["unique_id", "ds"]
NO_DEMAND = "no_demand"
SHORT = "short"
SHORT_HISTORY_MODEL = "short_history_average"
# a backtest without the season still needs this much history before its first window
MIN_TRAIN_PERIODS = 10
# a short history's demand is spread over at least four weeks: one big first order of a new
# SKU must not become its daily rate
SHORT_FLOOR_DAYS = 28
PERIOD_DAYS = {"D": 1, "W": 7, "M": 30}
PERIOD_NAMES = {"D": "days", "W": "weeks", "M": "months"}
# statsforecast calls are sized to report progress about this often (measured: no slower than
# one call of 500 series, which was silent for minutes), never below MIN_BATCH_PER_JOB per job
BATCH_SECONDS = 2.0
MIN_BATCH_PER_JOB = 8


@dataclass
class ForecastResult:
    """Everything a run produced; each frame is long format and ready for the warehouse."""

    forecasts: pd.DataFrame  # unique_id, ds, model, yhat, lo_80, hi_80, lo_95, hi_95
    scores: pd.DataFrame  # unique_id, model, mae, rmse, mase, rmsse, wape, bias, coverage_*
    choices: pd.DataFrame  # unique_id, demand_class, adi, cv2, n_obs, model, reason
    backtest: pd.DataFrame  # unique_id, ds, cutoff, y, one column per candidate
    candidates: pd.DataFrame  # unique_id, ds, one column per candidate (future forecasts)
    seconds: float
    ensembles: dict[str, list[str]]  # demand group -> the models its ensemble averages
    notes: list[str] = field(default_factory=list)  # what the run did to short or gappy series
    # per interval level, the pooled factor applied to every series' conformal width
    interval_scales: dict[int, float] = field(default_factory=dict)


class AutoForecaster:
    """Forecast many series at once, choosing the model per series by backtest.

    Parameters follow statsforecast: ``freq`` is a pandas offset ("D", "W-MON", "MS") and
    ``season_length`` its season. ``models`` is "auto" or a list of catalogue names (see
    :data:`~shopkeeper.forecast.models.ALL_MODELS`). ``input_size`` caps the history the
    statistical models fit on (most recent periods); LightGBM trains on ``lgbm_input_size``.
    """

    def __init__(
        self,
        horizon: int,
        *,
        freq: str = "D",
        season_length: int = 7,
        models: str | Sequence[str] = "auto",
        n_windows: int = 2,
        levels: Sequence[int] = (80, 95),
        ensemble: str = "mean",
        ensemble_size: int = 3,
        switch_margin: float = 0.1,
        input_size: int | None = None,
        lgbm_input_size: int | None = None,
        n_jobs: int = 1,
        batch_size: int = 500,
    ) -> None:
        self.horizon = horizon
        self.freq = freq
        self.season_length = season_length
        self.models = models
        self.n_windows = n_windows
        self.levels = tuple(levels)
        self.ensemble = ensemble
        self.ensemble_size = ensemble_size
        self.switch_margin = switch_margin
        self.input_size = input_size
        self.lgbm_input_size = lgbm_input_size
        self.n_jobs = n_jobs
        self.batch_size = batch_size

    # -- public --------------------------------------------------------------------------------
    def fit(
        self,
        df: pd.DataFrame,
        *,
        exog: pd.DataFrame | None = None,
        progress: ProgressFn | None = None,
    ) -> AutoForecaster:
        """Backtest, choose and forecast. ``exog``: known-in-advance features for LightGBM.

        ``exog`` has ``ds`` (and optionally ``unique_id``) plus feature columns, covering the
        history and the ``horizon`` periods after it (prices, promotions, holidays…).
        """
        self._validate(df)
        started = time.perf_counter()
        report = progress or (lambda phase, fraction: None)
        df = df[["unique_id", "ds", "y"]].sort_values(KEYS).reset_index(drop=True)
        df, filled = self._regular(df)
        classes = self._plan(classify_demand(df))
        pools = self._pools(classes)

        total = len(classes)
        done = 0
        cv_parts, fc_parts = [], []
        for (group, season, windows), ids in classes.groupby(
            ["group", "season", "windows"], sort=False
        )["unique_id"]:
            stats_models = [m for m in pools[group] if m in catalogue.STATISTICAL_MODELS
                            and (season > 1 or m != "mstl")]
            smallest = MIN_BATCH_PER_JOB * max(1, self.n_jobs)
            size = min(self.batch_size, smallest) if group in catalogue.AUTO_POOLS else len(ids)
            start = 0
            while start < len(ids):
                batch = ids.iloc[start : start + size]
                sub = df[df["unique_id"].isin(batch)]
                report(f"forecasting {done:,}/{total:,} series ({group})", done / total)
                tick = time.perf_counter()
                cv, fc = self._run_statistical(sub, group, stats_models, season, windows)
                if cv is not None:
                    cv_parts.append(cv)
                fc_parts.append(fc)
                done += len(batch)
                start += len(batch)
                # size the next batch so progress is reported about every BATCH_SECONDS
                rate = len(batch) / max(time.perf_counter() - tick, 1e-3)
                size = int(min(self.batch_size, max(smallest, rate * BATCH_SECONDS)))
        backtest = pd.concat(cv_parts, ignore_index=True) if cv_parts else _empty_cv()
        candidates = pd.concat(fc_parts, ignore_index=True)

        lgbm_ids = classes.loc[
            classes["group"].isin(list(catalogue.AUTO_POOLS))
            & (classes["season"] == self.season_length)
            & (classes["windows"] == self.n_windows)
            & (classes["n_obs"] >= self._lgbm_length()),
            "unique_id",
        ]
        if self._wants(catalogue.LGBM) and len(lgbm_ids) > 0:
            report(f"LightGBM: {self.n_windows} backtest windows and the final fit on "
                   f"{len(lgbm_ids):,} series", None)
            cv, fc = self._run_lightgbm(df[df["unique_id"].isin(lgbm_ids)], exog)
            backtest = backtest.merge(cv, on=[*KEYS, "cutoff"], how="left")
            candidates = candidates.merge(fc, on=KEYS, how="left")
        else:
            for frame in (backtest, candidates):
                frame[catalogue.LGBM] = np.nan

        scored = backtest["unique_id"].nunique()
        report(f"ranking models per demand class on {scored:,} backtested series", None)
        # MASE/RMSSE scales come from each series' history before its first backtest window
        first_cutoff = pd.to_datetime(
            df["unique_id"].map(backtest.groupby("unique_id")["cutoff"].min()))
        history = df[first_cutoff.isna() | (df["ds"] <= first_cutoff)]
        ensembles = self._add_ensembles(backtest, candidates, classes, pools, history)
        report(f"scoring the backtest of {scored:,} series", None)
        scores = score_backtest(backtest, history, self.season_length, self.levels)
        report(f"choosing a model for each of {total:,} series", None)
        # every series can fall back to its mean demand where no model asked for forecasts it
        # (LightGBM alone on series too short for its features)
        candidates[SHORT_HISTORY_MODEL] = candidates["unique_id"].map(self._short_rate(df))
        forecastable = candidates.drop(columns=KEYS).notna().groupby(candidates["unique_id"]).all()
        choices = self._choose(classes, scores, _window_rmse(backtest), pools, ensembles,
                               filled, forecastable)
        report(f"intervals for {total:,} series", None)
        scales = interval_scales(backtest, choices.set_index("unique_id")["model"], self.levels)
        self.result_ = ForecastResult(
            forecasts=self._final(candidates, backtest, choices, df, scales),
            scores=scores,
            choices=choices,
            backtest=backtest,
            candidates=candidates,
            seconds=time.perf_counter() - started,
            ensembles=ensembles,
            notes=self._notes(classes, filled),
            interval_scales=scales,
        )
        report("done", 1.0)
        return self

    def predict(self) -> pd.DataFrame:
        """The chosen model's forecast per series with conformal intervals."""
        if not hasattr(self, "result_"):
            raise RuntimeError("call fit() before predict()")
        return self.result_.forecasts

    # -- steps ---------------------------------------------------------------------------------
    def _validate(self, df: pd.DataFrame) -> None:
        missing = {"unique_id", "ds", "y"} - set(df.columns)
        if missing:
            raise ForecastError(f"series need columns unique_id, ds, y; missing {sorted(missing)}")
        if self.horizon < 1:
            raise ForecastError(f"horizon must be at least 1, got {self.horizon}")
        if self.n_windows < 1:
            raise ForecastError(f"n_windows must be at least 1, got {self.n_windows}")
        bad = df["y"].isna() | ~np.isfinite(df["y"].to_numpy(dtype="float64"))
        if bad.any():
            row = df[bad].iloc[0]
            raise ForecastError(
                f"series {row['unique_id']!r} has no value on {row['ds']}: fill gaps "
                "explicitly (build_series does) before forecasting"
            )
        if not isinstance(self.models, str):
            unknown = set(self.models) - set(catalogue.ALL_MODELS)
            if unknown:
                raise ForecastError(
                    f"unknown model(s) {sorted(unknown)}; choose from {', '.join(catalogue.ALL_MODELS)}"
                )
            if not set(self.models) - {catalogue.ENSEMBLE}:
                raise ForecastError(
                    "the ensemble averages other models: name at least two besides it, "
                    "e.g. auto_ets,tsb,ensemble"
                )
        twice = df.duplicated(KEYS, keep=False)
        if twice.any():
            row = df[twice].iloc[0]
            n = int(((df["unique_id"] == row["unique_id"]) & (df["ds"] == row["ds"])).sum())
            raise ForecastError(
                f"series {row['unique_id']!r} has {n} rows on {pd.Timestamp(row['ds']):%Y-%m-%d}: "
                "sum them to one value per series and period before forecasting"
            )
        offset = pd.tseries.frequencies.to_offset(self.freq)
        whole_days = self.freq[0] in PERIOD_DAYS
        for day in pd.DatetimeIndex(df["ds"].unique()):
            if not offset.is_on_offset(day) or (whole_days and day != day.normalize()):
                row = df[df["ds"] == day].iloc[0]
                shown = f"{day:%Y-%m-%d}" if day == day.normalize() else str(day)
                raise ForecastError(
                    f"series {row['unique_id']!r} has a date {shown} that is not on the "
                    f"{self.freq} calendar: aggregate to periods of {self.freq} first "
                    "(build_series does)"
                )

    def _regular(self, df: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
        """Every period from each series' first to last date: missing ones are zero demand.

        A date with no row in sales data is a period without sales. statsforecast would
        silently treat the dates around a gap as consecutive, mlforecast refuses them; either
        way the series must be regular. Returns the filled frame and the number of periods
        filled per series.
        """
        calendar = pd.date_range(df["ds"].min(), df["ds"].max(), freq=self.freq)
        position = calendar.get_indexer(df["ds"])
        grouped = pd.Series(position).groupby(df["unique_id"].to_numpy(), sort=True)
        first, last, size = grouped.min(), grouped.max(), grouped.size()
        span = (last - first + 1).to_numpy()
        filled = pd.Series(span - size.to_numpy(), index=size.index, name="filled")
        if filled.sum() == 0:
            return df, filled
        starts = np.repeat(np.cumsum(span) - span, span)
        steps = np.arange(span.sum()) - starts + np.repeat(first.to_numpy(), span)
        grid = pd.DataFrame({"unique_id": np.repeat(size.index.to_numpy(), span),
                             "ds": calendar[steps]})
        full = grid.merge(df, on=KEYS, how="left")
        full["y"] = full["y"].fillna(0.0)
        return full, filled

    def _plan(self, classes: pd.DataFrame) -> pd.DataFrame:
        """Per series: its ``group`` (demand class, ``short`` or ``no_demand``), the
        ``season`` its models use and how many backtest ``windows`` fit its history.

        Two seasons of training data before the first window are wanted; without them the
        models run without the season; with less than ``MIN_TRAIN_PERIODS`` (or a horizon)
        of training data before one window, the series is too short to backtest.
        """
        h, n = self.horizon, classes["n_obs"].to_numpy()
        seasonal = np.minimum(self.n_windows, (n - 2 * self.season_length) // h)
        plain = np.minimum(self.n_windows, (n - max(MIN_TRAIN_PERIODS, h)) // h)
        use_season = (seasonal >= 1) | (self.season_length <= 1)
        windows = np.where(use_season, seasonal, plain).clip(min=0)
        short = windows < 1
        group = np.where(classes["demand_class"] == NO_DEMAND, NO_DEMAND,
                         np.where(short, SHORT, classes["demand_class"]))
        return classes.assign(
            group=group,
            season=np.where(use_season | short, self.season_length, 1),
            windows=np.where(group == NO_DEMAND, 0, windows),
        )

    def _lgbm_length(self) -> int:
        """Periods of history LightGBM needs: its features' warm-up plus the backtest."""
        return self.horizon * self.n_windows + catalogue.lgbm_warmup(self.season_length)

    def _units(self) -> str:
        return PERIOD_NAMES.get(self.freq[0], "periods")

    def _short_floor(self) -> int:
        """Periods a short history's demand is spread over at least (four weeks' worth)."""
        days = PERIOD_DAYS.get(self.freq[0])
        return math.ceil(SHORT_FLOOR_DAYS / days) if days else 4 * self.season_length

    def _wants(self, name: str) -> bool:
        return self.models == "auto" or name in self.models

    def _pools(self, classes: pd.DataFrame) -> dict[str, list[str]]:
        pools: dict[str, list[str]] = {NO_DEMAND: [], SHORT: [SHORT_HISTORY_MODEL]}
        for cls, auto_pool in catalogue.AUTO_POOLS.items():
            if self.models == "auto":
                pool = list(auto_pool)
                if cls in catalogue.AUTO_EXTRAS_CLASSES:
                    pool += catalogue.AUTO_EXTRAS_BY_FREQ.get(self.freq[0], ())
                elif cls in ("intermittent", "lumpy"):
                    pool = [*catalogue.SPARSE_EXTRAS_BY_FREQ.get(self.freq[0], ()), *pool]
                pool.append(catalogue.LGBM)
                if self.freq == "D" and (self.input_size or 0) >= 730:
                    pool.append("mstl")
            else:
                pool = [m for m in self.models if m != catalogue.ENSEMBLE]
            pools[cls] = list(dict.fromkeys(pool))
        return pools

    def _run_statistical(
        self, sub: pd.DataFrame, group: str, names: list[str], m: int, windows: int
    ) -> tuple[pd.DataFrame | None, pd.DataFrame]:
        from statsforecast import StatsForecast

        future = _future_frame(sub, self.horizon, self.freq)
        if group == NO_DEMAND:
            return None, future.assign(zero=0.0)
        if group == SHORT:
            return None, future.assign(**{SHORT_HISTORY_MODEL: future["unique_id"].map(self._short_rate(sub))})
        if not names:  # only LightGBM (or MSTL on series too short for its season) was asked
            return None, future
        sf = StatsForecast(
            models=[catalogue.statistical_model(n, m) for n in names],
            freq=self.freq,
            n_jobs=self.n_jobs,
            fallback_model=catalogue.statistical_model("historic_average", m),
        )
        fit_df = sub if self.input_size is None else sub.groupby("unique_id").tail(self.input_size)
        fc = sf.forecast(df=fit_df, h=self.horizon)
        test = self.horizon * windows
        cv_df = sub if self.input_size is None else sub.groupby("unique_id").tail(
            self.input_size + test
        )
        cv = sf.cross_validation(
            df=cv_df, h=self.horizon, n_windows=windows, step_size=self.horizon,
            input_size=self.input_size,
        )
        return cv, fc

    def _short_rate(self, sub: pd.DataFrame) -> pd.Series:
        """Average demand per period, over at least four weeks' worth of periods: one big
        first order of a new SKU must not become its daily rate."""
        grouped = sub.groupby("unique_id")["y"]
        return grouped.sum() / np.maximum(grouped.size(), self._short_floor())

    def _spread_halfwidth(self, history: pd.DataFrame, level: int) -> pd.Series:
        """Interval half-widths from each series' own spread (normal quantile times the
        standard deviation, over the same padded periods as the short-history rate): the
        interval of a series without backtest errors to take quantiles of. Unit demand varies
        at least as much as a Poisson count, so the variance is never below the mean: one
        observation is no evidence of a steady rate."""
        grouped = history.groupby("unique_id")["y"]
        n = np.maximum(grouped.size(), self._short_floor())
        mean = grouped.sum() / n
        var = ((history["y"] ** 2).groupby(history["unique_id"]).sum() / n - mean**2).clip(lower=0)
        var = np.maximum(var, mean)
        return NormalDist().inv_cdf(0.5 + level / 200) * np.sqrt(var)

    def _run_lightgbm(
        self, df: pd.DataFrame, exog: pd.DataFrame | None
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        with warnings.catch_warnings():
            # mlforecast warns about every series shorter than its longest lag, and LightGBM
            # about missing lag values; both are expected with young SKUs
            warnings.simplefilter("ignore")
            return self._lightgbm(df, exog)

    def _lightgbm(
        self, df: pd.DataFrame, exog: pd.DataFrame | None
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        mlf = catalogue.lightgbm_forecaster(self.freq, self.season_length, self.n_jobs)
        test = self.horizon * self.n_windows
        if self.lgbm_input_size:
            df = df.groupby("unique_id").tail(self.lgbm_input_size + test)
        x_future = None
        if exog is not None:
            on = [c for c in KEYS if c in exog.columns]
            df = df.merge(exog, on=on, how="left")
            x_future = _future_frame(df, self.horizon, self.freq).merge(exog, on=on, how="left")
        cv = mlf.cross_validation(
            df=df, n_windows=self.n_windows, h=self.horizon, step_size=self.horizon,
            static_features=[],
        ).drop(columns="y")
        mlf.fit(df, static_features=[])
        fc = mlf.predict(self.horizon, X_df=x_future)
        for frame in (cv, fc):
            frame[catalogue.LGBM] = frame[catalogue.LGBM].clip(lower=0)
        return cv, fc

    def _add_ensembles(
        self,
        backtest: pd.DataFrame,
        candidates: pd.DataFrame,
        classes: pd.DataFrame,
        pools: dict[str, list[str]],
        history: pd.DataFrame,
    ) -> dict[str, list[str]]:
        """Add an ``ensemble`` column: per class, the mean/median of its best models."""
        members: dict[str, list[str]] = {}
        if len(backtest) == 0 or not self._wants(catalogue.ENSEMBLE):
            return members
        backtest[catalogue.ENSEMBLE] = np.nan
        candidates[catalogue.ENSEMBLE] = np.nan
        pooled = score_backtest(backtest, history, self.season_length, ())
        group_of = classes.set_index("unique_id")["group"]
        for group, pool in pools.items():
            ids = group_of.index[group_of == group]
            if group not in catalogue.AUTO_POOLS or len(ids) == 0 or len(pool) < 2:
                continue
            ranked = (
                pooled[pooled["unique_id"].isin(ids) & pooled["model"].isin(pool)]
                .groupby("model")["rmsse"].mean().sort_values()
            )
            best = list(ranked.index[: self.ensemble_size])
            members[group] = best
            for frame in (backtest, candidates):
                rows = frame["unique_id"].isin(ids)
                values = frame.loc[rows, best]
                combined = values.median(axis=1) if self.ensemble == "median" else values.mean(axis=1)
                frame.loc[rows, catalogue.ENSEMBLE] = combined
        return members

    def _choose(
        self,
        classes: pd.DataFrame,
        scores: pd.DataFrame,
        by_window: pd.DataFrame,
        pools: dict[str, list[str]],
        ensembles: dict[str, list[str]],
        filled: pd.Series,
        forecastable: pd.DataFrame,
    ) -> pd.DataFrame:
        rmse = scores.pivot(index="unique_id", columns="model", values="rmse")
        windows_of = dict(iter(by_window.groupby(level="unique_id", sort=False)))
        units, m, h = self._units(), self.season_length, self.horizon
        rows = []
        for rec in classes.itertuples(index=False):
            uid, group = rec.unique_id, rec.group
            if group == NO_DEMAND:
                model, reason = "zero", "no demand in the history: forecast is zero"
            elif group == SHORT:
                model = SHORT_HISTORY_MODEL
                need = min(2 * m, max(MIN_TRAIN_PERIODS, h)) + h
                reason = (
                    f"too short to backtest: history {rec.n_obs} {units} < {need} (training "
                    f"data plus one {h}-{units[:-1]} window); mean demand over "
                    f"max({rec.n_obs}, {self._short_floor()}) {units}, interval from its "
                    "spread; check before ordering"
                )
            else:
                scored = rmse.loc[uid] if uid in rmse.index else pd.Series(dtype="float64")
                windows = windows_of.get(uid, pd.DataFrame())
                model, reason = self._choose_one(scored, windows, pools[group],
                                                 ensembles.get(group))
                if model not in forecastable.columns or not forecastable.at[uid, model]:
                    why = (f"LightGBM needs {self._lgbm_length()} {units} of history"
                           if model == catalogue.LGBM else "too little history for it")
                    reason = (f"{model} gives no forecast for this series ({why}): mean demand "
                              "over its history instead")
                    model = SHORT_HISTORY_MODEL
                if rec.season != m:
                    reason += (f"; without the season of {m} {units} (history {rec.n_obs} "
                               f"< 2 seasons + a {h}-{units[:-1]} window)")
                if rec.windows < self.n_windows:
                    reason += (f"; {rec.windows} backtest window{'s' * (rec.windows > 1)} of the "
                               f"{self.n_windows} asked (history {rec.n_obs} {units})")
            gaps = int(filled.get(uid, 0))
            if gaps:
                reason += f"; {gaps} missing date{'s' * (gaps > 1)} filled with 0 (no sales)"
            rows.append((uid, rec.demand_class, rec.adi, rec.cv2, rec.n_obs, model, reason))
        return pd.DataFrame(
            rows, columns=["unique_id", "demand_class", "adi", "cv2", "n_obs", "model", "reason"]
        )

    def _notes(self, classes: pd.DataFrame, filled: pd.Series) -> list[str]:
        """One line per kind of adjustment the run made, with its series count."""
        units, notes = self._units(), []
        gappy = filled[filled > 0]
        if len(gappy):
            notes.append(f"{len(gappy):,} series had {int(gappy.sum()):,} missing dates inside "
                         "their history, filled with 0 (no row means no sales)")
        live = classes[classes["group"] != NO_DEMAND]
        short = live["group"] == SHORT
        plain = ~short & (live["season"] != self.season_length)
        fewer = ~short & (live["windows"] < self.n_windows)
        if plain.any():
            notes.append(f"{int(plain.sum()):,} series forecast without the season of "
                         f"{self.season_length} {units}: history shorter than 2 seasons + a window")
        if fewer.any():
            notes.append(f"{int(fewer.sum()):,} series backtested on fewer backtest windows than "
                         f"the {self.n_windows} asked: history too short")
        if short.any():
            notes.append(f"{int(short.sum()):,} series too short to backtest: mean demand, "
                         "interval from their spread (see model_choices.reason)")
        if len(live) and short.all():
            longest = int(live["n_obs"].max())
            notes.append(f"no series is long enough to backtest one {self.horizon}-{units[:-1]} "
                         f"window (the longest has {longest} {units}): use a shorter horizon "
                         "or a finer frequency")
        return notes

    def _choose_one(
        self, rmse: pd.Series, windows: pd.DataFrame, pool: list[str], members: list[str] | None
    ) -> tuple[str, str]:
        """The class's ensemble, unless one model beat it by ``switch_margin`` in every backtest
        window of this series: a choice made on one window is tuned to that window (on M5 a
        per-series choice that looked 2% better than AutoETS in validation was 0.4% better on
        the next 28 days)."""
        single = rmse.reindex(pool).dropna()
        if single.empty:
            return pool[0], f"no candidate produced a backtest score: {pool[0]} by default"
        best = str(single.idxmin())
        if members is None or pd.isna(rmse.get(catalogue.ENSEMBLE)):
            return best, f"lowest backtest RMSE ({single[best]:.3g}) of {len(single)} candidates"
        ens = rmse[catalogue.ENSEMBLE]
        ensemble = (
            f"{self.ensemble} of {', '.join(members)} (best for this demand class over all "
            f"backtest windows); backtest RMSE {ens:.3g}"
        )
        if len(windows) < 2 or best not in windows or catalogue.ENSEMBLE not in windows:
            return catalogue.ENSEMBLE, ensemble + "; one backtest window: too few to prefer a " \
                "single model for this series"
        if len(windows) * self.horizon < MIN_SWITCH_POINTS:
            return catalogue.ENSEMBLE, ensemble + (
                f"; {len(windows) * self.horizon} backtest points: too few to prefer a single "
                f"model (at least {MIN_SWITCH_POINTS})")
        ahead = windows[best] < (1 - self.switch_margin) * windows[catalogue.ENSEMBLE]
        if bool(ahead.all()) and single[best] < (1 - self.switch_margin) * ens:
            return best, (
                f"lowest backtest RMSE ({single[best]:.3g}), {1 - single[best] / ens:.0%} below "
                f"the ensemble's ({ens:.3g}) and more than {self.switch_margin:.0%} below it in "
                f"each of the {len(windows)} windows"
            )
        return catalogue.ENSEMBLE, (
            ensemble + f"; no single model more than {self.switch_margin:.0%} better in every "
            f"one of the {len(windows)} windows"
        )

    def _final(
        self, candidates: pd.DataFrame, backtest: pd.DataFrame, choices: pd.DataFrame,
        history: pd.DataFrame, scales: dict[int, float],
    ) -> pd.DataFrame:
        chosen = choices.set_index("unique_id")["model"]
        model = candidates["unique_id"].map(chosen)
        values = candidates.reindex(columns=list(dict.fromkeys([*model.unique(), "zero"])))
        col = pd.Index(values.columns).get_indexer(model)
        yhat = values.to_numpy(dtype="float64")[np.arange(len(values)), col]
        out = candidates[KEYS].assign(model=model.to_numpy(), yhat=np.clip(np.nan_to_num(yhat), 0, None))
        widths = out["unique_id"].map(error_scale(backtest, chosen))
        narrower = np.zeros(len(out))
        for level in sorted(self.levels):
            # a series without backtest errors gets an interval from its own spread
            spread = self._spread_halfwidth(history, level)
            half = ((widths * scales[level])
                    .fillna(out["unique_id"].map(spread)).fillna(0.0).to_numpy())
            # each level's own calibration may stretch it less: keep the intervals nested
            half = narrower = np.maximum(half, narrower)
            out[f"lo_{level}"] = np.clip(out["yhat"] - half, 0, None)
            out[f"hi_{level}"] = out["yhat"] + half
        return out


# A single model replaces the class ensemble only when judged on this many backtest points: on
# M5 items by week, switching on two windows of four weeks cost 3 points of RMSSE (0.920 against
# the ensemble's 0.893 on d_1830-1857), while daily windows of 28 days gain from it.
MIN_SWITCH_POINTS = 28


def _window_rmse(backtest: pd.DataFrame) -> pd.DataFrame:
    """RMSE per series, backtest window and candidate (index unique_id, cutoff)."""
    if backtest.empty:
        return pd.DataFrame(index=pd.MultiIndex.from_arrays([[], []],
                                                            names=["unique_id", "cutoff"]))
    models = [c for c in backtest.columns if c not in (*KEYS, "cutoff", "y")]
    errors = backtest[models].sub(backtest["y"], axis=0) ** 2
    keys = [backtest["unique_id"], backtest["cutoff"]]
    return np.sqrt(errors.groupby(keys, sort=False).mean())


def _future_frame(df: pd.DataFrame, horizon: int, freq: str) -> pd.DataFrame:
    """The ``horizon`` periods after each series' last date."""
    last = pd.DatetimeIndex(df.groupby("unique_id", sort=True)["ds"].max())
    ids = df["unique_id"].drop_duplicates().sort_values().to_numpy()
    offset = pd.tseries.frequencies.to_offset(freq)
    steps = [pd.DataFrame({"unique_id": ids, "ds": last + k * offset}) for k in range(1, horizon + 1)]
    return pd.concat(steps).sort_values(KEYS).reset_index(drop=True)


def _empty_cv() -> pd.DataFrame:
    return pd.DataFrame({"unique_id": pd.Series(dtype="object"),
                         "ds": pd.Series(dtype="datetime64[ns]"),
                         "cutoff": pd.Series(dtype="datetime64[ns]"),
                         "y": pd.Series(dtype="float64")})


def horizon_periods(days: int, freq: str) -> int:
    """How many periods of ``freq`` cover ``days`` days."""
    return max(1, math.ceil(days / {"D": 1, "W": 7, "M": 30}[freq[0]]))
