"""Serving recommendations to the store's customers: exclusions, stock, margin, explanations
that name real co-purchases, cold start by content, and bought-together rules."""

from __future__ import annotations

import pandas as pd
import pytest

from shopkeeper.recommend import (
    RecommendError,
    ServingRules,
    bought_together,
    load_recommender,
    recommend_for_customer,
    save_recommender,
    shop_interactions,
    similar_products,
    stored_or_trained,
    train,
)

TS = pd.Timestamp
BASKETS = {  # order -> (customer, products)
    "o1": ("u1", ["A", "B"]), "o2": ("u2", ["A", "B", "C"]), "o3": ("u3", ["A", "C"]),
    "o4": ("u4", ["B", "D"]), "o5": ("u2", ["D", "E"]), "o6": ("u3", ["B", "E"]),
    "o7": ("u5", ["A", "B", "C"]), "o8": ("u1", ["F"]),
}
PRODUCTS = [  # id, title, category, price, unit cost, on hand
    ("A", "White ceramic mug", "kitchen", 10.0, 4.0, 5),
    ("B", "Blue ceramic mug", "kitchen", 10.0, 9.5, 5),  # 5% margin
    ("C", "Red heart lantern", "home", 20.0, 8.0, 5),
    ("D", "Coffee beans 1kg", "coffee", 15.0, 6.0, 5),
    ("E", "Wooden cake stand", "kitchen", 25.0, 10.0, 0),  # out of stock
    ("F", "Green ceramic mug", "kitchen", 10.0, 4.0, 5),
    ("G", "Yellow ceramic coffee mug", "kitchen", 12.0, 5.0, 9),  # new: nobody bought it yet
]


@pytest.fixture
def store(warehouse):
    orders, lines = [], []
    for n, (oid, (cid, items)) in enumerate(BASKETS.items()):
        orders.append((oid, cid, TS("2024-01-01", tz="UTC") + pd.Timedelta(days=n), "completed"))
        lines += [(oid, i + 1, pid, 1, 10.0) for i, pid in enumerate(items)]
    products = pd.DataFrame([p[:5] for p in PRODUCTS],
                            columns=["product_id", "title", "category", "price", "unit_cost"])
    stock = pd.DataFrame([(p[0], p[5]) for p in PRODUCTS], columns=["product_id", "on_hand"])
    stock["location"], stock["snapshot_at"] = "main", TS("2024-02-01", tz="UTC")
    refunds = pd.DataFrame([("r1", "o1", "B", "u1", 1, 10.0, TS("2024-01-05", tz="UTC"),
                             "return")],
                           columns=["refund_id", "order_id", "product_id", "customer_id",
                                    "quantity", "amount", "refunded_at", "kind"])
    with warehouse.transaction():
        warehouse.insert_df("orders", pd.DataFrame(orders, columns=[
            "order_id", "customer_id", "ordered_at", "status"]))
        warehouse.insert_df("order_lines", pd.DataFrame(lines, columns=[
            "order_id", "line_number", "product_id", "quantity", "unit_price"]))
        warehouse.insert_df("products", products)
        warehouse.insert_df("inventory_snapshots", stock)
        warehouse.insert_df("refunds", refunds)
    return warehouse


def test_returned_items_are_removed_from_interactions(store):
    frame = shop_interactions(store)
    assert not ((frame["customer_id"] == "u1") & (frame["product_id"] == "B")).any()
    negative = shop_interactions(store, returns="negative")
    row = negative[(negative["customer_id"] == "u1") & (negative["product_id"] == "B")]
    assert row["weight"].iloc[0] < 0


@pytest.mark.parametrize("model", ["TopPop", "ItemKNN", "EASE", "RP3Beta", "ALS"])
def test_never_bought_or_out_of_stock(store, model):
    trained = train(store, model=model, params={"factors": 4} if model == "ALS" else None)
    for customer in ("u1", "u2", "u3", "u4", "u5", "someone-new"):
        picks = recommend_for_customer(trained, customer, n=10)
        bought = {p for cid, items in BASKETS.values() if cid == customer for p in items}
        ids = {r.product_id for r in picks}
        assert not ids & bought, (customer, ids & bought)
        assert "E" not in ids  # out of stock


def test_consumables_margin_floor_and_diversity(store):
    trained = train(store)
    again = recommend_for_customer(trained, "u4", n=10,
                                   rules=ServingRules(consumable_categories=("coffee",)))
    assert "D" in {r.product_id for r in again}  # coffee beans may be bought again
    margin = recommend_for_customer(trained, "u3", n=10, rules=ServingRules(margin_floor=0.3))
    assert "B" not in {r.product_id for r in margin}  # 5% margin
    one_each = recommend_for_customer(trained, "u4", n=10,
                                      rules=ServingRules(max_per_category=1))
    cats = [r.category for r in one_each]
    assert len(cats) == len(set(cats))


