"""Finance at scale: the monthly report and single metric queries on 1M and 10M order lines.

    .venv/bin/python bench/finance.py [--lines 1000000,10000000] [--repeat 3] [--workdir DIR]

Data per size: ``generate_store`` (seed 0, 730 days from 2024-01-01, parquet) with enough orders
for about that many order lines, ingested into a fresh warehouse (both outside the timed span;
with ``--workdir`` the store is kept and reused).

Timed, best of ``--repeat`` runs, in this process:

* **report**: the full monthly report for the last complete month without the PDF: the P&L and
  KPI pack (each against the previous month and a year ago), the variance decomposition
  (volume/mix/price over SKUs, contributions by category, SKU and channel), the anomaly scan of
  four daily metrics over the year, the revenue outlook and the narrative; then HTML and XLSX
  written. Its parts are also timed one by one.
* **P&L query**: ``metrics.query`` of the 13 P&L metrics for that month, against a hand-written
  DuckDB statement computing the same figures (same joins and rules), run side by side; the
  values are checked to be equal to the cent.
* **single metric**: ``metrics.query(gmv, by=month)`` over all days against its hand-written SQL.

Targets: the 10M-line report in under 15 s on 2 cores; the metric engine within 1.5× of the
hand-written SQL. The last line of output is the figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

TARGET_REPORT_S = 15.0
TARGET_RATIO = 1.5
LINES_PER_ORDER = 2.83  # what generate_store averages

HAND_PNL = """
WITH sales AS (
    SELECT l.quantity, l.quantity * l.unit_price AS gross, coalesce(l.discount_amount, 0) AS disc,
           coalesce(p.unit_cost, c.cost) AS unit_cost, o.discount_amount AS order_disc,
           l.order_id
    FROM order_lines l JOIN orders o USING (order_id)
    LEFT JOIN products p USING (product_id)
    LEFT JOIN (SELECT product_id, first(unit_cost ORDER BY is_primary DESC NULLS LAST, unit_cost)
                      AS cost FROM sku_suppliers GROUP BY 1) c USING (product_id)
    WHERE coalesce(o.status, '') <> 'cancelled'
      AND CAST(o.ordered_at AS DATE) BETWEEN CAST($1 AS DATE) AND CAST($2 AS DATE)),
order_disc AS (
    SELECT sum(d) AS d FROM (SELECT any_value(order_disc) AS d FROM sales
                             WHERE coalesce(order_disc, 0) <> 0 GROUP BY order_id)),
s AS (SELECT sum(gross) AS gmv, sum(disc) + coalesce((SELECT d FROM order_disc), 0) AS discounts,
             sum(quantity * unit_cost) AS cogs FROM sales),
r AS (SELECT coalesce(sum(amount), 0) AS refunds FROM refunds
      WHERE CAST(refunded_at AS DATE) BETWEEN CAST($1 AS DATE) AND CAST($2 AS DATE)),
e AS (SELECT coalesce(sum(amount) FILTER (WHERE category = 'ads'), 0) AS ads,
             coalesce(sum(amount) FILTER (WHERE category = 'logistics'), 0) AS logistics,
             coalesce(sum(amount) FILTER (WHERE regexp_matches(category, 'fees?$')), 0) AS fees,
             coalesce(sum(amount) FILTER (WHERE category NOT IN ('ads', 'logistics')
                      AND NOT regexp_matches(category, 'fees?$')), 0) AS other
      FROM expenses WHERE incurred_on BETWEEN CAST($1 AS DATE) AND CAST($2 AS DATE))
SELECT gmv, discounts, refunds, gmv - discounts - refunds AS net_revenue, cogs,
       gmv - discounts - refunds - cogs AS gross_profit, fees, logistics, ads AS ad_spend,
       gmv - discounts - refunds - cogs - fees - logistics - ads AS contribution,
       other AS other_expenses,
       gmv - discounts - refunds - cogs - fees - logistics - ads - other AS operating_profit
FROM s, r, e
"""
HAND_GMV_BY_MONTH = """
SELECT CAST(date_trunc('month', CAST(o.ordered_at AS DATE)) AS DATE) AS month,
       sum(l.quantity * l.unit_price) AS gmv
