"""Repeat purchase: what each customer buys again, when they are due, and a ranker that blends
buying again with discovery.

Everything here reads a **purchase log**: one row per (customer row, item column, order time),
the positions of a users × items matrix (see ``evaluate.interaction_matrix``). A customer who
buys an item twice on one day counts one purchase day; intervals are in days.

- :func:`purchase_patterns`: per customer × item, how many days they bought it, first and last
  day, their usual interval (median gap) and the **expected reorder day**.
- :class:`RepeatAware`: a recommender whose list mixes buy-again and discovery. Candidates are
  the customer's own items plus a discovery model's top picks; a gradient-boosted classifier
  (LightGBM) scores each candidate from its repeat pattern, the customer's rhythm, the item's
  recent popularity and the discovery score. It learns on the store's own data held out in time:
  features as of ``horizon_days`` before the last purchase, labels = what was bought after. So
  the share of buy-again against discovery is learned per store, not fixed.

The expected reorder day of a customer × item bought on at least two days is the last purchase
plus the median gap; when that day has already passed (overdue), the customer's next visit is
expected instead: ``as_of`` plus a share of their usual gap between order days
(``OVERDUE_VISIT_SHARE``, chosen on a validation window of the demo store, see
``bench/recommend_eval.py``).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import ClassVar, Final

import numpy as np
import pandas as pd
import scipy.sparse as sp

from shopkeeper.recommend.models import (
    MODELS,
    Interval,
    Options,
    Recommender,
    _as_index,
    _select_rows,
)

DAY: Final = np.timedelta64(1, "D")
OVERDUE_VISIT_SHARE: Final = 0.5
"""An overdue reorder is expected this share of the customer's usual visit gap after today."""
MIN_TRAINING_CUSTOMERS: Final = 30
"""Fewer customers buying in the held-out window than this: no ranker is learned; the list is
then the customer's own items by purchase days, then discovery."""

FEATURES: Final = (
    "repeat", "days_bought", "recent_days_bought", "decayed_days", "share_of_visits",
    "visits_since", "recent_share", "days_since", "usual_gap", "due_ratio",
    "days_to_due", "own_rank", "visits", "days_since_visit", "visit_gap", "distinct_items",
    "recent_visits", "item_buyers", "item_recent_buyers", "item_buyers_14d", "item_trend",
    "item_days_since_sold", "item_age", "item_repeat_rate",
    "discovery_score", "discovery_rank",
)
WINDOW_STEP_DAYS: Final = 28
"""The held-out windows the ranker learns from end 0, 28, 56, ... days before the last day."""
MIN_HISTORY_DAYS: Final = 28
"""A held-out window needs at least this much history before it."""
RECENT_DAYS: Final = 91
DECAY_HALF_LIFE_DAYS: Final = 60


def purchase_log(user: np.ndarray, item: np.ndarray, at: pd.Series | np.ndarray) -> pd.DataFrame:
    """The log the functions here read: distinct (user, item, day) with ``day`` as int days
    (the local calendar day of a time-zone-aware time)."""
    times = pd.to_datetime(pd.Series(at).reset_index(drop=True))
    if times.dt.tz is not None:
        times = times.dt.tz_localize(None)
    days = times.to_numpy("datetime64[D]").astype(np.int64)
    log = pd.DataFrame({"user": np.asarray(user, np.int64), "item": np.asarray(item, np.int64),
                        "day": days})
    return log.drop_duplicates(ignore_index=True)


