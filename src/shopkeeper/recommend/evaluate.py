"""The evaluation protocol: splits, full-ranking metrics, and a driver that tables models.

Every number a recommender reports must say how it was obtained, so every ``Split`` carries a
``protocol`` sentence and ``evaluate`` copies it into the table's ``attrs["protocol"]``.

Splits (all per user, all on a users × items CSR matrix unless said otherwise):

* ``temporal_split``: for shop data. Train on events before a cutoff; test on what each user
  bought on or after it. Only users and items seen before the cutoff can be scored; test items
  the user already had in training are dropped by default (we recommend *new* items).
* ``random_holdout`` / ``random_split``: each user's interactions shuffled with a seed; a
  fraction floor(f·n) of them held out per part (the rule of RecBole's "RS" split and of the
  IDSNR MovieLens split reproduced by Shehzad et al. 2025).
* ``leave_one_out``: one interaction per user held out (the latest when timestamps are given).

Metrics, full ranking over all items, excluding each user's training (and validation) items, and
averaged over users with at least one test item. For a user u with test items T_u and top-K list
R_u (hits h_k = 1 if the k-th item is in T_u):

* ``recall``      Recall@K    = |R_u ∩ T_u| / |T_u|. The denominator is |T_u|, not min(K, |T_u|):
                  the definition of RecBole and of the RecSys2019 evaluation framework used by the
                  anchors we reproduce (so Recall@10 is below 1 when |T_u| > 10).
* ``precision``   Precision@K = |R_u ∩ T_u| / K.
* ``hit_rate``    HR@K        = 1 if |R_u ∩ T_u| > 0 else 0.
* ``ndcg``        NDCG@K      = Σ_k h_k / log2(k + 1) ÷ Σ_{k ≤ min(K, |T_u|)} 1 / log2(k + 1),
                  binary relevance.
* ``coverage``    Coverage@K  = |∪_u R_u| / n_items: the share of the catalogue recommended to
                  anyone.
* ``arp``         ARP@K       = mean over users of the mean popularity of R_u, popularity being the
                  share of training users who have the item (Abdollahpouri et al. 2019, on a 0–1
                  scale). Higher means more popularity-biased.
* ``gini``        Gini@K      = Gini coefficient of how often each item appears across all R_u
                  (0: every item shown equally often; 1: all exposure on one item).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import product
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from shopkeeper.recommend.models import Recommender, check_interactions
from shopkeeper.recommend.repeat import purchase_log

Metric = Callable[[np.ndarray, sp.csr_matrix, sp.csr_matrix, int], float]
"""metric(recommended [u, ≥K] item positions (-1 = empty), relevant [u, n_items] CSR aligned
with the rows of ``recommended``, train [n_users, n_items] CSR, K) -> float."""


# -- splits -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Split:
    """Train / (validation) / test matrices of the same shape, and how they were made.

    ``users`` and ``items`` optionally map row and column positions back to ids.
    """

    train: sp.csr_matrix
    test: sp.csr_matrix
    protocol: str
    valid: sp.csr_matrix | None = None
    users: np.ndarray | None = None
    items: np.ndarray | None = None
    info: dict[str, Any] = field(default_factory=dict)
    log: pd.DataFrame | None = None
    exclude_seen: bool = True

    def seen_at_test(self) -> sp.csr_matrix | None:
        """What is excluded when ranking for the test: training plus validation items, or
        nothing when repeats count (``exclude_seen=False``)."""
        if not self.exclude_seen:
            return None
        return self.train if self.valid is None else (self.train + self.valid).tocsr()

    def for_tuning(self) -> Split:
        """The train/validation pair as a Split of its own (for choosing hyperparameters)."""
        if self.valid is None:
            raise ValueError("This split has no validation part; make one with valid_fraction.")
        return Split(
            self.train,
            self.valid,
            f"validation of: {self.protocol}",
            users=self.users,
            items=self.items,
        )


def interaction_matrix(
    events: pd.DataFrame,
    user_col: str,
    item_col: str,
    weight_col: str | None = None,
    users: Sequence | np.ndarray | None = None,
    items: Sequence | np.ndarray | None = None,
) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    """A users × items CSR matrix from an event table, weights summed per (user, item).

    Without ``weight_col`` every row counts 1. ``users``/``items`` fix the row and column order
    (rows for other ids are dropped); by default they are the sorted distinct ids.
    Returns ``(matrix, users, items)``.
    """
    missing = [c for c in (user_col, item_col, weight_col) if c and c not in events.columns]
    if missing:
        raise ValueError(f"The following columns are missing: {missing}")
    users = np.sort(events[user_col].unique()) if users is None else np.asarray(users)
    items = np.sort(events[item_col].unique()) if items is None else np.asarray(items)
    u = pd.Index(users).get_indexer(events[user_col])
    i = pd.Index(items).get_indexer(events[item_col])
    w = np.ones(len(events)) if weight_col is None else events[weight_col].to_numpy(float)
    keep = (u >= 0) & (i >= 0)
    X = sp.csr_matrix((w[keep], (u[keep], i[keep])), shape=(len(users), len(items)))
    X.sum_duplicates()
    return X.astype(np.float32), users, items


def random_split(
    X: sp.spmatrix, fractions: Sequence[float] = (0.8, 0.2), seed: int = 0
) -> list[sp.csr_matrix]:
    """Split each user's interactions at random into parts of the given fractions.

    Every part after the first gets floor(f · n_u) of user u's n_u interactions; the first part
    (train) gets the rest. Users with too few interactions keep everything in the first part.
    Same seed, same split.
    """
    if not fractions or any(f < 0 for f in fractions) or not np.isclose(sum(fractions), 1.0):
        raise ValueError(f"fractions must be non-negative and sum to 1; got {tuple(fractions)}")
    X = check_interactions(X)
    rng = np.random.default_rng(seed)
    counts = np.diff(X.indptr)
    # a random rank of every interaction within its user's row
    keys = rng.random(X.nnz)
    row_of = np.repeat(np.arange(X.shape[0]), counts)
    order = np.lexsort((keys, row_of))
    rank = np.empty(X.nnz, np.int64)
    rank[order] = np.arange(X.nnz) - np.repeat(X.indptr[:-1], counts)
    part = np.zeros(X.nnz, np.int64)
    start = np.zeros(X.shape[0], np.int64)
    for p, f in enumerate(fractions[1:], start=1):
        size = np.floor(f * counts + 1e-9).astype(np.int64)
        inside = (rank >= start[row_of]) & (rank < (start + size)[row_of])
        part[inside] = p
        start = start + size
    return [_mask(X, part == p) for p in range(len(fractions))]


def random_holdout(
    X: sp.spmatrix, test_fraction: float = 0.2, seed: int = 0, valid_fraction: float = 0.0
) -> Split:
    """Random per-user holdout: floor(test_fraction · n_u) test items per user (see random_split).

    With ``valid_fraction`` > 0 a validation part of floor(valid_fraction · n_u) is also held out,
    e.g. ``random_holdout(X, 0.1, seed, valid_fraction=0.1)`` is RecBole's default 8:1:1 split.
    """
    train_fraction = 1.0 - test_fraction - valid_fraction
    if valid_fraction:
        train, valid, test = random_split(X, (train_fraction, valid_fraction, test_fraction), seed)
        shares = f"{train_fraction:.0%}/{valid_fraction:.0%}/{test_fraction:.0%} train/valid/test"
    else:
        (train, test), valid = random_split(X, (train_fraction, test_fraction), seed), None
        shares = f"{train_fraction:.0%}/{test_fraction:.0%} train/test"
    protocol = (
        f"random per-user holdout {shares.replace('%', '')} (floor(f·n) items per user and part, "
        f"seed {seed}); full ranking, seen items excluded"
    )
    return Split(train, test, protocol, valid=valid)


def leave_one_out(X: sp.spmatrix, seed: int = 0, timestamps: sp.spmatrix | None = None) -> Split:
    """Hold out one interaction per user with at least two: the latest if ``timestamps`` (a
    matrix with the same non-zeros as X, holding times) is given, else one at random."""
    X = check_interactions(X)
    counts = np.diff(X.indptr)
    row_of = np.repeat(np.arange(X.shape[0]), counts)
    if timestamps is None:
        keys = np.random.default_rng(seed).random(X.nnz)
        how = f"one random interaction per user (seed {seed})"
    else:
        T = sp.csr_matrix(timestamps)
        T.sort_indices()
        if (
            T.shape != X.shape
            or not np.array_equal(T.indptr, X.indptr)
            or not np.array_equal(T.indices, X.indices)
        ):
            raise ValueError("timestamps must have exactly the non-zero pattern of X")
        keys = T.data.astype(np.float64)
        how = "each user's latest interaction"
    order = np.lexsort((keys, row_of))
    last = order[np.cumsum(counts)[counts > 0] - 1]
    test = np.zeros(X.nnz, bool)
    test[last[counts[row_of[last]] >= 2]] = True
    protocol = f"leave-one-out: {how} held out; full ranking, seen items excluded"
    return Split(_mask(X, ~test), _mask(X, test), protocol)


def temporal_split(
    events: pd.DataFrame,
    cutoff: pd.Timestamp | str,
    user_col: str,
    item_col: str,
    time_col: str,
    weight_col: str | None = None,
    drop_seen: bool = True,
    end: pd.Timestamp | str | None = None,
) -> Split:
    """Train on events before ``cutoff``; test on each user's items from ``cutoff`` (to ``end``).

    Rows are the users and columns the items seen before the cutoff (a model cannot score what
    it never saw); test events of other users or items are dropped and counted in ``info``. The
    test matrix is binary. With ``drop_seen`` (the *new items only* protocol) a user's test items
    that were already in their training history are dropped too and seen items are left out of
    every ranking; without it (*repeats counted*) every item bought in the test period counts and
    nothing is left out. ``log`` holds the training purchases as (user, item, day) positions for
    models that read time (``repeat.RepeatAware``).
    """
    cutoff = pd.Timestamp(cutoff)
    times = pd.to_datetime(events[time_col])
    before = events[times < cutoff]
    after_mask = times >= cutoff
    if end is not None:
        after_mask &= times < pd.Timestamp(end)
    after = events[after_mask]
    if before.empty or after.empty:
        raise ValueError(f"cutoff {cutoff} leaves no training or no test events")
    train, users, items = interaction_matrix(before, user_col, item_col, weight_col)
    test, _, _ = interaction_matrix(after, user_col, item_col, None, users, items)
    test.data[:] = 1.0
    test_all = test.nnz
    if drop_seen:
        test = test - test.multiply(train > 0)
        test = sp.csr_matrix(test)
        test.eliminate_zeros()
    test_pairs = after[[user_col, item_col]].drop_duplicates()
    known = test_pairs[user_col].isin(users) & test_pairs[item_col].isin(items)
    info = {
        "cutoff": cutoff,
        "test_pairs": len(test_pairs),
        "dropped_unknown_user_or_item": int((~known).sum()),
        "dropped_already_seen": int(test_all - test.nnz),
        "test_users": int((np.diff(test.indptr) > 0).sum()),
        "repeat_share": float(test.multiply(train > 0).nnz / test.nnz) if test.nnz else 0.0,
    }
    span = f"{cutoff:%Y-%m-%d}" + (f" to {pd.Timestamp(end):%Y-%m-%d}" if end is not None else "")
    protocol = (
        f"temporal split: train before {cutoff:%Y-%m-%d}, test = items bought {span}"
        f"{', new to the user' if drop_seen else ', repeats counted'}, users and items known "
        "before the cutoff; full ranking, "
        f"{'seen items excluded' if drop_seen else 'nothing excluded'}"
    )
    log = purchase_log(pd.Index(users).get_indexer(before[user_col]),
                       pd.Index(items).get_indexer(before[item_col]), before[time_col])
    return Split(
        train.tocsr(), test.astype(np.float32), protocol, users=users, items=items, info=info,
        log=log, exclude_seen=drop_seen,
    )


def _mask(X: sp.csr_matrix, keep: np.ndarray) -> sp.csr_matrix:
    C = X.tocoo()
    return sp.csr_matrix(
        (C.data[keep], (C.row[keep], C.col[keep])), shape=X.shape, dtype=np.float32
    )


# -- metrics ------------------------------------------------------------------------------------


def hits_at(recommended: np.ndarray, relevant: sp.csr_matrix, k: int) -> np.ndarray:
    """Boolean [u, k]: whether the j-th recommended item of row u is relevant."""
    rec = recommended[:, :k]
    valid = rec >= 0
    if rec.size == 0:
        return np.zeros(rec.shape, bool)
    rows = np.repeat(np.arange(rec.shape[0]), rec.shape[1])
    looked_up = np.asarray(relevant[rows, np.where(valid, rec, 0).ravel()]).reshape(rec.shape)
    return (looked_up > 0) & valid


def _per_user(recommended: np.ndarray, relevant: sp.csr_matrix, k: int):
    n_rel = np.diff(relevant.indptr)
    mask = n_rel > 0
    return hits_at(recommended[mask], relevant[mask], k), n_rel[mask]


def recall(recommended: np.ndarray, relevant: sp.csr_matrix, train: sp.csr_matrix, k: int) -> float:
    """Recall@K = hits / |test items|, averaged over users with test items."""
    hits, n_rel = _per_user(recommended, relevant, k)
    return float(np.mean(hits.sum(axis=1) / n_rel)) if len(n_rel) else float("nan")


def precision(
    recommended: np.ndarray, relevant: sp.csr_matrix, train: sp.csr_matrix, k: int
) -> float:
    """Precision@K = hits / K."""
    hits, n_rel = _per_user(recommended, relevant, k)
    return float(np.mean(hits.sum(axis=1) / k)) if len(n_rel) else float("nan")


def hit_rate(
    recommended: np.ndarray, relevant: sp.csr_matrix, train: sp.csr_matrix, k: int
) -> float:
    """HR@K = share of users with at least one test item in their top K."""
    hits, n_rel = _per_user(recommended, relevant, k)
    return float(np.mean(hits.any(axis=1))) if len(n_rel) else float("nan")


def ndcg(recommended: np.ndarray, relevant: sp.csr_matrix, train: sp.csr_matrix, k: int) -> float:
    """NDCG@K with binary relevance; the ideal list has min(K, |test items|) hits on top."""
    hits, n_rel = _per_user(recommended, relevant, k)
    if not len(n_rel):
        return float("nan")
    discount = 1.0 / np.log2(np.arange(2, k + 2))
    dcg = hits[:, : len(discount)] @ discount[: hits.shape[1]]
    idcg = np.cumsum(discount)[np.minimum(n_rel, k) - 1]
    return float(np.mean(dcg / idcg))


def coverage(
    recommended: np.ndarray, relevant: sp.csr_matrix, train: sp.csr_matrix, k: int
) -> float:
    """Catalogue coverage@K: distinct items recommended to anyone / number of items."""
    rec = recommended[:, :k]
    return float(np.unique(rec[rec >= 0]).size / train.shape[1])


def arp(recommended: np.ndarray, relevant: sp.csr_matrix, train: sp.csr_matrix, k: int) -> float:
    """Average recommendation popularity@K: mean share of training users having the items."""
    rec = recommended[:, :k]
    pop = np.asarray((train > 0).sum(axis=0)).ravel() / max(train.shape[0], 1)
    valid = rec >= 0
    per_user = np.where(valid, pop[np.where(valid, rec, 0)], 0.0).sum(1) / np.maximum(
        valid.sum(1), 1
    )
    return float(per_user[valid.any(axis=1)].mean()) if valid.any() else float("nan")


def gini(recommended: np.ndarray, relevant: sp.csr_matrix, train: sp.csr_matrix, k: int) -> float:
    """Gini@K of item exposure across all recommendation lists (0 equal, 1 concentrated)."""
    rec = recommended[:, :k]
    counts = np.sort(np.bincount(rec[rec >= 0], minlength=train.shape[1])).astype(np.float64)
    n, total = counts.size, counts.sum()
    if total == 0:
        return float("nan")
    j = np.arange(1, n + 1)
    return float(np.sum((2 * j - n - 1) * counts) / (n * total))


LABELS: dict[Metric, str] = {
    ndcg: "NDCG",
    recall: "Recall",
    hit_rate: "HR",
    precision: "Precision",
    coverage: "Coverage",
    arp: "ARP",
    gini: "Gini",
}

DEFAULT_METRICS: tuple[tuple[Metric, int], ...] = (
    (ndcg, 10),
    (recall, 10),
    (recall, 20),
    (hit_rate, 10),
    (precision, 10),
    (coverage, 10),
    (arp, 10),
    (gini, 10),
)


def metric_label(metric: Metric, k: int) -> str:
    return f"{LABELS.get(metric, getattr(metric, '__name__', 'metric'))}@{k}"


# -- the driver ---------------------------------------------------------------------------------


def evaluate(
    models: Iterable[Recommender],
    split: Split,
    metrics: Sequence[tuple[Metric, int]] = DEFAULT_METRICS,
    fit: bool = True,
) -> pd.DataFrame:
    """Fit each model on ``split.train`` and score its top-K for every user with test items.

    Columns: model, each metric, ``fit_s`` (training seconds), ``recs_per_s`` (users given a full
    ranked top-K per second, batched), params. ``attrs["protocol"]`` holds the protocol sentence.
    With ``fit=False`` the models are used as already fitted (fit_s is then NaN).
    """
    k_max = max(k for _, k in metrics)
    users = np.flatnonzero(np.diff(split.test.indptr) > 0)
    relevant = split.test[users]
    exclude = split.seen_at_test()
    rows = []
    for model in models:
        fit_s = float("nan")
        if fit:
            t0 = time.perf_counter()
            if getattr(model, "uses_log", False):
                model.fit(split.train, log=split.log)
            else:
                model.fit(split.train)
            fit_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        recommended, _ = model.recommend(users, n=k_max, exclude=exclude)
        rec_s = time.perf_counter() - t0
        row: dict[str, Any] = {"model": model.name}
        for metric, k in metrics:
            row[metric_label(metric, k)] = metric(recommended, relevant, split.train, k)
        row["fit_s"] = fit_s
        row["recs_per_s"] = len(users) / rec_s if rec_s > 0 else float("inf")
        row["params"] = _params_text(model)
        rows.append(row)
    table = pd.DataFrame(rows)
    table.attrs["protocol"] = split.protocol
    table.attrs["test_users"] = len(users)
    return table


def grid_search(
    model: Recommender,
    grid: dict[str, Sequence[Any]],
    split: Split,
    metric: tuple[Metric, int] = (ndcg, 10),
) -> tuple[dict[str, Any], pd.DataFrame]:
    """Try every combination of ``grid`` on ``split`` (use a validation split, never the test).

    Returns the best parameters by ``metric`` and a table of every trial, best first.
    """
    keys = list(grid)
    label = metric_label(*metric)
    trials: list[dict[str, Any]] = []
    best: dict[str, Any] = {}
    best_score = -np.inf
    for values in product(*(grid[k] for k in keys)):
        params = dict(zip(keys, values, strict=True))
        candidate = type(model)(**{**model.get_params(), **params})
        result = evaluate([candidate], split, metrics=[metric]).iloc[0]
        trials.append({**params, label: result[label], "fit_s": result["fit_s"]})
        if result[label] > best_score:
            best, best_score = params, result[label]
    table = pd.DataFrame(trials).sort_values(
        label, ascending=False, kind="stable", ignore_index=True
    )
    return best, table


def _params_text(model: Recommender) -> str:
    skip = {"random_state", "num_threads", "bm25_k1", "bm25_b"}
    return ", ".join(
        f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
        for k, v in model.get_params().items()
        if k not in skip
    )
