"""The owner's desk: users, API tokens, the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from shopkeeper import accounts, store
from shopkeeper.api.app import warehouse
from shopkeeper.api.idempotency import idempotent
from shopkeeper.api.pagination import Page, Paging, paging
from shopkeeper.api.problems import ProblemError
from shopkeeper.api.security import Principal, requires

router = APIRouter(tags=["admin"])
P = accounts.Permission
Wh = Annotated[store.Warehouse, Depends(warehouse)]
Role = Literal["owner", "analyst", "operator", "agent", "viewer"]


class NewUser(BaseModel):
    username: str = Field(min_length=1, max_length=100, pattern=r"^[\w.@+-]+$")
    password: str = Field(min_length=10, max_length=1000)
    role: Role
    display_name: str = Field(default="", max_length=200)
    lang: Literal["en", "zh"] = "en"


class UserChange(BaseModel):
    role: Role | None = None
    disabled: bool | None = None
    display_name: str | None = Field(default=None, max_length=200)
    lang: Literal["en", "zh"] | None = None
    password: str | None = Field(default=None, min_length=10, max_length=1000)


@router.get("/users", summary="List users", response_model=Page[accounts.User])
def list_users(wh: Wh, page: Annotated[Paging, Depends(paging)],
               _: Principal = requires(P.USERS_MANAGE)) -> Page[accounts.User]:
    return page.of(accounts.list_users(wh))


@router.post("/users", summary="Add a user (Idempotency-Key honoured)", status_code=201,
             response_model=accounts.User)
def add_user(body: NewUser, request: Request, wh: Wh,
             principal: Principal = requires(P.USERS_MANAGE)):
    return idempotent(request, principal, lambda: accounts.add_user(
        wh, body.username, body.password, body.role, display_name=body.display_name,
        lang=body.lang, actor=principal.actor, via=principal.via))


@router.patch("/users/{username}", summary="Change a user's role, language, name, password or "
              "disable them", response_model=accounts.User)
def change_user(username: str, body: UserChange, wh: Wh,
                principal: Principal = requires(P.USERS_MANAGE)) -> accounts.User:
    if accounts.get_user(wh, username) is None:
        raise ProblemError(404, f"no user {username!r}")
    if username == principal.actor and (body.disabled or (body.role and body.role != "owner")):
        raise ProblemError(409, "you cannot disable yourself or give up your own owner role")
    return accounts.update_user(wh, username, **body.model_dump(exclude_none=True),
                                actor=principal.actor, via=principal.via)


class NewToken(BaseModel):
    name: str = Field(min_length=1, max_length=100, description="What the token is for.")
    scope: Literal["read", "write"] = Field(default="read", description="'read' tokens can "
                                            "never change anything.")
    expires_days: int | None = Field(default=90, ge=1, le=3650,
                                     description="Days until it expires; null: never.")
    username: str | None = Field(default=None, description="Whose token (owner only); "
                                 "default: yours.")


@router.get("/tokens", summary="List API tokens (never their secrets)",
            response_model=Page[accounts.TokenInfo])
def list_tokens(wh: Wh, page: Annotated[Paging, Depends(paging)],
                principal: Principal = requires(P.JOBS_READ)) -> Page[accounts.TokenInfo]:
    mine = None if principal.may(P.USERS_MANAGE) else principal.actor
    return page.of(accounts.list_tokens(wh, mine))


@router.post("/tokens", summary="Create an API token; its secret is shown once",
             status_code=201, response_model=accounts.IssuedToken)
def create_token(body: NewToken, request: Request, wh: Wh,
                 principal: Principal = requires(P.ACCOUNT_SELF)):
    owner = body.username or principal.actor
    if owner != principal.actor and not principal.may(P.USERS_MANAGE):
        raise ProblemError(403, "only the owner creates tokens for other users")
    if accounts.get_user(wh, owner) is None:
        raise ProblemError(404, f"no user {owner!r}")
    return idempotent(request, principal, lambda: accounts.create_token(
        wh, owner, body.name, scope=body.scope, expires_days=body.expires_days,
        actor=principal.actor, via=principal.via))


@router.delete("/tokens/{token_id}", summary="Revoke a token", response_model=accounts.TokenInfo)
def revoke_token(token_id: str, wh: Wh,
                 principal: Principal = requires(P.ACCOUNT_SELF)) -> accounts.TokenInfo:
    tokens = {t.token_id: t for t in accounts.list_tokens(wh)}
    token = tokens.get(token_id)
    if token is None or (token.username != principal.actor
                         and not principal.may(P.USERS_MANAGE)):
        raise ProblemError(404, f"no token {token_id!r}")
    return accounts.revoke_token(wh, token_id, actor=principal.actor, via=principal.via)


@router.get("/audit", summary="The audit log: who changed what, when, before and after",
            response_model=Page[accounts.AuditEvent])
def audit(wh: Wh, page: Annotated[Paging, Depends(paging)],
          actor: Annotated[str | None, Query(max_length=100)] = None,
          action: Annotated[str | None, Query(max_length=100)] = None,
          since: datetime | None = None,
          _: Principal = requires(P.AUDIT_READ)) -> Page[accounts.AuditEvent]:
    events = accounts.audit_log(wh, limit=page.limit + 1, offset=page.offset, actor=actor,
                                action=action, since=since)
    more = len(events) > page.limit
    return page.of(events[:page.limit], total=page.offset + len(events) + (1 if more else 0))


@router.get("/audit/export", summary="Download the audit log (CSV or JSON lines)",
            response_class=FileResponse)
def audit_export(request: Request, wh: Wh, fmt: Literal["csv", "jsonl"] = "csv",
                 _: Principal = requires(P.AUDIT_READ)) -> FileResponse:
    path = request.app.state.server.export_path(f".{fmt}")
    accounts.export_audit(wh, path, fmt=fmt)
    return FileResponse(path, filename=f"shopkeeper-audit.{fmt}",
                        media_type="text/csv" if fmt == "csv" else "application/jsonl")


class Backup(BaseModel):
    backup: str = Field(description="Where the server wrote the backup file.")
    created_at: str
    schema_version: int
    sha256: str = Field(description="The file's SHA-256; `shopkeeper restore` checks it.")
    bytes: int
    tables: dict[str, int] = Field(description="Rows per table in the backup.")


@router.post("/backups", summary="Back up the warehouse while the server keeps serving "
             "(a consistent snapshot; restore it with `shopkeeper restore` once the server "
             "is stopped)", status_code=201, response_model=Backup)
def create_backup(request: Request, wh: Wh,
                  principal: Principal = requires(P.USERS_MANAGE)) -> Backup:
    server = request.app.state.server
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    manifest = store.backup_warehouse(wh, server.data_dir / "backups" / f"warehouse-{stamp}.duckdb")
    with wh.transaction():
        accounts.record(wh, principal.actor, "warehouse.backup", manifest.backup,
                        after={"sha256": manifest.sha256, "bytes": manifest.bytes},
                        via=principal.via)
    return Backup(**{k: getattr(manifest, k) for k in Backup.model_fields})