def purchase_patterns(log: pd.DataFrame, as_of_day: int) -> pd.DataFrame:
    """Per (user, item) bought before ``as_of_day``: ``days_bought``, ``first``, ``last``,
    ``usual_gap`` (median days between purchase days; NaN when bought on one day only) and
    ``expected`` (the expected reorder day, NaN without a usual gap)."""
    past = log[log["day"] < as_of_day].sort_values(["user", "item", "day"], kind="stable")
    gap = past["day"].diff()
    same_pair = (past["user"].to_numpy()[1:] == past["user"].to_numpy()[:-1]) & (
        past["item"].to_numpy()[1:] == past["item"].to_numpy()[:-1])
    gap.iloc[0:1] = np.nan
    gap.iloc[1:] = np.where(same_pair, gap.iloc[1:], np.nan)
    past = past.assign(gap=gap)
    past = past.assign(recent=past["day"] >= as_of_day - RECENT_DAYS,
                       decayed=0.5 ** ((as_of_day - past["day"]) / DECAY_HALF_LIFE_DAYS))
    pairs = past.groupby(["user", "item"]).agg(
        days_bought=("day", "size"), first=("day", "min"), last=("day", "max"),
        usual_gap=("gap", "median"), recent_days_bought=("recent", "sum"),
        decayed_days=("decayed", "sum"))
    visits = customer_rhythm(log, as_of_day)
    pairs["expected"] = expected_reorder(pairs, visits, as_of_day)
    # the customer's order days since they last bought the item
    days = past[["user", "day"]].drop_duplicates().sort_values(["user", "day"])
    days["left"] = days.groupby("user").cumcount(ascending=False)
    last = pairs.reset_index()[["user", "item", "last"]].merge(
        days.rename(columns={"day": "last"}), on=["user", "last"], how="left")
    pairs["visits_since"] = last.set_index(["user", "item"])["left"]
    return pairs


def customer_rhythm(log: pd.DataFrame, as_of_day: int) -> pd.DataFrame:
    """Per user: ``visits`` (distinct order days), ``last_visit``, ``visit_gap`` (median days
    between order days, NaN with one visit) and ``distinct_items``."""
    past = log[log["day"] < as_of_day]
    days = past[["user", "day"]].drop_duplicates().sort_values(["user", "day"])
    gaps = days.groupby("user")["day"].diff()
    out = days.assign(gap=gaps, recent=days["day"] >= as_of_day - RECENT_DAYS).groupby(
        "user").agg(visits=("day", "size"), last_visit=("day", "max"),
                    visit_gap=("gap", "median"), recent_visits=("recent", "sum"))
    out["distinct_items"] = past.groupby("user")["item"].nunique()
    return out


def expected_reorder(pairs: pd.DataFrame, visits: pd.DataFrame, as_of_day: int) -> pd.Series:
    """The expected reorder day of each (user, item) with a usual gap (see the module doc)."""
    due = pairs["last"] + pairs["usual_gap"]
    visit_gap = visits["visit_gap"].reindex(pairs.index.get_level_values("user")).to_numpy()
    next_visit = as_of_day + OVERDUE_VISIT_SHARE * np.where(
        np.isnan(visit_gap), pairs["usual_gap"].to_numpy(), visit_gap)
    return pd.Series(np.where(due < as_of_day, np.ceil(next_visit), due), index=pairs.index,
                     name="expected")


def _item_stats(log: pd.DataFrame, as_of_day: int, n_items: int, recent_days: int,
                pairs: pd.DataFrame) -> pd.DataFrame:
    past = log[log["day"] < as_of_day]
    recent = past[past["day"] >= as_of_day - recent_days]
    counts = pairs["days_bought"].groupby(level="item")
    out = pd.DataFrame(index=pd.RangeIndex(n_items, name="item"))
    out["item_buyers"] = counts.size()
    out["item_recent_buyers"] = recent.groupby("item")["user"].nunique()
    out["item_buyers_14d"] = past[past["day"] >= as_of_day - 14].groupby("item")["user"].nunique()
    before = past[(past["day"] < as_of_day - recent_days)
                  & (past["day"] >= as_of_day - 2 * recent_days)]
    out = out.fillna(0.0)
    out["item_trend"] = (out["item_recent_buyers"] + 1) / (
        before.groupby("item")["user"].nunique().reindex(out.index).fillna(0) + 1)
    sold = past.groupby("item")["day"].agg(["min", "max"]).reindex(out.index)
    out["item_days_since_sold"] = as_of_day - sold["max"]
    out["item_age"] = as_of_day - sold["min"]
    out["item_repeat_rate"] = (counts.apply(lambda s: float((s >= 2).mean()))
                               .reindex(out.index).fillna(0.0))
    return out


