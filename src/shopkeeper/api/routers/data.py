"""The store's data: what is loaded, uploads that load more, and the rows that were refused."""

from __future__ import annotations

import re
import shutil
import uuid
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, UploadFile
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from shopkeeper import accounts, metrics, store
from shopkeeper.api.app import warehouse
from shopkeeper.api.idempotency import idempotent
from shopkeeper.api.jobs import Job, JobContext, job_kind
from shopkeeper.api.pagination import Page, Paging, paging
from shopkeeper.api.problems import ProblemError
from shopkeeper.api.security import Principal, requires
from shopkeeper.errors import ShopkeeperError

router = APIRouter(tags=["data"])
P = accounts.Permission
Wh = Annotated[store.Warehouse, Depends(warehouse)]
UPLOAD_ID = re.compile(r"[0-9a-f]{12}")
UPLOAD_SUFFIXES = {".csv", ".tsv", ".txt", ".xlsx", ".xls", ".parquet", ".jsonl", ".json"}
CHUNK = 1024 * 1024


class FilePreviewModel(BaseModel):
    """How a file would load: its preset, which column feeds which field, its first rows."""

    path: str
    mapping: str
    description: str
    encoding: str | None
    tables: list[str]
    columns: dict[str, str]
    unused: list[str]
    header: list[str]
    sample: list[list[Any]]


class QuarantinedRow(BaseModel):
    load_id: str | None
    source_file: str | None
    source_row: int | None
    target_table: str | None
    column_name: str | None
    reason: str | None = Field(default=None, description="The rule the row broke: the same "
                               "text for every row it rejects, so reasons group and count.")
    value: str | None = Field(default=None, description="The offending value (or where the "
                              "row it repeats is).")
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
    st = metrics.warehouse_status(wh)
    return Status(warehouse=Path(st.path).name, schema_version=st.schema_version,
                  tables=[TableCount(name=t.name, rows=t.rows, first=t.first, last=t.last,
                                     generated=t.generated_rows) for t in st.tables],
                  loads=st.loads, quarantined=st.quarantined_rows, timezone=st.timezone[0],
                  timezone_origin=st.timezone[1])


@router.get("/loads", summary="Loads, newest first, with rows read = loaded + quarantined",
            response_model=Page[store.LoadRecord])
def loads(wh: Wh, page: Annotated[Paging, Depends(paging)],
          _: Principal = requires(P.DATA_READ)) -> Page[store.LoadRecord]:
    total, items = wh.loads(limit=page.limit, offset=page.offset)
    return page.of(items, total=total)


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


class Upload(BaseModel):
    """A file received and recognised, waiting to be loaded."""

    upload_id: str
    name: str
    size: int
    preview: FilePreviewModel | None = None
    problem: str | None = Field(default=None, description="Why it cannot be loaded as it is "
                                "(no preset matches, unreadable…); loading would fail the same way.")


def _upload_folder(server, upload_id: str) -> Path:
    if not UPLOAD_ID.fullmatch(upload_id):
        raise ProblemError(404, f"no upload {upload_id!r}")
    folder = server.upload_dir / upload_id
    if not folder.is_dir():
        raise ProblemError(404, f"no upload {upload_id!r}")
    return folder


def _preview(path: Path, preset: str | None) -> tuple[FilePreviewModel | None, str | None]:
    try:
        return FilePreviewModel(**asdict(store.preview_file(path, preset=preset))), None
    except ShopkeeperError as exc:
        return None, str(exc).replace(str(path.parent) + "/", "")


@router.post("/uploads", summary="Upload an export: it is kept and recognised, not yet loaded",
             status_code=201, response_model=Upload)
def upload(request: Request, file: UploadFile,
           preset: Annotated[str | None, Query(max_length=100)] = None,
           principal: Principal = requires(P.DATA_WRITE)):
    server = request.app.state.server
    name = safe_name(file.filename or "upload")
    suffix = Path(name).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise ProblemError(415, f"{name}: not a file Shopkeeper reads (use one of "
                                f"{', '.join(sorted(UPLOAD_SUFFIXES))})")
    upload_id = uuid.uuid4().hex[:12]
    folder = server.upload_dir / upload_id
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
        raise ProblemError(422, f"{name} is empty (0 bytes): export it again")
    preview, problem = _preview(target, preset)
    with server.session() as wh:
        accounts.record(wh, principal.actor, "data.upload", f"upload:{upload_id}",
                        after={"name": name, "size": size}, via=principal.via)
    return Upload(upload_id=upload_id, name=name, size=size, preview=preview, problem=problem)


class LoadRequest(BaseModel):
    preset: str | None = Field(default=None, max_length=100, description="Force a preset "
                               "(default: recognised from the columns).")
    force: bool = Field(default=False, description="Load again a file loaded before.")


@router.post("/uploads/{upload_id}/load", summary="Load an uploaded file (a background job)",
             status_code=202, response_model=Job)
def load_upload(upload_id: str, body: LoadRequest, request: Request,
                principal: Principal = requires(P.DATA_WRITE)):
    server = request.app.state.server
    folder = _upload_folder(server, upload_id)
    files = [p for p in folder.iterdir() if p.is_file()]
    if not files:
        raise ProblemError(404, f"no upload {upload_id!r}")
    return idempotent(request, principal, lambda: server.jobs.submit(
        "ingest", {"upload_id": upload_id, "name": files[0].name, "preset": body.preset,
                   "force": body.force}, principal.actor), status_code=202)


@job_kind("ingest", P.DATA_WRITE)
def _ingest_job(ctx: JobContext) -> dict[str, Any]:
    params = ctx.params
    folder = ctx.settings.data_dir / "uploads" / params["upload_id"]
    report = store.ingest(ctx.wh, [folder / params["name"]], preset=params.get("preset") or None,
                          default_currency=ctx.settings.currency, force=bool(params.get("force")),
                          progress=ctx.progress, source_label="upload")
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
