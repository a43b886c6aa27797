"""Spreadsheet-safe exports: no cell a spreadsheet would run as a formula.

Store data is whoever wrote it: a product title, a review or a customer name can start with
``=``, ``+``, ``-`` or ``@`` (``=cmd|' /C calc'!A0``), and a spreadsheet opening an exported
CSV or XLSX would run it. Every export writes such text with a leading apostrophe, which a
spreadsheet shows as the plain text it was (OWASP's advice for CSV injection). Numbers stay
numbers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert(value: Any) -> Any:
    """``value``, with a leading apostrophe when it is text a spreadsheet would run."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def inert_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells are all :func:`inert` (other columns untouched)."""
    out = df.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(inert)
    return out


def write_frame(df: pd.DataFrame, path: str | Path, *, sheet_name: str = "Sheet1",
                encoding: str = "utf-8-sig") -> Path:
    """Write ``df`` by the file's extension: ``.xlsx``, ``.parquet`` (as stored: not a
    spreadsheet format) or CSV in ``encoding`` (by default UTF-8 with a BOM, so Excel reads
    Chinese right; files for other programs pass ``"utf-8"``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        df.to_parquet(path, index=False)
    elif suffix == ".xlsx":
        inert_frame(df).to_excel(path, index=False, sheet_name=sheet_name[:31])
    else:
        inert_frame(df).to_csv(path, index=False, encoding=encoding)
    return path
