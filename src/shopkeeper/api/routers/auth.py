"""Signing in and out, the caller's own account, and the one-time owner setup."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field

from shopkeeper import accounts, store
from shopkeeper.api.app import warehouse
from shopkeeper.api.problems import ProblemError
from shopkeeper.api.security import (
    LANG_COOKIE,
    PUBLIC,
    SESSION_COOKIE,
    Principal,
    log_in,
    log_out,
    requires,
)

router = APIRouter(tags=["account"])
P = accounts.Permission


class Me(BaseModel):
    user: accounts.User
    via: str = Field(description="'session' (web) or 'token' (API, MCP).")
    scope: str | None = Field(description="A token's scope, 'read' or 'write'; null for a session.")
    permissions: list[str] = Field(description="What this caller may do.")
    csrf_token: str | None = Field(default=None, description="Send it as X-CSRF-Token with "
                                   "every change made with the session cookie.")


def me_of(principal: Principal) -> Me:
    return Me(user=principal.user, via=principal.via, scope=principal.scope,
              permissions=sorted(p.value for p in P if principal.may(p)),
              csrf_token=principal.csrf_token or None)


class Login(BaseModel):
    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=1000)


@router.post("/session", summary="Sign in (web session cookie)", response_model=Me)
def sign_in(body: Login, request: Request, response: Response, _=PUBLIC) -> Me:
    principal, cookie = log_in(request, body.username, body.password)
    set_session_cookie(request, response, cookie, principal.user.lang)
    return me_of(principal)


def set_session_cookie(request: Request, response: Response, cookie: str, lang: str) -> None:
    """The session cookie (HttpOnly: scripts never see it) and the remembered language."""
    response.set_cookie(SESSION_COOKIE, cookie, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https",
                        max_age=request.app.state.server.session_ttl)
    response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax")


@router.delete("/session", summary="Sign out", status_code=204)
def sign_out(request: Request, response: Response,
             principal: Principal = requires(P.JOBS_READ)) -> Response:
    log_out(request, principal)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/me", summary="Who am I, and what may I do", response_model=Me)
def me(principal: Principal = requires(P.JOBS_READ)) -> Me:
    return me_of(principal)


class Preferences(BaseModel):
    lang: str = Field(pattern="^(en|zh)$", description="Interface language: en or zh.")


@router.put("/me/preferences", summary="Remember my interface language", response_model=Me)
def set_preferences(body: Preferences, response: Response,
                    wh: Annotated[store.Warehouse, Depends(warehouse)],
                    principal: Principal = requires(P.ACCOUNT_SELF)) -> Me:
    user = accounts.update_user(wh, principal.user.username, lang=body.lang,
                                actor=principal.actor, via=principal.via)
    response.set_cookie(LANG_COOKIE, body.lang, max_age=365 * 86400, samesite="lax")
    return me_of(Principal(user=user, via=principal.via, scope=principal.scope,
                           csrf_token=principal.csrf_token, session_id=principal.session_id))


class Setup(BaseModel):
    secret: str = Field(min_length=8, max_length=200)
    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=10, max_length=1000)
    display_name: str = ""
    lang: str = Field(default="en", pattern="^(en|zh)$")


@router.post("/setup", summary="Create the owner with the one-time setup secret",
             response_model=accounts.User, status_code=201)
def setup(body: Setup, wh: Annotated[store.Warehouse, Depends(warehouse)],
          _=PUBLIC) -> accounts.User:
    if accounts.has_users(wh):
        raise ProblemError(409, "this workspace already has an owner; sign in instead")
    try:
        return accounts.complete_setup(wh, body.secret, body.username, body.password,
                                       display_name=body.display_name, lang=body.lang)
    except accounts.AuthError as exc:
        raise ProblemError(403, str(exc)) from None

