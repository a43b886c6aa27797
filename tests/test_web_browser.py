"""The web workspace in a real browser: Debian's chromium driven by Playwright, against a real
uvicorn on loopback serving a copy of the demo store.

Flows: sign in and out; the overview draws its charts; a question asked in its ask box, followed
up and asked back; a real export uploaded through the Data page's file input, previewed, loaded
as a job, with rows read = loaded + quarantined on the page and equal to the ``loads`` table;
a plan line approved; copy generated, edited and approved; a shopper's streamed chat handed off
and answered by an agent in another browser; the switch to Chinese, remembered. And every page,
in both languages, at desktop and phone width: no console or script error, no request off
loopback (no CDN), no untranslated catalog key, nothing wider than a phone except inside a
``.table-wrap``.

Screenshots for docs/web.md are made by bench/screenshots.py with the same helpers."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from tests.browser_fixtures import (
    DESKTOP,
    PASSWORD,
    PHONE,
    Watch,
    browser_missing,
    demo_copy,
    launch,
    live_server,
    page_list,
    page_problems,
    settings_for,
    sign_in,
    wait_charts,
)
from tests.conftest import shared_file
from tests.server_fixtures import make_workspace

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(browser_missing() is not None,
                                 reason=browser_missing() or "")]

RETAIL_RAW = "transactions/online_retail/online_retail_I_first240k.parquet"
SLICE_ROWS = 3000


@pytest.fixture(scope="module")
def live(request, tmp_path_factory):
    """The app on a copy of the demo store, served by uvicorn on 127.0.0.1, a user per role.
    ``SHOPKEEPER_BROWSER_DEMO`` may name a folder where ``shopkeeper demo`` already ran, to skip
    building one (minutes) while working on these tests."""
    prebuilt = os.environ.get("SHOPKEEPER_BROWSER_DEMO")
    folder = Path(prebuilt) if prebuilt else request.getfixturevalue("demo_store")[0]
    data = demo_copy(folder, tmp_path_factory.mktemp("browser"))
    make_workspace(data / "warehouse.duckdb")  # users named after their role
    with live_server(settings_for(data)) as server:
        yield server


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = launch(p)
        yield chromium
        chromium.close()


def open_page(browser, watch: Watch, viewport=DESKTOP):
    """A page in a fresh context (its own cookies), watched."""
    context = browser.new_context(viewport=viewport, locale="en-GB")
    context.set_default_timeout(20_000)
    return watch.attach(context.new_page())


def signed_in(browser, live, username: str, viewport=DESKTOP, next: str = "/") -> tuple:
    watch = Watch()
    page = open_page(browser, watch, viewport)
    sign_in(page, live.base, username, next=next)
    return page, watch


def clean(watch: Watch) -> None:
    assert watch.errors == [], watch.errors
    assert watch.foreign() == [], watch.foreign()


def test_sign_in_wrong_password_then_right_then_out(browser, live) -> None:
    watch = Watch()
    page = open_page(browser, watch)
    page.goto(live.base + "/data")
    assert page.url.startswith(live.base + "/login")  # signed out: sent to the login page
    page.fill("input[name=username]", "operator")
    page.fill("input[name=password]", "not the password")
    page.click("button[type=submit]")
    assert page.locator("[role=alert]").is_visible()
    assert page.url.startswith(live.base + "/login")
    watch.errors.clear()  # the 401 answer to the wrong password is logged by chromium
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert page.url == live.base + "/data"  # back where they were going
    assert page.locator(".who").inner_text().startswith("Operator Person")
    nav = page.locator("nav.sidenav").inner_text()
    assert "Overview" in nav and "Data" in nav and "Settings" not in nav  # an operator's menu
    with page.expect_navigation():
        page.click("form[action='/logout'] button")
    assert page.url.startswith(live.base + "/login")
    page.goto(live.base + "/")
    assert page.url.startswith(live.base + "/login")
    clean(watch)


def test_the_overview_draws_its_charts(browser, live) -> None:
    page, watch = signed_in(browser, live, "owner")
    page.goto(live.base + "/")
    tiles = page.locator("[data-testid=kpi-tiles]")  # a row per currency the store sells in
    assert tiles.count() >= 1 and tiles.first.is_visible()
    drawn = wait_charts(page)
    assert drawn >= 5  # a sparkline per KPI tile at least
    assert page.locator("[data-chart][data-drawn=true] .plotly svg.main-svg").count() >= drawn
    # the sparkline has a line in it, not only axes
    assert page.locator("[data-chart] .plotly .scatterlayer path.js-line").count() >= 1
    clean(watch)


def test_ask_a_question_on_the_overview(browser, live) -> None:
    page, watch = signed_in(browser, live, "analyst")
    page.goto(live.base + "/?lang=zh")
    page.fill("[data-testid=ask-question]", "上个月各国家的客单价")
    with page.expect_navigation():
        page.click("[data-testid=ask-submit]")
    # "last month" is the month before the store's last order: November 2011 on the demo
    # alone, later once the README tour has loaded its exports into the shared store
    assert re.match(r"\d{4}年\d{1,2}月", page.locator("[data-testid=ask-text]").inner_text())
    assert page.locator("#ask-table thead th").first.inner_text() == "国家"
    assert page.locator("#ask-table tbody tr").count() >= 2
    wait_charts(page)
    assert page.locator("[data-testid=ask-chart][data-drawn=true]").count() == 1
    assert not page.locator("[data-testid=ask-sql]").is_visible()  # collapsed until asked
    page.click("[data-testid=ask-how] summary")
    assert "FROM order_lines" in page.locator("[data-testid=ask-sql]").inner_text()
    # a follow-up typed into the same box refines the answer above
    page.fill("[data-testid=ask-question]", "那按渠道呢？")
    with page.expect_navigation():
        page.press("[data-testid=ask-question]", "Enter")
    assert page.locator("#ask-table thead th").first.inner_text() == "渠道"
    assert any("客单价" in th for th in page.locator("#ask-table thead th").all_inner_texts())
    # an open question is asked back; a choice asks again
    page.goto(live.base + "/?lang=en")
    page.fill("[data-testid=ask-question]", "How did we do last month?")
    with page.expect_navigation():
        page.click("[data-testid=ask-submit]")
    with page.expect_navigation():
        page.click("[data-testid=ask-choices] a >> text=GMV")
    # one number, or one per currency once the tour's exports share the store
    assert page.locator("[data-testid=ask-answer]").get_attribute("data-kind") in ("number",
                                                                                  "table")
    assert re.search(r"in [A-Z][a-z]+ \d{4}", page.locator("[data-testid=ask-text]").inner_text())
    clean(watch)


def _retail_slice(target: Path) -> Path:
    """The first rows of the raw UCI Online Retail export as the CSV a shop would download:
    real orders, cancellations (C invoices) and a stock adjustment the loader quarantines."""
    import duckdb

    source = shared_file(RETAIL_RAW)
    out = target / "online_retail_first3000.csv"
    duckdb.connect().execute(
        f"COPY (SELECT * FROM read_parquet('{source}') LIMIT {SLICE_ROWS}) TO '{out}' "
        "(HEADER, DELIMITER ',')")
    return out


def test_upload_a_real_export_and_see_rows_read_equal_loaded_plus_quarantined(
        browser, live, tmp_path) -> None:
    export = _retail_slice(tmp_path)
    page, watch = signed_in(browser, live, "owner")
    page.goto(live.base + "/data")
    with live.session() as wh:
        loads_before = wh.query("SELECT count(*) FROM loads")[0][0]
    page.set_input_files("[data-testid=upload-input]", str(export))
    page.wait_for_selector("#preview:not([hidden])")
    summary = page.locator(".preview-summary").inner_text()
    assert "order_lines" in summary or "orders" in summary, summary  # the preset recognised it
    assert page.locator(".preview-map tbody tr").count() >= 5  # the column mapping
    assert page.locator(".preview-sample tbody tr").count() >= 1  # sample rows
    assert "online_retail_first3000.csv" in page.locator(".upload-status").inner_text()
    page.click("[data-load-upload]")
    counts = page.wait_for_selector("[data-testid=load-counts]", timeout=120_000).inner_text()
    m = re.match(r"(\S+): \D*([\d,]+) = \D*([\d,]+) \+ \D*([\d,]+)$", counts)
    assert m, counts
    load_id = m.group(1)
    read, loaded, quarantined = (int(g.replace(",", "")) for g in m.groups()[1:])
    assert read == SLICE_ROWS  # every row of the file was read
    assert read == loaded + quarantined
    assert quarantined >= 1  # the real stock adjustment in these rows
    with live.session() as wh:
        row = wh.query("SELECT rows_read, rows_loaded, rows_quarantined FROM loads "
                       "WHERE load_id = ?", [load_id])
        assert wh.query("SELECT count(*) FROM loads")[0][0] == loads_before + 1
    assert row and tuple(row[0]) == (read, loaded, quarantined)
    page.goto(live.base + "/data")  # the new load is in the page's table with the same counts
    cells = page.locator(f"#loads-table tr:has(a:text-is('{load_id}')) td.num").all_inner_texts()
    assert [int(c.replace(",", "")) for c in cells] == [read, loaded, quarantined]
    clean(watch)


def test_approve_a_plan_line(browser, live) -> None:
    page, watch = signed_in(browser, live, "operator")
    page.goto(live.base + "/stock#plan")
    assert "draft" in page.locator("[data-testid=plan-status]").get_attribute("class")
    box = page.locator("#plan-lines tbody tr[data-line] input[type=checkbox]").first
    row = page.locator("#plan-lines tbody tr[data-line]",
                       has=page.locator("input[type=checkbox]")).first
    line_no = int(row.get_attribute("data-line"))
    sku = row.locator("td").nth(1).inner_text()
    box.check()
    with page.expect_navigation():  # the form reloads the page once the API has answered
        page.click("[data-testid=approve-selected]")
    page.wait_for_load_state("load")
    badge = page.locator(f"#plan-lines tr[data-line='{line_no}'] td .badge.approved")
    assert badge.count() == 1, f"line {line_no} ({sku}) not shown approved"
    assert page.locator(f"#plan-lines tr[data-line='{line_no}'] input[type=checkbox]").count() == 0
    approved = page.request.get(live.base + "/api/v1/stock/plans/latest/lines",
                                params={"status": "approved", "limit": 200}).json()
    lines = {item["line_no"]: item for item in approved["items"]}
    assert line_no in lines and lines[line_no]["product_id"] == sku
    assert lines[line_no]["status"] == "approved"
    assert approved["total"] == 1  # that line only: the plan itself stays a draft
    assert "draft" in page.locator("[data-testid=plan-status]").get_attribute("class")
    with live.session() as wh:
        events = wh.query("SELECT actor FROM audit_log WHERE action LIKE 'stock.%approve%'")
    assert ("operator",) in [tuple(e) for e in events]
    clean(watch)


def test_generate_edit_and_approve_copy(browser, live) -> None:
    with live.session() as wh:
        sku = wh.query("SELECT product_id FROM order_lines GROUP BY 1 "
                       "ORDER BY sum(quantity) DESC LIMIT 1")[0][0]
    page, watch = signed_in(browser, live, "operator")
    page.goto(live.base + "/content")
    page.fill("[data-testid=gen-sku]", sku)
    page.select_option("[data-testid=generate-form] select[name=lang]", "en")
    for box in page.locator("[data-testid=generate-form] input[name='kinds[]']").all():
        box.uncheck()
    page.check("[data-testid=generate-form] input[name='kinds[]'][value=description]")
    page.click("[data-testid=generate]")
    card = page.wait_for_selector("[data-testid=generated-draft]", timeout=60_000)
    generated = card.query_selector("p").inner_text()
    assert len(generated) > 40
    with page.expect_navigation():
        card.query_selector("a").click()
    draft_id = page.locator("[data-testid=draft-id]").inner_text()
    assert "draft" in page.locator("[data-testid=draft-status]").get_attribute("class")
    assert page.locator("[data-testid=draft-text]").inner_text() == generated
    edited = generated.rstrip() + "\n\nMade for everyday use."
    page.fill("[data-testid=edit-text]", edited)
    with page.expect_navigation():
        page.click("[data-testid=save-edit]")
    assert page.locator("[data-testid=draft-text]").inner_text() == edited  # re-checked, shown
    page.on("dialog", lambda d: d.accept())  # a flagged draft asks before approving
    with page.expect_navigation():
        page.click("[data-testid=approve]")
    status = page.locator("[data-testid=draft-status]")
    assert "approved" in status.get_attribute("class") and status.inner_text() == "Approved"
    detail = page.request.get(live.base + f"/api/v1/content/drafts/{draft_id}").json()
    assert detail["status"] == "approved" and detail["text"] == edited
    assert detail["version"] >= 2 and detail["product_id"] == sku
    with live.session() as wh:
        actions = {r[0] for r in wh.query(
            "SELECT action FROM audit_log WHERE actor = 'operator' AND target = ?",
            [f"draft:{draft_id}"])}
    assert {"content.edit", "content.approve"} <= actions, actions
    clean(watch)


def test_a_shopper_chat_is_streamed_handed_off_and_answered_by_an_agent(browser, live) -> None:
    shop_watch = Watch()
    shop = open_page(browser, shop_watch, PHONE)
    shop.goto(live.base + "/chat")
    # keep a copy of what the page's own fetch reads from the reply's stream
    shop.evaluate("""() => { const real = window.fetch; window.__sse = [];
      window.fetch = async (...args) => { const res = await real(...args);
        if (!String(args[0]).endsWith('/messages') || !res.body) return res;
        const [mine, copy] = res.body.tee(); const entry = {type:
          res.headers.get('content-type'), text: ''}; window.__sse.push(entry);
        (async () => { const r = copy.getReader(), d = new TextDecoder();
          for (;;) { const {value, done} = await r.read(); if (done) break;
                     entry.text += d.decode(value, {stream: true}); } })();
        return new Response(mine, {status: res.status, headers: res.headers}); }; }""")
    shop.fill("#chat-text", "How long does delivery take?")
    shop.click("[data-testid=chat-send]")
    reply = shop.wait_for_selector(".msg.assistant[data-intent]")
    assert "working days" in reply.inner_text()
    # the reply came as server-sent events: the text in pieces, then the finished turn
    shop.wait_for_function("window.__sse.length && window.__sse[0].text.includes('event: turn')")
    sse = shop.evaluate("window.__sse[0]")
    assert sse["type"].startswith("text/event-stream")
    stream = sse["text"]
    pieces = [json.loads(line[6:]) for block in stream.split("\n\n") if
              block.startswith("event: token") for line in block.split("\n")
              if line.startswith("data: ")]
    assert len(pieces) >= 2 and "".join(pieces).strip() == reply.inner_text().strip()
    assert "event: turn" in stream
    shop.fill("#chat-text", "Can I talk to a real person please?")
    shop.click("[data-testid=chat-send]")
    shop.wait_for_function("document.querySelector('.chat-status').textContent.length > 0")
    cid = shop.evaluate("JSON.parse(sessionStorage.getItem('shopkeeper-chat')).id")

    agent, agent_watch = signed_in(browser, live, "agent", next="/service")
    assert agent.url == live.base + "/service"
    with agent.expect_navigation():
        agent.click(f"tr[data-handoff]:has(a[href$='{cid}']) [data-testid=take-over]")
    agent.wait_for_url(f"**/service/conversations/{cid}")
    assert "Can I talk to a real person please?" in agent.inner_text(
        "[data-testid=console-messages]")
    answer_text = "Hi, Sam here from the shop. How can I help?"
    agent.fill("[data-testid=agent-reply]", answer_text)
    agent.click("[data-testid=send-reply]")
    assert shop.wait_for_selector(".msg.agent", timeout=20_000).inner_text() == answer_text
    clean(shop_watch)
    clean(agent_watch)


def test_switch_to_chinese_and_it_is_remembered(browser, live) -> None:
    page, watch = signed_in(browser, live, "viewer")
    page.goto(live.base + "/")
    assert "Overview" in page.locator("nav.sidenav").inner_text()
    with page.expect_navigation():
        page.click("[data-testid=lang-switch]")
    assert page.url == live.base + "/"
    nav = page.locator("nav.sidenav").inner_text()
    assert "概览" in nav and "Overview" not in nav
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    page.reload()
    assert "概览" in page.locator("nav.sidenav").inner_text()
    # remembered on the account too: a new browser signing in as them gets Chinese
    other, other_watch = signed_in(browser, live, "viewer")
    other.goto(live.base + "/")
    assert "概览" in other.locator("nav.sidenav").inner_text()
    with page.expect_navigation():
        page.click("[data-testid=lang-switch]")  # and back
    assert "Overview" in page.locator("nav.sidenav").inner_text()
    clean(watch)
    clean(other_watch)


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_every_page_in_both_languages_is_clean(browser, live, viewport) -> None:
    size = DESKTOP if viewport == "desktop" else PHONE
    pages = page_list(live)
    assert len(pages) >= 10
    problems: list[str] = []
    visited = 0
    for lang in ("en", "zh"):
        public_watch = Watch()
        public = open_page(browser, public_watch, size)
        for path in ("/login", "/chat"):
            problems += page_problems(public, public_watch, f"{live.base}{path}?lang={lang}", lang,
                                    viewport == "phone")
            visited += 1
        page, watch = signed_in(browser, live, "owner", size)
        for _, path in pages:
            sep = "&" if "?" in path else "?"
            problems += page_problems(page, watch, f"{live.base}{path}{sep}lang={lang}", lang,
                                    viewport == "phone")
            visited += 1
        page.context.close()
        public.context.close()
    assert visited == 2 * (len(pages) + 2)
    assert problems == [], "\n".join(problems)
