"""The synthetic store generator: reproducible, loadable without rejects, and realistic."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import pytest

from shopkeeper.store.generate import GENERATED_TABLES, generate_store, write_order_lines_csv
from shopkeeper.store.ingest.loader import ingest
from shopkeeper.store.warehouse import Warehouse

CURRENCIES = ("USD", "EUR", "CNY")


def _hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A 2,000-order, three-currency store, generated and loaded once for the module."""
    root = tmp_path_factory.mktemp("store")
    counts = generate_store(root / "files", orders=2000, seed=7, currencies=CURRENCIES)
    wh = Warehouse(root / "warehouse.duckdb")
    report = ingest(wh, [root / "files"], preset="canonical", generated=True,
                    source_label="generated:test")
    yield counts, report, wh
    wh.close()


def test_same_seed_gives_identical_files_and_another_seed_differs(tmp_path):
    generate_store(tmp_path / "a", orders=300, seed=1)
    generate_store(tmp_path / "b", orders=300, seed=1)
    generate_store(tmp_path / "c", orders=300, seed=2)
    a, b, c = (_hashes(tmp_path / x) for x in "abc")
    assert a == b
    assert sorted(a) == sorted(f"{t}.csv" for t in GENERATED_TABLES)
    for table in ("orders", "order_lines", "customers", "events"):
        assert a[f"{table}.csv"] != c[f"{table}.csv"]


def test_store_loads_with_canonical_preset_without_quarantine(store):
    counts, report, wh = store
    assert report.rows_quarantined == 0
    assert report.rows_read == report.rows_loaded == sum(counts.values())
    assert {f.mapping for f in report.files} == {f"canonical_{t}" for t in GENERATED_TABLES}
    for table, n in counts.items():
        assert wh.count(table) == n, table
    assert counts["orders"] == 2000
    assert wh.query("SELECT count(*) FROM quarantine")[0][0] == 0
    assert wh.query("SELECT bool_and(is_generated) FROM loads")[0][0] is True


def test_amounts_are_consistent(store):
    _, _, wh = store
    bad_lines = wh.query(
        "SELECT count(*) FROM order_lines "
        "WHERE line_amount <> quantity * unit_price - discount_amount OR line_amount < 0")[0][0]
    assert bad_lines == 0
    bad_orders, mixed_currency = wh.query(
        """SELECT count(*) FILTER (WHERE abs(o.total_amount - (l.amount - o.discount_amount
                                              + o.shipping_amount)) > 0.01
                                    OR o.subtotal_amount <> l.amount),
                  count(*) FILTER (WHERE l.currencies <> 1 OR l.currency <> o.currency)
           FROM orders o JOIN (SELECT order_id, sum(line_amount) AS amount,
                                      count(DISTINCT currency) AS currencies,
                                      any_value(currency) AS currency
                               FROM order_lines GROUP BY 1) l USING (order_id)""")[0]
    assert bad_orders == 0
    assert mixed_currency == 0
    assert wh.query("SELECT count(*) FROM order_lines l ANTI JOIN orders USING (order_id)")[0][0] == 0
    lines, per_order = wh.query("SELECT count(*), count(*) / count(DISTINCT order_id) FROM order_lines")[0]
    assert 2.0 <= per_order <= 4.0
    # unit costs sit below prices
    assert wh.query("SELECT count(*) FROM products WHERE unit_cost >= price")[0][0] == 0
    assert wh.query("SELECT count(*) FROM sku_suppliers WHERE moq % order_multiple <> 0")[0][0] == 0


def test_refunds_follow_orders_and_returns_are_about_five_percent(store):
    _, _, wh = store
    early = wh.query(
        "SELECT count(*) FROM refunds r JOIN orders o USING (order_id) "
        "WHERE r.refunded_at <= o.ordered_at")[0][0]
    assert early == 0
    returned, lines = wh.query(
        "SELECT (SELECT count(*) FROM refunds WHERE kind IN ('return', 'refund')), "
        "(SELECT count(*) FROM order_lines)")[0]
    assert 0.03 <= returned / lines <= 0.08
    kinds = {k for (k,) in wh.query("SELECT DISTINCT kind FROM refunds")}
    assert {"return", "refund"} <= kinds
    too_much = wh.query(
        """SELECT count(*) FROM refunds r JOIN order_lines l
             ON l.order_id = r.order_id AND l.line_number = (r.attributes->>'line_number')::INT
           WHERE r.amount > l.line_amount OR r.product_id <> l.product_id""")[0][0]
    assert too_much == 0


