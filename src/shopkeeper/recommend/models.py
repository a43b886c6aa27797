"""Recommenders behind one interface: fit on implicit feedback, rank every item for a user.

Every model follows scikit-learn's habits: parameters in ``__init__`` (stored, nothing else),
validated when ``fit`` is called, learned state ending in ``_``, ``fit`` returning ``self``.

The input is a users × items ``scipy.sparse.csr_matrix`` of implicit feedback: a positive float
weight where a user interacted with an item (1.0, a purchase count, a decayed event weight) and
nothing elsewhere. Rows and columns are positions; mapping them to customer and SKU ids is the
caller's business (see ``evaluate.interaction_matrix``).

>>> model = EASE(l2=200.0).fit(X)                                          # doctest: +SKIP
>>> items, scores = model.recommend(np.array([0, 5]), n=10)                # doctest: +SKIP
>>> neighbours, sims = model.similar_items(np.array([42]), n=5)            # doctest: +SKIP

``recommend`` ranks the full catalogue (no candidate sampling) and, by default, leaves out the
items each user already has in the training matrix (``exclude=SEEN``). Pass ``exclude=None`` to
keep them (consumables), or a users × items matrix of your own (bought, out of stock...).

The models, smallest first:

* ``TopPop``: the same most-popular list for everyone. The floor any model must clear.
* ``ItemKNN``: item-item cosine similarity (optionally on BM25-weighted data), k neighbours kept.
* ``EASE``: a shallow linear autoencoder with a closed-form solution (Steck, WWW 2019).
* ``RP3Beta``: a 3-step random walk user → item → user → item, divided by popularity^β
  (Paudel et al., ACM TiiS 2017).
* ``ALS``: implicit-feedback matrix factorisation by alternating least squares (Hu, Koren &
  Volinsky 2008), from the ``implicit`` package.
* ``BPR``: matrix factorisation trained on pairwise ranking (Rendle et al. 2009), from ``implicit``.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any, ClassVar, Final

import numpy as np
import scipy.linalg
import scipy.linalg.lapack
import scipy.sparse as sp
from threadpoolctl import threadpool_limits


class _UseSeen:
    """Type of ``SEEN``: exclude each user's items in the training matrix."""

    def __repr__(self) -> str:
        return "SEEN"


SEEN: Final = _UseSeen()
"""Default of ``recommend(exclude=...)``: leave out what each user already has in training."""

_BATCH_USERS = 2048  # users scored at once; bounds the dense score block to 2048 × n_items


# -- parameter validation -----------------------------------------------------------------------


@dataclass(frozen=True)
class Interval:
    """A numeric constraint: ``kind`` (int or float) in [low, high], ``open_low`` makes it (low."""

    kind: type
    low: float | None = None
    high: float | None = None
    open_low: bool = False

    def accepts(self, value: object) -> bool:
        if isinstance(value, bool):
            return False
        if self.kind is int and not isinstance(value, int | np.integer):
            return False
        if self.kind is float and not isinstance(value, int | float | np.integer | np.floating):
            return False
        v = float(value)  # type: ignore[arg-type]
        if not np.isfinite(v):
            return False
        if self.low is not None and (v < self.low or (self.open_low and v == self.low)):
            return False
        return self.high is None or v <= self.high

    def __str__(self) -> str:
        left = "(" if self.open_low or self.low is None else "["
        low = "-inf" if self.low is None else f"{self.low:g}"
        high = "inf)" if self.high is None else f"{self.high:g}]"
        return f"{'an int' if self.kind is int else 'a float'} in the range {left}{low}, {high}"


@dataclass(frozen=True)
class Options:
    """A constraint to one of a few values."""

    values: tuple[object, ...]

    def accepts(self, value: object) -> bool:
        return value in self.values

    def __str__(self) -> str:
        return "one of " + ", ".join(repr(v) for v in self.values)


@dataclass(frozen=True)
class OptionalSeed:
    """None (fresh randomness) or an int seed."""

    def accepts(self, value: object) -> bool:
        return value is None or (
            isinstance(value, int | np.integer) and not isinstance(value, bool)
        )

    def __str__(self) -> str:
        return "None or an int"


