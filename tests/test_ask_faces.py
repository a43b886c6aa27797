"""Ask your data in the server's faces, on the hand-checkable shop (fast): ``POST /api/v1/ask``
(the Answer JSON, follow-ups, roles, errors) and the ask box on the web overview (the sentence,
the table, ask-back choices, the follow-up field, "how this was computed", escaping). The MCP
tool is tested with the other tools in test_mcp.py."""

from __future__ import annotations

import html
import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from markupsafe import escape

from shopkeeper import ask, store
from tests.server_fixtures import make_workspace, serve, sign_in
from tests.shop_fixtures import shop as hand_shop

ZH_GMV = "2024年1月的成交总额为 EUR 95.50。"  # the last order is on 2024-02-25: o1 45.50 + o2 50.00
EN_GMV = "GMV in January 2024: EUR 95.50."
SCRIPT = '<script>alert("xss")</script>'


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    path = tmp_path_factory.mktemp("ask-faces") / "w.duckdb"
    with store.Warehouse(path) as wh:
        hand_shop.__wrapped__(wh)
    return make_workspace(path)


@pytest.fixture(scope="module")
def client(workspace):
    with serve(workspace, mcp=False) as c:
        yield c


def bearer(workspace, role: str, scope: str = "read") -> dict[str, str]:
    tokens = workspace.read_tokens if scope == "read" else workspace.write_tokens
    return {"Authorization": f"Bearer {tokens[role]}"}


# -- the REST API ------------------------------------------------------------------------------
def test_api_answers_with_the_answer_json_and_follows_up(client, workspace):
    viewer = bearer(workspace, "viewer")  # a read-only token of the least role that reads metrics
    r = client.post("/api/v1/ask", json={"question": "上个月的销售额是多少？"}, headers=viewer)
    assert r.status_code == 200, r.text
    got = r.json()
    assert (got["kind"], got["text"], got["value"], got["unit"]) == ("number", ZH_GMV, 95.5,
                                                                      "money")
    with client.app.state.server.session() as wh:
        direct = ask.ask(wh, "上个月的销售额是多少？").to_dict()
    assert got == direct  # the face adds nothing and drops nothing
    r = client.post("/api/v1/ask", headers=viewer, json={
        "question": "and by channel?", "previous": got["metric_query"], "as_of": "2024-02-25"})
    follow = r.json()
    assert (follow["kind"], follow["columns"]) == ("table", ["channel", "gmv"])
    assert follow["rows"] == [["app", 50.0], ["web", 45.5]]
    assert follow["chart"] == {"type": "bar", "x": "channel", "y": "gmv"}
    # "today" moved: last month is February (o3 51.00 + o5 10.00; o4 was cancelled)
    r = client.post("/api/v1/ask", headers=viewer, json={"question": "What was GMV last month?",
                                                         "as_of": "2024-03-10"})
    assert r.json()["value"] == 61.0 and r.json()["as_of"] == "2024-03-10"


def test_api_follows_up_a_comparison_of_one_set_of_days_with_another(client, workspace):
    viewer = bearer(workspace, "viewer")
    r = client.post("/api/v1/ask", headers=viewer, json={
        "question": "Orders in January 2024 at weekends against weekdays (Mon-Fri)?"})
    first = r.json()  # o2 on Saturday the 20th, o1 on Friday the 5th
    assert (first["value"], first["previous"]) == (1, 1)
    weekdays = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
    assert first["metric_query"]["compare_filters"] == {"weekday": weekdays}
    r = client.post("/api/v1/ask", headers=viewer, json={
        "question": "and in February 2024?", "previous": first["metric_query"]})
    follow = r.json()  # o3 on Saturday the 3rd and o5 on Sunday the 25th; none on weekdays
    assert follow["metric_query"]["compare_filters"] == {"weekday": weekdays}
    assert (follow["value"], follow["previous"]) == (2, 0)
    bad = {**first["metric_query"], "compare_filters": {"no_such_dimension": ["x"]}}
    r = client.post("/api/v1/ask", headers=viewer, json={"question": "and in February 2024?",
                                                         "previous": bad})
    assert r.status_code == 200 and r.json()["kind"] == "refused"


def test_api_asks_back_refuses_and_maps_errors(client, workspace):
    owner = bearer(workspace, "owner", "write")
    back = client.post("/api/v1/ask", json={"question": "How did we do last month?"},
                       headers=owner).json()
    assert back["kind"] == "ask_back" and back["choices"] and back["metric_query"] is None
    refused = client.post("/api/v1/ask", headers=owner, json={
        "question": "and by channel?", "previous": {"metrics": ["no_such_metric"]}}).json()
    assert refused["kind"] == "refused" and "no_such_metric" in refused["text"]
    blank = client.post("/api/v1/ask", json={"question": "   "}, headers=owner)
    assert blank.status_code == 400 and "ask a question" in blank.json()["detail"]
    assert blank.headers["content-type"].startswith("application/problem+json")
    for body in ({}, {"question": "x" * 2001}, {"question": "GMV", "as_of": "yesterday"},
                 {"question": "GMV", "previous": {"metrics": "gmv", "rank": ["up", 0]}}):
        assert client.post("/api/v1/ask", json=body, headers=owner).status_code == 422, body