FROM order_lines l JOIN orders o USING (order_id)
WHERE coalesce(o.status, '') <> 'cancelled' GROUP BY 1 ORDER BY 1
"""
PNL_AMOUNTS = ("gmv", "discounts", "refunds", "net_revenue", "cogs", "gross_profit", "fees",
               "logistics", "ad_spend", "contribution", "other_expenses", "operating_profit")


def _best(fn, repeat: int) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def _make_store(lines: int, workdir: Path) -> dict:
    from shopkeeper.store import Warehouse, ingest
    from shopkeeper.store.generate import generate_store

    db = workdir / "warehouse.duckdb"
    if db.exists():
        with Warehouse(db, read_only=True) as wh:
            return {"order_lines": wh.query("SELECT count(*) FROM order_lines")[0][0],
                    "generate_s": None, "ingest_s": None}
    t0 = time.perf_counter()
    counts = generate_store(workdir / "files", orders=int(lines / LINES_PER_ORDER), seed=0,
                            fmt="parquet")
    generate_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    with Warehouse(db) as wh:
        ingest(wh, [workdir / "files"], preset="canonical", generated=True,
               source_label="generated:bench")
    return {"order_lines": counts["order_lines"], "generate_s": generate_s,
            "ingest_s": time.perf_counter() - t0}


def run_size(lines: int, workdir: Path, repeat: int) -> dict:
    from shopkeeper import finance, metrics
    from shopkeeper.finance.outlook import revenue_outlook
    from shopkeeper.finance.report import build_report, write_report
    from shopkeeper.store import Warehouse

    data = _make_store(lines, workdir)
    print(f"\n{data['order_lines']:,} order lines"
          + (f" (generated in {data['generate_s']:.1f} s, ingested in {data['ingest_s']:.1f} s;"
             " not timed)" if data["generate_s"] is not None else " (reused)"), flush=True)
    out: dict = {"order_lines": data["order_lines"]}
    with Warehouse(workdir / "warehouse.duckdb", read_only=True) as wh:
        period = finance.last_complete_period(wh, "month")
        prev = finance.previous_period(period)
        parts = {
            "P&L": lambda: finance.pnl(wh, period),
            "KPI pack": lambda: finance.kpi_pack(wh, period),
            "variance": lambda: finance.explain_change(wh, period, prev),
            "anomalies": lambda: finance.detect_anomalies(wh, period.start, period.end),
            "outlook": lambda: revenue_outlook(wh, period.end),
        }
        out["parts_s"] = {name: _best(fn, repeat)[0] for name, fn in parts.items()}
        report_s, report = _best(lambda: build_report(wh, period), repeat)
        with tempfile.TemporaryDirectory() as tmp:
            write_s, _ = _best(lambda: write_report(report, tmp, ("html", "xlsx")), repeat)
        out["report_s"] = report_s + write_s
        out["report_build_s"], out["report_write_s"] = report_s, write_s

        names = list(PNL_AMOUNTS)
        engine_s, engine = _best(lambda: metrics.query(wh, names, start=period.start,
                                                      end=period.end).df, repeat)
        hand_s, hand = _best(lambda: wh.query_df(HAND_PNL, [str(period.start),
                                                            str(period.end)]), repeat)
        for name in names:
            a, b = float(engine[name].iloc[0]), float(hand[name].iloc[0])
            assert abs(a - b) < 0.005, f"{name}: engine {a} != hand-written {b}"
        gmv_s, gmv = _best(lambda: metrics.query(wh, "gmv", by="month").df, repeat)
        hand_gmv_s, hand_gmv = _best(lambda: wh.query_df(HAND_GMV_BY_MONTH), repeat)
        assert len(gmv) == len(hand_gmv) and (abs(gmv["gmv"].to_numpy()
                                                  - hand_gmv["gmv"].astype(float).to_numpy())
                                              < 0.005).all()
    out.update({"period": period.label, "pnl_engine_s": engine_s, "pnl_hand_s": hand_s,
                "pnl_ratio": engine_s / hand_s, "gmv_engine_s": gmv_s, "gmv_hand_s": hand_gmv_s,
                "gmv_ratio": gmv_s / hand_gmv_s})
    parts = ", ".join(f"{k} {v:.2f} s" for k, v in out["parts_s"].items())
    print(f"  monthly report ({period.label}, no PDF): {out['report_s']:.2f} s "
          f"(computing {report_s:.2f} s, HTML+XLSX {write_s:.2f} s); parts: {parts}")
    print(f"  P&L for the month: engine {engine_s * 1000:.0f} ms, hand-written SQL "
          f"{hand_s * 1000:.0f} ms, ratio {out['pnl_ratio']:.2f} (values equal to the cent)")
    print(f"  GMV by month: engine {gmv_s * 1000:.0f} ms, hand-written SQL "
          f"{hand_gmv_s * 1000:.0f} ms, ratio {out['gmv_ratio']:.2f}", flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", default="1000000,10000000",
                        help="Comma-separated order-line counts.")
    parser.add_argument("--repeat", type=int, default=3, help="Runs per measurement (best).")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="Keep generated stores here and reuse them.")
    args = parser.parse_args()
    sizes = [int(s) for s in args.lines.split(",")]
    print(f"finance benchmark: {', '.join(f'{s:,}' for s in sizes)} order lines; best of "
          f"{args.repeat}; {os.cpu_count()} CPUs", flush=True)
    results = []
    for lines in sizes:
        if args.workdir:
            workdir = args.workdir / f"lines-{lines}"
            workdir.mkdir(parents=True, exist_ok=True)
            results.append(run_size(lines, workdir, args.repeat))
        else:
            with tempfile.TemporaryDirectory() as tmp:
                results.append(run_size(lines, Path(tmp), args.repeat))
    largest = results[-1]
    worst_ratio = max(max(r["pnl_ratio"], r["gmv_ratio"]) for r in results)
    report_ok = largest["report_s"] < TARGET_REPORT_S
    print(f"\n{largest['order_lines']:,} lines: monthly report {largest['report_s']:.2f} s "
          f"(target < {TARGET_REPORT_S:.0f} s): {'met' if report_ok else 'NOT met'}")
    print(f"metric engine vs hand-written SQL: worst ratio {worst_ratio:.2f} "
          f"(target <= {TARGET_RATIO}): {'met' if worst_ratio <= TARGET_RATIO else 'NOT met'}")
    print(json.dumps({"results": results, "report_target_met": report_ok,
                      "ratio_target_met": worst_ratio <= TARGET_RATIO}, default=float))


if __name__ == "__main__":
    main()
