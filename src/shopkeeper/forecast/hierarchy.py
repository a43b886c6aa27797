"""SKU → category → total hierarchy: aggregated series and coherent (reconciled) forecasts.

Every level is forecast on its own, then hierarchicalforecast's MinTrace reconciliation (WLS with
structural weights, non-negative) adjusts all of them so each category equals the sum of its
SKUs and the total the sum of its categories.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from shopkeeper.forecast.series import TOTAL_ID, DemandSeries, ForecastError

CATEGORY_PREFIX = "category:"
RECONCILERS = ("mint_wls", "mint_ols", "bottom_up")


def hierarchy_frames(series: DemandSeries) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """From SKU-level series: all levels' series, the summing matrix and the level tags.

    Ids: ``total``, ``category:<name>`` and the SKU's own id.
    """
    if series.level != "sku":
        raise ForecastError("a hierarchy is built from SKU-level series (level='sku')")
    sku = series.df[["unique_id", "ds", "y"]]
    category = sku["unique_id"].map(series.categories).fillna("uncategorised")
    cat = (
        sku.assign(unique_id=CATEGORY_PREFIX + category)
        .groupby(["unique_id", "ds"], as_index=False)["y"].sum()
    )
    total = sku.groupby("ds", as_index=False)["y"].sum().assign(unique_id=TOTAL_ID)
    frames = pd.concat([total, cat, sku], ignore_index=True)[["unique_id", "ds", "y"]]
    # series start at different dates: complete every level on the common calendar
    frames = _complete(frames)

    bottom = np.sort(sku["unique_id"].unique())
    bottom_cat = CATEGORY_PREFIX + pd.Series(bottom).map(series.categories).fillna(
        "uncategorised"
    )
    cats = np.sort(bottom_cat.unique())
    s = np.zeros((1 + len(cats) + len(bottom), len(bottom)), dtype="float64")
    s[0, :] = 1.0
    s[1 + np.searchsorted(cats, bottom_cat.to_numpy()), np.arange(len(bottom))] = 1.0
    s[1 + len(cats) :, :] = np.eye(len(bottom))
    s_df = pd.DataFrame(s, columns=bottom)
    s_df.insert(0, "unique_id", [TOTAL_ID, *cats, *bottom])
    tags = {
        "total": np.array([TOTAL_ID]),
        "total/category": cats,
        "total/category/sku": bottom,
    }
    return frames, s_df, tags


def _complete(frames: pd.DataFrame) -> pd.DataFrame:
    ids = frames["unique_id"].unique()
    dates = np.sort(frames["ds"].unique())
    full = pd.MultiIndex.from_product([ids, dates], names=["unique_id", "ds"])
    return (
        frames.set_index(["unique_id", "ds"])
        .reindex(full, fill_value=0.0)
        .reset_index()
    )


def reconcile(
    forecasts: pd.DataFrame, s_df: pd.DataFrame, tags: dict, method: str = "mint_wls"
) -> pd.DataFrame:
    """Make ``forecasts`` (unique_id, ds, yhat, lo_*/hi_*) coherent across the hierarchy.

    MinTrace can return small negative SKU forecasts; those are set to zero and every level is
    re-summed from the SKUs, so the result stays coherent and non-negative (hierarchical-
    forecast's own non-negative MinTrace solves a quadratic programme per period, which takes
    minutes for a few thousand SKUs). The base forecast is kept as ``yhat_base``; intervals move
    with their point forecast.
    """
    from hierarchicalforecast.core import HierarchicalReconciliation
    from hierarchicalforecast.methods import BottomUp, MinTrace

    if method not in RECONCILERS:
        raise ForecastError(f"unknown reconciler {method!r}; choose one of {', '.join(RECONCILERS)}")
    reconciler = {
        "mint_wls": lambda: MinTrace(method="wls_struct"),
        "mint_ols": lambda: MinTrace(method="ols"),
        "bottom_up": BottomUp,
    }[method]()
    base = forecasts[["unique_id", "ds", "yhat"]]
    out = HierarchicalReconciliation(reconcilers=[reconciler]).reconcile(
        Y_hat_df=base, S_df=s_df, tags=tags
    )
    column = next(c for c in out.columns if c.startswith("yhat/"))
    coherent = _resum_from_bottom(out[["unique_id", "ds", column]], s_df)
    merged = forecasts.merge(coherent, on=["unique_id", "ds"], how="left")
    merged["yhat_base"] = merged["yhat"]
    merged["yhat"] = merged["reconciled"].fillna(merged["yhat_base"])
    shift = merged["yhat"] - merged["yhat_base"]
    for col in [c for c in merged.columns if c.startswith(("lo_", "hi_"))]:
        merged[col] = (merged[col] + shift).clip(lower=0)
    return merged.drop(columns="reconciled")


def _resum_from_bottom(reconciled: pd.DataFrame, s_df: pd.DataFrame) -> pd.DataFrame:
    """Clip the bottom level at zero and rebuild every level as sums of it (S · bottom)."""
    value = reconciled.columns[-1]
    bottom_ids = list(s_df.columns[1:])
    wide = reconciled.pivot(index="ds", columns="unique_id", values=value)
    bottom = wide[bottom_ids].clip(lower=0).to_numpy()
    summing = s_df.set_index("unique_id")[bottom_ids].to_numpy()
    levels = pd.DataFrame(bottom @ summing.T, index=wide.index, columns=s_df["unique_id"])
    return levels.reset_index().melt(id_vars="ds", var_name="unique_id", value_name="reconciled")
