"""The workspace on PostgreSQL answers as it does on DuckDB.

One generated store is loaded into DuckDB and copied to a real PostgreSQL server. On each engine
the same day of work then runs through the REST API, then every MCP tool is called:
- reviews analysed and replies drafted, approved, edited and rejected;
- a forecast, a plan, a line edited and approved;
- copy drafted, edited, approved and rejected;
- the recommender trained, the knowledge index built;
- a shopper's chat handed to a person and back, the shopping guide, questions asked;
- users, tokens and a report schedule.

Every answer, every REST read afterwards and every table must then be the same on both engines,
once the ids and clock times that differ between any two runs are set aside. A difference is a
failure, never a tolerance to widen: amounts agree to the cent, other numbers to nine digits.
"""

from __future__ import annotations

import json
import math
import os
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from shopkeeper import mcp
from shopkeeper.api import create_app
from shopkeeper.store import Warehouse, generate_store, ingest
from shopkeeper.store.copy import copy_warehouse
from tests import postgres_server
from tests.server_fixtures import api_reads, make_workspace
from tests.test_mcp import http_client, run, serving

SERVER_MISSING = postgres_server.unavailable_reason()
pytestmark = [
    pytest.mark.slow,
    # CI installs PostgreSQL (.ci/run): there a missing server is an error, not a skip
    pytest.mark.skipif(SERVER_MISSING is not None and os.environ.get("CI") != "true",
                       reason=f"no PostgreSQL server: {SERVER_MISSING}"),
]

RECENT = (date.today() - timedelta(days=2)).isoformat()  # the store's own dates are older
# what differs between any two runs on one engine: random ids, today's clock, timings, paths
_ID = r"[0-9a-f]{10,32}(?![0-9A-Za-z])"
_RANDOM_ID = re.compile(r"(?<![0-9A-Za-z])(?=[0-9a-f]*[a-f])" + _ID  # bare, with a letter
                        + r"|(?<=[-_:])" + _ID  # after a prefix (cd-, u_, draft:), any
                        # a JSON id field, any: as JSON, inside a CSV cell, inside a string
                        + r'|(?:(?<=_id": ")|(?<=_id"": "")|(?<=_id\\": \\"))' + _ID)
_ID_VALUE = re.compile(r"([A-Za-z]+[-_])?" + _ID)
_CLOCK = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?")
_SECRET = re.compile(r"\b(sk_|skr_)?[A-Za-z0-9_-]{40,}\b")
_FOLDER = re.compile(r"/\S*/(duckdb|postgres)/")
_TIMINGS = {"latency_ms", "seconds", "duration_s", "csrf_token", "secret", "token", "warehouse",
            "password_hash"}
_TIMING_IN_JSON = re.compile(r'"(latency_ms|seconds|duration_s)": [0-9.e+-]+')


def _clean_text(text: str) -> str:
    text = _CLOCK.sub(lambda m: "<now>" if m.group(0)[:10] >= RECENT else m.group(0), text)
    text = _FOLDER.sub("<data folder>/", _TIMING_IN_JSON.sub(r'"\1": "<varies>"', text))
    return _SECRET.sub("<secret>", _RANDOM_ID.sub("<id>", text))


def clean(value: Any, key: str = "") -> Any:
    """An answer with run-specific ids, clock times, timings, secrets and folders masked;
    ``key`` names the field the value sits in."""
    if isinstance(value, dict):
        return {k: "<varies>" if k in _TIMINGS else clean(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [clean(v, key) for v in value]
    if isinstance(value, str):
        if (key == "id" or key.endswith(("_id", "_ids"))) and _ID_VALUE.fullmatch(value):
            return "<id>"  # an id of all digits has no letter to tell it from a number
        return _clean_text(value)
    return value


def differences(a: Any, b: Any, where: str = "") -> list[str]:
    """Where two cleaned answers differ; numbers equal to nine significant digits (amounts are
    stored to the cent, so this is tighter than a cent)."""
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return [f"{where}: keys {sorted(a.keys() ^ b.keys())} on one engine only"]
        return [d for k in a for d in differences(a[k], b[k], f"{where}.{k}")]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{where}: {len(a)} items on DuckDB, {len(b)} on PostgreSQL"]
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True))
                for d in differences(x, y, f"{where}[{i}]")]
    numbers = (int, float)
    if isinstance(a, numbers) and isinstance(b, numbers) and not isinstance(a, bool):
        if math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9) or (a != a and b != b):
            return []
    elif a == b:
        return []
    if isinstance(a, str) and isinstance(b, str) and "\n" in a:  # a download: the first line
        lines = [(x, y) for x, y in zip(a.splitlines(), b.splitlines(), strict=False) if x != y]
        a, b = lines[0] if lines else (f"{len(a.splitlines())} lines",
                                         f"{len(b.splitlines())} lines")
    return [f"{where}: DuckDB {str(a)[:300]!r}, PostgreSQL {str(b)[:300]!r}"]


