"""The store: config, the warehouse, ingestion, the demo store and the generator.

This is the public entry module of the spine; faces and capabilities import from here only.
"""

from shopkeeper.store.config import DEFAULT_CONFIG_NAME, Settings, config_template, load_settings
from shopkeeper.store.demo import DemoContext, DemoReport, DemoStep, register_step, run_demo
from shopkeeper.store.ingest.loader import FileReport, LoadReport, ingest
from shopkeeper.store.ingest.mapping import Mapping, load_mapping
from shopkeeper.store.ingest.presets import all_presets, get_preset
from shopkeeper.store.migrations import latest_version
from shopkeeper.store.schema import TABLES, get_table
from shopkeeper.store.warehouse import TableStatus, Warehouse, WarehouseStatus

__all__ = [
    "DEFAULT_CONFIG_NAME",
    "TABLES",
    "DemoContext",
    "DemoReport",
    "DemoStep",
    "FileReport",
    "LoadReport",
    "Mapping",
    "Settings",
    "TableStatus",
    "Warehouse",
    "WarehouseStatus",
    "all_presets",
    "config_template",
    "get_preset",
    "get_table",
    "ingest",
    "latest_version",
    "load_mapping",
    "load_settings",
    "register_step",
    "run_demo",
]
