"""Recommendations: recommenders over implicit feedback and their evaluation protocol.

A placeholder entry module exporting the models and the evaluation helpers; segments, serving
rules and the shopping guide will join it.

>>> model = EASE(l2=200.0).fit(X)                                    # doctest: +SKIP
>>> items, scores = model.recommend(users, n=10)                     # doctest: +SKIP
"""

from shopkeeper.recommend.evaluate import (
    DEFAULT_METRICS,
    Split,
    evaluate,
    grid_search,
    interaction_matrix,
    leave_one_out,
    random_holdout,
    random_split,
    temporal_split,
)
from shopkeeper.recommend.models import ALS, BPR, EASE, MODELS, SEEN, ItemKNN, RP3Beta, TopPop

__all__ = [
    "ALS",
    "BPR",
    "DEFAULT_METRICS",
    "EASE",
    "MODELS",
    "SEEN",
    "ItemKNN",
    "RP3Beta",
    "Split",
    "TopPop",
    "evaluate",
    "grid_search",
    "interaction_matrix",
    "leave_one_out",
    "random_holdout",
    "random_split",
    "temporal_split",
]
