"""Forecast accuracy: MAE, RMSE, MASE, RMSSE, WAPE, bias and interval coverage.

Point metrics come from utilsforecast. MASE and RMSSE are scaled by the in-sample (seasonal)
naive error of the history before the first backtest cut-off, so no test data leaks into them;
a series whose history holds one season or less scales MASE by the one-step naive error.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import numpy as np
import pandas as pd
from utilsforecast import losses
from utilsforecast.evaluation import evaluate

ID_COLS = ("unique_id", "ds", "cutoff", "y")
METRICS = ("mae", "rmse", "mase", "rmsse", "wape", "bias")


def model_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if c not in ID_COLS and "-lo-" not in c and "-hi-" not in c]


def accuracy(
    df: pd.DataFrame,
    train_df: pd.DataFrame,
    season_length: int,
    models: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Per series and model: MAE, RMSE, MASE, RMSSE, WAPE and bias (forecast minus actual).

    ``df`` holds ``unique_id, ds, y`` and one column per model; ``train_df`` the history
    that scales MASE (seasonal naive) and RMSSE (one-step naive).
    """
    models = list(models or model_columns(df))
    frame = df[["unique_id", "ds", "y", *models]].dropna(subset=["y"])
    frame = frame.astype({m: "float64" for m in models})
    wide = evaluate(
        frame,
        metrics=[
            losses.mae,
            losses.rmse,
            partial(losses.mase, seasonality=season_length),
            partial(losses.rmsse, seasonality=1),
            losses.wape,
            losses.bias,
        ],
        models=models,
        train_df=train_df[["unique_id", "ds", "y"]],
    )
    long = wide.melt(id_vars=["unique_id", "metric"], var_name="model")
    out = long.pivot_table(index=["unique_id", "model"], columns="metric", values="value",
                           dropna=False).reset_index()
    out.columns.name = None
    out = out.replace([np.inf, -np.inf], np.nan).dropna(subset=["mae"])
    return out[["unique_id", "model", *METRICS]].reset_index(drop=True)


def score_backtest(
    backtest: pd.DataFrame,
    history: pd.DataFrame,
    season_length: int,
    levels: Sequence[int] = (80, 95),
) -> pd.DataFrame:
    """Accuracy of every candidate over all backtest windows, plus conformal coverage."""
    cols = ["unique_id", "model", *METRICS, *[f"coverage_{lv}" for lv in levels]]
    if len(backtest) == 0:
        return pd.DataFrame(columns=cols)
    models = model_columns(backtest)
    train = history[history["unique_id"].isin(backtest["unique_id"].unique())]
    # a history of one season or less has no seasonal naive error to scale MASE by: such
    # series are scaled by the one-step naive error, as RMSSE always is
    lengths = train.groupby("unique_id").size()
    seasonal = backtest["unique_id"].map(lengths).fillna(0) > season_length
    parts = [
        accuracy(backtest[rows].drop(columns="cutoff"),
                 train[train["unique_id"].isin(backtest.loc[rows, "unique_id"])], season, models)
        for rows, season in ((seasonal, season_length), (~seasonal, 1))
        if rows.any()
    ]
    scores = pd.concat(parts, ignore_index=True)
    if levels:
        scores = scores.merge(_coverage(backtest, models, levels), on=["unique_id", "model"],
                              how="left")
    return scores[cols]


def _coverage(backtest: pd.DataFrame, models: list[str], levels: Sequence[int]) -> pd.DataFrame:
    """Leave-one-window-out conformal coverage: each window judged by the others' errors."""
    long = backtest.melt(id_vars=list(ID_COLS), value_vars=models, var_name="model",
                         value_name="yhat").dropna(subset=["yhat"])
    long["err"] = (long["yhat"] - long["y"]).abs()
    cutoffs = long["cutoff"].unique()
    out = long[["unique_id", "model"]].drop_duplicates().reset_index(drop=True)
    if len(cutoffs) < 2:
        for level in levels:
            out[f"coverage_{level}"] = np.nan
        return out
    for level in levels:
        hits = []
        for cutoff in cutoffs:
            rest = long[long["cutoff"] != cutoff]
            width = _quantile(rest, level).rename("width")
            held = long[long["cutoff"] == cutoff].join(width, on=["unique_id", "model"])
            hits.append(held.assign(hit=held["err"] <= held["width"]))
        share = pd.concat(hits).groupby(["unique_id", "model"])["hit"].mean()
        out = out.join(share.rename(f"coverage_{level}"), on=["unique_id", "model"])
    return out