def test_api_ask_needs_metrics_read(client, workspace):
    body = {"question": "What was GMV last month?"}
    assert client.post("/api/v1/ask", json=body).status_code == 401
    agent = client.post("/api/v1/ask", json=body, headers=bearer(workspace, "agent", "write"))
    assert agent.status_code == 403 and "agent" in agent.json()["detail"]
    spec = client.get("/api/v1/openapi.json").json()
    operation = spec["paths"]["/api/v1/ask"]["post"]
    assert operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"] \
        .endswith("/AskAnswer")


# -- the web overview --------------------------------------------------------------------------
def _section(page: str) -> str:
    found = re.search(r'<section class="card ask".*?</section>', page, re.S)
    assert found, "no ask box on the page"
    return found.group(0)


def _text(box: str, testid: str) -> str:
    found = re.search(rf'data-testid="{testid}"[^>]*>(.*?)</', box, re.S)
    assert found, testid
    return html.unescape(found.group(1)).strip()


def test_web_ask_box_in_chinese_and_english(client):
    sign_in(client, "analyst")
    page = client.get("/", params={"ask": "上个月的销售额是多少？", "lang": "zh"})
    assert page.status_code == 200
    box = _section(page.text)
    assert "问数据" in box and _text(box, "ask-text") == ZH_GMV
    assert "销售指未取消且金额不为零的订单" in box  # the definitions
    assert "计算方式" in box and "order_lines" in _text(box, "ask-sql")
    query = json.loads(_text(box, "ask-metric-query"))
    assert query["metrics"] == ["gmv"] and query["period"]["start"] == "2024-01-01"
    hidden = re.search(r'name="previous" value="([^"]*)"', box)
    assert hidden and json.loads(html.unescape(hidden.group(1))) == query  # for a follow-up

    page = client.get("/", params={"ask": "What was GMV last month?", "lang": "en"})
    box = _section(page.text)
    assert "Ask your data" in box and _text(box, "ask-text") == EN_GMV

    # a table: headings in the page's language, every row, numbers written as the page does
    table = _section(client.get("/", params={"ask": "上个月各渠道的销售额", "lang": "zh"}).text)
    assert re.search(r"<th[^>]*>渠道</th><th[^>]*>成交总额</th>", table)
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", table)
    assert cells == ["app", "50.00", "web", "45.50"]
    assert 'data-testid="ask-chart"' in table

    # a follow-up: the hidden field carries the last answer's query
    follow = client.get("/", params={"ask": "and by channel?", "previous": json.dumps(query),
                                     "lang": "en"})
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", _section(follow.text))
    assert cells == ["app", "50.00", "web", "45.50"]
    # a hidden field that is not a query is dropped: the question is asked on its own
    alone = _section(client.get("/", params={"ask": "What was GMV last month?",
                                             "previous": "{not json"}).text)
    assert _text(alone, "ask-text") == EN_GMV


def test_web_ask_back_choices_ask_again(client):
    sign_in(client, "viewer")
    box = _section(client.get("/", params={"ask": "How did we do last month?",
                                           "lang": "en"}).text)
    links = dict((html.unescape(text), html.unescape(href)) for href, text in re.findall(
        r'<a class="button" href="([^"]+)">([^<]+)</a>', box))
    assert "GMV" in links and "orders" in links
    again = parse_qs(urlsplit(links["GMV"]).query)
    assert again["ask"] == ["How did we do last month? GMV"]
    answer = _section(client.get(links["GMV"]).text)
    assert _text(answer, "ask-text") == EN_GMV


def test_web_ask_renders_a_script_inert(client):
    sign_in(client, "owner")
    for question in (f"{SCRIPT} What was GMV last month?", f"{SCRIPT}<img src=x onerror=alert(1)>"):
        page = client.get("/", params={"ask": question})
        assert page.status_code == 200
        assert SCRIPT not in page.text and "<img src=x" not in page.text
        assert str(escape(SCRIPT)) in page.text  # shown, as text
    previous = json.dumps({"metrics": ["gmv"], "filters": {"channel": [SCRIPT]}})
    page = client.get("/", params={"ask": "and by channel?", "previous": previous})
    assert SCRIPT not in page.text


def test_web_ask_box_only_for_metric_readers_with_data(client, tmp_path):
    sign_in(client, "agent")  # no overview at all
    assert client.get("/", params={"ask": "GMV"}, follow_redirects=False).status_code == 403
    empty = make_workspace(tmp_path / "empty.duckdb")
    with serve(empty, mcp=False) as other:
        sign_in(other, "owner")
        page = other.get("/", params={"ask": "What was GMV last month?"})
        assert page.status_code == 200 and 'data-testid="ask"' not in page.text
