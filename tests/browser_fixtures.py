"""Real-browser helpers: Debian's chromium driven by Playwright against a real uvicorn on
loopback, with a watch on every page's console, script errors and requests.

Used by tests/test_web_browser.py and bench/screenshots.py. Nothing here downloads a browser:
chromium is /usr/bin/chromium, started with ``executable_path``."""

from __future__ import annotations

import contextlib
import re
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from shopkeeper import store

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
PHONE_SLACK = 4  # px a phone page may exceed its width (rounding, scrollbars)
PASSWORD = "correct horse battery"
AREAS = ("nav", "common", "auth", "role", "data", "finance", "metrics", "overview", "stock",
         "reviews", "content", "service", "customers", "settings")
# a catalog key shown as it is: a word missing from the catalogs
KEY_RE = re.compile(r"\b(?:" + "|".join(AREAS) + r")\.[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)*\b")
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


def browser_missing() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is not installed (Debian package chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the Python package playwright is not installed"
    return None


def demo_copy(demo_folder: Path, target: Path) -> Path:
    """The demo store's warehouse and models copied under ``target``; returns the data folder."""
    source = demo_folder / "shopkeeper-data"
    data = target / "shopkeeper-data"
    data.mkdir(parents=True)
    shutil.copy(source / "warehouse.duckdb", data / "warehouse.duckdb")
    if (source / "models").exists():
        shutil.copytree(source / "models", data / "models")
    return data


def settings_for(data: Path) -> store.Settings:
    """Settings over a data folder (warehouse, models, outputs), with no model provider."""
    return store.load_settings(warehouse=data / "warehouse.duckdb", model_dir=data / "models",
                               output_dir=data / "out", llm_provider="builtin")


def add_users(settings: store.Settings, password: str = PASSWORD) -> None:
    """One user per role, named after it, unless the warehouse has them already."""
    from shopkeeper import accounts

    with store.Warehouse.from_settings(settings) as wh:
        have = {u.username for u in accounts.list_users(wh)}
        for role in accounts.ROLES:
            if role not in have:
                accounts.add_user(wh, role, password, role,
                                  display_name=f"{role.title()} Person")


@dataclass
class LiveServer:
    """A uvicorn serving the whole app on a loopback port, in a thread of this process."""

    base: str
    app: Any

    @contextlib.contextmanager
    def session(self) -> Iterator[store.Warehouse]:
        """A handle on the server's own open warehouse (the server is the only writer)."""
        with self.app.state.server.session() as wh:
            yield wh


@contextlib.contextmanager
def live_server(settings: store.Settings, *, workers: int = 1) -> Iterator[LiveServer]:
    """Start the app on 127.0.0.1 (a free port), wait until /api/v1/health answers, stop it
    at the end."""
    import httpx
    import uvicorn

    from shopkeeper.api import create_app

    app = create_app(settings, workers=workers, mcp=False)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                                           lifespan="on"))
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the server did not start")
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    while httpx.get(base + "/api/v1/health", timeout=10).status_code != 200:
        if time.monotonic() > deadline:
            raise RuntimeError("the server does not answer /api/v1/health")
        time.sleep(0.1)
    try:
        yield LiveServer(base, app)
    finally:
        server.should_exit = True
        thread.join(30)


