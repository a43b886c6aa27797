"""Recommenders and their evaluation protocol, on matrices small enough to check by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from shopkeeper.recommend import (
    ALS,
    BPR,
    EASE,
    SEEN,
    ItemKNN,
    RP3Beta,
    TopPop,
    evaluate,
    grid_search,
    interaction_matrix,
    leave_one_out,
    random_holdout,
    random_split,
    temporal_split,
)
from shopkeeper.recommend.evaluate import (
    arp,
    coverage,
    gini,
    hit_rate,
    ndcg,
    precision,
    recall,
)
from tests.conftest import shared_file

# Two "bundles" that are always bought together (0+1 and 2+3), and item 4 bought alone.
BUNDLES = sp.csr_matrix(
    np.array(
        [
            [1, 1, 0, 0, 0],
            [1, 1, 0, 0, 1],
            [1, 1, 0, 0, 0],
            [0, 0, 1, 1, 0],
            [0, 0, 1, 1, 0],
            [0, 0, 1, 1, 1],
            [1, 0, 0, 0, 0],
            [0, 0, 1, 0, 0],
        ],
        dtype=np.float32,
    )
)


def small_models():
    return [
        TopPop(),
        ItemKNN(k=3, shrink=0.0),
        ItemKNN(k=3, shrink=0.0, weighting="bm25"),
        EASE(l2=1.0),
        RP3Beta(alpha=1.0, beta=0.5, k=3),
        ALS(factors=4, iterations=3, regularization=0.1),
        BPR(factors=4, iterations=5),
    ]


def random_matrix(users=30, items=12, density=0.3, seed=0) -> sp.csr_matrix:
    rng = np.random.default_rng(seed)
    dense = (rng.random((users, items)) < density).astype(np.float32)
    dense[np.arange(users), rng.integers(0, items, users)] = 1.0  # nobody is empty
    return sp.csr_matrix(dense)


# -- models -------------------------------------------------------------------------------------


def test_ease_closed_form_equals_per_item_ridge_regressions():
    X = random_matrix(users=25, items=7, density=0.4, seed=3)
    l2 = 2.5
    model = EASE(l2=l2).fit(X)
    D = X.toarray().astype(np.float64)
    expected = np.zeros((7, 7))
    for j in range(7):
        others = [i for i in range(7) if i != j]
        A = D[:, others]
        expected[others, j] = np.linalg.solve(A.T @ A + l2 * np.eye(6), A.T @ D[:, j])
    np.testing.assert_allclose(model.weights_, expected, rtol=1e-4, atol=1e-6)
    assert np.all(np.diag(model.weights_) == 0)


@pytest.mark.parametrize(
    "model",
    [ItemKNN(k=3, shrink=0.0), ItemKNN(k=3, weighting="bm25"), EASE(l2=1.0), RP3Beta(k=3)],
    ids=lambda m: m.name,
)
def test_similar_items_follow_obvious_co_occurrence(model):
    model.fit(BUNDLES)
    items, scores = model.similar_items(np.array([0, 1, 2, 3]), n=2)
    assert items[:, 0].tolist() == [1, 0, 3, 2]
    assert (scores[:, 0] > scores[:, 1]).all()
    assert not (items == np.array([[0], [1], [2], [3]])).any()  # never the item itself


def test_item_knn_recommends_the_missing_half_of_a_bundle():
    model = ItemKNN(k=2, shrink=0.0).fit(BUNDLES)
    items, _ = model.recommend(np.array([6, 7]), n=1)  # user 6 has item 0, user 7 has item 2
    assert items[:, 0].tolist() == [1, 3]


@pytest.mark.parametrize("model", small_models(), ids=lambda m: m.name)
def test_seen_items_are_never_recommended(model):
    X = random_matrix()
    model.fit(X)
    users = np.arange(X.shape[0])
    items, scores = model.recommend(users, n=X.shape[1])
    for u in users:
        seen = set(X[u].indices)
        got = items[u][items[u] >= 0]
        assert not seen & set(got.tolist())
        assert len(got) == X.shape[1] - len(seen)  # everything else is ranked (full ranking)
        assert np.all(np.diff(scores[u][items[u] >= 0]) <= 0)  # best first
        assert np.all(np.isneginf(scores[u][items[u] < 0]))


def test_exclude_none_and_custom_exclusions():
    X = random_matrix()
    model = EASE(l2=5.0).fit(X)
    everything, _ = model.recommend(np.arange(5), n=X.shape[1], exclude=None)
    assert (everything >= 0).all()
    out_of_stock = sp.csr_matrix(np.tile(np.eye(1, X.shape[1], 3), (X.shape[0], 1)))
    items, _ = model.recommend(np.arange(X.shape[0]), n=X.shape[1], exclude=out_of_stock)
    assert not (items == 3).any()
    with pytest.raises(ValueError, match="one row per training user"):
        model.recommend(np.arange(2), exclude=sp.csr_matrix((2, X.shape[1])))


def test_top_pop_orders_by_number_of_users():
    counts = [5, 3, 4, 1, 2]  # users per item
    rows = [(u, i) for i, c in enumerate(counts) for u in range(c)]
    X = sp.csr_matrix(
        (np.ones(len(rows)), ([r for r, _ in rows], [c for _, c in rows])), shape=(6, 5)
    )
    model = TopPop().fit(X)
    items, scores = model.recommend(np.array([5]), n=5)  # user 5 has nothing
    assert items[0].tolist() == [0, 2, 1, 4, 3]
    assert scores[0].tolist() == [5, 4, 3, 2, 1]
    items, _ = model.recommend(np.array([0]), n=5)  # user 0 has every item: nothing is left
    assert (items[0] == -1).all()


@pytest.mark.parametrize(
    "make",
    [
        lambda: ALS(factors=8, iterations=5, random_state=7),
        lambda: BPR(factors=8, iterations=20, random_state=7),
    ],
    ids=["ALS", "BPR"],
)
def test_factor_models_have_valid_shapes_and_are_deterministic(make):
    X = random_matrix(users=40, items=15)
    first, second = make().fit(X), make().fit(X)
    np.testing.assert_array_equal(first.item_factors_, second.item_factors_)
    items_a, scores_a = first.recommend(np.arange(40), n=5)
    items_b, scores_b = second.recommend(np.arange(40), n=5)
    assert items_a.shape == scores_a.shape == (40, 5)
    np.testing.assert_array_equal(items_a, items_b)
    assert ((items_a >= 0) & (items_a < 15)).all()
    similar, _ = first.similar_items(np.array([0, 1]), n=3)
    assert similar.shape == (2, 3) and 0 not in similar[0] and 1 not in similar[1]


def test_parameters_are_validated_with_a_message_that_says_what_is_allowed():
    with pytest.raises(ValueError, match=r"'k' parameter of ItemKNN must be an int in the range"):
        ItemKNN(k=0).fit(BUNDLES)
    with pytest.raises(ValueError, match="'weighting' parameter of ItemKNN must be one of"):
        ItemKNN(weighting="tfidf").fit(BUNDLES)
    with pytest.raises(ValueError, match=r"'l2' parameter of EASE .* \(0, inf\)"):
        EASE(l2=0).fit(BUNDLES)
    with pytest.raises(ValueError, match="not fitted yet. Call 'fit'"):
        EASE().recommend([0])
    with pytest.raises(ValueError, match="positive"):
        TopPop().fit(sp.csr_matrix(np.array([[1.0, -1.0]])))
    assert repr(EASE(l2=3.0)) == "EASE(l2=3.0)"
    assert SEEN is not None


# -- metrics ------------------------------------------------------------------------------------

# Three users ranked over 8 items; hand-computed below.
RECOMMENDED = np.array([[0, 1, 2, 3], [4, 2, 0, 1], [0, 1, 2, 3], [5, 6, 7, -1]])
RELEVANT = sp.csr_matrix(
    (np.ones(6), ([0, 0, 0, 1, 2, 3], [1, 3, 5, 2, 6, 5])), shape=(4, 8)
)  # user 0: {1, 3, 5}, user 1: {2}, user 2: {6}, user 3: {5}
TRAIN = sp.csr_matrix((np.ones(3), ([0, 1, 2], [0, 0, 4])), shape=(4, 8))


def test_metrics_match_a_hand_computed_example():
    l2 = math.log2
    ndcg_0 = (1 / l2(3) + 1 / l2(5)) / (1 + 1 / l2(3) + 1 / l2(4))
    ndcg_1 = (1 / l2(3)) / 1
    ndcg_3 = 1.0
    assert recall(RECOMMENDED, RELEVANT, TRAIN, 4) == pytest.approx((2 / 3 + 1 + 0 + 1) / 4)
    assert precision(RECOMMENDED, RELEVANT, TRAIN, 4) == pytest.approx((2 / 4 + 1 / 4 + 1 / 4) / 4)
    assert hit_rate(RECOMMENDED, RELEVANT, TRAIN, 4) == pytest.approx(3 / 4)
    assert ndcg(RECOMMENDED, RELEVANT, TRAIN, 4) == pytest.approx((ndcg_0 + ndcg_1 + ndcg_3) / 4)
    # at K=2, user 0 has 1 hit of min(2, 3) possible, user 1 one hit at rank 2
    assert recall(RECOMMENDED, RELEVANT, TRAIN, 2) == pytest.approx((1 / 3 + 1 + 0 + 1) / 4)
    assert ndcg(RECOMMENDED, RELEVANT, TRAIN, 2) == pytest.approx(
        ((1 / l2(3)) / (1 + 1 / l2(3)) + 1 / l2(3) + 0 + 1) / 4
    )
    assert coverage(RECOMMENDED, RELEVANT, TRAIN, 4) == pytest.approx(8 / 8)
    assert coverage(RECOMMENDED, RELEVANT, TRAIN, 1) == pytest.approx(3 / 8)  # {0, 4, 5}


def test_users_without_test_items_are_not_averaged():
    relevant = RELEVANT.tolil()
    relevant[2, 6] = 0
    relevant = relevant.tocsr()
    relevant.eliminate_zeros()
    assert hit_rate(RECOMMENDED, relevant, TRAIN, 4) == pytest.approx(1.0)


def test_popularity_bias_metrics():
    # item 0 is held by 2 of 4 training users, item 4 by 1: ARP@1 over users 0..3
    pop = {0: 2 / 4, 4: 1 / 4, 5: 0.0}
    assert arp(RECOMMENDED, RELEVANT, TRAIN, 1) == pytest.approx(
        (pop[0] + pop[4] + pop[0] + pop[5]) / 4
    )
    equal = np.arange(8).reshape(8, 1)
    assert gini(equal, RELEVANT, TRAIN, 1) == pytest.approx(0.0)
    one = np.zeros((8, 1), dtype=int)
    assert gini(one, RELEVANT, TRAIN, 1) == pytest.approx(7 / 8)  # n-1/n for one item of n


# -- splits -------------------------------------------------------------------------------------


def test_random_split_is_per_user_disjoint_and_seeded():
    X = random_matrix(users=50, items=40, density=0.5)
    train, valid, test = random_split(X, (0.8, 0.1, 0.1), seed=4)
    n = np.diff(X.indptr)
    assert (np.diff(test.indptr) == np.floor(0.1 * n)).all()
    assert (np.diff(valid.indptr) == np.floor(0.1 * n)).all()
    assert (train + valid + test != X).nnz == 0
    assert train.multiply(test).nnz == 0 and valid.multiply(test).nnz == 0
    again = random_split(X, (0.8, 0.1, 0.1), seed=4)[2]
    assert (again != test).nnz == 0
    assert (random_split(X, (0.8, 0.1, 0.1), seed=5)[2] != test).nnz > 0
    split = random_holdout(X, 0.1, seed=4, valid_fraction=0.1)
    assert (split.test != test).nnz == 0 and "80/10/10" in split.protocol


def test_leave_one_out_holds_out_the_latest_interaction():
    X = sp.csr_matrix(np.array([[1, 1, 1, 0], [0, 1, 0, 0], [1, 0, 0, 1]], dtype=np.float32))
    times = X.copy()
    times.data = np.array([10, 30, 20, 5, 7, 3], dtype=np.float32)
    split = leave_one_out(X, timestamps=times)
    assert split.test.toarray().tolist() == [[0, 1, 0, 0], [0, 0, 0, 0], [1, 0, 0, 0]]
    assert (split.train + split.test != X).nnz == 0


def test_temporal_split_has_no_test_interaction_before_the_cutoff():
    rng = np.random.default_rng(1)
    n = 400
    events = pd.DataFrame(
        {
            "customer": rng.integers(0, 20, n).astype(str),
            "sku": rng.integers(0, 15, n).astype(str),
            "ts": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 90, n), "D"),
        }
    )
    cutoff = pd.Timestamp("2024-03-01")
    split = temporal_split(events, cutoff, "customer", "sku", "ts", drop_seen=False)
    before = events[events.ts < cutoff]
    after = events[events.ts >= cutoff]
    before_pairs = set(zip(before.customer, before.sku, strict=True))
    after_pairs = set(zip(after.customer, after.sku, strict=True))
    r, c = split.test.nonzero()
    test_pairs = {(split.users[u], split.items[i]) for u, i in zip(r, c, strict=True)}
    assert test_pairs and test_pairs <= after_pairs
    r, c = split.train.nonzero()
    assert {(split.users[u], split.items[i]) for u, i in zip(r, c, strict=True)} == before_pairs
    assert split.train.sum() == len(before)  # every training event counted once
    # by default a test item the user already had is not a test item (it would be excluded)
    fresh = temporal_split(events, cutoff, "customer", "sku", "ts")
    assert fresh.test.multiply(fresh.train).nnz == 0
    assert fresh.info["dropped_already_seen"] == split.test.nnz - fresh.test.nnz
    assert "2024-03-01" in fresh.protocol


def test_interaction_matrix_sums_weights_per_pair():
    events = pd.DataFrame({"u": ["a", "a", "b"], "i": ["x", "x", "y"], "w": [1.0, 2.0, 5.0]})
    X, users, items = interaction_matrix(events, "u", "i", "w")
    assert X.toarray().tolist() == [[3.0, 0.0], [0.0, 5.0]]
    assert users.tolist() == ["a", "b"] and items.tolist() == ["x", "y"]
    with pytest.raises(ValueError, match="missing"):
        interaction_matrix(events, "user", "i")


def test_evaluate_and_grid_search_tables():
    X = random_matrix(users=60, items=20, density=0.35, seed=2)
    split = random_holdout(X, 0.2, seed=1, valid_fraction=0.2)
    table = evaluate([TopPop(), EASE(l2=10.0)], split)
    assert table["model"].tolist() == ["TopPop", "EASE"]
    assert {
        "NDCG@10",
        "Recall@10",
        "Recall@20",
        "HR@10",
        "Coverage@10",
        "ARP@10",
        "Gini@10",
        "fit_s",
        "recs_per_s",
    } <= set(table.columns)
    assert "random per-user holdout" in table.attrs["protocol"]
    best, trials = grid_search(EASE(), {"l2": [1.0, 10.0, 100.0]}, split.for_tuning())
    assert best["l2"] in (1.0, 10.0, 100.0) and len(trials) == 3
    assert trials.iloc[0]["l2"] == best["l2"]


# -- real data ----------------------------------------------------------------------------------


def test_ease_beats_top_pop_on_real_movielens_100k():
    path = shared_file("recsys/ml-100k/u.data")
    ratings = pd.read_csv(path, sep="\t", names=["user", "item", "rating", "ts"])
    X, _, _ = interaction_matrix(ratings, "user", "item")
    assert X.shape == (943, 1682) and X.nnz == 100_000
    split = random_holdout(X, 0.2, seed=0)
    table = evaluate([TopPop(), EASE(l2=300.0)], split).set_index("model")
    assert table.loc["EASE", "Recall@10"] >= 0.185  # the published EASE figure (see bench)
    assert table.loc["EASE", "Recall@10"] >= 1.8 * table.loc["TopPop", "Recall@10"]