@dataclass
class _Snapshot:
    """Everything the ranker's features need at one moment."""

    as_of_day: int
    pairs: pd.DataFrame
    visits: pd.DataFrame
    items: pd.DataFrame
    discovery: Recommender


class RepeatAware(Recommender):
    """Buy-again and discovery in one list, their mix learned on the store's held-out weeks.

    Parameters
    ----------
    discovery : name of the model (from ``MODELS``) that proposes items new to the customer.
    discovery_params : its parameters (EASE's default ``l2=200``).
    candidates : how many of the discovery model's top items each customer's list considers.
    horizon_days : the held-out window the ranker learns from (and the horizon it predicts).
    trees, learning_rate, leaves : the LightGBM classifier's size.
    random_state : its seed.

    ``fit(X, log=...)`` needs the purchase log (:func:`purchase_log`) whose counts make ``X``.
    ``recommend(rows, n, exclude=None)`` gives the repeat-aware list; the default
    ``exclude=SEEN`` gives discovery only, re-ranked by the same classifier.
    """

    _constraints: ClassVar = {
        "candidates": Interval(int, 1), "horizon_days": Interval(int, 7),
        "trees": Interval(int, 1), "learning_rate": Interval(float, 0.0, 1.0, open_low=True),
        "leaves": Interval(int, 2), "windows": Interval(int, 1),
        "objective": Options(("binary", "lambdarank")),
    }
    uses_log: ClassVar[bool] = True

    def __init__(self, discovery: str = "EASE", discovery_params: dict | None = None,
                 candidates: int = 50, horizon_days: int = 91, trees: int = 50,
                 learning_rate: float = 0.05, leaves: int = 15, windows: int = 3,
                 objective: str = "lambdarank", random_state: int | None = 0) -> None:
        self.discovery = discovery
        self.discovery_params = discovery_params
        self.candidates = candidates
        self.horizon_days = horizon_days
        self.trees = trees
        self.learning_rate = learning_rate
        self.leaves = leaves
        self.windows = windows
        self.objective = objective
        self.random_state = random_state

    @property
    def name(self) -> str:
        return f"RepeatAware({self.discovery})"

    def fit(self, X: sp.spmatrix, log: pd.DataFrame | None = None) -> RepeatAware:  # type: ignore[override]
        """Learn from ``X`` and its purchase ``log`` (required)."""
        if log is None:
            raise ValueError("RepeatAware needs the purchase log: fit(X, log=purchase_log(...))")
        self.log_ = log
        return super().fit(X)  # type: ignore[return-value]

    def _new_discovery(self) -> Recommender:
        if self.discovery not in MODELS:
            raise ValueError(f"unknown discovery model {self.discovery!r}; "
                             f"models are {', '.join(MODELS)}")
        params = self.discovery_params if self.discovery_params is not None else (
            {"l2": 200.0} if self.discovery == "EASE" else {})
        return MODELS[self.discovery](**params)

    def _snapshot(self, log: pd.DataFrame, as_of_day: int) -> _Snapshot:
        past = log[log["day"] < as_of_day]
        X = sp.csr_matrix((np.ones(len(past), np.float32), (past["user"], past["item"])),
                          shape=(self.n_users_, self.n_items_))
        X.sum_duplicates()
        discovery = self._new_discovery()
        if X.nnz:
            discovery.fit(X)
        pairs = purchase_patterns(log, as_of_day)
        return _Snapshot(as_of_day, pairs, customer_rhythm(log, as_of_day),
                         _item_stats(log, as_of_day, self.n_items_, 28, pairs), discovery)

    def _fit(self, X: sp.csr_matrix) -> None:
        log = self.log_
        end = int(log["day"].max()) + 1
        first = int(log["day"].min())
        frames, labels = [], []
        self.ranker_ = None
        self.learned_from_ = 0
        for k in range(self.windows):
            start = end - self.horizon_days - k * WINDOW_STEP_DAYS
            if start - first < MIN_HISTORY_DAYS:
                break
            snap = self._snapshot(log, start)
            after = log[(log["day"] >= start) & (log["day"] < start + self.horizon_days)]
            known = np.diff(_csr_of(snap).indptr) > 0
            users = np.unique(after["user"])
            users = users[known[users]]
            if not len(users):
                continue
            frame = self._features(snap, users).sort_values("user", kind="stable")
            bought = pd.MultiIndex.from_frame(after[["user", "item"]])
            labels.append(pd.MultiIndex.from_frame(frame[["user", "item"]]).isin(bought))
            frames.append(frame.assign(window=k))
            self.learned_from_ += len(users)
        if frames and self.learned_from_ >= MIN_TRAINING_CUSTOMERS:
            frame, label = pd.concat(frames, ignore_index=True), np.concatenate(labels)
            if label.any() and not label.all():
                self.ranker_ = self._learn(frame, label).booster_
        if self.ranker_ is None:
            self.learned_from_ = 0
        self.snapshot_ = self._snapshot(log, end)

    def _learn(self, frame: pd.DataFrame, label: np.ndarray):
        from lightgbm import LGBMClassifier, LGBMRanker

        common = dict(n_estimators=self.trees, learning_rate=self.learning_rate,
                      num_leaves=self.leaves, min_child_samples=100, subsample=0.8,
                      subsample_freq=1, colsample_bytree=0.8, n_jobs=1,
                      random_state=self.random_state, verbose=-1)
        if self.objective == "lambdarank":
            groups = frame.groupby(["window", "user"], sort=False).size().to_numpy()
            return LGBMRanker(**common).fit(frame[list(FEATURES)], label.astype(int),
                                            group=groups)
        return LGBMClassifier(**common).fit(frame[list(FEATURES)], label)

    def _predict(self, frame: pd.DataFrame) -> np.ndarray:
        """The booster's score: a probability (binary) or a ranking score (lambdarank)."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return self.ranker_.predict(frame[list(FEATURES)].to_numpy(np.float64))

    def state_arrays(self) -> dict[str, np.ndarray]:
        """What a model file keeps (no pickle): the purchase log and the ranker as text. The
        discovery model is refitted from the log on :meth:`restore_state`."""
        arrays = {f"log.{c}": self.log_[c].to_numpy(np.int64) for c in ("user", "item", "day")}
        arrays["ranker"] = np.array(self.ranker_.model_to_string() if self.ranker_ else "")
        arrays["learned_from"] = np.array(self.learned_from_)
        return arrays

    def restore_state(self, arrays: dict[str, np.ndarray], X: sp.csr_matrix) -> None:
        """Rebuild a fitted model from :meth:`state_arrays` and its interaction matrix."""
        from lightgbm import Booster

        self.n_users_, self.n_items_ = X.shape
        self.train_ = X
        self.log_ = pd.DataFrame({c: arrays[f"log.{c}"] for c in ("user", "item", "day")})
        text = str(arrays["ranker"])
        self.ranker_ = Booster(model_str=text) if text else None
        self.learned_from_ = int(arrays["learned_from"])
        self.snapshot_ = self._snapshot(self.log_, int(self.log_["day"].max()) + 1)

    def _features(self, snap: _Snapshot, users: np.ndarray) -> pd.DataFrame:
        """One row per candidate (user, item): the user's own items and discovery's top items."""
        users = np.asarray(users, np.int64)
        if hasattr(snap.discovery, "train_"):
            d_scores = snap.discovery._user_scores(users).astype(np.float32)
        else:
            d_scores = np.zeros((len(users), self.n_items_), np.float32)
        k = min(self.candidates, self.n_items_)
        top = np.argpartition(-d_scores, k - 1, axis=1)[:, :k]
        own = snap.pairs.reset_index()
        own = own[own["user"].isin(users)]
        local = pd.Index(users).get_indexer
        cand = pd.concat([
            pd.DataFrame({"user": np.repeat(users, k), "item": top.ravel()}),
            own[["user", "item"]]], ignore_index=True).drop_duplicates(ignore_index=True)
        rows = local(cand["user"])
        # rank of every candidate's discovery score within the user's row (1 = best)
        order = np.argsort(-d_scores, axis=1, kind="stable")
        rank = np.empty_like(order)
        np.put_along_axis(rank, order, np.arange(self.n_items_)[None, :], axis=1)
        cand["discovery_score"] = d_scores[rows, cand["item"]]
        cand["discovery_rank"] = rank[rows, cand["item"]] + 1
        cand = cand.join(snap.pairs, on=["user", "item"])
        cand["repeat"] = cand["days_bought"].notna().astype(np.float32)
        for column in ("days_bought", "recent_days_bought", "decayed_days"):
            cand[column] = cand[column].fillna(0)
        cand = cand.join(snap.visits, on="user")
        cand["share_of_visits"] = cand["days_bought"] / cand["visits"]
        cand["recent_share"] = cand["recent_days_bought"] / cand["recent_visits"].replace(0, np.nan)
        cand["days_since"] = snap.as_of_day - cand["last"]
        cand["due_ratio"] = cand["days_since"] / cand["usual_gap"]
        cand["days_to_due"] = cand["last"] + cand["usual_gap"] - snap.as_of_day
        cand["days_since_visit"] = snap.as_of_day - cand["last_visit"]
        cand["own_rank"] = cand.groupby("user")["days_bought"].rank(ascending=False,
                                                                     method="min")
        cand.loc[cand["repeat"] == 0, "own_rank"] = np.nan
        cand = cand.join(snap.items, on="item")
        return cand

    def _user_scores(self, user_rows: np.ndarray) -> np.ndarray:
        snap = self.snapshot_
        rows = np.asarray(user_rows, np.int64)
        frame = self._features(snap, rows)
        if self.ranker_ is not None:
            p = self._predict(frame)
        else:  # too little held-out data: own items by purchase days, then discovery
            p = np.where(frame["repeat"] > 0, 1.0 + frame["days_bought"],
                         1.0 / (1.0 + frame["discovery_rank"]))
        # outside the candidates: below every candidate, in discovery's order
        if hasattr(snap.discovery, "train_"):
            base = snap.discovery._user_scores(rows).astype(np.float64)
        else:
            base = np.zeros((len(rows), self.n_items_))
        span = np.ptp(base, axis=1, keepdims=True) + 1e-9
        scores = -2.0 + (base - base.min(axis=1, keepdims=True)) / span
        scores[pd.Index(rows).get_indexer(frame["user"]), frame["item"].to_numpy()] = p
        return scores.astype(np.float32)

    def candidate_scores(self, user_rows: np.ndarray) -> pd.DataFrame:
        """The candidates of each user with the ranker's ``score`` (higher is likelier to be
        bought within ``horizon_days``; NaN without a ranker) and their repeat facts (days
        bought, usual gap, last and expected day)."""
        self._check_fitted()
        rows = _as_index(user_rows, self.n_users_, "user_rows")
        frame = self._features(self.snapshot_, rows)
        frame["score"] = np.nan if self.ranker_ is None else self._predict(frame)
        return frame


def _csr_of(snap: _Snapshot) -> sp.csr_matrix:
    model = snap.discovery
    return model.train_ if hasattr(model, "train_") else sp.csr_matrix((0, 0))


class OwnHistory(Recommender):
    """Each customer's own most-bought items (by purchase count in the training matrix), ties
    broken by overall popularity: the buy-again baseline every repeat-aware list must beat."""

    def __init__(self) -> None:
        pass

    def _fit(self, X: sp.csr_matrix) -> None:
        pop = np.asarray((X > 0).sum(axis=0)).ravel().astype(np.float32)
        self.popularity_ = pop / max(float(pop.max()), 1.0)

    def _user_scores(self, user_rows: np.ndarray) -> np.ndarray:
        own = _select_rows(self.train_, user_rows).toarray()
        return (own + 1e-3 * self.popularity_[None, :]).astype(np.float32)
