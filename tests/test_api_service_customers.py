"""Customer service and customers over the real server: the shopper's streamed chat, hand-off to
a person and back, the console's permissions, return decisions with their audit, segments,
audience exports, customer search with SQL metacharacters, a customer's recommendations with
their reasons, and the shopping guide.

Runs on a copy of the session's demo store (tests/conftest.py ``demo_store``)."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from shopkeeper import accounts, recommend, store
from shopkeeper.api.app import create_app
from shopkeeper.api.routers.service import SlidingWindow, chat_state

PASSWORD = "correct horse battery"
ROLES = ("owner", "operator", "agent", "viewer", "analyst")


@pytest.fixture(scope="module")
def demo_copy(request, tmp_path_factory) -> Path:
    """The demo store's warehouse and models, copied so these tests may change them."""
    source = request.getfixturevalue("demo_store")[0] / "shopkeeper-data"
    target = tmp_path_factory.mktemp("svc") / "shopkeeper-data"
    target.mkdir()
    shutil.copy(source / "warehouse.duckdb", target / "warehouse.duckdb")
    shutil.copytree(source / "models", target / "models")
    return target


@pytest.fixture(scope="module")
def server(demo_copy: Path):
    """The app on the copy, a bearer token per role, and the client."""
    settings = store.load_settings(warehouse=demo_copy / "warehouse.duckdb",
                                   model_dir=demo_copy / "models",
                                   output_dir=demo_copy / "out", llm_provider="builtin")
    with store.Warehouse.from_settings(settings) as wh:
        tokens = {}
        for role in ROLES:
            accounts.add_user(wh, f"{role}1", PASSWORD, role)
            tokens[role] = accounts.create_token(wh, f"{role}1", "test", scope="write",
                                                 actor="test", via="cli").secret
    app = create_app(settings, workers=1, mcp=False)
    with TestClient(app) as client:
        chat_state(app).messages = SlidingWindow(10_000, 60.0)
        chat_state(app).starts = SlidingWindow(10_000, 60.0)
        yield app, client, tokens


def signed_in(app, role: str) -> TestClient:
    """A browser-like client with a web session of ``role``'s user (its own cookies)."""
    client = TestClient(app)
    r = client.post("/api/v1/session", json={"username": f"{role}1", "password": PASSWORD})
    assert r.status_code == 200, r.text
    return client


def auth(tokens: dict[str, str], role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens[role]}"}


def start_chat(client: TestClient) -> tuple[str, dict[str, str]]:
    r = client.post("/api/v1/chat/conversations")
    assert r.status_code == 201, r.text
    body = r.json()
    return body["conversation_id"], {"X-Chat-Token": body["token"]}


def events(text: str) -> list[tuple[str, object]]:
    """Server-sent events as (event, JSON data)."""
    out = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        out.append((lines["event"], json.loads(lines["data"])))
    return out


