"""The store: config, the warehouse, ingestion, the demo store and the generator.

This is the public entry module of the spine; faces and capabilities import from here only.
"""

from pathlib import Path as _Path
from typing import Any as _Any

from shopkeeper.store.backup import (
    BackupManifest,
    RestoreReport,
    backup_warehouse,
    restore_warehouse,
    verify_backup,
)
from shopkeeper.store.config import DEFAULT_CONFIG_NAME, Settings, config_template, load_settings
from shopkeeper.store.copy import copy_warehouse
from shopkeeper.store.demo import DemoContext, DemoReport, DemoStep, register_step, run_demo
from shopkeeper.store.doctor import DoctorReport, check_warehouse
from shopkeeper.store.exports import inert, inert_frame, write_frame
from shopkeeper.store.ingest.loader import (
    FilePreview,
    FileReport,
    LoadReport,
    ingest,
    preview_file,
)
from shopkeeper.store.ingest.mapping import Mapping, load_mapping
from shopkeeper.store.ingest.presets import all_presets, get_preset
from shopkeeper.store.migrations import latest_version
from shopkeeper.store.schema import TABLES, get_table
from shopkeeper.store.warehouse import LoadRecord, TableStatus, Warehouse, WarehouseStatus

__all__ = [
    "BackupManifest",
    "RestoreReport",
    "DEFAULT_CONFIG_NAME",
    "TABLES",
    "DemoContext",
    "DemoReport",
    "DemoStep",
    "DoctorReport",
    "FilePreview",
    "FileReport",
    "LoadRecord",
    "LoadReport",
    "Mapping",
    "Settings",
    "TableStatus",
    "Warehouse",
    "WarehouseStatus",
    "all_presets",
    "backup_warehouse",
    "check_warehouse",
    "config_template",
    "copy_warehouse",
    "generate_store",
    "get_preset",
    "get_table",
    "inert",
    "inert_frame",
    "ingest",
    "preview_file",
    "latest_version",
    "load_mapping",
    "load_settings",
    "register_step",
    "restore_warehouse",
    "run_demo",
    "spark_warehouse",
    "verify_backup",
    "write_frame",
]


def generate_store(out_dir: _Path, **options: _Any) -> dict[str, int]:
    """Write a realistic synthetic store; see ``shopkeeper.store.generate.generate_store`` for
    the options. Imported on first use: its writers load pyarrow's CSV and Parquet modules,
    which every other command would otherwise wait for."""
    from shopkeeper.store.generate import generate_store as generate

    return generate(out_dir, **options)


def spark_warehouse(source: Warehouse | str | _Path, **options: _Any) -> Warehouse:
    """The store's tables on Spark, read-only (see ``shopkeeper.store.spark.SparkWarehouse``):
    from a warehouse, or from a folder of Parquet/Delta tables. Imported on first use: pyspark
    is an optional extra and slow to import."""
    from shopkeeper.store.spark import SparkWarehouse

    return SparkWarehouse(source, **options)