def test_a_paid_order_cancelled_with_money_back_is_refunded_not_cancelled(store):
    """The one rule of docs/presets.md: a cancelled order is out of GMV and has no refund, so a
    refund row never belongs to one (it would be subtracted twice)."""
    _, _, wh = store
    assert wh.query("SELECT count(*) FROM refunds r JOIN orders o USING (order_id) "
                    "WHERE o.status = 'cancelled'")[0][0] == 0
    assert wh.query("SELECT count(*) FROM refunds r JOIN orders o USING (order_id) "
                    "WHERE r.kind = 'cancellation' AND o.status = 'refunded'")[0][0] > 0


def test_ratings_are_lower_for_returned_lines(store):
    _, _, wh = store
    returned, kept = wh.query(
        """SELECT avg(rating) FILTER (WHERE r.order_id IS NOT NULL),
                  avg(rating) FILTER (WHERE r.order_id IS NULL)
           FROM reviews v LEFT JOIN (SELECT DISTINCT order_id, product_id FROM refunds
                                     WHERE kind <> 'cancellation') r USING (order_id, product_id)""")[0]
    assert returned < 3.0 < kept
    assert {lang for (lang,) in wh.query("SELECT DISTINCT language FROM reviews")} == {"en", "zh"}


def test_long_tail_of_intermittent_skus(store):
    _, _, wh = store
    share = wh.query(
        """WITH days AS (SELECT count(DISTINCT ordered_at::DATE) AS n FROM orders),
                sold AS (SELECT l.product_id, count(DISTINCT o.ordered_at::DATE) AS d
                         FROM order_lines l JOIN orders o USING (order_id) GROUP BY 1)
           SELECT avg((d < 0.2 * (SELECT n FROM days))::INT) FROM sold""")[0][0]
    assert share >= 0.3
    top_share = wh.query(
        """SELECT max(n) / sum(n) FROM (SELECT count(*) AS n FROM order_lines GROUP BY product_id)""")[0][0]
    assert top_share < 0.2


def test_promotions_lift_volume_and_discount_prices(store):
    _, _, wh = store
    promo, normal = wh.query(
        """WITH d AS (SELECT ordered_at::DATE AS day, count(*) AS n,
                             bool_or(attributes->>'promotion' IS NOT NULL) AS promo
                      FROM orders GROUP BY 1)
           SELECT avg(n) FILTER (WHERE promo), avg(n) FILTER (WHERE NOT promo) FROM d""")[0]
    assert promo > 1.3 * normal
    discounted = wh.query(
        "SELECT count(*) FROM order_lines WHERE discount_amount > 0 "
        "AND attributes->>'promotion' IS NOT NULL")[0][0]
    assert discounted > 0


def test_several_currencies_when_asked_and_one_by_default(store, tmp_path):
    _, _, wh = store
    assert {c for (c,) in wh.query("SELECT DISTINCT currency FROM orders")} == set(CURRENCIES)
    generate_store(tmp_path, orders=100, seed=3, skus=40)
    with open(tmp_path / "orders.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 100
    assert {r["currency"] for r in rows} == {"USD"}
    assert rows[0]["ordered_at"].endswith("-05:00")  # ISO 8601 with the market's offset


def test_repeat_customers(store):
    _, _, wh = store
    repeat, buyers = wh.query(
        """SELECT count(*) FILTER (WHERE n > 1), count(*) FROM
           (SELECT customer_id, count(*) AS n FROM orders WHERE customer_id IS NOT NULL GROUP BY 1)""")[0]
    assert 0.2 <= repeat / buyers <= 0.8


def test_parquet_store_loads_too(tmp_path):
    counts = generate_store(tmp_path / "files", orders=300, seed=5, fmt="parquet",
                            currencies=("JPY", "USD"))
    with Warehouse(tmp_path / "w.duckdb") as wh:
        report = ingest(wh, [tmp_path / "files"], preset="canonical", generated=True)
        assert report.rows_quarantined == 0
        assert report.rows_loaded == sum(counts.values())
        # JPY has no minor unit: every JPY amount is whole
        assert wh.query("SELECT count(*) FROM order_lines WHERE currency = 'JPY' "
                        "AND (unit_price % 1 <> 0 OR line_amount % 1 <> 0)")[0][0] == 0


def test_write_order_lines_csv_writes_exactly_n_lines(tmp_path):
    path = tmp_path / "order_lines.csv"
    assert write_order_lines_csv(path, 5000, seed=0) == 5000
    with open(path, encoding="utf-8") as fh:
        assert sum(1 for _ in fh) == 5001
    with Warehouse(tmp_path / "w.duckdb") as wh:
        report = ingest(wh, [path], preset="canonical")
        assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (5000, 5000, 0)


def test_bad_arguments_are_refused(tmp_path):
    with pytest.raises(ValueError, match="ISO 4217"):
        generate_store(tmp_path, orders=10, currencies=("usd1",))
    with pytest.raises(ValueError, match="fmt"):
        generate_store(tmp_path, orders=10, fmt="xlsx")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="orders"):
        generate_store(tmp_path, orders=0)
