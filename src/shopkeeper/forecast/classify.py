"""Demand classification by ADI and CV² (Syntetos, Boylan & Croston 2005).

ADI, the average inter-demand interval, is periods per non-zero period; CV² is the squared
coefficient of variation of the non-zero demand sizes. The cut-offs 1.32 and 0.49 split series
into smooth, erratic, intermittent and lumpy demand, which decides the candidate models.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

ADI_CUTOFF = 1.32
CV2_CUTOFF = 0.49
CLASSES = ("smooth", "erratic", "intermittent", "lumpy", "no_demand")


def classify_demand(df: pd.DataFrame) -> pd.DataFrame:
    """Per ``unique_id``: ``n_obs, n_nonzero, adi, cv2, demand_class``.

    Counts start at each series' first non-zero period, so a late launch is not "intermittent".
    """
    y = df["y"].to_numpy(dtype="float64")
    ids = df["unique_id"].to_numpy()
    nonzero = y > 0
    started = pd.Series(nonzero).groupby(ids, sort=False).cummax().to_numpy()
    stats = (
        pd.DataFrame(
            {
                "unique_id": ids,
                "n_obs": 1,
                "active": started.astype(int),
                "n_nonzero": nonzero.astype(int),
                "size": np.where(nonzero, y, np.nan),
            }
        )
        .groupby("unique_id", sort=False)
        .agg(
            n_obs=("n_obs", "sum"),
            active=("active", "sum"),
            n_nonzero=("n_nonzero", "sum"),
            size_mean=("size", "mean"),
            size_std=("size", lambda s: s.std(ddof=0)),
        )
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        adi = stats["active"] / stats["n_nonzero"]
        cv2 = (stats["size_std"] / stats["size_mean"]) ** 2
    lumpy_size = cv2 >= CV2_CUTOFF
    sparse = adi >= ADI_CUTOFF
    demand_class = np.select(
        [stats["n_nonzero"] == 0, sparse & lumpy_size, sparse, lumpy_size],
        ["no_demand", "lumpy", "intermittent", "erratic"],
        default="smooth",
    )
    return pd.DataFrame(
        {
            "unique_id": stats.index,
            "n_obs": stats["n_obs"].to_numpy(),
            "n_nonzero": stats["n_nonzero"].to_numpy(),
            "adi": adi.to_numpy(),
            "cv2": cv2.fillna(0.0).to_numpy(),
            "demand_class": demand_class,
        }
    ).reset_index(drop=True)
