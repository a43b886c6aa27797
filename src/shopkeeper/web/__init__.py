"""The web workspace face: server-rendered pages (Jinja2) over the capability entry modules.

``install(app)`` adds the pages, the static files (app.css, app.js and Plotly, all served from the
app: no CDN) and the HTML error pages to the server's FastAPI app.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from shopkeeper.api.problems import Problem
from shopkeeper.api.security import LoginRequired, authenticate

STATIC = Path(__file__).parent / "static"


def plotly_js() -> Path:
    """The Plotly bundle that the plotly package itself ships."""
    import plotly

    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def install(app: FastAPI) -> None:
    from shopkeeper.web.pages import PAGES
    from shopkeeper.web.render import render

    app.mount("/static/vendor/plotly", StaticFiles(directory=plotly_js().parent), name="plotly")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in PAGES:
        app.include_router(router)

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> RedirectResponse:
        return RedirectResponse(f"/login?next={quote(exc.next_path)}", status_code=303)

    def html_error(request: Request, problem: Problem) -> HTMLResponse:
        try:
            principal = authenticate(request)
        except Exception:  # a bad token on a page: show the error anyway
            principal = None
        return render(request, principal, "error.html", title="error.title",
                      problem=problem, status_code=problem.status)

    app.state.html_errors = html_error