def say(client: TestClient, cid: str, headers: dict[str, str], text: str) -> dict:
    r = client.post(f"/api/v1/chat/conversations/{cid}/messages", json={"text": text},
                    headers=headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/event-stream")
    got = events(r.text)
    assert got[-1][0] == "turn"
    return got[-1][1]


# -- the shopper's chat ----------------------------------------------------------------------
def test_reply_streams_pieces_then_the_structured_turn(server) -> None:
    _, client, _ = server
    cid, headers = start_chat(client)
    r = client.post(f"/api/v1/chat/conversations/{cid}/messages",
                    json={"text": "How long does delivery take?"}, headers=headers)
    assert r.status_code == 200
    got = events(r.text)
    tokens = [data for kind, data in got if kind == "token"]
    kind, turn = got[-1]
    assert kind == "turn" and len(tokens) > 3
    assert "".join(tokens) == turn["text"]
    assert turn["conversation_id"] == cid and turn["handoff"] is False
    assert turn["intent"] == "delivery_time" and turn["sources"], turn
    # the conversation is logged, and the shopper reads it back with the token
    mine = client.get(f"/api/v1/chat/conversations/{cid}", headers=headers).json()
    assert [m["role"] for m in mine["messages"]] == ["customer", "assistant"]
    assert mine["messages"][1]["text"] == turn["text"]


def test_hand_off_taken_over_and_answered_by_an_agent(server) -> None:
    app, client, tokens = server
    cid, headers = start_chat(client)
    say(client, cid, headers, "Hello")
    turn = say(client, cid, headers, "Can I talk to a real person please?")
    assert turn["handoff"] is True and turn["handoff_reason"] == "customer asked for a person"

    queue = client.get("/api/v1/service/handoffs", headers=auth(tokens, "agent")).json()
    mine = [h for h in queue["items"] if h["conversation_id"] == cid]
    assert len(mine) == 1 and mine[0]["status"] == "open"
    handoff_id = mine[0]["handoff_id"]
    assert "asked for a person" in mine[0]["summary"]

    # an agent answers only a conversation someone has taken over
    early = client.post(f"/api/v1/service/conversations/{cid}/replies",
                        json={"text": "Hi"}, headers=auth(tokens, "agent"))
    assert early.status_code == 400 and "take" in early.json()["detail"]
    taken = client.post(f"/api/v1/service/handoffs/{handoff_id}/take",
                        headers=auth(tokens, "agent"))
    assert taken.status_code == 200, taken.text
    assert taken.json()["status"] == "taken" and taken.json()["agent"] == "agent1"

    seen = client.get(f"/api/v1/chat/conversations/{cid}", headers=headers).json()
    assert seen["with_person"] and seen["taken"]
    last = seen["messages"][-1]["turn"]
    answer = "Hello, this is Sam from the shop. I can help with that."
    r = client.post(f"/api/v1/service/conversations/{cid}/replies", json={"text": answer},
                    headers=auth(tokens, "agent"))
    assert r.status_code == 201, r.text
    new = client.get(f"/api/v1/chat/conversations/{cid}?after={last}", headers=headers).json()
    assert [(m["role"], m["text"]) for m in new["messages"]] == [("agent", answer)]

    # the shopper's next message waits for the person; the assistant does not answer it
    waiting = say(client, cid, headers, "Thanks, my parcel never came")
    assert waiting["flow"] == "with_person" and waiting["handoff"] is True
    console = client.get(f"/api/v1/service/conversations/{cid}",
                         headers=auth(tokens, "agent")).json()
    assert [m["role"] for m in console["messages"]][-2:] == ["agent", "customer"]

    # closing hands the conversation back to the assistant
    closed = client.post(f"/api/v1/service/handoffs/{handoff_id}/close",
                         headers=auth(tokens, "agent"))
    assert closed.json()["status"] == "closed"
    again = say(client, cid, headers, "How long does delivery take?")
    assert again["handoff"] is False and again["flow"] != "with_person"

    with app.state.server.session() as wh:
        log = accounts.audit_log(wh, actor="agent1")
    actions = {(e.action, e.target) for e in log}
    assert ("service.take_over", f"handoff:{handoff_id}") in actions
    assert ("service.reply", f"conversation:{cid}") in actions
    assert ("service.close_handoff", f"handoff:{handoff_id}") in actions
    take = next(e for e in log if e.action == "service.take_over")
    assert take.before["status"] == "open" and take.after["status"] == "taken"


def test_a_shopper_cannot_read_or_continue_another_shoppers_conversation(server) -> None:
    _, client, _ = server
    a, a_headers = start_chat(client)
    b, b_headers = start_chat(client)
    say(client, b, b_headers, "My email is someone@example.com, where is my order?")
    assert a != b and len(a) > 30
    for headers in (a_headers, {}, {"X-Chat-Token": "forged.token"},
                    {"X-Chat-Token": a_headers["X-Chat-Token"] + "x"}):
        read = client.get(f"/api/v1/chat/conversations/{b}", headers=headers)
        assert read.status_code == 404, read.text  # as if it did not exist
        assert "example.com" not in read.text
        write = client.post(f"/api/v1/chat/conversations/{b}/messages", json={"text": "hi"},
                            headers=headers)
        assert write.status_code == 404
    assert client.get(f"/api/v1/chat/conversations/{b}", headers=b_headers).status_code == 200


def test_the_chat_is_rate_limited_per_client_and_messages_are_capped(server) -> None:
    app, client, _ = server
    cid, headers = start_chat(client)
    state = chat_state(app)
    kept = state.messages
    state.messages = SlidingWindow(3, 60.0)
    try:
        codes = [client.post(f"/api/v1/chat/conversations/{cid}/messages",
                             json={"text": "hello"}, headers=headers).status_code
                 for _ in range(5)]
    finally:
        state.messages = kept
    assert codes == [200, 200, 200, 429, 429]
    limited = client.post(f"/api/v1/chat/conversations/{cid}/messages", json={"text": "x"},
                          headers=headers)
    assert limited.status_code == 200  # the window is per server state, restored above
    long = client.post(f"/api/v1/chat/conversations/{cid}/messages",
                       json={"text": "a" * 1001}, headers=headers)
    assert long.status_code == 422
    assert long.headers["content-type"].startswith("application/problem+json")


def test_rate_limit_answers_with_a_problem_and_retry_after(server) -> None:
    app, client, _ = server
    state = chat_state(app)
    kept = state.starts
    state.starts = SlidingWindow(1, 600.0)
    try:
        assert client.post("/api/v1/chat/conversations").status_code == 201
        r = client.post("/api/v1/chat/conversations")
    finally:
        state.starts = kept
    assert r.status_code == 429
    assert r.json()["status"] == 429 and int(r.headers["Retry-After"]) > 0


# -- the console -----------------------------------------------------------------------------
def test_viewers_and_strangers_cannot_see_the_console(server) -> None:
    _, client, tokens = server
    for path in ("/api/v1/service/conversations", "/api/v1/service/handoffs",
                 "/api/v1/service/returns"):
        assert client.get(path, headers=auth(tokens, "viewer")).status_code == 403
        assert client.get(path).status_code == 401
        assert client.get(path, headers=auth(tokens, "agent")).status_code == 200
    listed = client.get("/api/v1/service/conversations?limit=5",
                        headers=auth(tokens, "analyst")).json()
    assert listed["total"] >= 1 and len(listed["items"]) <= 5


def test_an_operator_approves_a_drafted_return_and_it_is_audited(server) -> None:
    app, client, tokens = server
    drafts = client.get("/api/v1/service/returns", headers=auth(tokens, "operator")).json()
    assert drafts["total"] >= 1, "the demo conversation drafts a return request"
    request_id = drafts["items"][0]["request_id"]
    assert drafts["items"][0]["status"] == "draft" and drafts["items"][0]["policy_docs"]
    path = f"/api/v1/service/returns/{request_id}/decision"
    denied = client.post(path, json={"decision": "approved"}, headers=auth(tokens, "agent"))
    assert denied.status_code == 403
    r = client.post(path, json={"decision": "approved"}, headers=auth(tokens, "operator"))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "approved" and r.json()["decided_by"] == "operator1"
    twice = client.post(path, json={"decision": "rejected"}, headers=auth(tokens, "operator"))
    assert twice.status_code == 400 and "already approved" in twice.json()["detail"]
    bad = client.post(path, json={"decision": "maybe"}, headers=auth(tokens, "operator"))
    assert bad.status_code == 422
    with app.state.server.session() as wh:
        events_ = accounts.audit_log(wh, actor="operator1", action="service.return_approved")
    assert [(e.target, e.before, e.after["status"]) for e in events_] == [
        (f"return:{request_id}", {"status": "draft"}, "approved")]


# -- customers -------------------------------------------------------------------------------
def test_segments_grid_and_clv(server) -> None:
    _, client, tokens = server
    r = client.get("/api/v1/customers/segments", headers=auth(tokens, "analyst"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert sum(c["customers"] for c in body["cells"]) == body["customers"] > 100
    assert all(1 <= c["r_score"] <= 5 and 1 <= c["fm_score"] <= 5 for c in body["cells"])
    assert sum(s["customers"] for s in body["segments"]) == body["customers"]
    assert body["clv"]["top"][0]["clv"] >= body["clv"]["top"][-1]["clv"]
    assert client.get("/api/v1/customers/segments",
                      headers=auth(tokens, "viewer")).status_code == 403
    assert client.get("/api/v1/customers/clv?top=3",
                      headers=auth(tokens, "owner")).json()["top"].__len__() == 3


def test_audience_export_holds_exactly_the_segments_customers(server) -> None:
    app, client, tokens = server
    overview = client.get("/api/v1/customers/segments", headers=auth(tokens, "owner")).json()
    segment = overview["segments"][1]
    r = client.get("/api/v1/customers/audience", params={"segment": segment["segment"]},
                   headers=auth(tokens, "owner"))
    assert r.status_code == 200, r.text
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == segment["customers"]
    assert {row["segment"] for row in rows} == {segment["segment"]}
    with app.state.server.session() as wh:
        table, _ = recommend.segments_table(wh)
    expected = set(table.loc[table["segment"] == segment["segment"], "customer_id"].astype(str))
    assert {row["customer_id"] for row in rows} == expected
    unknown = client.get("/api/v1/customers/audience", params={"segment": "../../etc/passwd"},
                         headers=auth(tokens, "owner"))
    assert unknown.status_code == 400 and "no customers in segment" in unknown.json()["detail"]


def test_customer_search_takes_sql_metacharacters_literally(server) -> None:
    app, client, tokens = server
    with app.state.server.session() as wh:
        customers = wh.query("SELECT customer_id, name, email, city FROM customers")
    before = len(customers)
    for q in ("' OR 1=1 --", "%", "_", ";", "'; DROP TABLE customers; --", "\\", '"', "*"):
        r = client.get("/api/v1/customers", params={"q": q}, headers=auth(tokens, "analyst"))
        assert r.status_code == 200, (q, r.text)
        literal = [c for c in customers
                   if any(v is not None and q.lower() in str(v).lower() for v in c)]
        assert r.json()["total"] == len(literal), q
    with app.state.server.session() as wh:
        assert wh.query("SELECT count(*) FROM customers")[0][0] == before
    some = str(customers[0][0])
    found = client.get("/api/v1/customers", params={"q": some},
                       headers=auth(tokens, "analyst")).json()
    assert some in [c["customer_id"] for c in found["items"]]


def test_a_customers_page_carries_recommendations_with_their_reasons(server, tmp_path) -> None:
    app, client, tokens = server
    with app.state.server.session() as wh:
        customer = wh.query("SELECT customer_id FROM orders WHERE customer_id IS NOT NULL "
                            "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")[0][0]
    r = client.get(f"/api/v1/customers/{customer}", headers=auth(tokens, "operator"))
    assert r.status_code == 200, r.text
    page = r.json()
    assert page["orders_count"] > 1 and page["orders"] and page["segment"]["segment"]
    assert not page["needs_training"] and page["recommender"].startswith("EASE")
    recs = page["recommendations"]
    assert len(recs) == 10 and all(rec["reason"] for rec in recs)
    assert any(rec["reason"].startswith("bought with") and rec["because"] for rec in recs)
    assert client.get("/api/v1/customers/no-such-customer",
                      headers=auth(tokens, "operator")).status_code == 404
    # with no trained model the page says so, and names the job that trains one
    with app.state.server.session() as wh:
        bare = recommend.customer_profile(wh, str(customer), model_dir=tmp_path / "empty")
    assert bare.needs_training and bare.train_job == "recommend.train"
    assert bare.recommendations == []


def test_the_shopping_guide_chats_and_belongs_to_who_started_it(server) -> None:
    _, client, tokens = server
    started = client.post("/api/v1/customers/guide", json={},
                          headers=auth(tokens, "analyst"))
    assert started.status_code == 201, started.text
    gid = started.json()["guide_id"]
    r = client.post(f"/api/v1/customers/guide/{gid}/messages",
                    json={"text": "a gift for my mum under 20 pounds"},
                    headers=auth(tokens, "analyst"))
    assert r.status_code == 200, r.text
    reply = r.json()
    assert reply["picks"] and all(p["reasons"] and p["price"] <= 20 for p in reply["picks"])
    other = client.post(f"/api/v1/customers/guide/{gid}/messages", json={"text": "hi"},
                        headers=auth(tokens, "owner"))
    assert other.status_code == 404


# -- the pages -------------------------------------------------------------------------------
def test_the_shoppers_chat_page_is_public_and_embeddable(server) -> None:
    app, _, _ = server
    page = TestClient(app).get("/chat?lang=zh")
    assert page.status_code == 200
    assert page.headers["content-security-policy"] == "frame-ancestors *"
    assert "x-frame-options" not in page.headers
    assert "在线客服" in page.text and "/static/chat.js" in page.text
    assert 'class="sidenav"' not in page.text  # no workspace chrome in a shop's iframe


def test_console_pages_by_role_and_shopper_text_stays_inert(server) -> None:
    app, client, _ = server
    cid, headers = start_chat(client)
    attack = "<script>alert(1)</script><img src=x onerror=alert(2)> talk to a real person"
    turn = say(client, cid, headers, attack)
    assert turn["handoff"] is True
    viewer = signed_in(app, "viewer")
    assert viewer.get("/service").status_code == 403
    assert viewer.get("/customers").status_code == 403
    agent = signed_in(app, "agent")
    console = agent.get("/service")
    assert console.status_code == 200 and cid in console.text
    page = agent.get(f"/service/conversations/{cid}")
    assert page.status_code == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "<script>alert(1)" not in page.text and "<img src=x" not in page.text
    assert 'data-testid="take-over"' in page.text  # an agent may take it over
    analyst = signed_in(app, "analyst")
    assert 'data-testid="take-over"' not in analyst.get(f"/service/conversations/{cid}").text
    with app.state.server.session() as wh:  # a drafted return request waiting for a decision
        wh.query("INSERT INTO return_requests (request_id, order_id, reason, decision, status, "
                 "created_at) VALUES ('RR-web-test', 'O-1', 'damaged', 'in_window', 'draft', "
                 "current_timestamp)")
    assert "RR-web-test" in agent.get("/service").text
    assert 'data-testid="approve-return"' not in agent.get("/service").text
    assert 'data-testid="approve-return"' in signed_in(app, "operator").get("/service").text


def test_customers_pages_in_both_languages(server) -> None:
    app, _, _ = server
    owner = signed_in(app, "owner")
    with app.state.server.session() as wh:
        customer = wh.query("SELECT customer_id FROM orders WHERE customer_id IS NOT NULL "
                            "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")[0][0]
    for lang, word in (("en", "RFM grid"), ("zh", "RFM 网格")):
        page = owner.get(f"/customers?lang={lang}")
        assert page.status_code == 200 and word in page.text and "data-chart" in page.text
    found = owner.get("/customers", params={"q": "' OR 1=1 --", "lang": "en"})
    assert found.status_code == 200 and "0 customers found" in found.text
    detail = owner.get(f"/customers/{customer}?lang=zh")
    assert detail.status_code == 200 and "推荐理由" in detail.text
    assert detail.text.count('data-testid="reason"') == 10
    assert owner.get("/customers/guide").status_code == 200


@pytest.mark.slow
def test_a_shopper_chat_is_handed_off_and_answered_in_a_real_browser(demo_copy, tmp_path) -> None:
    """Chromium: the shopper's streamed reply, a hand-off, an agent taking over in the console
    and answering, and the answer appearing on the shopper's page."""
    import threading
    import time

    import uvicorn
    from playwright.sync_api import sync_playwright

    data = tmp_path / "shopkeeper-data"
    shutil.copytree(demo_copy, data)
    settings = store.load_settings(warehouse=data / "warehouse.duckdb", model_dir=data / "models",
                                   output_dir=data / "out", llm_provider="builtin")
    app = create_app(settings, workers=1, mcp=False)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.1)
    port = server.servers[0].sockets[0].getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                        args=["--no-sandbox"])
            shop = browser.new_page(viewport={"width": 390, "height": 760})
            shop.goto(base + "/chat")
            shop.fill("#chat-text", "How long does delivery take?")
            shop.click("[data-testid=chat-send]")
            shop.wait_for_selector(".msg.assistant[data-intent]")
            assert "working days" in shop.inner_text(".msg.assistant[data-intent]")
            shop.fill("#chat-text", "Can I talk to a real person please?")
            shop.click("[data-testid=chat-send]")
            shop.wait_for_function("document.querySelector('.chat-status').textContent.length")

            agent = browser.new_page(viewport={"width": 1280, "height": 900})
            agent.goto(base + "/login")
            agent.fill("input[name=username]", "agent1")
            agent.fill("input[name=password]", PASSWORD)
            agent.click("button[type=submit]")
            cid = shop.evaluate("JSON.parse(sessionStorage.getItem('shopkeeper-chat')).id")
            agent.goto(base + "/service")
            agent.click(f"tr[data-handoff]:has(a[href$='{cid}']) [data-testid=take-over]")
            agent.wait_for_url(f"**/service/conversations/{cid}")
            agent.wait_for_selector("[data-testid=agent-reply]")
            assert "Can I talk to a real person please?" in agent.inner_text(
                "[data-testid=console-messages]")
            answer = "Hi, Sam here from the shop. How can I help?"
            agent.fill("[data-testid=agent-reply]", answer)
            agent.click("[data-testid=send-reply]")
            shop.wait_for_selector(".msg.agent", timeout=15_000)
            assert shop.inner_text(".msg.agent") == answer
            browser.close()
    finally:
        server.should_exit = True
        thread.join(10)
