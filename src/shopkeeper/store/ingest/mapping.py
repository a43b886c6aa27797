"""Mappings: how an export's columns become rows of the canonical tables.

A mapping is a TOML or YAML file (the built-in presets are TOML files in ``presets/``)::

    name = "my_shop_orders"
    [source]
    timezone = "Asia/Shanghai"      # for timestamps without an offset
    currency = "CNY"                # for rows without a currency column
    [columns]                       # optional aliases: one logical name, several spellings
    price = ["UnitPrice", "Price"]

    [[tables]]
    table = "order_lines"
    where = "{qty} > 0"             # optional: which source rows feed this table
    [tables.fields]
    order_id = "Order No"                                   # a source column
    quantity = { column = "Qty" }
    ordered_at = { column = "Date", format = "%d/%m/%Y %H:%M" }
    status = { column = "State", map = { "交易成功" = "completed" } }
    line_amount = { expr = "{qty} * {price}" }              # SQL over source columns
    channel = { value = "taobao" }                          # a constant

``grain = "row"`` (the default) means each source row gives one row of the table, so a key seen
twice in one file is a duplicate and is quarantined. ``[tables.duplicates]`` says when two rows
are the same line although their keys differ (order lines are numbered by position, so a
re-download appended to the export gives new numbers): see :class:`DuplicateRule`. ``grain = "dedupe"`` means many source rows
describe the same entity (an order repeated on each of its lines): the first row per key wins.

A field with ``optional = true`` may read columns the file lacks: they read as NULL (in an
``expr`` each missing ``{placeholder}`` is NULL, so ``coalesce({sku}, {item_id})`` falls back). A
table with ``optional = true`` is filled only from files that have every column its ``where`` and
its non-optional fields need (e.g. refunds from a ``Refunded Amount`` column some exports lack);
with ``needs_one_of = [...]`` also only from files that have at least one of those columns, and
its ``where`` reads the others as NULL (shipments from whichever fulfilment columns exist).
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from shopkeeper.errors import InvalidMappingError
from shopkeeper.store import schema

PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


class FieldSpec(BaseModel):
    """Where one canonical column's value comes from. Give exactly one of column, expr, value."""

    model_config = ConfigDict(extra="forbid")

    column: str | None = None
    expr: str | None = None
    value: Any = None
    columns: list[str] | None = Field(
        default=None, description="For JSON columns: pack these source columns into an object."
    )
    format: str | list[str] | None = None
    map: dict[str, str] | None = None
    optional: bool = Field(
        default=False,
        description="The source columns may be missing: a missing column reads as NULL (in an "
        "expr, each missing {placeholder} is NULL).",
    )

    @model_validator(mode="after")
    def _one_source(self) -> FieldSpec:
        given = [k for k in ("column", "expr", "value", "columns") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of column, expr, value or columns (got {given or 'none'})")
        return self

    @property
    def formats(self) -> list[str]:
        if self.format is None:
            return []
        return [self.format] if isinstance(self.format, str) else list(self.format)

    def referenced(self) -> list[str]:
        """Logical source columns this field reads."""
        if self.column is not None:
            return [self.column]
        if self.columns is not None:
            return list(self.columns)
        if self.expr is not None:
            return PLACEHOLDER.findall(self.expr)
        return []


class DuplicateRule(BaseModel):
    """When two rows of one file are the same line: the export repeated it (a re-download
    appended to the first one), so the later row is quarantined as a duplicate."""

    model_config = ConfigDict(extra="forbid")

    within: str | None = Field(
        default=None,
        description="SQL over source columns: rows are compared within this group. Default: "
        "the table's order_id field.",
    )
    identity: list[str] | None = Field(
        default=None,
        description="SQL over source columns that together make the line (a missing column "
        "reads as NULL). Default: every column of the row.",
    )
    line_id: str | None = Field(
        default=None,
        description="SQL over source columns naming each line uniquely (a sub-order id): a row "
        "that has one repeats any earlier row with the same. Rows without one are compared by "
        "identity: two equal lines side by side in one order are two real lines (the same SKU "
        "twice), and only a repeat in a later run of the order's rows is a duplicate.",
    )

    def referenced(self) -> list[str]:
        return PLACEHOLDER.findall(
            " ".join([self.within or "", self.line_id or "", *(self.identity or [])]))


class TableMapping(BaseModel):
    model_config = ConfigDict(extra="forbid")

    table: str
    fields: dict[str, FieldSpec]
    where: str | None = None
    grain: Literal["row", "dedupe"] = "row"
    duplicates: DuplicateRule | None = None
    optional: bool = Field(
        default=False,
        description="Fill this table only from files that have every column it needs (those of "
        "its where and of its non-optional fields); skip it for other files.",
    )
    needs_one_of: list[str] = Field(
        default_factory=list,
        description="For an optional table: it is filled only from files that have at least "
        "one of these source columns (besides the columns it needs); those its where reads "
        "and the file lacks read as NULL. E.g. shipments from a tracking number, a shipping "
        "time or a fulfilment status, whichever the export has.",
    )

    def needed_columns(self) -> list[str]:
        """Logical source columns this table cannot do without."""
        out = PLACEHOLDER.findall(self.where) if self.where else []
        out = [c for c in out if c not in self.needs_one_of]
        for spec in self.fields.values():
            if not spec.optional:
                out += spec.referenced()
        return list(dict.fromkeys(out))

    def referenced_columns(self) -> list[str]:
        """Every logical source column this table reads (where and duplicates included)."""
        out = PLACEHOLDER.findall(self.where) if self.where else []
        for spec in self.fields.values():
            out += spec.referenced()
        if self.duplicates is not None:
            out += self.duplicates.referenced()
        return list(dict.fromkeys(out))

    @field_validator("fields", mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: {"column": v} if isinstance(v, str) else v for k, v in value.items()}
        return value

    @model_validator(mode="after")
    def _known_table_and_fields(self) -> TableMapping:
        try:
            table = schema.get_table(self.table)
        except KeyError as exc:
            raise ValueError(str(exc.args[0])) from None
        unknown = sorted(set(self.fields) - set(table.column_names))
        if unknown:
            raise ValueError(
                f"table {self.table} has no columns {unknown}; its columns are {list(table.column_names)}"
            )
        missing_keys = [k for k in table.key if k not in self.fields]
        if missing_keys:
            raise ValueError(f"table {self.table} needs its key columns {missing_keys} mapped")
        return self


class SourceOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: Literal["csv", "excel", "parquet", "jsonl"] | None = None
    encoding: str = "auto"
    delimiter: str | None = None
    sheet: str | int | None = None
    header_row: int | None = Field(
        default=None, description="1-based row of the header; found automatically if unset."
    )
    timezone: str | None = None
    currency: str | None = None
    decimal_comma: bool = False
    strip_excel_text: bool = Field(
        default=False, description="Turn Excel text guards such as =\"0123\" into 0123."
    )
    file_pattern: str | None = Field(
        default=None, description="Glob of file names this mapping is for, in a folder load."
    )


class Mapping(BaseModel):
    """A complete description of how one kind of file loads into the warehouse."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = ""
    family: str | None = None
    source: SourceOptions = SourceOptions()
    columns: dict[str, list[str]] = Field(default_factory=dict)
    tables: list[TableMapping]

    @field_validator("columns", mode="before")
    @classmethod
    def _alias_lists(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: [v] if isinstance(v, str) else v for k, v in value.items()}
        return value

    @model_validator(mode="after")
    def _has_tables(self) -> Mapping:
        if not self.tables:
            raise ValueError("a mapping needs at least one [[tables]] entry")
        return self

    def spellings(self, logical: str) -> list[str]:
        return self.columns.get(logical, [logical])

    def required_columns(self) -> list[str]:
        """Logical source columns the file must have."""
        out: list[str] = []
        for tm in self.tables:
            if not tm.optional:
                out += [c for c in tm.needed_columns() if c not in out]
        return out

    def all_columns(self) -> list[str]:
        out: list[str] = []
        for tm in self.tables:
            out += [c for c in tm.referenced_columns() if c not in out]
        return out

    def known_names(self) -> set[str]:
        """Every spelling of every source column, for header detection."""
        return {s for c in self.all_columns() for s in self.spellings(c)}

    def resolve(self, available: list[str]) -> tuple[dict[str, str], list[str]]:
        """Map logical names to the file's real column names; also return missing required ones."""
        lower = {a.strip().lower(): a for a in available}
        resolved: dict[str, str] = {}
        for logical in self.all_columns():
            for spelling in self.spellings(logical):
                if spelling in available:
                    resolved[logical] = spelling
                    break
                if spelling.strip().lower() in lower:
                    resolved[logical] = lower[spelling.strip().lower()]
                    break
        missing = [c for c in self.required_columns() if c not in resolved]
        return resolved, missing

    def reads_file_order(self) -> bool:
        """Whether an expression reads the rows' order in the file (``rowid``) or other rows
        (a window function, ``OVER (…)``): only a staged copy of the file keeps each row's
        number through such a query."""
        return re.search(r"\browid\b|\bover\s*\(", json.dumps(self.model_dump()),
                         re.IGNORECASE) is not None

    def fingerprint(self) -> str:
        return hashlib.sha256(json.dumps(self.model_dump(), sort_keys=True).encode()).hexdigest()


def load_mapping(path: str | Path) -> Mapping:
    """Read a mapping from a TOML or YAML file, with errors that name the file and the field."""
    path = Path(path)
    if not path.is_file():
        raise InvalidMappingError("mapping file does not exist", path=path)
    try:
        text = path.read_text(encoding="utf-8")
        data = yaml.safe_load(text) if path.suffix.lower() in {".yml", ".yaml"} else tomllib.loads(text)
    except (tomllib.TOMLDecodeError, yaml.YAMLError, UnicodeDecodeError) as exc:
        raise InvalidMappingError(f"cannot parse mapping: {exc}", path=path) from exc
    data.setdefault("name", path.stem)
    return mapping_from_dict(data, origin=path)


def mapping_from_dict(data: dict[str, Any], *, origin: str | Path = "<mapping>") -> Mapping:
    try:
        return Mapping.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise InvalidMappingError(f"invalid mapping at {where}: {err['msg']}", path=origin) from exc


def canonical_mapping(table: schema.Table) -> Mapping:
    """Columns named exactly like the canonical table (what ``shopkeeper generate`` writes)."""
    fields = {
        c.name: FieldSpec(column=c.name, optional=c.name == "currency" or not (c.key or c.required))
        for c in table.columns
    }
    return Mapping(
        name=f"canonical_{table.name}",
        description=f"A file whose columns are named like the canonical `{table.name}` table.",
        family="canonical",
        source=SourceOptions(file_pattern=f"{table.name}.*"),
        tables=[TableMapping(table=table.name, fields=fields)],
    )
