"""Automatic forecasting: backtest candidate models per series, choose, forecast with intervals.

The candidates for each series depend on its demand class (see :mod:`.classify`): smooth and
erratic demand gets ETS and Theta, sparse demand the intermittent family (Croston, ADIDA, IMAPA,
TSB); every series with enough history also gets the global LightGBM model. A rolling-origin
backtest (``n_windows`` windows of ``horizon`` periods) scores every candidate on every series.
The default choice is the ensemble of the best models for the series' demand class (ranked on
the whole class, which is far less noisy than a single series' windows); a single model replaces
it only where its backtest error is ``switch_margin`` lower. The reason is recorded per series.

Intervals are conformal: the quantiles of the chosen model's absolute backtest errors. Interval
coverage in the scores is measured honestly, each window with quantiles from the other windows.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from shopkeeper.forecast import models as catalogue
from shopkeeper.forecast.classify import classify_demand
from shopkeeper.forecast.metrics import conformal_halfwidth, score_backtest
from shopkeeper.forecast.series import ForecastError

ProgressFn = Callable[[str, float | None], None]
KEYS = ["unique_id", "ds"]
NO_DEMAND = "no_demand"
SHORT = "short"
SHORT_HISTORY_MODEL = "short_history_average"


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
        classes = classify_demand(df)
        classes["group"] = self._group(classes)
        pools = self._pools(classes)

        total = len(classes)
        done = 0
        cv_parts, fc_parts = [], []
        for group, ids in classes.groupby("group", sort=False)["unique_id"]:
            stats_models = [m for m in pools[group] if m in catalogue.STATISTICAL_MODELS]
            for start in range(0, len(ids), self.batch_size):
                batch = ids.iloc[start : start + self.batch_size]
                sub = df[df["unique_id"].isin(batch)]
                report(f"forecasting {done:,}/{total:,} series ({group})", done / total)
                cv, fc = self._run_statistical(sub, group, stats_models)
                if cv is not None:
                    cv_parts.append(cv)
                fc_parts.append(fc)
                done += len(batch)
        backtest = pd.concat(cv_parts, ignore_index=True) if cv_parts else _empty_cv()
        candidates = pd.concat(fc_parts, ignore_index=True)

        lgbm_ids = classes.loc[
            classes["group"].isin(list(catalogue.AUTO_POOLS))
            & (classes["n_obs"] >= self.horizon * self.n_windows + catalogue.lgbm_warmup(self.season_length)),
            "unique_id",
        ]
        if self._wants(catalogue.LGBM) and len(lgbm_ids) > 0:
            report(f"training the global LightGBM model on {len(lgbm_ids):,} series", None)
            cv, fc = self._run_lightgbm(df[df["unique_id"].isin(lgbm_ids)], exog)
            backtest = backtest.merge(cv, on=[*KEYS, "cutoff"], how="left")
            candidates = candidates.merge(fc, on=KEYS, how="left")
        else:
            for frame in (backtest, candidates):
                frame[catalogue.LGBM] = np.nan

        report("scoring the backtest and choosing models", None)
        # MASE/RMSSE scales come from each series' history before its first backtest window
        first_cutoff = df["unique_id"].map(backtest.groupby("unique_id")["cutoff"].min())
        history = df[first_cutoff.isna() | (df["ds"] <= first_cutoff)]
        ensembles = self._add_ensembles(backtest, candidates, classes, pools, history)
        scores = score_backtest(backtest, history, self.season_length, self.levels)
        choices = self._choose(classes, scores, pools, ensembles)
        self.result_ = ForecastResult(
            forecasts=self._final(candidates, backtest, choices),
            scores=scores,
            choices=choices,
            backtest=backtest,
            candidates=candidates,
            seconds=time.perf_counter() - started,
            ensembles=ensembles,
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

    def _min_backtest_length(self) -> int:
        return self.horizon * self.n_windows + 2 * self.season_length

    def _group(self, classes: pd.DataFrame) -> pd.Series:
        group = classes["demand_class"].copy()
        group[classes["n_obs"] < self._min_backtest_length()] = SHORT
        group[classes["demand_class"] == NO_DEMAND] = NO_DEMAND
        return group

    def _wants(self, name: str) -> bool:
        return self.models == "auto" or name in self.models

    def _pools(self, classes: pd.DataFrame) -> dict[str, list[str]]:
        pools: dict[str, list[str]] = {NO_DEMAND: [], SHORT: [SHORT_HISTORY_MODEL]}
        for cls, auto_pool in catalogue.AUTO_POOLS.items():
            if self.models == "auto":
                pool = list(auto_pool) + list(catalogue.AUTO_EXTRAS_BY_FREQ.get(self.freq[0], ()))
                pool.append(catalogue.LGBM)
                if self.freq == "D" and (self.input_size or 0) >= 730:
                    pool.append("mstl")
            else:
                pool = [m for m in self.models if m != catalogue.ENSEMBLE]
            pools[cls] = list(dict.fromkeys(pool))
        return pools

    def _run_statistical(
        self, sub: pd.DataFrame, group: str, names: list[str]
    ) -> tuple[pd.DataFrame | None, pd.DataFrame]:
        from statsforecast import StatsForecast

        future = _future_frame(sub, self.horizon, self.freq)
        if group == NO_DEMAND:
            return None, future.assign(zero=0.0)
        if group == SHORT:
            return None, future.assign(**{SHORT_HISTORY_MODEL: future["unique_id"].map(self._short_rate(sub))})
        m = self.season_length
        sf = StatsForecast(
            models=[catalogue.statistical_model(n, m) for n in names],
            freq=self.freq,
            n_jobs=self.n_jobs,
            fallback_model=catalogue.statistical_model("historic_average", m),
        )
        fit_df = sub if self.input_size is None else sub.groupby("unique_id").tail(self.input_size)
        fc = sf.forecast(df=fit_df, h=self.horizon)
        test = self.horizon * self.n_windows
        cv_df = sub if self.input_size is None else sub.groupby("unique_id").tail(
            self.input_size + test
        )
        cv = sf.cross_validation(
            df=cv_df, h=self.horizon, n_windows=self.n_windows, step_size=self.horizon,
            input_size=self.input_size,
        )
        return cv, fc

    def _short_rate(self, sub: pd.DataFrame) -> pd.Series:
        """Average demand per period, over at least four seasons: one big first order of a new
        SKU must not become its daily rate."""
        grouped = sub.groupby("unique_id")["y"]
        return grouped.sum() / np.maximum(grouped.size(), 4 * self.season_length)

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
        pools: dict[str, list[str]],
        ensembles: dict[str, list[str]],
    ) -> pd.DataFrame:
        rmse = scores.pivot(index="unique_id", columns="model", values="rmse")
        rows = []
        for rec in classes.itertuples(index=False):
            uid, group = rec.unique_id, rec.group
            if group == NO_DEMAND:
                model, reason = "zero", "no demand in the history: forecast is zero"
            elif group == SHORT:
                model = SHORT_HISTORY_MODEL
                reason = (
                    f"only {rec.n_obs} periods of history, fewer than the "
                    f"{self._min_backtest_length()} a backtest needs: total demand spread over "
                    f"at least {4 * self.season_length} periods; check before ordering"
                )
            else:
                model, reason = self._choose_one(rmse.loc[uid], pools[group], ensembles.get(group))
            rows.append((uid, rec.demand_class, rec.adi, rec.cv2, rec.n_obs, model, reason))
        return pd.DataFrame(
            rows, columns=["unique_id", "demand_class", "adi", "cv2", "n_obs", "model", "reason"]
        )

    def _choose_one(
        self, rmse: pd.Series, pool: list[str], members: list[str] | None
    ) -> tuple[str, str]:
        single = rmse.reindex(pool).dropna()
        if single.empty:
            return pool[0], f"no candidate produced a backtest score: {pool[0]} by default"
        best = str(single.idxmin())
        if members is None or pd.isna(rmse.get(catalogue.ENSEMBLE)):
            return best, f"lowest backtest RMSE ({single[best]:.3g}) of {len(single)} candidates"
        ens = rmse[catalogue.ENSEMBLE]
        if single[best] < (1 - self.switch_margin) * ens:
            return best, (
                f"lowest backtest RMSE ({single[best]:.3g}), "
                f"{1 - single[best] / ens:.0%} below the ensemble's ({ens:.3g})"
            )
        return catalogue.ENSEMBLE, (
            f"{self.ensemble} of {', '.join(members)} (best for this demand class in backtest); "
            f"backtest RMSE {ens:.3g}, no single model more than {self.switch_margin:.0%} better"
        )

    def _final(
        self, candidates: pd.DataFrame, backtest: pd.DataFrame, choices: pd.DataFrame
    ) -> pd.DataFrame:
        chosen = choices.set_index("unique_id")["model"]
        model = candidates["unique_id"].map(chosen)
        values = candidates.reindex(columns=list(dict.fromkeys([*model.unique(), "zero"])))
        col = pd.Index(values.columns).get_indexer(model)
        yhat = values.to_numpy(dtype="float64")[np.arange(len(values)), col]
        out = candidates[KEYS].assign(model=model.to_numpy(), yhat=np.clip(np.nan_to_num(yhat), 0, None))
        widths = conformal_halfwidth(backtest, chosen, self.levels)
        for level in self.levels:
            half = out["unique_id"].map(widths[level]).fillna(0.0).to_numpy()
            out[f"lo_{level}"] = np.clip(out["yhat"] - half, 0, None)
            out[f"hi_{level}"] = out["yhat"] + half
        return out


def _future_frame(df: pd.DataFrame, horizon: int, freq: str) -> pd.DataFrame:
    """The ``horizon`` periods after each series' last date."""
    last = pd.DatetimeIndex(df.groupby("unique_id", sort=True)["ds"].max())
    ids = df["unique_id"].drop_duplicates().sort_values().to_numpy()
    offset = pd.tseries.frequencies.to_offset(freq)
    steps = [pd.DataFrame({"unique_id": ids, "ds": last + k * offset}) for k in range(1, horizon + 1)]
    return pd.concat(steps).sort_values(KEYS).reset_index(drop=True)


def _empty_cv() -> pd.DataFrame:
    return pd.DataFrame(columns=["unique_id", "ds", "cutoff", "y"])


def horizon_periods(days: int, freq: str) -> int:
    """How many periods of ``freq`` cover ``days`` days."""
    return max(1, math.ceil(days / {"D": 1, "W": 7, "M": 30}[freq[0]]))
