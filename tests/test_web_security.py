"""Attacks on the server: CSRF, session fixation, stored XSS, SQL metacharacters in every search
field, path traversal in downloads, hostile uploads, login brute force."""

from __future__ import annotations

import io
import re
import zipfile

import pytest

from shopkeeper import accounts, store
from shopkeeper.api import route_declarations
from tests.server_fixtures import PASSWORD, make_workspace, serve, sign_in

XSS = ['<script>alert("xss")</script>', '<img src=x onerror=alert(1)>']
SQL_METACHARACTERS = ["' OR 1=1 --", '"; DROP TABLE orders; --', "%", "_", "\\", "%' --",
                      "Robert'); DROP TABLE products;--"]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """A small store whose product titles and review texts carry script payloads, loaded
    through the real ingestion."""
    folder = tmp_path_factory.mktemp("hostile")
    (folder / "products.csv").write_text(
        "product_id,title,category,unit_cost,currency\n"
        f'P1,"{XSS[0].replace(chr(34), chr(34) * 2)} lamp",home,4.5,USD\n'
        f'P2,"{XSS[1]} mug",home,2.0,USD\n', encoding="utf-8")
    lines = ["order_id,customer_id,ordered_at,status,currency"]
    items = ["order_id,line_number,product_id,quantity,unit_price,currency"]
    for i in range(60):
        lines.append(f"O{i},C{i % 7},2024-0{1 + i % 6}-{1 + i % 27:02d}T10:00:00Z,completed,USD")
        items.append(f"O{i},1,P{1 + i % 2},{1 + i % 3},12.5,USD")
    (folder / "orders.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "order_lines.csv").write_text("\n".join(items) + "\n", encoding="utf-8")
    reviews = ["review_id,product_id,rating,text,created_at"]
    for i in range(6):
        reviews.append(f'R{i},P{1 + i % 2},{1 + i % 5},"{XSS[i % 2].replace(chr(34), chr(34) * 2)}'
                       f' broke after a day",2024-03-0{1 + i}T09:00:00Z')
    (folder / "reviews.csv").write_text("\n".join(reviews) + "\n", encoding="utf-8")
    path = folder / "w.duckdb"
    with store.Warehouse(path) as wh:
        report = store.ingest(wh, sorted(folder.glob("*.csv")))
        assert report.rows_loaded > 100
        titles = [r[0] for r in wh.query("SELECT title FROM products ORDER BY product_id")]
        assert any("<script>" in t for t in titles)  # the payload really is in the data
    return make_workspace(path)


def _get_pages(client):
    return [p for m, p, r in route_declarations(client.app)
            if m == "GET" and not p.startswith(("/api", "/mcp")) and r.permission is not None]


def _fill(path: str) -> str:
    return (path.replace("{product_id}", "P1").replace("{sku}", "P1")
            .replace("{customer_id}", "C1"))


# -- CSRF ------------------------------------------------------------------------------------
def test_a_session_write_needs_its_csrf_token(hostile):
    with serve(hostile) as client:
        csrf = sign_in(client, "owner")
        body = {"name": "x", "scope": "read"}
        assert client.post("/api/v1/tokens", json=body).status_code == 403
        wrong = client.post("/api/v1/tokens", json=body, headers={"X-CSRF-Token": "guess"})
        assert wrong.status_code == 403 and wrong.json()["type"].endswith("/csrf")
        right = client.post("/api/v1/tokens", json=body, headers={"X-CSRF-Token": csrf})
        assert right.status_code == 201
        # the sign-out form and the language form need it too
        assert client.post("/logout", data={"csrf_token": "guess"}).status_code == 403
        assert client.get("/api/v1/me").status_code == 200  # still signed in


def test_another_users_csrf_token_does_not_work(hostile):
    with serve(hostile) as a, serve(hostile) as b:
        csrf_a = sign_in(a, "owner")
        sign_in(b, "operator")
        r = b.post("/api/v1/tokens", json={"name": "x"}, headers={"X-CSRF-Token": csrf_a})
        assert r.status_code == 403


# -- sessions ---------------------------------------------------------------------------------
def test_sign_in_never_adopts_a_planted_session(hostile):
    with serve(hostile) as attacker, serve(hostile) as victim:
        sign_in(attacker, "viewer")
        planted = attacker.cookies.get("sk_session")
        victim.cookies.set("sk_session", planted, domain="testserver.local")
        r = victim.post("/api/v1/session", json={"username": "owner", "password": PASSWORD})
        assert r.status_code == 200
        assert victim.cookies.get("sk_session") != planted
        # the attacker's cookie is still the viewer's session, never the owner's
        assert attacker.get("/api/v1/me").json()["user"]["username"] == "viewer"


def test_a_session_ends_at_sign_out_and_the_cookie_cannot_be_forged(hostile):
    with serve(hostile) as client:
        csrf = sign_in(client, "analyst")
        cookie = client.cookies.get("sk_session")
        assert client.delete("/api/v1/session", headers={"X-CSRF-Token": csrf}).status_code == 204
        client.cookies.set("sk_session", cookie, domain="testserver.local")
        assert client.get("/api/v1/me").status_code == 401
        client.cookies.clear()
        client.cookies.set("sk_session", cookie[:-2] + ("aa" if cookie[-2:] != "aa" else "bb"),
                           domain="testserver.local")
        assert client.get("/api/v1/me").status_code == 401


def test_session_cookie_is_httponly_and_samesite(hostile):
    with serve(hostile) as client:
        r = client.post("/api/v1/session", json={"username": "owner", "password": PASSWORD})
        header = r.headers["set-cookie"].lower()
        assert "httponly" in header and "samesite=lax" in header


def test_sign_in_redirects_only_to_this_site(hostile):
    with serve(hostile) as client:
        for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
            r = client.post("/login", data={"username": "owner", "password": PASSWORD,
                                            "next": target}, follow_redirects=False)
            assert r.status_code == 303 and r.headers["location"] == "/"


# -- stored XSS ------------------------------------------------------------------------------
@pytest.mark.slow
def test_script_in_titles_and_reviews_is_inert_on_every_page(hostile):
    with serve(hostile) as client:
        sign_in(client, "owner")
        pages = _get_pages(client)
        assert len(pages) >= 8
        checked = 0
        for path in pages:
            r = client.get(_fill(path), headers={"accept": "text/html"})
            if r.status_code >= 400:
                assert r.status_code < 500, f"{path}: {r.status_code}"
                continue
            checked += 1
            for payload in XSS:
                assert payload not in r.text, f"{path} renders {payload!r} as markup"
            assert not re.search(r"<img[^>]*onerror", r.text, re.I), path
        assert checked >= 8


# -- SQL metacharacters ----------------------------------------------------------------------
@pytest.mark.slow
def test_sql_metacharacters_in_every_text_query_parameter(hostile):
    with serve(hostile, mcp=False) as client:
        headers = {"Authorization": f"Bearer {hostile.read_tokens['owner']}"}
        spec = client.get("/api/v1/openapi.json").json()
        probed = 0
        for path, item in spec["paths"].items():
            get = item.get("get")
            if not get:
                continue
            params = [p for p in get.get("parameters", []) if p["in"] == "query"
                      and p.get("schema", {}).get("type") == "string"
                      and "enum" not in p.get("schema", {})
                      and "pattern" not in p.get("schema", {})]
            for param in params:
                for value in SQL_METACHARACTERS:
                    r = client.get(_fill(re.sub(r"\{[^}]+\}", "P1", path)),
                                   params={param["name"]: value}, headers=headers)
                    probed += 1
                    assert r.status_code < 500, f"{path}?{param['name']}={value!r}: {r.text}"
        assert probed >= 20
    with store.Warehouse(hostile.settings.warehouse, read_only=True) as wh:
        assert wh.count("orders") == 60 and wh.count("products") == 2  # nothing was dropped


# -- path traversal --------------------------------------------------------------------------
def test_downloads_never_follow_a_path_from_the_request(hostile):
    with serve(hostile) as client:
        headers = {"Authorization": f"Bearer {hostile.read_tokens['owner']}"}
        for url in ("/api/v1/quarantine/export?fmt=../../server-secret",
                    "/api/v1/audit/export?fmt=../../../etc/passwd",
                    "/static/../server-secret", "/static/%2e%2e/%2e%2e/server-secret",
                    "/static/vendor/plotly/..%2f..%2f..%2fserver-secret"):
            r = client.get(url, headers=headers)
            assert r.status_code in (404, 422), url


def test_an_upload_name_cannot_escape_the_upload_folder(hostile):
    with serve(hostile) as client:
        headers = {"Authorization": f"Bearer {hostile.write_tokens['owner']}"}
        r = client.post("/api/v1/uploads", headers=headers,
                        files={"file": ("../../../evil.csv", b"order_id,ordered_at\n1,2024-01-01\n")})
        assert r.status_code == 201, r.text
        assert r.json()["name"] == "evil.csv"
        uploads = hostile.settings.warehouse.parent / "uploads"
        assert (uploads / r.json()["upload_id"] / "evil.csv").exists()
        assert not (hostile.settings.warehouse.parent.parent / "evil.csv").exists()
        assert client.post("/api/v1/uploads/..%2f..%2fx/load", headers=headers,
                           json={}).status_code == 404


# -- hostile uploads -------------------------------------------------------------------------
def test_uploads_that_are_huge_empty_binary_or_zip_bombs(hostile):
    with serve(hostile) as client:
        server = client.app.state.server
        headers = {"Authorization": f"Bearer {hostile.write_tokens['owner']}"}
        server.max_upload_bytes = 64 * 1024
        big = client.post("/api/v1/uploads", headers=headers,
                          files={"file": ("big.csv", b"a,b\n" + b"1,2\n" * 40_000)})
        assert big.status_code == 413 and big.headers["content-type"].startswith(
            "application/problem+json")
        server.max_upload_bytes = 512 * 1024 * 1024

        empty = client.post("/api/v1/uploads", headers=headers, files={"file": ("e.csv", b"")})
        assert empty.status_code == 422 and "empty" in empty.json()["detail"]

        binary = client.post("/api/v1/uploads", headers=headers,
                             files={"file": ("data.csv", bytes(range(256)) * 400)})
        assert binary.status_code == 201 and binary.json()["problem"]
        exe = client.post("/api/v1/uploads", headers=headers,
                          files={"file": ("tool.exe", b"MZ\x90\x00")})
        assert exe.status_code == 415

        bomb = io.BytesIO()
        with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
            zf.writestr("[Content_Types].xml", "<Types/>")
            with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
                zeros = b"0" * (1 << 20)
                for _ in range(300):  # 300 MB of zeros in well under 1 MB
                    member.write(zeros)
        assert len(bomb.getvalue()) < 2 * 1024 * 1024
        r = client.post("/api/v1/uploads", headers=headers,
                        files={"file": ("orders.xlsx", bomb.getvalue())})
        assert r.status_code == 201 and "zip bomb" in r.json()["problem"]
        job = client.post(f"/api/v1/uploads/{r.json()['upload_id']}/load", headers=headers,
                          json={}).json()
        done = server.jobs.wait(job["job_id"], timeout=60)
        assert done.status == "failed" and "zip bomb" in done.error
        with server.session() as wh:
            assert all(load.source != "upload" or load.rows_read == load.rows_loaded
                       + load.rows_quarantined for load in wh.loads(limit=50)[1])


# -- brute force -----------------------------------------------------------------------------
def test_login_brute_force_is_throttled_per_user_and_per_client(hostile):
    with serve(hostile) as client:
        for _ in range(5):
            r = client.post("/api/v1/session", json={"username": "agent", "password": "nope"})
            assert r.status_code == 401
        r = client.post("/api/v1/session", json={"username": "agent", "password": PASSWORD})
        assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
        page = client.post("/login", data={"username": "agent", "password": PASSWORD})
        assert page.status_code == 429
        # spraying many user names from one client is throttled too
        statuses = [client.post("/api/v1/session", json={"username": f"u{i}",
                                "password": "x"}).status_code for i in range(20)]
        assert statuses[-1] == 429
        with client.app.state.server.session() as wh:
            assert accounts.authenticate(wh, "agent", PASSWORD).username == "agent"
