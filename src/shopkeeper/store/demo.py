"""The demo store: a pipeline of steps that builds a store and shows what each capability does.

The store registers its own steps here (load the real UCI Online Retail transactions, then
generate what that data set lacks). Capabilities add theirs without the store knowing them:
they expose a :class:`DemoStep` through the ``shopkeeper.demo_steps`` entry-point group (or call
:func:`register_step`), and :func:`run_demo` runs all steps in ``order``.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata, resources
from pathlib import Path

from shopkeeper.store.complements import write_complements
from shopkeeper.store.config import Settings
from shopkeeper.store.ingest.loader import ProgressFn, ingest
from shopkeeper.store.warehouse import Warehouse, WarehouseStatus

ENTRY_POINT_GROUP = "shopkeeper.demo_steps"
DEMO_CURRENCY = "GBP"


@dataclass
class DemoContext:
    """What a step gets: the settings, the open warehouse and a folder for its outputs."""

    settings: Settings
    warehouse: Warehouse
    output_dir: Path
    progress: ProgressFn | None = None
    outputs: dict[str, Path] = field(default_factory=dict)


@dataclass(frozen=True)
class DemoStep:
    """One step of the demo: ``run`` does the work and returns a one-line summary."""

    name: str
    order: int
    run: Callable[[DemoContext], str]


@dataclass
class StepResult:
    name: str
    summary: str
    seconds: float


@dataclass
class DemoReport:
    steps: list[StepResult]
    status: WarehouseStatus
    outputs: dict[str, Path]


_STEPS: dict[str, DemoStep] = {}


def register_step(step: DemoStep) -> DemoStep:
    """Add a step to the demo (names are unique; registering again replaces)."""
    _STEPS[step.name] = step
    return step


def demo_steps() -> list[DemoStep]:
    """The store's steps plus every installed capability's, in run order."""
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        step = ep.load()
        register_step(step() if callable(step) and not isinstance(step, DemoStep) else step)
    return sorted(_STEPS.values(), key=lambda s: (s.order, s.name))


def demo_data_files() -> list[Path]:
    """The real UCI Online Retail files shipped with Shopkeeper (CC BY 4.0)."""
    folder = resources.files("shopkeeper.store") / "demo_data"
    return [Path(str(folder / "online_retail_I.parquet")),
            Path(str(folder / "online_retail_I_cancellations.parquet"))]


def _load_transactions(ctx: DemoContext) -> str:
    report = ingest(ctx.warehouse, demo_data_files(), preset="uci_online_retail",
                    default_currency=DEMO_CURRENCY, progress=ctx.progress)
    if report.load_id is None:
        return "real UCI Online Retail transactions already loaded (nothing changed)"
    t = report.table_rows
    return (f"loaded real UCI Online Retail data: {report.rows_read:,} rows read = "
            f"{report.rows_loaded:,} loaded + {report.rows_quarantined:,} quarantined → "
            f"{t.get('orders', 0):,} orders, {t.get('order_lines', 0):,} lines, "
            f"{t.get('refunds', 0):,} cancellations, {t.get('products', 0):,} products, "
            f"{t.get('customers', 0):,} customers")


def _hashed(expr: str, salt: str, modulo: int) -> str:
    """SQL: a deterministic pseudo-random integer in [0, modulo) from ``expr``."""
    return f"CAST(hash({expr} || '{salt}') % {modulo} AS BIGINT)"


def write_demo_shipments(warehouse: Warehouse, out_dir: Path) -> Path:
    """Generated fulfilment for the real orders (UCI has none), as a canonical ``shipments``
    Parquet file: deterministic (a seeded hash of each order id), consistent with the order
    dates, and seen from the data's last day. UK orders go by Royal Mail or DPD (ETA 6 days
    after the order), others by DHL Express (ETA 14 days). Handed over 6 to 48 hours after the
    order; most arrive in 1-3 days (UK) or 3-9 days (abroad), 1 in 20 a week later than that
    (late). Orders of the last days are in transit or out for delivery (or not shipped yet: no
    row), a few late ones are reported delayed or lost; 1 in 25 orders of 10 lines or more
    ships as two parcels."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "shipments.parquet"
    h = _hashed
    sql = f"""
    WITH last AS (SELECT max(ordered_at) AS now FROM orders),
    base AS (
        SELECT o.order_id, o.ordered_at,
               coalesce(o.country, 'United Kingdom') = 'United Kingdom' AS uk,
               o.ordered_at + to_hours(6 + {h('o.order_id', 'ship', 43)}) AS shipped_at,
               (SELECT count(*) FROM order_lines l WHERE l.order_id = o.order_id) AS n_lines
        FROM orders o WHERE coalesce(o.status, '') <> 'cancelled'),
    timed AS (
        SELECT b.*, l.now,
               b.shipped_at + to_hours(CAST(24 * (CASE WHEN uk THEN 1 + {h('order_id', 'transit', 3)}
                                                   ELSE 3 + {h('order_id', 'transit', 7)} END
                                                  + CASE WHEN {h('order_id', 'late', 20)} = 0
                                                         THEN 7 ELSE 0 END)
                                            + {h('order_id', 'hour', 10)} AS INTEGER))
                   AS arrives_at,
               date_trunc('day', ordered_at) + to_days(CASE WHEN uk THEN 6 ELSE 14 END)
                   + INTERVAL 18 HOUR AS eta,
               CASE WHEN NOT uk THEN 'DHL Express'
                    WHEN {h('order_id', 'carrier', 10)} < 7 THEN 'Royal Mail' ELSE 'DPD' END
                   AS carrier
        FROM base b, last l WHERE b.shipped_at <= l.now),
    parcels AS (
        SELECT t.*, p.parcel FROM timed t,
               (SELECT unnest([1, 2]) AS parcel) p
        WHERE p.parcel = 1 OR (t.n_lines >= 10 AND {h('t.order_id', 'split', 25)} = 0))
    SELECT order_id, CAST(parcel AS INTEGER) AS parcel, carrier,
           CASE carrier
               WHEN 'Royal Mail' THEN 'RM' || lpad(CAST({h("order_id || parcel", 'no', 1000000000)}
                                                     AS VARCHAR), 9, '0') || 'GB'
               WHEN 'DPD' THEN '1550' || lpad(CAST({h("order_id || parcel", 'no', 10000000000)}
                                                 AS VARCHAR), 10, '0')
               ELSE lpad(CAST({h("order_id || parcel", 'no', 10000000000)} AS VARCHAR), 10, '0')
           END AS tracking_number,
           CASE carrier
               WHEN 'Royal Mail' THEN 'https://www.royalmail.com/track-your-item#/tracking-results/'
               WHEN 'DPD' THEN 'https://track.dpd.co.uk/parcels/'
               ELSE 'https://www.dhl.com/global-en/home/tracking.html?tracking-id=' END
               AS tracking_url,
           CASE WHEN arrives_at <= now THEN 'delivered'
                WHEN now > eta AND {h('order_id', 'lost', 4)} = 0 THEN 'lost'
                WHEN now > eta THEN 'delayed'
                WHEN arrives_at - now < INTERVAL 12 HOUR THEN 'out_for_delivery'
                ELSE 'in_transit' END AS status,
           shipped_at, CASE WHEN arrives_at <= now THEN arrives_at END AS delivered_at,
           eta AS estimated_delivery_at
    FROM parcels ORDER BY order_id, parcel"""
    sql = f"""SELECT order_id, parcel, carrier, tracking_number, tracking_url || tracking_number
                     AS tracking_url, status, shipped_at, delivered_at, estimated_delivery_at
              FROM ({sql})"""
    warehouse.connection.execute(f"COPY ({sql}) TO '{path}' (FORMAT parquet)")
    return path


