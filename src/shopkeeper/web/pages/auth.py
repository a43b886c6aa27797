"""Signing in and out, the one-time owner setup, and the language switch."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from shopkeeper import accounts
from shopkeeper.api.problems import ProblemError, problem
from shopkeeper.api.routers.auth import set_session_cookie
from shopkeeper.api.security import (
    LANG_COOKIE,
    PUBLIC_PAGE,
    SESSION_COOKIE,
    Principal,
    check_csrf,
    log_in,
    log_out,
)
from shopkeeper.web.i18n import translator
from shopkeeper.web.render import NAV, page_lang, render

router = APIRouter(include_in_schema=False)


def local_path(target: str | None) -> str:
    """Where to go after signing in: only a path of this site (no ``//evil.example``)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/",
               principal: Principal | None = PUBLIC_PAGE) -> Response:
    if principal is not None:
        return RedirectResponse(landing(principal, next), status_code=303)
    with request.app.state.server.session() as wh:
        if not accounts.has_users(wh):
            return render(request, None, "error.html", title="auth.no_owner_title",
                          problem=problem(409, translator(page_lang(request, None))(
                              "auth.no_owner_help")), status_code=409)
    return render(request, None, "auth/login.html", title="auth.sign_in", next=local_path(next),
                  username="", error=None)


@router.post("/login", response_class=HTMLResponse)
def login(request: Request, username: Annotated[str, Form(max_length=100)],
          password: Annotated[str, Form(max_length=1000)], next: Annotated[str, Form()] = "/",
          _=PUBLIC_PAGE) -> Response:
    try:
        principal, cookie = log_in(request, username, password)
    except ProblemError as exc:
        t = translator(page_lang(request, None))
        message = t("auth.throttled") if exc.status == 429 else t("auth.failed")
        response = render(request, None, "auth/login.html", title="auth.sign_in",
                          next=local_path(next), username=username, error=message,
                          status_code=exc.status)
        for key, value in exc.headers.items():
            response.headers[key] = value
        return response
    response = RedirectResponse(landing(principal, next), status_code=303)
    set_session_cookie(request, response, cookie, principal.user.lang)
    return response


def landing(principal: Principal, asked: str | None) -> str:
    """Where a sign-in goes: the page asked for, else the first page the role may open (an
    agent's is the service console, not the overview)."""
    target = local_path(asked)
    if target != "/":
        return target
    return next((item.path for item in NAV if principal.may(item.permission)), "/")


@router.post("/logout")
def logout(request: Request, csrf_token: Annotated[str, Form()] = "",
           principal: Principal | None = PUBLIC_PAGE) -> Response:
    check_csrf(principal, csrf_token)
    log_out(request, principal)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.post("/lang")
def switch_language(request: Request, lang: Annotated[str, Form(pattern="^(en|zh)$")],
                    next: Annotated[str, Form()] = "/", csrf_token: Annotated[str, Form()] = "",
                    principal: Principal | None = PUBLIC_PAGE) -> Response:
    """Switch the interface language and remember it (on the account when signed in)."""
    if principal is not None:
        check_csrf(principal, csrf_token)
        with request.app.state.server.session() as wh:
            accounts.update_user(wh, principal.user.username, lang=lang, actor=principal.actor,
                                 via="web")
    response = RedirectResponse(local_path(next), status_code=303)
    response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax")
    return response


@router.get("/setup", response_class=HTMLResponse)
def setup_page(request: Request, secret: str = "", _=PUBLIC_PAGE) -> Response:
    with request.app.state.server.session() as wh:
        if accounts.has_users(wh):
            return RedirectResponse("/login", status_code=303)
    return render(request, None, "auth/setup.html", title="auth.setup_title", secret=secret,
                  username="", display_name="", error=None)


@router.post("/setup", response_class=HTMLResponse)
def setup(request: Request, secret: Annotated[str, Form(max_length=200)],
          username: Annotated[str, Form(max_length=100)],
          password: Annotated[str, Form(max_length=1000)],
          display_name: Annotated[str, Form(max_length=200)] = "",
          lang: Annotated[str, Form(pattern="^(en|zh)$")] = "en", _=PUBLIC_PAGE) -> Response:
    with request.app.state.server.session() as wh:
        if accounts.has_users(wh):
            return RedirectResponse("/login", status_code=303)
        try:
            accounts.complete_setup(wh, secret, username, password, display_name=display_name,
                                    lang=lang)
        except (accounts.AuthError, accounts.AccountError) as exc:
            return render(request, None, "auth/setup.html", title="auth.setup_title",
                          secret=secret, username=username, display_name=display_name,
                          error=str(exc), status_code=400)
    principal, cookie = log_in(request, username, password)
    response = RedirectResponse("/", status_code=303)
    set_session_cookie(request, response, cookie, principal.user.lang)
    return response