def launch(playwright: Any) -> Any:
    """Debian's chromium, headless, with nothing that phones home."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                      headless=True)


@dataclass
class Watch:
    """What a page did: console errors, uncaught script errors, every URL it requested."""

    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def attach(self, page: Any) -> Any:
        page.on("console", lambda m: self.errors.append(f"console: {m.text} @ {m.location}")
                if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        page.on("request", lambda r: self.requests.append(r.url))
        return page

    def foreign(self) -> list[str]:
        """Requests to anything but loopback (a CDN, a font service, telemetry)."""
        out = []
        for url in self.requests:
            parts = urlsplit(url)
            if parts.scheme in ("data", "blob", "about"):
                continue
            if parts.hostname not in LOOPBACK:
                out.append(url)
        return out

    def clear(self) -> None:
        self.errors.clear()
        self.requests.clear()


def sign_in(page: Any, base: str, username: str, password: str = PASSWORD,
            next: str = "/") -> None:
    """Sign in through the login form, as a person would (then the page goes to ``next``)."""
    page.goto(f"{base}/login?next={quote(next)}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("button[type=submit]")


# Everything on a page that sticks out to the right of a phone screen, outside the parts that
# scroll sideways on purpose (.table-wrap) and the off-screen navigation drawer.
OVERFLOW_JS = """(limit) => {
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest('.table-wrap, [data-nav], .js-plotly-plot, script, style')) continue;
    const r = el.getBoundingClientRect();
    if (r.width && r.right > limit) {
      out.push(`${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}` +
               `${el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : ''}` +
               ` right=${Math.round(r.right)}`);
    }
  }
  return {scrollWidth: document.scrollingElement.scrollWidth, culprits: out.slice(0, 8)};
}"""


# The words a person reads on the page (text and placeholders, titles, labels of displayed
# elements), leaving out data: table cells, code, job boxes (a job's kind is an identifier).
WORDS_JS = """() => {
  const out = [], skip = 'script, style, template, td, code, .job-phase';
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walk.nextNode()) {
    const el = walk.currentNode.parentElement;
    if (el && !el.closest(skip) && el.getClientRects().length) out.push(walk.currentNode.data);
  }
  for (const el of document.querySelectorAll('[placeholder], [title], [aria-label]')) {
    if (el.closest(skip) || !el.getClientRects().length) continue;
    out.push(el.getAttribute('placeholder') || '', el.getAttribute('title') || '',
             el.getAttribute('aria-label') || '');
  }
  return out.join('\\n');
}"""


def overflow(page: Any, width: int = PHONE["width"]) -> dict:
    """The page's scroll width and what pokes out beyond ``width`` + slack."""
    return page.evaluate(OVERFLOW_JS, width + PHONE_SLACK)


def wait_charts(page: Any, timeout: float = 20_000) -> int:
    """Wait until every ``[data-chart]`` on the page is drawn by Plotly; returns how many."""
    page.wait_for_load_state("load")
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('[data-chart]'))"
        ".every(el => el.dataset.drawn === 'true')", timeout=timeout)
    return page.locator("[data-chart]").count()


def page_list(live: LiveServer) -> list[tuple[str, str]]:
    """(name, path) of every page a person can reach: each navigation entry, and a SKU, a
    draft, a conversation and a customer taken from the warehouse when it has one."""
    from shopkeeper.web.render import NAV

    names = {"/": "overview"}
    pages = [(names.get(item.path, item.path.strip("/")), item.path) for item in NAV]
    with live.session() as wh:
        def first(sql: str) -> str | None:
            try:
                rows = wh.query(sql)
            except Exception:  # a table a migration has not made: that page is left out
                return None
            return str(rows[0][0]) if rows and rows[0][0] is not None else None

        sku = first("SELECT product_id FROM plan_lines ORDER BY order_value DESC NULLS LAST "
                    "LIMIT 1") or first("SELECT product_id FROM products ORDER BY 1 LIMIT 1")
        draft = first("SELECT draft_id FROM content_drafts ORDER BY created_at LIMIT 1")
        conversation = first("SELECT conversation_id FROM service_messages "
                             "ORDER BY created_at LIMIT 1")
        customer = first("SELECT customer_id FROM orders WHERE customer_id IS NOT NULL "
                         "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")
    if sku:
        pages.append(("stock-sku", f"/stock?sku={sku}"))
    if draft:
        pages.append(("content-draft", f"/content/drafts/{draft}"))
    if conversation:
        pages.append(("service-conversation", f"/service/conversations/{conversation}"))
    if customer:
        pages.append(("customer", f"/customers/{customer}"))
    pages.append(("customers-guide", "/customers/guide"))
    return pages


def page_problems(page: Any, watch: Watch, url: str, lang: str, phone: bool) -> list[str]:
    """Everything wrong with one page as a list of lines (empty when it is fine)."""
    watch.clear()
    response = page.goto(url)
    problems = []
    if response is None or response.status != 200:
        return [f"{url}: HTTP {response.status if response else 'none'}"]
    wait_charts(page)
    text = page.evaluate(WORDS_JS)
    problems += [f"{url}: untranslated key {k}" for k in sorted(set(KEY_RE.findall(text)))]
    if lang == "zh" and page.locator("html").get_attribute("lang") != "zh-CN":
        problems.append(f"{url}: not in Chinese")
    if phone:
        seen = overflow(page)
        if seen["scrollWidth"] > PHONE["width"] + PHONE_SLACK:
            problems.append(f"{url}: {seen['scrollWidth']} px wide at phone width: "
                            f"{seen['culprits']}")
    problems += [f"{url}: {e}" for e in watch.errors]
    problems += [f"{url}: off-loopback request {u}" for u in watch.foreign()]
    return problems