def _generate_complements(ctx: DemoContext) -> str:
    with tempfile.TemporaryDirectory(prefix="shopkeeper-demo-") as tmp:
        files = write_complements(ctx.warehouse, Path(tmp), currency=DEMO_CURRENCY)
        files.append(write_demo_shipments(ctx.warehouse, Path(tmp)))
        report = ingest(ctx.warehouse, files, preset="canonical", default_currency=DEMO_CURRENCY,
                        generated=True, source_label="generated:demo", progress=ctx.progress)
    if report.load_id is None:
        return "generated complements already loaded (nothing changed)"
    parts = ", ".join(f"{n:,} {t}" for t, n in report.table_rows.items())
    return f"generated what the real data lacks (labelled generated:demo): {parts}"


def _export_quarantine(ctx: DemoContext) -> str:
    path = ctx.output_dir / "quarantine.csv"
    n = ctx.warehouse.export_quarantine(path)
    ctx.outputs["quarantine"] = path
    return f"exported {n:,} quarantined rows with their reasons"


register_step(DemoStep("load real transactions", 10, _load_transactions))
register_step(DemoStep("generate missing tables", 20, _generate_complements))
register_step(DemoStep("export quarantine", 90, _export_quarantine))


def run_demo(settings: Settings, *, progress: ProgressFn | None = None,
             on_step: Callable[[StepResult], None] | None = None) -> DemoReport:
    """Build the demo store in the configured warehouse and run every registered step.

    ``progress`` hears each step's name as it starts, then the step's own phases prefixed with
    it (``forecast demand: forecasting 120/3,940 series``). The warehouse is opened on demand
    and let go between steps, and within a step while it computes, so other commands can read
    (and write) while the demo runs."""
    output_dir = Path(settings.output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    results: list[StepResult] = []
    with Warehouse.from_settings(settings, on_demand=True) as wh:
        ctx = DemoContext(settings, wh, output_dir)
        for step in demo_steps():
            if progress:
                progress(step.name, None)
                ctx.progress = _prefixed(progress, step.name)
            start = time.perf_counter()
            summary = step.run(ctx)
            wh.release()
            result = StepResult(step.name, summary, time.perf_counter() - start)
            results.append(result)
            if on_step:
                on_step(result)
        status = wh.status()
    return DemoReport(results, status, ctx.outputs)


def _prefixed(progress: ProgressFn, step: str) -> ProgressFn:
    return lambda phase, fraction: progress(f"{step}: {phase}", fraction)