# -- the day of work -------------------------------------------------------------------------
class Session:
    """The app on one engine, an owner's write token, and a log of every answer."""

    def __init__(self, client: TestClient, token: str) -> None:
        self.client, self.headers = client, {"Authorization": f"Bearer {token}"}
        self.log: dict[str, Any] = {}

    def call(self, step: str, method: str, url: str, **kw: Any) -> Any:
        r = self.client.request(method, url, headers={**self.headers, **kw.pop("headers", {})},
                                **kw)
        assert r.status_code < 500, f"{step}: {r.status_code} {r.text[:500]}"
        if r.headers.get("content-type", "").startswith("text/event-stream"):
            body: Any = [json.loads(line[6:]) for line in r.text.splitlines()
                         if line.startswith("data: ")]
        else:
            try:
                body = r.json()
            except ValueError:
                body = r.text
        self.log[step] = {"status": r.status_code, "body": clean(body)}
        return body

    def job(self, step: str, url: str, body: dict | None = None) -> dict:
        started = self.call(step, "POST", url, json=body or {})
        job = self.client.app.state.server.jobs.wait(started["job_id"], timeout=600)
        assert job.status == "done", f"{step}: {job.error}"
        self.log[step + " result"] = clean(job.result)
        return job.result or {}


def a_day_of_work(s: Session) -> None:
    """The same requests on either engine; what an answer says picks the next request (the
    first reply draft, the plan's first line…), so both engines must agree to stay in step."""
    api = "/api/v1"
    s.job("analyse reviews", f"{api}/reviews/analyze")
    s.job("draft replies", f"{api}/reviews/replies/draft", {"limit": 4})
    replies = s.call("replies", "GET", f"{api}/reviews/replies?status=draft")["items"]
    assert len(replies) >= 3, "the store needs reply drafts to approve, edit and reject"
    first, second, third = (r["reply_id"] for r in replies[:3])
    s.call("approve a reply", "POST", f"{api}/reviews/replies/{first}/approve")
    s.call("edit a reply", "PATCH", f"{api}/reviews/replies/{second}",
           json={"text": "Thank you for telling us. We are sorry, and we will make it right."})
    s.call("reject a reply", "POST", f"{api}/reviews/replies/{third}/reject")

    s.job("forecast", f"{api}/stock/forecasts", {"horizon": 28})
    plan = s.job("plan", f"{api}/stock/plans", {"review_days": 14})["plan_id"]
    lines = s.call("plan lines", "GET", f"{api}/stock/plans/{plan}/lines?limit=5")["items"]
    s.call("edit a line", "PATCH", f"{api}/stock/plans/{plan}/lines/{lines[0]['line_no']}",
           json={"order_qty": 40})
    s.call("approve two lines", "POST", f"{api}/stock/plans/{plan}/approve",
           json={"lines": [line["line_no"] for line in lines[:2]]})

    top = s.call("best sellers", "GET", f"{api}/stock/skus?limit=3")["items"]
    drafts = s.call("draft copy", "POST", f"{api}/content/drafts",
                    json={"product_id": top[0]["product_id"], "lang": "en",
                          "platform": "amazon", "kinds": ["title", "description"]})["drafts"]
    title, description = sorted(drafts, key=lambda d: d["kind"] != "title")
    s.call("approve a title", "POST", f"{api}/content/drafts/{title['draft_id']}/approve",
           json={"note": "fine"})
    s.call("edit a description", "PATCH", f"{api}/content/drafts/{description['draft_id']}",
           json={"text": description["text"] + " Easy to care for.", "note": "shorter"})
    s.job("draft copy in a batch", f"{api}/content/batch",
          {"product_ids": [t["product_id"] for t in top[1:]], "lang": "zh",
           "platform": "taobao", "kinds": ["title"]})
    batch = s.call("batch drafts", "GET", f"{api}/content/drafts?lang=zh")["items"]
    s.call("reject a draft", "POST", f"{api}/content/drafts/{batch[0]['draft_id']}/reject",
           json={"note": "not our voice"})

    s.job("train the recommender", f"{api}/customers/recommender")
    s.job("index the knowledge", f"{api}/service/index")
    chat = s.call("start a chat", "POST", f"{api}/chat/conversations")
    cid, shopper = chat["conversation_id"], {"X-Chat-Token": chat["token"]}
    s.call("ask about delivery", "POST", f"{api}/chat/conversations/{cid}/messages",
           json={"text": "How long does delivery take?"}, headers=shopper)
    s.call("ask for a person", "POST", f"{api}/chat/conversations/{cid}/messages",
           json={"text": "Can I talk to a real person please?"}, headers=shopper)
    handoff = s.call("handoffs", "GET", f"{api}/service/handoffs")["items"][0]["handoff_id"]
    s.call("take it over", "POST", f"{api}/service/handoffs/{handoff}/take")
    s.call("answer as a person", "POST", f"{api}/service/conversations/{cid}/replies",
           json={"text": "Hello, this is Sam from the shop. Your parcel leaves today."})
    s.call("close the handoff", "POST", f"{api}/service/handoffs/{handoff}/close")

    guide = s.call("start the guide", "POST", f"{api}/customers/guide", json={"customer_id": "C000001"})
    s.call("ask the guide", "POST", f"{api}/customers/guide/{guide['guide_id']}/messages",
           json={"text": "a gift for my mum under 40 dollars"})
    for question in ("上个月的销售额是多少？", "top 5 products by revenue last quarter",
                     "退货率比去年同期高了多少？"):
        s.call(f"ask {question}", "POST", f"{api}/ask", json={"question": question})

    s.call("add a user", "POST", f"{api}/users",
           json={"username": "ann", "password": "correct horse battery", "role": "analyst"})
    s.call("rename the user", "PATCH", f"{api}/users/ann", json={"display_name": "Ann Lee"})
    token = s.call("issue a token", "POST", f"{api}/tokens",
                   json={"name": "bi", "scope": "read", "username": "ann"})
    s.call("revoke the token", "DELETE", f"{api}/tokens/{token['token_id']}")
    s.call("schedule a report", "POST", f"{api}/finance/schedules",
           json={"period": "month", "weekday": 1, "hour": 7})


