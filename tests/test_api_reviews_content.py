"""Reviews and the content studio over the real server: a copy of the demo warehouse, the real
FastAPI app (TestClient), real users and tokens, real jobs.

Covers: insights and a product's summary against the warehouse's own counts; the reply queue
(edit, approve, reject, audited before and after); copy generation (idempotent) with its verdict,
an edit that adds a banned claim and a made-up number (flagged, with spans), approval and its
audit; who may do what; exports; and stored XSS from ingested data rendered inert everywhere.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest
from fastapi.testclient import TestClient

import shopkeeper.accounts as accounts
from shopkeeper import store
from shopkeeper.api.app import create_app

PASSWORD = "correct horse battery"
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
XSS_TITLE = f"{SCRIPT} Mug {IMG}"
XSS_REVIEW = f"The mug arrived broken, the box was crushed {IMG}"
ROLES = ("owner", "operator", "analyst", "viewer")


@dataclass
class Studio:
    client: TestClient
    tokens: dict[str, str]  # role -> write-scoped token secret; "read" -> owner's read token
    folder: Path

    def h(self, who: str = "owner", **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}", **extra}

    @property
    def server(self):
        return self.client.app.state.server

    def audit(self, action: str, target: str) -> list[accounts.AuditEvent]:
        with self.server.session() as wh:
            return accounts.audit_log(wh, action=action, target=target, limit=50)


def _write_xss_files(folder: Path) -> Path:
    """A product and two reviews carrying script and onerror payloads, as an export would."""
    src = folder / "xss-export"
    src.mkdir()
    with (src / "products.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["product_id", "title", "category", "price", "currency", "description"])
        w.writerow(["XSS-1", XSS_TITLE, "Kitchen", "12.50", "USD", "A white ceramic mug"])
    with (src / "reviews.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["review_id", "product_id", "rating", "title", "body", "language",
                    "created_at"])
        w.writerow(["RV-XSS-1", "XSS-1", "1", SCRIPT, XSS_REVIEW, "en", "2011-12-21T10:00:00Z"])
        w.writerow(["RV-XSS-2", "XSS-1", "5", "Great", f"{SCRIPT} lovely mug, excellent value",
                    "en", "2011-12-21T11:00:00Z"])
    return src


@pytest.fixture(scope="module")
def studio(demo_store, tmp_path_factory):
    demo_folder, _ = demo_store
    folder = tmp_path_factory.mktemp("studio")
    shutil.copy(demo_folder / "shopkeeper-data" / "warehouse.duckdb", folder / "warehouse.duckdb")
    src = _write_xss_files(folder)
    tokens: dict[str, str] = {}
    with store.Warehouse(folder / "warehouse.duckdb") as wh:
        report = store.ingest(wh, [src], preset="canonical", default_currency="USD")
        assert report.rows_read == 3 and report.rows_loaded == 3
        for role in ROLES:
            accounts.add_user(wh, role, PASSWORD, role)
            tokens[role] = accounts.create_token(wh, role, "t", scope="write", actor=role,
                                                 via="cli").secret
        tokens["read"] = accounts.create_token(wh, "owner", "r", scope="read", actor="owner",
                                               via="cli").secret
    settings = store.Settings(warehouse=folder / "warehouse.duckdb",
                              output_dir=folder / "out", model_dir=folder / "models",
                              llm_provider="builtin")
    app = create_app(settings, workers=1, mcp=False)
    with TestClient(app) as client:
        s = Studio(client, tokens, folder)
        # the ingested reviews are analysed and replied to through the API's own jobs
        job = client.post("/api/v1/reviews/analyze", json={"product_id": "XSS-1"},
                          headers=s.h("operator"))
        assert job.status_code == 202, job.text
        done = s.server.jobs.wait(job.json()["job_id"], timeout=300)
        assert done.status == "done", done.error
        assert done.result["reviews"] == 2
        job = client.post("/api/v1/reviews/replies/draft", json={"limit": 200},
                          headers=s.h("operator"))
        assert job.status_code == 202, job.text
        done = s.server.jobs.wait(job.json()["job_id"], timeout=300)
        assert done.status == "done", done.error
        assert done.result["drafted"] > 0
        yield s


# -- reviews -------------------------------------------------------------------------------------
@pytest.mark.slow  # needs the session demo store (built once, minutes)
def test_insights_match_the_warehouse(studio: Studio) -> None:
    r = studio.client.get("/api/v1/reviews/insights", headers=studio.h("viewer"))
    assert r.status_code == 200, r.text
    body = r.json()
    with studio.server.session() as wh:
        labels = dict(wh.query("SELECT label, count(*) FROM review_sentiment GROUP BY 1"))
        top = wh.query("SELECT aspect, count(*) FILTER (WHERE polarity = 'negative') "
                       "FROM review_aspects GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")[0]
    assert {s["label"]: s["reviews"] for s in body["sentiment"] if s["reviews"]} == labels
    assert body["analysed"] == sum(labels.values())
    assert abs(sum(s["share"] for s in body["sentiment"]) - 1) < 1e-9
    assert (body["aspects"][0]["aspect"], body["aspects"][0]["negative"]) == top
    assert body["weekly"] and body["trend"]
    assert sum(w["reviews"] for w in body["weekly"]) <= body["analysed"]
    assert all(0 <= t["negative_share"] <= 1 for t in body["trend"])
    assert body["alerts"]["count"] >= len(body["alerts"]["items"])


@pytest.mark.slow  # needs the session demo store (built once, minutes)
def test_product_summary(studio: Studio) -> None:
    with studio.server.session() as wh:
        n = wh.query("SELECT count(*) FROM review_sentiment WHERE product_id = '85123A'")[0][0]
    r = studio.client.get("/api/v1/reviews/products/85123A/summary?lang=zh",
                          headers=studio.h("analyst"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["reviews"] == n and body["lang"] == "zh" and f"共{n}条评价" in body["text"]
    assert body["product_title"] == "WHITE HANGING HEART T-LIGHT HOLDER"
    missing = studio.client.get("/api/v1/reviews/products/NOPE/summary",
                                headers=studio.h("analyst"))
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    picks = studio.client.get("/api/v1/reviews/products?limit=5", headers=studio.h("viewer"))
    assert picks.json()[0]["reviews"] >= picks.json()[-1]["reviews"]


@pytest.mark.slow  # needs the session demo store (built once, minutes)
def test_reply_queue_edit_approve_reject(studio: Studio) -> None:
    page = studio.client.get("/api/v1/reviews/replies?status=draft&limit=2",
                             headers=studio.h("viewer")).json()
    assert page["total"] >= 2 and len(page["items"]) == 2
    first, second = page["items"]
    assert all(i["status"] == "draft" and i["review_text"] for i in page["items"])

    text = first["text"] + " We also give you a full refund and a free gift."
    edited = studio.client.patch(f"/api/v1/reviews/replies/{first['reply_id']}",
                                 json={"text": text}, headers=studio.h("operator"))
    assert edited.status_code == 200, edited.text
    assert edited.json()["text"] == text and "refund" in edited.json()["remedies"]
    [event] = studio.audit("reviews.reply.edit", f"reply:{first['reply_id']}")
    assert event.actor == "operator" and event.via == "token"
    assert event.before["text"] == first["text"] and event.after["text"] == text

    for who in ("viewer", "analyst", "read"):
        denied = studio.client.post(f"/api/v1/reviews/replies/{first['reply_id']}/approve",
                                    headers=studio.h(who))
        assert denied.status_code == 403, who
    approved = studio.client.post(f"/api/v1/reviews/replies/{first['reply_id']}/approve",
                                  headers=studio.h("operator"))
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert approved.json()["reviewed_by"] == "operator"
    [event] = studio.audit("reviews.reply.approve", f"reply:{first['reply_id']}")
    assert (event.before["status"], event.after["status"]) == ("draft", "approved")
    again = studio.client.patch(f"/api/v1/reviews/replies/{first['reply_id']}",
                                json={"text": "changed"}, headers=studio.h("owner"))
    assert again.status_code == 400  # only a waiting draft can be edited

    rejected = studio.client.post(f"/api/v1/reviews/replies/{second['reply_id']}/reject",
                                  headers=studio.h("owner"))
    assert rejected.json()["status"] == "rejected"
    [event] = studio.audit("reviews.reply.reject", f"reply:{second['reply_id']}")
    assert event.before["status"] == "draft" and event.after["status"] == "rejected"
    by_status = studio.client.get("/api/v1/reviews/replies?status=approved",
                                  headers=studio.h("viewer")).json()
    assert first["reply_id"] in [i["reply_id"] for i in by_status["items"]]
    assert studio.client.get("/api/v1/reviews/replies/rp-nope",
                             headers=studio.h("viewer")).status_code == 404


@pytest.mark.slow  # needs the session demo store (built once, minutes)
def test_analysis_needs_the_approver(studio: Studio) -> None:
    for who in ("viewer", "analyst", "read"):
        r = studio.client.post("/api/v1/reviews/analyze", json={}, headers=studio.h(who))
        assert r.status_code == 403, who


# -- content -------------------------------------------------------------------------------------
def _generate(studio: Studio, key: str | None = None, **body) -> tuple[int, dict]:
    headers = studio.h("operator", **({"Idempotency-Key": key} if key else {}))
    r = studio.client.post("/api/v1/content/drafts", json=body, headers=headers)
    return r.status_code, r.json()


@pytest.mark.slow  # needs the session demo store (built once, minutes)
def test_generate_edit_approve_export(studio: Studio) -> None:
    status, body = _generate(studio, "gen-85123A", product_id="85123A", lang="en",
                             platform="amazon", kinds=["title", "description"])
    assert status == 201, body
    drafts = body["drafts"]
    assert [d["kind"] for d in drafts] == ["title", "description"]
    assert all(d["status"] == "draft" and d["grounded"] and d["method"] == "grounded"
               for d in drafts)
    # retried with the same key: the same drafts, nothing created twice
    status2, body2 = _generate(studio, "gen-85123A", product_id="85123A", lang="en",
                               platform="amazon", kinds=["title", "description"])
    assert [d["draft_id"] for d in body2["drafts"]] == [d["draft_id"] for d in drafts]
    listed = studio.client.get("/api/v1/content/drafts?product_id=85123A&lang=en",
                               headers=studio.h("analyst")).json()
    assert sum(d["draft_id"] in {x["draft_id"] for x in drafts} for d in listed["items"]) == 2
    assert listed["total"] == len(listed["items"])

    desc = drafts[1]
    stored = studio.client.get(f"/api/v1/content/drafts/{desc['draft_id']}",
                               headers=studio.h("analyst")).json()
    assert stored["text"] == desc["text"] and stored["grounded"] and stored["flags"] == []
    assert "".join(s["text"] for s in stored["segments"]) == stored["text"]

    # an edit with a banned superlative and a made-up number is checked again and flagged
    text = desc["text"] + " The best holder ever made, it lasts 15 years."
    r = studio.client.patch(f"/api/v1/content/drafts/{desc['draft_id']}",
                            json={"text": text, "note": "punchier"},
                            headers=studio.h("operator"))
    assert r.status_code == 200, r.text
    edited = r.json()
    assert edited["text"] == text and edited["method"] == "edited" and not edited["grounded"]
    grounding = [f for f in edited["flags"] if f["source"] == "grounding"]
    compliance = [f for f in edited["flags"] if f["source"] == "compliance"]
    assert any(f["text"] == "15 years" for f in grounding), grounding
    assert any("best" in f["text"].lower() for f in compliance), compliance
    for f in edited["flags"]:
        assert text[f["start"]:f["end"]] == f["text"] and f["reason"]
    segments = edited["segments"]
    assert "".join(s["text"] for s in segments) == text
    flagged = [s for s in segments if s["flags"]]
    assert any(s["text"] == "15 years" and s["sources"] == ["grounding"] for s in flagged)
    assert edited["violations"] == len(grounding)
    assert edited["compliance_flags"] == len(compliance)
    assert [h["action"] for h in edited["history"]] == ["created", "edited"]
    [event] = studio.audit("content.edit", f"draft:{desc['draft_id']}")
    assert event.before["text"] == desc["text"] and event.after["text"] == text
    assert event.before["grounded"] is True and event.after["grounded"] is False

    # approve: the status changes, with an audit event before and after
    for who in ("viewer", "analyst", "read"):
        denied = studio.client.post(f"/api/v1/content/drafts/{desc['draft_id']}/approve",
                                    json={}, headers=studio.h(who))
        assert denied.status_code == 403, who
    r = studio.client.post(f"/api/v1/content/drafts/{desc['draft_id']}/approve",
                           json={"note": "ok"}, headers=studio.h("operator"))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "approved" and r.json()["reviewed_by"] == "operator"
    [event] = studio.audit("content.approve", f"draft:{desc['draft_id']}")
    assert (event.before["status"], event.after["status"]) == ("draft", "approved")
    assert event.after["version"] == event.before["version"] + 1 and event.actor == "operator"
    twice = studio.client.post(f"/api/v1/content/drafts/{desc['draft_id']}/approve",
                               headers=studio.h("operator"))
    assert twice.status_code == 400
    r = studio.client.post(f"/api/v1/content/drafts/{drafts[0]['draft_id']}/reject",
                           headers=studio.h("owner"))
    assert r.json()["status"] == "rejected"
    assert studio.audit("content.reject", f"draft:{drafts[0]['draft_id']}")

    exported = studio.client.get("/api/v1/content/export?fmt=json",
                                 headers=studio.h("analyst"))
    assert exported.status_code == 200
    rows = {row["draft_id"]: row for row in exported.json()}
    assert rows[desc["draft_id"]]["text"] == text and drafts[0]["draft_id"] not in rows
    assert studio.audit("content.generate", "product:85123A")


@pytest.mark.slow  # needs the session demo store (built once, minutes)
def test_generate_refusals(studio: Studio) -> None:
    r = studio.client.post("/api/v1/content/drafts", json={"product_id": "85123A"},
                           headers=studio.h("read"))
    assert r.status_code == 403 and "read" in r.json()["detail"]
    for who in ("viewer", "analyst"):
        r = studio.client.post("/api/v1/content/drafts", json={"product_id": "85123A"},
                               headers=studio.h(who))
        assert r.status_code == 403, who
    assert studio.client.get("/api/v1/content/drafts",
                             headers=studio.h("viewer")).status_code == 403
    assert _generate(studio, product_id="NOPE")[0] == 404
    assert _generate(studio, product_id="85123A", attributes="颜色#白色")[0] == 422
    status, body = _generate(studio, product_id="85123A", kinds=["marketing"])
    assert status == 400 and "campaign" in body["detail"]
    bad = studio.client.get("/api/v1/content/export?fmt=../../etc/passwd",
                            headers=studio.h("owner"))
    assert bad.status_code == 422


@pytest.mark.slow  # needs the session demo store (built once, minutes)
def test_generate_from_attributes_in_chinese(studio: Studio) -> None:
    status, body = _generate(studio, attributes="类型#上衣*材质#牛仔布*颜色#白色", lang="zh",
                             kinds=["title", "bullets"])
    assert status == 201, body
    title, bullets = body["drafts"]
    assert title["product_id"] is None and "牛仔布" in title["text"] and title["grounded"]
    assert bullets["text"].count("\n") >= 1
    r = studio.client.patch(f"/api/v1/content/drafts/{title['draft_id']}",
                            json={"text": "全网第一的白色牛仔布上衣，采用100%真丝"},
                            headers=studio.h("operator"))
    edited = r.json()
    assert {f["text"] for f in edited["flags"] if f["source"] == "compliance"} >= {"全网第一"}
    assert any(f["source"] == "grounding" for f in edited["flags"])  # 真丝/100% not in facts


# -- stored XSS ----------------------------------------------------------------------------------
def _inert(text: str) -> None:
    assert "<script>alert" not in text and "<img src=x onerror" not in text


@pytest.mark.slow  # needs the session demo store (built once, minutes)
def test_xss_payloads_stay_data_in_the_api_and_exports(studio: Studio) -> None:
    status, body = _generate(studio, product_id="XSS-1", lang="en", platform="shopify",
                             kinds=["title", "description"])
    assert status == 201, body
    assert all(d["product_title"] == XSS_TITLE for d in body["drafts"])
    replies = studio.client.get("/api/v1/reviews/replies?product_id=XSS-1",
                                headers=studio.h("viewer")).json()["items"]
    assert [r["review_text"] for r in replies] == [f"{SCRIPT} {XSS_REVIEW}"]
    assert replies[0]["product_title"] == XSS_TITLE
    for fmt in ("csv", "json", "xlsx"):
        r = studio.client.get(f"/api/v1/content/export?fmt={fmt}&status=all",
                              headers=studio.h("owner"))
        assert r.status_code == 200
        assert "attachment" in r.headers["content-disposition"]
        if fmt == "json":
            rows = r.json()
        elif fmt == "csv":
            rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
        else:
            sheet = openpyxl.load_workbook(io.BytesIO(r.content)).active
            head, *data = [list(row) for row in sheet.iter_rows(values_only=True)]
            rows = [dict(zip(head, row, strict=True)) for row in data]
        titles = {row["product_title"] for row in rows if row["product_id"] == "XSS-1"}
        assert titles == {XSS_TITLE}, fmt  # kept exactly, as plain data


def _session(studio: Studio, lang: str) -> TestClient:
    client = TestClient(studio.client.app)
    r = client.post("/api/v1/session", json={"username": "owner", "password": PASSWORD})
    assert r.status_code == 200, r.text
    r = client.get(f"/reviews?lang={lang}")  # the switch the page offers; remembered
    assert r.status_code == 200 and f'<html lang="{"zh-CN" if lang == "zh" else "en"}">' in r.text
    return client


@pytest.mark.slow  # needs the session demo store (built once, minutes)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_xss_payloads_render_inert_on_every_page(studio: Studio, lang: str) -> None:
    client = _session(studio, lang)
    _generate(studio, product_id="XSS-1", lang="en", kinds=["title"])
    drafts = studio.client.get("/api/v1/content/drafts?product_id=XSS-1",
                               headers=studio.h("owner")).json()["items"]
    assert drafts
    pages = ["/reviews", "/reviews?product_id=XSS-1", "/reviews?status=all",
             "/content", "/content?product_id=XSS-1",
             *(f"/content/drafts/{d['draft_id']}" for d in drafts)]
    seen = ""
    for page in pages:
        r = client.get(page)
        assert r.status_code == 200, (page, r.text[:500])
        assert r.headers["content-type"].startswith("text/html")
        assert f'<html lang="{"zh-CN" if lang == "zh" else "en"}">' in r.text, page
        _inert(r.text)
        seen += r.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in seen  # the data is there, escaped
    assert "&lt;img src=x onerror=alert(1)&gt;" in seen


@pytest.mark.slow  # needs the session demo store (built once, minutes)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_draft_page_highlights_flags_inline(studio: Studio, lang: str) -> None:
    client = _session(studio, lang)
    status, body = _generate(studio, product_id="85123A", lang=lang, kinds=["description"])
    assert status == 201, body
    draft_id = body["drafts"][0]["draft_id"]
    text = body["drafts"][0]["text"] + (" The best one, it lasts 15 years." if lang == "en"
                                        else "全网第一，可用15年。")
    studio.client.patch(f"/api/v1/content/drafts/{draft_id}", json={"text": text},
                        headers=studio.h("operator"))
    html = client.get(f"/content/drafts/{draft_id}").text
    flagged = "15 years" if lang == "en" else "15年"
    assert re.search(r'<mark class="[^"]*flag-grounding[^"]*" title="[^"]+"[^>]*>'
                     + re.escape(flagged) + "</mark>", html), html[:3000]
    assert re.search(r'<mark class="[^"]*flag-compliance[^"]*" title="[^"]+"', html)
    assert ("What the checks found" if lang == "en" else "核查发现的问题") in html
    page = client.get("/reviews").text
    assert ("Reply drafts" if lang == "en" else "回复草稿") in page
    assert page.count("data-chart") >= 4


@pytest.mark.slow  # needs the session demo store (built once, minutes)
def test_pages_need_their_permission(studio: Studio) -> None:
    client = TestClient(studio.client.app)
    assert client.get("/content", follow_redirects=False).status_code == 303
    r = client.post("/api/v1/session", json={"username": "viewer", "password": PASSWORD})
    assert r.status_code == 200
    assert client.get("/reviews").status_code == 200
    assert client.get("/content").status_code == 403  # content.read is staff only
    # a signed-in page's form posts need the CSRF token
    item = studio.client.get("/api/v1/reviews/replies?status=draft&limit=1",
                             headers=studio.h("viewer")).json()["items"][0]
    owner = _session(studio, "en")
    no_csrf = owner.post(f"/api/v1/reviews/replies/{item['reply_id']}/approve")
    assert no_csrf.status_code == 403 and "CSRF" in no_csrf.json()["detail"]


@pytest.fixture
def empty_store(tmp_path):
    """A store with no data yet, whose configured model endpoint is down (a closed loopback
    port): generation then runs as a job and falls back to the grounded text."""
    path = tmp_path / "warehouse.duckdb"
    with store.Warehouse(path) as wh:
        accounts.add_user(wh, "owner", PASSWORD, "owner")
        secret = accounts.create_token(wh, "owner", "t", scope="write", actor="owner",
                                       via="cli").secret
    settings = store.Settings(warehouse=path, output_dir=tmp_path / "out",
                              model_dir=tmp_path / "models", llm_dir=tmp_path / "llm",
                              llm_provider="openai", llm_base_url="http://127.0.0.1:9/v1",
                              llm_model="down", llm_max_retries=0, llm_timeout=2)
    with TestClient(create_app(settings, workers=1, mcp=False)) as client:
        yield client, {"Authorization": f"Bearer {secret}"}


def test_empty_states_say_what_to_do(empty_store) -> None:
    client, _ = empty_store
    r = client.post("/api/v1/session", json={"username": "owner", "password": PASSWORD})
    assert r.status_code == 200
    page = client.get("/reviews?lang=en").text
    assert 'data-testid="reviews-empty"' in page and "Data page" in page
    assert 'data-testid="replies-empty"' in page and "Draft replies" in page
    page = client.get("/content?lang=zh").text
    assert 'data-testid="drafts-empty"' in page and "shopkeeper content generate" in page
    assert client.get("/content/drafts/cd-nope").status_code == 404


def test_generation_with_a_model_is_a_job(empty_store) -> None:
    client, headers = empty_store
    r = client.post("/api/v1/content/drafts", headers={**headers, "Idempotency-Key": "k1"},
                    json={"attributes": "类型#上衣*材质#牛仔布*颜色#白色", "lang": "zh"})
    assert r.status_code == 202, r.text
    job = r.json()["job"]
    again = client.post("/api/v1/content/drafts", headers={**headers, "Idempotency-Key": "k1"},
                        json={"attributes": "类型#上衣*材质#牛仔布*颜色#白色", "lang": "zh"})
    assert again.json()["job"]["job_id"] == job["job_id"]  # one job, not two
    done = client.app.state.server.jobs.wait(job["job_id"], timeout=120)
    assert done.status == "done", done.error
    assert done.result["drafts"] == 3
    drafts = client.get("/api/v1/content/drafts", headers=headers).json()
    assert drafts["total"] == 3
    detail = client.get(f"/api/v1/content/drafts/{done.result['draft_ids'][0]}",
                        headers=headers).json()
    assert detail["method"] == "grounded-fallback" and detail["grounded"]
    assert detail["rejected"] and detail["rejected"][0]["problems"]  # why the model lost