def test_explanations_name_a_real_co_purchase(store):
    trained = train(store)
    for customer in ("u1", "u3", "u4"):
        for r in recommend_for_customer(trained, customer, n=5):
            if r.reason == "popular":
                continue
            assert r.reason.startswith("bought with ")
            history = {p for cid, items in BASKETS.values() if cid == customer for p in items}
            assert r.because in history
            assert any({r.because, r.product_id} <= set(items) for _, items in BASKETS.values())
            title = dict((p[0], p[1]) for p in PRODUCTS)[r.because]
            assert r.reason == f"bought with {title}"


def test_cold_start_products_get_content_neighbours(store):
    trained = train(store)
    similar = similar_products(trained, "G", n=3, wh=store)
    assert all(r.reason == "similar to Yellow ceramic coffee mug" for r in similar)
    assert {r.product_id for r in similar[:2]} <= {"A", "B", "F", "D"}  # mugs and coffee first
    with pytest.raises(RecommendError, match="no product"):
        similar_products(trained, "ZZZ", wh=store)


def test_bought_together_support_confidence_lift(store):
    rules = bought_together(store, min_support=2, min_lift=0.0)
    ab = rules[(rules["antecedent"] == "A") & (rules["consequent"] == "C")].iloc[0]
    # 8 orders; A in 4, C in 3, both in 3 (o2, o3, o7)
    assert ab["support"] == 3 and ab["confidence"] == pytest.approx(3 / 4)
    assert ab["lift"] == pytest.approx(3 * 8 / (4 * 3))


def test_store_evaluation_needs_history_before_the_test_weeks(store):
    from shopkeeper.recommend import evaluate_store

    with pytest.raises(RecommendError, match="cannot split"):
        evaluate_store(store, test_weeks=1)  # all 8 orders fall within the last week


@pytest.mark.parametrize("model", ["TopPop", "ItemKNN", "EASE", "RP3Beta", "ALS", "BPR"])
def test_a_stored_model_serves_what_the_trained_one_did(store, tmp_path, model):
    params = {"factors": 4} if model in ("ALS", "BPR") else None
    trained = train(store, model=model, params=params)
    path = save_recommender(trained, tmp_path / "rec.npz")
    loaded = load_recommender(path, store)
    assert loaded.model == model and loaded.recommender.purchases_until is not None
    for customer in ("u1", "u2", "u3", "someone-new"):
        assert recommend_for_customer(loaded.recommender, customer) == \
            recommend_for_customer(trained, customer)
    assert similar_products(loaded.recommender, "A", wh=store) == \
        similar_products(trained, "A", wh=store)


def test_a_stored_model_sees_todays_stock_and_says_when_it_is_stale(store, tmp_path):
    path = save_recommender(train(store, model="EASE"), tmp_path / "rec.npz")
    rec, fresh = stored_or_trained(store, path)
    assert "newer orders" not in fresh
    assert "C" in {r.product_id for r in recommend_for_customer(rec, "u4")}
    with store.transaction() as con:
        con.execute("UPDATE inventory_snapshots SET on_hand = 0 WHERE product_id = 'C'")
        store.insert_df("orders", pd.DataFrame([("o9", "u4", TS("2024-03-01", tz="UTC"),
                                                 "completed")],
                                               columns=["order_id", "customer_id",
                                                        "ordered_at", "status"]))
    rec, note = stored_or_trained(store, path)
    assert "1 newer orders" in note
    assert "C" not in {r.product_id for r in recommend_for_customer(rec, "u4")}
    _, other = stored_or_trained(store, path, model="TopPop")
    assert other.startswith("TopPop trained now")


def test_a_missing_or_foreign_model_file_is_a_clear_error(store, tmp_path):
    with pytest.raises(RecommendError, match="recommend train"):
        load_recommender(tmp_path / "none.npz", store)
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a model")
    with pytest.raises(RecommendError, match="not a Shopkeeper recommender file"):
        load_recommender(bad, store)


def test_train_then_serve_from_the_command_line(store, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from shopkeeper.cli import app

    path = str(store.path)
    store.close()
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SHOPKEEPER_CONFIG", raising=False)
    monkeypatch.setenv("SHOPKEEPER_MODEL_DIR", str(tmp_path / "models"))
    runner = CliRunner()
    trained = runner.invoke(app, ["-w", path, "recommend", "train", "--model", "ItemKNN"])
    assert trained.exit_code == 0, trained.output
    assert "ItemKNN: 5 customers × 6 products" in trained.output
    assert (tmp_path / "models" / "recommender.npz").exists()
    served = runner.invoke(app, ["-w", path, "recommend", "for-customer", "u4"])
    assert served.exit_code == 0, served.output
    assert "model: ItemKNN from" in served.output and "C Red heart lantern" in served.output
    unknown = runner.invoke(app, ["-w", path, "recommend", "train", "--model", "Magic"])
    assert unknown.exit_code != 0 and "unknown model 'Magic'" in unknown.output
