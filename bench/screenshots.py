"""Screenshots of every page of the web workspace, for docs/web.md: en and zh, desktop
(1366×900) and phone (390×844) width, in Debian's chromium.

    .venv/bin/python bench/screenshots.py [--data shopkeeper-data] [--out docs/screenshots]
                                          [--only overview,data] [--no-phone-full]

``--data``: a data folder holding ``warehouse.duckdb`` (and ``models/``), e.g. the one ``shopkeeper
demo`` writes; it is copied, never changed. Without it, ``shopkeeper-data`` here, else a demo store
built in a temporary folder (minutes). A user per role is added to the copy, and the owner takes
the pictures. Files are ``<page>-<lang>-<desktop|phone>.png``, full page at CSS pixel scale.
Phone pictures are cut to the first screen when the whole set would pass 15 MB
(or always with ``--no-phone-full``).

Each page is also checked as the browser tests check it (console errors, requests off
loopback, untranslated keys, phone width) and what is wrong is printed; the exit status is 1 when
anything is.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser_fixtures import (  # noqa: E402
    DESKTOP,
    PASSWORD,
    PHONE,
    Watch,
    add_users,
    browser_missing,
    demo_copy,
    launch,
    live_server,
    page_list,
    page_problems,
    settings_for,
    sign_in,
)

BUDGET = 15 * 1024 * 1024


def demo_folder(data: Path | None, scratch: Path) -> Path:
    """A folder holding ``shopkeeper-data/`` to copy from."""
    if data is not None:
        return data.resolve().parent if data.name == "shopkeeper-data" else data.resolve()
    here = Path("shopkeeper-data")
    if (here / "warehouse.duckdb").exists():
        return Path.cwd()
    folder = scratch / "demo"
    folder.mkdir()
    print("building the demo store (a few minutes)…", flush=True)
    exe = Path(sys.executable).with_name("shopkeeper")
    env = {k: v for k, v in os.environ.items() if k != "SHOPKEEPER_CONFIG"}
    subprocess.run([str(exe), "demo"], cwd=folder, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    return folder


def chat_once(page, base: str) -> None:
    """A shopper's question and its streamed answer, so the chat page shows a conversation."""
    page.fill("#chat-text", "How long does delivery take?")
    page.click("[data-testid=chat-send]")
    page.wait_for_selector(".msg.assistant[data-intent]", timeout=30_000)


def settle_jobs(page, limit: float = 300) -> None:
    """A page computing something (a job box) reloads itself when done: wait for that, so the
    picture shows the result."""
    deadline = time.monotonic() + limit
    while page.locator("[data-job]").count() and time.monotonic() < deadline:
        page.wait_for_timeout(2000)
        page.wait_for_load_state("load")
    page.wait_for_function("() => Array.from(document.querySelectorAll('[data-chart]'))"
                           ".every(el => el.dataset.drawn === 'true')")


def shoot(browser, base: str, pages: list[tuple[str, str]], out: Path, lang: str,
          viewport: str, full: bool) -> tuple[list[Path], list[str]]:
    size = DESKTOP if viewport == "desktop" else PHONE
    files: list[Path] = []
    problems: list[str] = []
    phone = viewport == "phone"

    def one(page, watch, name: str, path: str, prepare=None) -> None:
        sep = "&" if "?" in path else "?"
        problems.extend(page_problems(page, watch, f"{base}{path}{sep}lang={lang}", lang, phone))
        settle_jobs(page)
        if prepare:
            prepare(page, base)
        page.wait_for_timeout(300)  # charts settle (Plotly's responsive resize)
        target = out / f"{name}-{lang}-{viewport}.png"
        page.screenshot(path=str(target), full_page=full, scale="css", animations="disabled")
        files.append(target)

    public_watch = Watch()
    locale = "zh-CN" if lang == "zh" else "en-GB"
    public = public_watch.attach(browser.new_context(viewport=size, locale=locale).new_page())
    one(public, public_watch, "login", "/login")
    one(public, public_watch, "chat", "/chat", chat_once)
    public.context.close()
    watch = Watch()
    page = watch.attach(browser.new_context(viewport=size, locale=locale).new_page())
    sign_in(page, base, "owner", PASSWORD)
    for name, path in pages:
        one(page, watch, name, path)
    page.context.close()
    return files, problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, help="a shopkeeper-data folder (copied)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--only", help="comma-separated page names (e.g. overview,data)")
    parser.add_argument("--no-phone-full", action="store_true",
                        help="phone pictures show the first screen only")
    args = parser.parse_args()
    missing = browser_missing()
    if missing:
        print(f"cannot take screenshots: {missing}", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="shots-") as tmp:
        scratch = Path(tmp)
        data = demo_copy(demo_folder(args.data, scratch), scratch / "copy")
        settings = settings_for(data)
        add_users(settings)
        with live_server(settings) as live, sync_playwright() as p:
            pages = page_list(live)
            if args.only:
                wanted = set(args.only.split(","))
                pages = [pg for pg in pages if pg[0] in wanted]
            browser = launch(p)
            files: list[Path] = []
            problems: list[str] = []
            for viewport in ("desktop", "phone"):
                for lang in ("en", "zh"):
                    shot, found = shoot(browser, live.base, pages, args.out, lang, viewport,
                                        full=viewport == "desktop" or not args.no_phone_full)
                    files += shot
                    problems += found
            total = sum(f.stat().st_size for f in files)
            if total > BUDGET and not args.no_phone_full:
                print(f"{total / 1e6:.1f} MB: phone pictures cut to the first screen", flush=True)
                files = [f for f in files if not f.name.endswith("-phone.png")]
                for lang in ("en", "zh"):
                    files += shoot(browser, live.base, pages, args.out, lang, "phone",
                                   full=False)[0]
            browser.close()
    total = sum(f.stat().st_size for f in files)
    for f in sorted(files):
        print(f"{f.stat().st_size / 1024:8.0f} KB  {f.name}")
    print(f"{len(files)} screenshots, {total / 1e6:.1f} MB, {time.monotonic() - started:.0f} s")
    for line in problems:
        print("PROBLEM", line)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