def tool_calls(sku: str) -> dict[str, dict]:
    """Arguments for every MCP tool on a generated store (seed 3 or 5: the customer exists);
    the approvals' ids come from the calls before them."""
    calls = {
        "ask": {"question": "上个月哪个国家的客单价最高？"},
        "metrics_query": {"metrics": ["net_revenue", "orders", "aov"], "by": ["month"],
                          "start": "2025-06-01", "end": "2025-11-30", "compare": "previous"},
        "report_summary": {"period": "month"},
        "forecast_for_sku": {"product_id": sku},
        "plan_summary": {"limit": 5},
        "review_summary": {"product_id": sku},
        "catalogue_search": {"query": "linen shirt", "k": 5},
        "customer_segments": {"customer_id": "C000001"},
        "recommendations_for_customer": {"customer_id": "C000001", "n": 5},
        "buy_again": {"customer_id": "C000001"},
        "replenishment_audience": {"limit": 5},
        "list_drafts": {},
        "list_reply_drafts": {},
        "draft_copy": {"product_id": sku, "kinds": ["title"], "lang": "en"},
        "approve_draft": {},
        "approve_reply": {},
    }
    assert set(calls) == {spec.name for spec in mcp.TOOLS}  # a new tool must be called here
    return calls


async def every_tool(url: str, token: str, sku: str, log: dict[str, Any]) -> None:
    """Every MCP tool once, as an agent with a write token would call them."""
    calls = tool_calls(sku)
    async with http_client(url, token) as client:
        for name, args in calls.items():
            if name == "approve_draft":
                args = {"draft_ids": [d["draft_id"] for d in
                                      log["mcp draft_copy"]["drafts"]]}
            if name == "approve_reply":
                args = {"reply_ids": [log["mcp list_reply_drafts"]["replies"][0]["reply_id"]]}
            got = await client.call_tool(name, args)
            assert not got.is_error, (name, got.content)
            log[f"mcp {name}"] = got.structured_content
    for name in calls:
        log[f"mcp {name}"] = clean(log[f"mcp {name}"])


def every_read(s: Session) -> None:
    """Every GET of the API that needs no query parameter, ids filled from the store."""
    fill = {"customer_id": "C000001", "sku": "P00001-BLK", "product_id": "P00001-BLK",
            "plan_id": "latest"}
    for path in api_reads(s.client, fill):
        s.call(f"GET {path}", "GET", path)