# -- the interface ------------------------------------------------------------------------------


class Recommender:
    """Base class: validation, exclusion, top-n selection. Subclasses implement the scores."""

    _constraints: ClassVar[dict[str, Interval | Options | OptionalSeed]] = {}

    # subclass API
    def _fit(self, X: sp.csr_matrix) -> None:
        raise NotImplementedError

    def _user_scores(self, user_rows: np.ndarray) -> np.ndarray:
        """Dense float32 scores [len(user_rows), n_items] (higher is better)."""
        raise NotImplementedError

    def _item_scores(self, item_idx: np.ndarray) -> np.ndarray:
        """Dense float32 similarities [len(item_idx), n_items] of each item to every item."""
        raise NotImplementedError

    # public API
    @property
    def name(self) -> str:
        """Label used in evaluation tables."""
        return type(self).__name__

    def get_params(self) -> dict[str, Any]:
        """The constructor's parameters and their current values."""
        names = [p for p in inspect.signature(type(self).__init__).parameters if p != "self"]
        return {p: getattr(self, p) for p in names}

    def set_params(self, **params: Any) -> Recommender:
        valid = self.get_params()
        for key, value in params.items():
            if key not in valid:
                raise ValueError(f"{self.name} has no parameter {key!r}; it has {sorted(valid)}")
            setattr(self, key, value)
        return self

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    def fit(self, X: sp.spmatrix) -> Recommender:
        """Learn from a users × items implicit-feedback matrix. Returns self."""
        self._validate_params()
        X = check_interactions(X)
        self.n_users_, self.n_items_ = X.shape
        self.train_ = X
        self._fit(X)
        return self

    def recommend(
        self,
        user_rows: np.ndarray | list[int],
        n: int = 10,
        exclude: sp.spmatrix | _UseSeen | None = SEEN,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-``n`` items for each user row, ranked over the full catalogue.

        ``exclude``: ``SEEN`` (default) leaves out each user's training items; ``None`` leaves
        nothing out; a sparse matrix with one row per *training user* (shape n_users × n_items)
        leaves out its non-zero entries for the requested rows (add ``model.train_`` to it to
        leave out the seen items as well).

        Returns ``(items, scores)``, both shaped [len(user_rows), n], best first. Where fewer than
        ``n`` items remain after exclusion the row is padded with item -1 and score -inf.
        """
        self._check_fitted()
        rows = _as_index(user_rows, self.n_users_, "user_rows")
        n = _check_n(n)
        if exclude is SEEN:
            mask = self.train_
        elif exclude is None:
            mask = None
        elif sp.issparse(exclude):
            if exclude.shape != (self.n_users_, self.n_items_):
                raise ValueError(
                    f"exclude must have one row per training user, shape "
                    f"{(self.n_users_, self.n_items_)}; got {exclude.shape}. Index it by user id, "
                    "not by the position in user_rows."
                )
            mask = exclude.tocsr()
        else:
            raise TypeError(f"exclude must be SEEN, None or a sparse matrix; got {type(exclude)}")
        out_items, out_scores = [], []
        for start in range(0, len(rows), _BATCH_USERS):
            chunk = rows[start : start + _BATCH_USERS]
            scores = self._user_scores(chunk)
            if mask is not None:
                local, pos = _row_positions(mask, chunk)
                scores[local, mask.indices[pos]] = -np.inf
            items, top = top_n(scores, n)
            out_items.append(items)
            out_scores.append(top)
        if not out_items:
            width = min(n, self.n_items_)
            return np.empty((0, width), np.int64), np.empty((0, width), np.float32)
        return np.vstack(out_items), np.vstack(out_scores)

    def similar_items(
        self, item_idx: np.ndarray | list[int], n: int = 10
    ) -> tuple[np.ndarray, np.ndarray]:
        """The ``n`` items most related to each item (the item itself left out).

        What "related" means depends on the model and is said in each class's docstring.
        Returns ``(items, scores)`` shaped [len(item_idx), n], best first.
        """
        self._check_fitted()
        idx = _as_index(item_idx, self.n_items_, "item_idx")
        n = _check_n(n)
        scores = self._item_scores(idx)
        scores[np.arange(len(idx)), idx] = -np.inf
        return top_n(scores, n)

    # helpers
    def _check_fitted(self) -> None:
        if not hasattr(self, "train_"):
            raise ValueError(
                f"This {self.name} is not fitted yet. Call 'fit' with a users × items matrix first."
            )

    def _validate_params(self) -> None:
        for key, rule in self._constraints.items():
            value = getattr(self, key)
            if not rule.accepts(value):
                raise ValueError(
                    f"The {key!r} parameter of {type(self).__name__} must be {rule}. "
                    f"Got {value!r} instead."
                )


def check_interactions(X: sp.spmatrix) -> sp.csr_matrix:
    """A clean float32 CSR copy of X: no explicit zeros, summed duplicates, sorted indices."""
    if not sp.issparse(X):
        raise TypeError(
            f"Expected a scipy.sparse users × items matrix, got {type(X).__name__}. "
            "Build one with shopkeeper.recommend.evaluate.interaction_matrix()."
        )
    X = sp.csr_matrix(X, dtype=np.float32, copy=True)
    X.sum_duplicates()
    X.eliminate_zeros()
    if X.nnz and (X.data.min() < 0 or not np.isfinite(X.data).all()):
        raise ValueError(
            "Interaction weights must be finite and positive (implicit feedback). "
            "Drop returns or map them to 0 before building the matrix."
        )
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"The interaction matrix is empty (shape {X.shape}).")
    X.sort_indices()
    return X


def top_n(scores: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Column indices and values of the ``n`` largest entries per row, best first.

    Entries equal to -inf are never returned: their slot becomes index -1. Among the chosen
    items, equal scores are ordered by item index; which of several items tied exactly at the
    cut-off makes the list is arbitrary (but the same for the same input).
    """
    u, m = scores.shape
    n = min(n, m)
    if n < m:
        part = np.argpartition(-scores, n - 1, axis=1)[:, :n]
    else:
        part = np.broadcast_to(np.arange(m), (u, m)).copy()
    vals = np.take_along_axis(scores, part, axis=1)
    order = np.lexsort((part, -vals), axis=1) if u else np.empty((0, n), np.int64)
    items = np.take_along_axis(part, order, axis=1).astype(np.int64)
    vals = np.take_along_axis(vals, order, axis=1).astype(np.float32)
    items[np.isneginf(vals)] = -1
    return items, vals


def _row_positions(X: sp.csr_matrix, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(output row, position in X.data/X.indices) of every stored entry of ``X[rows]``.

    Plain index arithmetic on ``indptr``: several times faster than ``X[rows]`` for the handful
    of rows a serving call asks for.
    """
    starts = X.indptr[rows]
    lengths = X.indptr[rows + 1] - starts
    offsets = np.zeros(len(rows) + 1, np.int64)
    np.cumsum(lengths, out=offsets[1:])
    pos = np.arange(offsets[-1]) - np.repeat(offsets[:-1] - starts, lengths)
    return np.repeat(np.arange(len(rows)), lengths), pos


def _select_rows(X: sp.csr_matrix, rows: np.ndarray) -> sp.csr_matrix:
    """``X[rows]`` for a CSR matrix, built directly from the index arrays."""
    local, pos = _row_positions(X, rows)
    indptr = np.zeros(len(rows) + 1, np.int64)
    np.cumsum(np.bincount(local, minlength=len(rows)), out=indptr[1:])
    return sp.csr_matrix((X.data[pos], X.indices[pos], indptr), shape=(len(rows), X.shape[1]))


def _as_index(values: np.ndarray | list[int], size: int, what: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1 or (arr.size and not np.issubdtype(arr.dtype, np.integer)):
        raise ValueError(f"{what} must be a 1-D array of integer positions; got {arr!r:.80}")
    if arr.size and (arr.min() < 0 or arr.max() >= size):
        raise IndexError(f"{what} must lie in [0, {size}); got values {arr.min()}..{arr.max()}")
    return arr.astype(np.int64)


def _check_n(n: int) -> int:
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise ValueError(f"n must be a positive int; got {n!r}")
    return int(n)


def _binary(X: sp.csr_matrix) -> sp.csr_matrix:
    B = X.copy()
    B.data[:] = 1.0
    return B


def _prune_columns(S: np.ndarray, k: int) -> sp.csc_matrix:
    """Keep the k largest positive entries of each column of a dense block."""
    rows, cols = S.shape
    k = min(k, rows)
    if k < rows:
        keep = np.argpartition(-S, k - 1, axis=0)[:k]
    else:
        keep = np.broadcast_to(np.arange(rows)[:, None], (rows, cols))
    vals = np.take_along_axis(S, keep, axis=0)
    col_idx = np.broadcast_to(np.arange(cols), keep.shape)
    pos = vals > 0
    return sp.csc_matrix((vals[pos], (keep[pos], col_idx[pos])), shape=(rows, cols))


# -- the models ---------------------------------------------------------------------------------


class TopPop(Recommender):
    """Most popular items first, the same list for every user.

    Popularity is the number of distinct training users of an item. ``similar_items`` returns
    the most popular other items: the non-personal fallback for cold-start users and items.
    """

    def __init__(self) -> None:
        pass

    def _fit(self, X: sp.csr_matrix) -> None:
        self.popularity_ = np.asarray(_binary(X).sum(axis=0)).ravel().astype(np.float32)

    def _user_scores(self, user_rows: np.ndarray) -> np.ndarray:
        return np.tile(self.popularity_, (len(user_rows), 1))

    def _item_scores(self, item_idx: np.ndarray) -> np.ndarray:
        return np.tile(self.popularity_, (len(item_idx), 1))


class ItemKNN(Recommender):
    """Item-based nearest neighbours: score(u, j) = Σ_i x_ui · sim(i, j) over j's k neighbours.

    Parameters
    ----------
    k : neighbours kept per item. Fewer neighbours means less noise from weakly related items;
        more neighbours helps sparse catalogues. Tune it (tens to hundreds).
    shrink : added to the cosine denominator, sim = <w_i, w_j> / (|w_i||w_j| + shrink). Pulls
        similarities computed from few co-occurrences towards 0.
    weighting : "cosine" uses the weights as they are; "bm25" first re-weights the matrix with
        Okapi BM25 (items as documents, users as terms), which down-weights heavy users and
        normalises item length, the strongest ItemKNN variant in several reproducibility studies.
    bm25_k1, bm25_b : the usual BM25 saturation and length-normalisation constants.

    ``similar_items(i)`` returns i's k nearest neighbours by that similarity.
    """

    _constraints: ClassVar = {
        "k": Interval(int, 1),
        "shrink": Interval(float, 0.0),
        "weighting": Options(("cosine", "bm25")),
        "bm25_k1": Interval(float, 0.0),
        "bm25_b": Interval(float, 0.0, 1.0),
    }

    def __init__(
        self,
        k: int = 100,
        shrink: float = 10.0,
        weighting: str = "cosine",
        bm25_k1: float = 1.2,
        bm25_b: float = 0.75,
    ) -> None:
        self.k = k
        self.shrink = shrink
        self.weighting = weighting
        self.bm25_k1 = bm25_k1
        self.bm25_b = bm25_b

    @property
    def name(self) -> str:
        return f"ItemKNN-{self.weighting}" if self.weighting != "cosine" else "ItemKNN"

    def _fit(self, X: sp.csr_matrix) -> None:
        W = bm25_weight(X, self.bm25_k1, self.bm25_b) if self.weighting == "bm25" else X
        W = W.tocsc()
        norms = np.sqrt(np.asarray(W.multiply(W).sum(axis=0)).ravel())
        Wt = W.T.tocsr()
        blocks = []
        n_items = X.shape[1]
        step = max(1, min(n_items, 2_000_000 // max(n_items, 1)))
        for start in range(0, n_items, step):
            stop = min(start + step, n_items)
            dots = (Wt @ W[:, start:stop]).toarray()
            sims = dots / (np.outer(norms, norms[start:stop]) + self.shrink + 1e-9)
            sims[np.arange(start, stop), np.arange(stop - start)] = 0.0
            blocks.append(_prune_columns(sims.astype(np.float32), self.k))
        # column j holds j's neighbours i with sim(i, j)
        self.similarity_ = sp.hstack(blocks, format="csr")

    def _user_scores(self, user_rows: np.ndarray) -> np.ndarray:
        return np.asarray(
            (_select_rows(self.train_, user_rows) @ self.similarity_).toarray(), np.float32
        )

    def _item_scores(self, item_idx: np.ndarray) -> np.ndarray:
        return np.asarray(self.similarity_[:, item_idx].T.toarray(), np.float32)


def bm25_weight(X: sp.csr_matrix, k1: float = 1.2, b: float = 0.75) -> sp.csr_matrix:
    """Okapi BM25 re-weighting of a users × items matrix, with items as the documents.

    w_ui = x_ui (k1 + 1) / (k1 · (1 - b + b · len_i / avg_len) + x_ui) · idf_u, where len_i is
    item i's total weight and idf_u = log(n_items / (1 + items of user u)), floored at 0.
    """
    C = X.tocoo(copy=True)
    n_items = X.shape[1]
    df = np.bincount(C.row, minlength=X.shape[0])
    idf = np.maximum(np.log(n_items / (1.0 + df)), 0.0)
    length = np.asarray(X.sum(axis=0)).ravel()
    norm = (1.0 - b) + b * length / max(length.mean(), 1e-12)
    C.data = C.data * (k1 + 1.0) / (k1 * norm[C.col] + C.data) * idf[C.row]
    return C.tocsr().astype(np.float32)


class EASE(Recommender):
    """Embarrassingly Shallow Autoencoder (Steck 2019): an item × item weight matrix B.

    B minimises ||X - XB||² + l2·||B||² with diag(B) = 0, solved in closed form:
    P = (XᵀX + l2·I)⁻¹, B_ij = -P_ij / P_jj, B_jj = 0. score(u, ·) = x_u B.

    Parameters
    ----------
    l2 : ridge penalty. The one knob: larger values shrink B towards popularity-like smooth
        weights, smaller ones fit co-occurrence more closely (and overfit on small data).
        Typical values are 10² to 10³ for MovieLens-sized data; tune it.

    Cost: one dense n_items × n_items inverse, so memory O(n_items²), fine to ~20k items.
    ``similar_items(i)`` ranks items j by B_ij: how much having i raises the score of j.
    """

    _constraints: ClassVar = {"l2": Interval(float, 0.0, open_low=True)}

    def __init__(self, l2: float = 500.0) -> None:
        self.l2 = l2

    def _fit(self, X: sp.csr_matrix) -> None:
        G = (X.T @ X).toarray().astype(np.float64)
        G[np.diag_indices_from(G)] += self.l2
        # G is symmetric positive definite: invert through its Cholesky factor (LAPACK potrf +
        # potri), about twice as fast as a general inverse.
        factor, info = scipy.linalg.lapack.dpotrf(G, lower=False, overwrite_a=True)
        if info == 0:
            upper, info = scipy.linalg.lapack.dpotri(factor, lower=False, overwrite_c=True)
        if info != 0:
            raise ValueError(f"EASE could not invert XᵀX + l2·I (LAPACK info {info}); raise l2.")
        P = np.triu(upper) + np.triu(upper, 1).T
        B = P / (-np.diag(P))
        B[np.diag_indices_from(B)] = 0.0
        self.weights_ = B.astype(np.float32)

    def _user_scores(self, user_rows: np.ndarray) -> np.ndarray:
        return np.asarray(_select_rows(self.train_, user_rows) @ self.weights_, np.float32)

    def _item_scores(self, item_idx: np.ndarray) -> np.ndarray:
        return self.weights_[item_idx].copy()


class RP3Beta(Recommender):
    """RP3β (Paudel et al. 2017): random-walk transition probabilities, popularity-discounted.

    W_ij = [(P_iu)^α (P_ui)^α]_ij / pop_j^β, where P_ui is the row-normalised user → item matrix,
    P_iu the row-normalised item → user matrix and pop_j item j's number of users. Each row keeps
    its k largest entries and is then L1-normalised. score(u, ·) = x_u W.

    Parameters
    ----------
    alpha : exponent on the transition probabilities; < 1 flattens them (less weight to the
        strongest links), > 1 sharpens them.
    beta : popularity discount. 0 gives plain P³α random walks (popular items dominate); around
        0.3 to 0.7 trades a little accuracy on the head for much better coverage of the tail.
    k : neighbours kept per item.

    ``similar_items(i)`` ranks items j by W_ij, the discounted probability of walking i → j.
    """

    _constraints: ClassVar = {
        "alpha": Interval(float, 0.0, open_low=True),
        "beta": Interval(float, 0.0),
        "k": Interval(int, 1),
    }

    def __init__(self, alpha: float = 1.0, beta: float = 0.5, k: int = 200) -> None:
        self.alpha = alpha
        self.beta = beta
        self.k = k

    def _fit(self, X: sp.csr_matrix) -> None:
        Pui = _row_normalise(X)
        Xb = _binary(X).T.tocsr()
        Piu = _row_normalise(Xb)
        if self.alpha != 1.0:
            Pui = Pui.power(self.alpha)
            Piu = Piu.power(self.alpha)
        pop = np.asarray(Xb.sum(axis=1)).ravel()
        discount = np.zeros_like(pop, dtype=np.float64)
        discount[pop > 0] = np.power(pop[pop > 0], -self.beta)
        n_items = X.shape[1]
        step = max(1, min(n_items, 2_000_000 // max(n_items, 1)))
        blocks = []
        for start in range(0, n_items, step):
            stop = min(start + step, n_items)
            block = (Piu[start:stop] @ Pui).toarray() * discount[None, :]
            block[np.arange(stop - start), np.arange(start, stop)] = 0.0
            # prune each row: transpose so rows become columns for _prune_columns
            blocks.append(_prune_columns(block.T.astype(np.float32), self.k).T)
        W = sp.vstack(blocks, format="csr")
        self.weights_ = _row_normalise(W)

    def _user_scores(self, user_rows: np.ndarray) -> np.ndarray:
        return np.asarray(
            (_select_rows(self.train_, user_rows) @ self.weights_).toarray(), np.float32
        )

    def _item_scores(self, item_idx: np.ndarray) -> np.ndarray:
        return np.asarray(self.weights_[item_idx].toarray(), np.float32)


def _row_normalise(X: sp.spmatrix) -> sp.csr_matrix:
    X = sp.csr_matrix(X, dtype=np.float32)
    sums = np.asarray(X.sum(axis=1)).ravel()
    inv = np.zeros_like(sums)
    inv[sums > 0] = 1.0 / sums[sums > 0]
    return sp.diags(inv.astype(np.float32)) @ X


class _Factorisation(Recommender):
    """Shared scoring for the latent-factor models: score(u, i) = <p_u, q_i>.

    ``similar_items(i)`` is the cosine between item factor vectors.
    """

    def _user_scores(self, user_rows: np.ndarray) -> np.ndarray:
        return np.asarray(self.user_factors_[user_rows] @ self.item_factors_.T, np.float32)

    def _item_embeddings(self) -> np.ndarray:
        return self.item_factors_

    def _item_scores(self, item_idx: np.ndarray) -> np.ndarray:
        E = self._item_embeddings()
        norms = np.linalg.norm(E, axis=1)
        norms[norms == 0] = 1.0
        E = E / norms[:, None]
        return np.asarray(E[item_idx] @ E.T, np.float32)

    def _fit_implicit(self, make_model: Any, X: sp.csr_matrix) -> None:
        # implicit parallelises itself; a multi-threaded BLAS underneath it slows it down (and
        # makes implicit warn when the model is built), so BLAS runs single-threaded meanwhile.
        with threadpool_limits(limits=1, user_api="blas"):
            model = make_model()
            model.fit(X, show_progress=False)
        self.user_factors_ = np.asarray(model.user_factors, np.float32)
        self.item_factors_ = np.asarray(model.item_factors, np.float32)


class ALS(_Factorisation):
    """Implicit-feedback ALS (Hu, Koren & Volinsky 2008) via ``implicit`` (CPU).

    Minimises Σ c_ui (p_ui - x_uᵀy_i)² + λ(|x|² + |y|²) with preference p = 1 where the user
    interacted and confidence c_ui = 1 + alpha · weight_ui.

    Parameters
    ----------
    factors : latent dimensions. More capture finer taste at the cost of overfitting small data.
    regularization : λ, the L2 penalty on the factors.
    iterations : ALS sweeps; 10 to 20 usually converge.
    alpha : confidence scale on the weights. Larger trusts observed interactions more relative
        to the unobserved zeros.
    random_state : seed for the factor initialisation; fixed by default so runs are repeatable.
    num_threads : threads for the solver. Each user/item solve is independent, so results do
        not depend on it.
    """

    _constraints: ClassVar = {
        "factors": Interval(int, 1),
        "regularization": Interval(float, 0.0),
        "iterations": Interval(int, 1),
        "alpha": Interval(float, 0.0, open_low=True),
        "random_state": OptionalSeed(),
        "num_threads": Interval(int, 1),
    }

    def __init__(
        self,
        factors: int = 64,
        regularization: float = 0.05,
        iterations: int = 15,
        alpha: float = 1.0,
        random_state: int | None = 42,
        num_threads: int = 1,
    ) -> None:
        self.factors = factors
        self.regularization = regularization
        self.iterations = iterations
        self.alpha = alpha
        self.random_state = random_state
        self.num_threads = num_threads

    def _fit(self, X: sp.csr_matrix) -> None:
        from implicit.cpu.als import AlternatingLeastSquares

        self._fit_implicit(
            lambda: AlternatingLeastSquares(
                factors=self.factors,
                regularization=self.regularization,
                alpha=self.alpha,
                iterations=self.iterations,
                random_state=self.random_state,
                num_threads=self.num_threads,
            ),
            X,
        )


class BPR(_Factorisation):
    """Bayesian Personalised Ranking matrix factorisation (Rendle et al. 2009) via ``implicit``.

    SGD on log σ(score(u, i) - score(u, j)) for an item i the user has and a sampled item j they
    do not; weights only say whether an interaction exists. ``implicit`` adds an item bias.

    Parameters
    ----------
    factors : latent dimensions.
    learning_rate : SGD step size.
    regularization : L2 penalty on the factors.
    iterations : epochs over the interactions. implicit's SGD peaks and then overfits (on
        MovieLens-100k after ~50 to 100 epochs at learning_rate 0.01), so tune it like early
        stopping, on a validation split.
    random_state : seed for initialisation and negative sampling.
    num_threads : with 1 (default) a fixed seed gives identical results; more threads run
        lock-free (Hogwild) SGD, faster but not bit-for-bit repeatable.
    """

    _constraints: ClassVar = {
        "factors": Interval(int, 1),
        "learning_rate": Interval(float, 0.0, open_low=True),
        "regularization": Interval(float, 0.0),
        "iterations": Interval(int, 1),
        "random_state": OptionalSeed(),
        "num_threads": Interval(int, 1),
    }

    def __init__(
        self,
        factors: int = 64,
        learning_rate: float = 0.01,
        regularization: float = 0.01,
        iterations: int = 100,
        random_state: int | None = 42,
        num_threads: int = 1,
    ) -> None:
        self.factors = factors
        self.learning_rate = learning_rate
        self.regularization = regularization
        self.iterations = iterations
        self.random_state = random_state
        self.num_threads = num_threads

    def _fit(self, X: sp.csr_matrix) -> None:
        from implicit.cpu.bpr import BayesianPersonalizedRanking

        self._fit_implicit(
            lambda: BayesianPersonalizedRanking(
                factors=self.factors,
                learning_rate=self.learning_rate,
                regularization=self.regularization,
                iterations=self.iterations,
                random_state=self.random_state,
                num_threads=self.num_threads,
            ),
            X,
        )

    def _item_embeddings(self) -> np.ndarray:
        return self.item_factors_[:, :-1]  # the last column is implicit's item bias


MODELS: Final[dict[str, type[Recommender]]] = {
    cls.__name__: cls for cls in (TopPop, ItemKNN, EASE, RP3Beta, ALS, BPR)
}
"""Every recommender by class name."""