def _quantile(long: pd.DataFrame, level: int) -> pd.Series:
    """Finite-sample conformal quantile of absolute errors per (unique_id, model)."""
    grouped = long.groupby(["unique_id", "model"])["err"]
    n = grouped.transform("size").to_numpy()
    q = np.minimum(1.0, np.ceil((n + 1) * level / 100) / n)
    ranked = long.assign(q=q, rank=grouped.rank(method="first", pct=True).to_numpy())
    # the smallest error whose empirical CDF reaches q
    ranked = ranked[ranked["rank"] >= ranked["q"] - 1e-12]
    return ranked.groupby(["unique_id", "model"])["err"].min()


# how many error scales (backtest RMSEs) an interval's half-width may be
SCALE_BOUNDS = (0.5, 8.0)


def _chosen_errors(backtest: pd.DataFrame, chosen: pd.Series) -> pd.DataFrame:
    """The chosen model's backtest rows per series, with their absolute error ``err``."""
    models = [m for m in chosen.unique() if m in backtest.columns]
    long = backtest.melt(id_vars=list(ID_COLS), value_vars=models, var_name="model",
                         value_name="yhat").dropna(subset=["yhat"])
    long = long[long["model"].to_numpy() == long["unique_id"].map(chosen).to_numpy()]
    return long.assign(err=(long["yhat"] - long["y"]).abs())


def _rmse(long: pd.DataFrame) -> pd.Series:
    """RMSE per series of ``long``'s errors (index unique_id)."""
    return np.sqrt((long["err"] ** 2).groupby(long["unique_id"]).mean())


def error_scale(backtest: pd.DataFrame, chosen: pd.Series) -> pd.Series:
    """Each series' error scale: the chosen model's RMSE over all its backtest windows."""
    if len(backtest) == 0:
        return pd.Series(dtype="float64")
    return _rmse(_chosen_errors(backtest, chosen))


def interval_scales(backtest: pd.DataFrame, chosen: pd.Series,
                    levels: Sequence[int]) -> dict[int, float]:
    """Per level, the interval half-width in error scales (:func:`error_scale`), pooled over
    all series so that the intervals cover as often as they should on the window after the
    ones they were measured on: each backtest window but the first is judged by the RMSEs of
    the windows before it (time runs one way: demand that grows more variable shows), and the
    factor is the level's quantile of error / RMSE. With one window the factor is that
    quantile within the window. A per-series RMSE is a steadier scale than a per-series
    quantile of a few dozen correlated errors: on M5's four windows the 80% intervals
    covered 80-82% with it and 74-77% with per-series quantiles, at a lower interval score.
    Bounded by ``SCALE_BOUNDS``."""
    if len(backtest) == 0:
        return {level: 1.0 for level in levels}
    long = _chosen_errors(backtest, chosen)
    cutoffs = sorted(long["cutoff"].unique())
    judged = ([(c, long["cutoff"] < c) for c in cutoffs[1:]]
              or [(cutoffs[0], long["cutoff"] == cutoffs[0])])
    ratios = []
    for cutoff, before in judged:
        scale = _rmse(long[before]).rename("scale")
        held = long[long["cutoff"] == cutoff].join(scale, on="unique_id")
        held = held.dropna(subset=["scale"])
        s, e = held["scale"].to_numpy(), held["err"].to_numpy()
        # a zero scale is right when the error is zero too, and as wrong as can be if not
        ratios.append(np.where(s > 0, e / np.where(s > 0, s, 1.0),
                               np.where(e > 0, SCALE_BOUNDS[1], 0.0)))
    pooled = np.concatenate(ratios)
    if not len(pooled):
        return {level: 1.0 for level in levels}
    return {level: float(np.clip(np.quantile(pooled, level / 100, method="higher"),
                                 *SCALE_BOUNDS))
            for level in levels}