# -- the store on both engines ---------------------------------------------------------------
@pytest.fixture(scope="module")
def pg_server():
    with postgres_server.start() as server:
        yield server


@pytest.fixture(scope="module")
def engines(pg_server, tmp_path_factory) -> dict[str, tuple[str | Path, dict, Path]]:
    """The day of work on each engine: its warehouse, its answers, its model folder."""
    folder = tmp_path_factory.mktemp("engines")
    generate_store(folder / "export", orders=1500, seed=3)
    duck = folder / "w.duckdb"
    with Warehouse(duck) as wh:
        ingest(wh, [folder / "export"])
    url = pg_server.create_database()
    with Warehouse(duck) as wh, Warehouse(url) as pg:
        copy_warehouse(wh, pg)
    out = {}
    for name, warehouse in (("duckdb", duck), ("postgres", url)):
        data = folder / name
        ws = make_workspace(warehouse, model_dir=data / "models", output_dir=data / "out")
        app = create_app(ws.settings, workers=1)
        with TestClient(app, raise_server_exceptions=False) as client:
            s = Session(client, ws.write_tokens["owner"])
            a_day_of_work(s)
            every_read(s)
        sku = s.log["best sellers"]["body"]["items"][0]["product_id"]
        with serving(create_app(ws.settings, workers=0)) as base:
            run(every_tool, base + "/mcp/", ws.write_tokens["operator"], sku, s.log)
        out[name] = (warehouse, s.log, data)
    yield out
    pg_server.drop_database(url)


def test_every_answer_of_the_day_is_the_same_on_both_engines(engines):
    duck, pg = engines["duckdb"][1], engines["postgres"][1]
    assert duck.keys() == pg.keys()
    assert sum(k.startswith("GET ") for k in duck) >= 35
    assert sum(k.startswith("mcp ") for k in duck) == len(mcp.TOOLS)
    found = [d for step in duck for d in differences(duck[step], pg[step], step)]
    assert not found, "\n".join(found[:20])


def _rows(wh: Warehouse, table: str) -> list[tuple]:
    frame = wh.query_df(f'SELECT * FROM "{table}"')
    columns = [c for c in frame.columns if c not in _TIMINGS]
    return sorted((tuple(clean(_cell(v), c) for c, v in zip(columns, row, strict=True))
                   for row in frame[columns].itertuples(index=False)), key=repr)


def _cell(v: Any) -> Any:
    """A cell as comparable text or number: NULL and NaN alike, times in UTC, numbers to nine
    significant digits, vectors of floats as float32 (what both engines store: PostgreSQL reads
    them back as the shortest decimal that names the same float32)."""
    if hasattr(v, "tolist"):
        v = v.tolist()
    if isinstance(v, list | tuple):
        if v and all(isinstance(x, float) for x in v):
            return np.asarray(v, dtype=np.float32).tolist()
        return [_cell(x) for x in v]
    if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and v != v):
        return None
    if isinstance(v, bool):
        return v
    if isinstance(v, int | float) or type(v).__name__ == "Decimal":
        return float(f"{float(v):.9g}")
    if hasattr(v, "isoformat"):
        stamp = pd.Timestamp(v)
        return (stamp.tz_convert("UTC") if stamp.tzinfo else stamp).isoformat()
    return str(v)


def test_every_table_holds_the_same_rows_on_both_engines(engines):
    """Whatever the day wrote (labels, aspects, forecasts, plans, drafts and their history,
    conversations, hand-offs, audit rows…) is the same rows on both engines."""
    duck_path, pg_url = engines["duckdb"][0], engines["postgres"][0]
    with Warehouse(duck_path, read_only=True) as duck, Warehouse(pg_url, read_only=True) as pg:
        tables = [t for (t,) in duck.query(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
            "ORDER BY 1")]
        assert {"review_replies", "plan_lines", "content_draft_history", "service_handoffs",
                "audit_log", "kb_chunks"} <= set(tables)
        differ, written = [], 0
        for table in tables:
            a, b = _rows(duck, table), _rows(pg, table)
            written += len(a)
            if a != b:
                only = [r for r in a if r not in b][:1] + [r for r in b if r not in a][:1]
                differ.append(f"{table}: {len(a)} rows on DuckDB, {len(b)} on PostgreSQL; "
                              f"first unmatched {str(only)[:600]}")
        assert not differ, "\n".join(differ)
        assert written > 10_000

