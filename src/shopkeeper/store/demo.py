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


def _generate_complements(ctx: DemoContext) -> str:
    with tempfile.TemporaryDirectory(prefix="shopkeeper-demo-") as tmp:
        files = write_complements(ctx.warehouse, Path(tmp), currency=DEMO_CURRENCY)
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
