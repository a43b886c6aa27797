"""Copy a whole store out of a DuckDB warehouse: into PostgreSQL, or into a new DuckDB file.

A team that outgrows one machine moves its store to a database server with one call, and a
conformance check compares the two engines on the same rows.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pyarrow as pa

from shopkeeper.errors import WarehouseError
from shopkeeper.store.timezone import stored_timezone
from shopkeeper.store.warehouse import Warehouse

BATCH_ROWS = 50_000


def store_tables(wh: Warehouse) -> list[str]:
    """Every table of the store's schema (the migrations' own record left out)."""
    rows = wh.query(
        "SELECT table_name FROM information_schema.tables WHERE table_schema IN ('main', "
        "'public') AND table_type = 'BASE TABLE' ORDER BY table_name")
    return [r[0] for r in rows if r[0] != "_migrations"]


def copy_warehouse(source: Warehouse, target: Warehouse, *,
                   progress: Callable[[str, int], None] | None = None) -> dict[str, int]:
    """Copy every row of ``source`` into the empty ``target``, all or nothing.

    Both must be at the same schema version (opening a warehouse migrates it). Returns the rows
    copied per table; raises :class:`WarehouseError` when the target already holds data.
    """
    if source.engine != "duckdb":
        raise WarehouseError("copying out of a PostgreSQL warehouse is not supported yet: "
                             "copy from a DuckDB warehouse")
    tables = store_tables(source)
    missing = sorted(set(tables) - set(store_tables(target)))
    if missing:
        raise WarehouseError(f"the target warehouse lacks the tables {', '.join(missing)}: "
                             "open it with this version of Shopkeeper first")
    held = [t for t in tables if target.query(f'SELECT count(*) FROM "{t}"')[0][0]]
    if held:
        more = f" and {len(held) - 3} more tables" if len(held) > 3 else ""
        raise WarehouseError(f"the target warehouse {target.path} already holds rows (in "
                             f"{', '.join(held[:3])}{more}): copy into an empty one")
    copied: dict[str, int] = {}
    with target.transaction():
        for table in tables:
            result = source.connection.sql(f'SELECT * FROM "{table}"')
            columns = [d[0] for d in result.description]
            reader = result.to_arrow_reader(BATCH_ROWS)
            n = 0
            for batch in reader:
                if target.engine == "duckdb":  # Arrow's own types, read by DuckDB as they are
                    frame = pa.Table.from_batches([batch])
                else:  # exact Python values for the driver (dates stay dates, not timestamps)
                    frame = pd.DataFrame(
                        {c: batch.column(i).to_pylist() for i, c in enumerate(columns)},
                        columns=columns, dtype=object)
                n += target.insert_df(table, frame)
            copied[table] = n
            if progress:
                progress(table, n)
    stored = stored_timezone(target.connection)  # the store's zone came with its settings
    if stored and not target.configured_timezone:
        target.timezone = stored[0]
        target.set_session_timezone(stored[0])
    return copied
