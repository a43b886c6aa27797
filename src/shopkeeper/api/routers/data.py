"""The store's data: what is loaded, uploads that load more, and the rows that were refused."""

from __future__ import annotations

import re
import shutil
import uuid
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, UploadFile
from fastapi.responses import FileResponse
from pydantic import BaseModel

from shopkeeper import accounts, store
from shopkeeper.api.app import warehouse
from shopkeeper.api.jobs import Job, JobContext, job_kind
from shopkeeper.api.pagination import Page, Paging, paging
from shopkeeper.api.problems import ProblemError
from shopkeeper.api.security import Principal, requires

router = APIRouter(tags=["data"])
P = accounts.Permission
Wh = Annotated[store.Warehouse, Depends(warehouse)]
UPLOAD_SUFFIXES = {".csv", ".tsv", ".txt", ".xlsx", ".xls", ".parquet", ".jsonl", ".json"}
CHUNK = 1024 * 1024


class Load(BaseModel):
    load_id: str
    source: str | None
    preset: str | None
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    is_generated: bool
    started_at: datetime | None
    finished_at: datetime | None


class QuarantinedRow(BaseModel):
    load_id: str | None
    source_file: str | None
    source_row: int | None
    target_table: str | None
    column_name: str | None
    reason: str | None
    raw: Any = None


class TableCount(BaseModel):
    name: str
    rows: int
    first: Any = None
    last: Any = None
    generated: int = 0


class Status(BaseModel):
    warehouse: str
    schema_version: int
    tables: list[TableCount]
    loads: int
    quarantined: int
    timezone: str
    timezone_origin: str


@router.get("/status", summary="What the warehouse holds: tables, loads, quarantine",
            response_model=Status)
def status(wh: Wh, _: Principal = requires(P.DATA_READ)) -> Status:
    st = wh.status()
    return Status(warehouse=Path(st.path).name, schema_version=st.schema_version,
                  tables=[TableCount(name=t.name, rows=t.rows, first=t.first, last=t.last,
                                     generated=t.generated_rows) for t in st.tables],
                  loads=st.loads, quarantined=st.quarantined_rows, timezone=st.timezone[0],
                  timezone_origin=st.timezone[1])


@router.get("/loads", summary="Loads, newest first, with rows read = loaded + quarantined",
            response_model=Page[Load])
def loads(wh: Wh, page: Annotated[Paging, Depends(paging)],
          _: Principal = requires(P.DATA_READ)) -> Page[Load]:
    total = wh.query("SELECT count(*) FROM loads")[0][0]
    rows = wh.query(
        "SELECT load_id, source, preset, rows_read, rows_loaded, rows_quarantined, "
        "coalesce(is_generated, false), started_at, finished_at FROM loads "
        "ORDER BY started_at DESC NULLS LAST LIMIT ? OFFSET ?", [page.limit, page.offset])
    fields = list(Load.model_fields)
    return page.of([Load(**dict(zip(fields, r, strict=True))) for r in rows], total=total)


@router.get("/quarantine", summary="Rejected rows with their reasons",
            response_model=Page[QuarantinedRow])
def quarantine(wh: Wh, page: Annotated[Paging, Depends(paging)],
               load_id: Annotated[str | None, Query(max_length=100)] = None,
               source_file: Annotated[str | None, Query(max_length=500)] = None,
               _: Principal = requires(P.DATA_READ)) -> Page[QuarantinedRow]:
    columns, rows = wh.quarantine(load_id=load_id, source_file=source_file,
                                  limit=page.offset + page.limit + 1)
    items = [QuarantinedRow(**dict(zip(columns, r, strict=True))) for r in rows]
    more = len(items) > page.offset + page.limit
    return page.of(items[page.offset:page.offset + page.limit],
                   total=page.offset + min(len(items) - page.offset, page.limit) + int(more))


@router.get("/quarantine/export", summary="Download rejected rows (CSV, XLSX or Parquet)",
            response_class=FileResponse)
def quarantine_export(request: Request, wh: Wh,
                      fmt: Literal["csv", "xlsx", "parquet"] = "csv",
                      load_id: Annotated[str | None, Query(max_length=100)] = None,
                      source_file: Annotated[str | None, Query(max_length=500)] = None,
                      _: Principal = requires(P.DATA_READ)) -> FileResponse:
    path = request.app.state.server.export_path(f".{fmt}")
    wh.export_quarantine(path, load_id=load_id, source_file=source_file)
    return FileResponse(path, filename=f"quarantine.{fmt}")


def safe_name(name: str) -> str:
    """A client's file name reduced to a harmless base name (no folders, no odd characters)."""
    base = Path(name.replace("\\", "/")).name
    base = re.sub(r"[^\w.\-\u4e00-\u9fff]+", "_", base).strip("._") or "upload"
    return base[:120]


@router.post("/uploads", summary="Upload an export and load it as a background job",
             status_code=202, response_model=Job)
def upload(request: Request, file: UploadFile,
           preset: Annotated[str | None, Query(max_length=100)] = None,
           principal: Principal = requires(P.DATA_WRITE)) -> Job:
    server = request.app.state.server
    name = safe_name(file.filename or "upload")
    suffix = Path(name).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise ProblemError(415, f"{name}: not a file Shopkeeper reads (use one of "
                                f"{', '.join(sorted(UPLOAD_SUFFIXES))})")
    folder = server.upload_dir / uuid.uuid4().hex[:12]
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    size = 0
    with target.open("wb") as out:
        while chunk := file.file.read(CHUNK):
            size += len(chunk)
            if size > server.max_upload_bytes:
                out.close()
                shutil.rmtree(folder, ignore_errors=True)
                raise ProblemError(413, f"{name} is over the upload limit of "
                                        f"{server.max_upload_bytes:,} bytes")
            out.write(chunk)
    if size == 0:
        shutil.rmtree(folder, ignore_errors=True)
        raise ProblemError(422, f"{name} is empty")
    return server.jobs.submit("ingest", {"path": str(target), "name": name, "preset": preset},
                              principal.actor)


@job_kind("ingest", P.DATA_WRITE)
def _ingest_job(ctx: JobContext) -> dict[str, Any]:
    params = ctx.params
    report = store.ingest(ctx.wh, [params["path"]], preset=params.get("preset") or None,
                          default_currency=ctx.settings.currency, progress=ctx.progress,
                          source_label=params.get("name"))
    return {
        "load_id": report.load_id,
        "rows_read": report.rows_read,
        "rows_loaded": report.rows_loaded,
        "rows_quarantined": report.rows_quarantined,
        "notes": report.notes(),
        "files": [{k: v for k, v in asdict(f).items()
                   if k in ("path", "mapping", "rows_read", "rows_loaded", "rows_quarantined",
                            "table_rows", "skipped")} for f in report.files],
    }
