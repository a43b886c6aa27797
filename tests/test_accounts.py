"""Accounts on a real warehouse: passwords, roles, tokens, sessions, setup link, audit log."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta

import pytest

import shopkeeper.accounts as accounts
from shopkeeper.accounts import AccountError, AuthError, Permission
from shopkeeper.store.warehouse import Warehouse

PASSWORD = "correct horse battery"

# The role × permission table of the spec, written out by hand (not derived from PERMISSIONS).
OWN, ANA, OPS, AGT, VIEW = "owner", "analyst", "operator", "agent", "viewer"
EXPECTED = {
    "overview.read": {OWN, ANA, OPS, VIEW},
    "finance.read": {OWN, ANA, OPS, VIEW},
    "metrics.read": {OWN, ANA, OPS, VIEW},
    "stock.read": {OWN, ANA, OPS, VIEW},
    "reviews.read": {OWN, ANA, OPS, VIEW},
    "data.read": {OWN, ANA, OPS},
    "content.read": {OWN, ANA, OPS},
    "customers.read": {OWN, ANA, OPS},
    "data.write": {OWN, OPS},
    "stock.approve": {OWN, OPS},
    "reviews.approve": {OWN, OPS},
    "content.write": {OWN, OPS},
    "service.approve": {OWN, OPS},
    "service.read": {OWN, ANA, OPS, AGT},
    "service.reply": {OWN, OPS, AGT},
    "audit.read": {OWN, ANA},
    "settings.read": {OWN, ANA},
    "settings.write": {OWN},
    "users.manage": {OWN},
    "jobs.read": {OWN, ANA, OPS, AGT, VIEW},
    "account.self": {OWN, ANA, OPS, AGT, VIEW},
}
WRITES = {"data.write", "stock.approve", "reviews.approve", "content.write", "service.reply",
          "service.approve", "settings.write", "users.manage", "account.self"}


@pytest.fixture
def wh(tmp_path):
    with Warehouse(tmp_path / "w.duckdb") as warehouse:
        yield warehouse


@pytest.fixture
def owner(wh):
    return accounts.add_user(wh, "boss", PASSWORD, "owner", display_name="The Boss")


def _all_audit_text(wh) -> str:
    return json.dumps([e.model_dump(mode="json") for e in accounts.audit_log(wh, limit=10_000)])


# -- roles and permissions --------------------------------------------------------------------
def test_roles_and_permission_names_are_the_spec():
    assert accounts.ROLES == ("owner", "analyst", "operator", "agent", "viewer")
    assert {p.value for p in Permission} == set(EXPECTED)
    assert Permission.USERS_MANAGE == "users.manage"


@pytest.mark.parametrize("permission", sorted(EXPECTED))
def test_every_role_holds_exactly_the_permissions_of_the_spec(permission):
    for role in accounts.ROLES:
        assert accounts.allowed(role, Permission(permission)) is (role in EXPECTED[permission]), (
            role, permission)
        # a write token changes nothing; a read token loses every writing permission
        assert accounts.allowed(role, Permission(permission), "write") is (
            role in EXPECTED[permission])
        assert accounts.allowed(role, Permission(permission), "read") is (
            role in EXPECTED[permission] and permission not in WRITES)
    assert Permission(permission).writes is (permission in WRITES)


def test_unknown_role_scope_or_permission_is_denied():
    assert not accounts.allowed("root", Permission.OVERVIEW_READ)
    assert not accounts.allowed("owner", "users.destroy")
    assert not accounts.allowed("owner", Permission.OVERVIEW_READ, "admin")
    assert accounts.allowed("owner", "overview.read")


# -- users and passwords ----------------------------------------------------------------------
def test_password_is_stored_as_an_argon2_hash(wh, owner):
    (stored,) = wh.query("SELECT password_hash FROM users WHERE username = 'boss'")[0]
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert accounts.authenticate(wh, "boss", PASSWORD).user_id == owner.user_id
    assert accounts.authenticate(wh, "BOSS", PASSWORD).username == "boss"  # case-insensitive
    assert "password_hash" not in owner.model_dump()


def test_wrong_password_and_unknown_user_read_the_same(wh, owner):
    with pytest.raises(AuthError) as wrong:
        accounts.authenticate(wh, "boss", "not the password at all")
    with pytest.raises(AuthError) as unknown:
        accounts.authenticate(wh, "nobody", PASSWORD)
    with pytest.raises(AuthError) as invalid:
        accounts.authenticate(wh, "bad name!", PASSWORD)
    assert str(wrong.value) == str(unknown.value) == str(invalid.value)
    assert "nobody" not in str(unknown.value)


def test_disabled_user_is_denied_and_enabled_again(wh, owner):
    accounts.add_user(wh, "ana", PASSWORD, "analyst")
    accounts.update_user(wh, "ana", disabled=True, actor="boss", via="cli")
    with pytest.raises(AuthError, match="disabled"):
        accounts.authenticate(wh, "ana", PASSWORD)
    with pytest.raises(AuthError):  # a wrong password still says only that
        accounts.authenticate(wh, "ana", "wrong password here")
    accounts.update_user(wh, "ana", disabled=False, actor="boss", via="cli")
    assert accounts.authenticate(wh, "ana", PASSWORD).role == "analyst"


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"password": "short"}, "at least 10"),
    ({"role": "admin"}, "unknown role"),
    ({"username": "has space"}, "invalid username"),
    ({"lang": "fr"}, "unknown language"),
])
def test_bad_user_input_is_an_account_error(wh, kwargs, message):
    args = {"username": "newbie", "password": PASSWORD, "role": "viewer", **kwargs}
    lang = args.pop("lang", "en")
    with pytest.raises(AccountError, match=message):
        accounts.add_user(wh, args["username"], args["password"], args["role"], lang=lang)
    assert not accounts.has_users(wh)


def test_duplicate_username_is_refused_in_any_case(wh, owner):
    with pytest.raises(AccountError, match="taken"):
        accounts.add_user(wh, "Boss", PASSWORD, "viewer")
    assert [u.username for u in accounts.list_users(wh)] == ["boss"]


def test_update_user_changes_role_lang_name_and_password(wh, owner):
    accounts.add_user(wh, "op", PASSWORD, "viewer")
    changed = accounts.update_user(wh, "op", role="operator", lang="zh", display_name="运营",
                                   password="another long secret", actor="boss", via="web")
    assert (changed.role, changed.lang, changed.display_name) == ("operator", "zh", "运营")
    assert accounts.get_user(wh, "op") == changed
    assert accounts.get_user(wh, changed.user_id) == changed
    with pytest.raises(AuthError):
        accounts.authenticate(wh, "op", PASSWORD)
    assert accounts.authenticate(wh, "op", "another long secret").role == "operator"
    with pytest.raises(AccountError, match="at least 10"):
        accounts.update_user(wh, "op", password="short", actor="boss", via="web")
    with pytest.raises(AccountError, match="no user"):
        accounts.update_user(wh, "ghost", role="viewer", actor="boss", via="web")


def test_the_last_owner_can_be_neither_disabled_nor_demoted(wh, owner):
    with pytest.raises(AccountError, match="only enabled owner"):
        accounts.update_user(wh, "boss", disabled=True, actor="boss", via="cli")
    with pytest.raises(AccountError, match="only enabled owner"):
        accounts.update_user(wh, "boss", role="viewer", actor="boss", via="cli")
    accounts.add_user(wh, "boss2", PASSWORD, "owner")
    assert accounts.update_user(wh, "boss", role="analyst", actor="boss2", via="cli").role == "analyst"


def test_rehash_upgrades_an_old_hash_on_sign_in(wh, owner):
    from argon2 import PasswordHasher

    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    wh.query("UPDATE users SET password_hash = ? WHERE username = 'boss'", [weak])
    accounts.authenticate(wh, "boss", PASSWORD)
    (stored,) = wh.query("SELECT password_hash FROM users WHERE username = 'boss'")[0]
    assert stored != weak and stored.startswith("$argon2id$")
    assert accounts.authenticate(wh, "boss", PASSWORD).username == "boss"


# -- API tokens -------------------------------------------------------------------------------
def test_token_secret_is_shown_once_and_only_its_hash_stored(wh, owner):
    issued = accounts.create_token(wh, "boss", "laptop agent", scope="write", actor="boss",
                                   via="cli")
    assert issued.secret.startswith(f"sk_{issued.token_id}_") and len(issued.secret) > 50
    stored = wh.query("SELECT * FROM api_tokens")
    assert issued.secret not in json.dumps(stored, default=str)
    listed = accounts.list_tokens(wh)
    assert [t.token_id for t in listed] == [issued.token_id]
    assert "secret" not in listed[0].model_dump()
    user, info = accounts.verify_token(wh, issued.secret)
    assert (user.username, info.scope, info.name) == ("boss", "write", "laptop agent")
    assert info.last_used_at is not None
    assert accounts.list_tokens(wh, "boss")[0].last_used_at is not None
    expected = issued.expires_at - info.created_at
    assert expected == timedelta(days=90)


def test_mistyped_and_unknown_tokens_are_denied_alike(wh, owner):
    issued = accounts.create_token(wh, "boss", "t", actor="boss", via="cli")
    messages = set()
    for secret in (issued.secret[:-1] + ("A" if issued.secret[-1] != "A" else "B"),
                   f"sk_ffffffffffff_{issued.secret.split('_', 2)[2]}", "sk_", "", "Bearer x",
                   issued.secret.replace("sk_", "pk_")):
        with pytest.raises(AuthError) as denied:
            accounts.verify_token(wh, secret)
        messages.add(str(denied.value))
    assert len(messages) == 1


def test_expired_and_revoked_tokens_are_denied(wh, owner):
    expiring = accounts.create_token(wh, "boss", "short", expires_days=1, actor="boss", via="cli")
    accounts.verify_token(wh, expiring.secret)
    past = datetime.now(UTC) - timedelta(seconds=1)
    wh.query("UPDATE api_tokens SET expires_at = ? WHERE token_id = ?", [past, expiring.token_id])
    with pytest.raises(AuthError, match="expired"):
        accounts.verify_token(wh, expiring.secret)

    forever = accounts.create_token(wh, "boss", "ci", expires_days=None, actor="boss", via="cli")
    assert forever.expires_at is None
    accounts.verify_token(wh, forever.secret)
    revoked = accounts.revoke_token(wh, forever.token_id, actor="boss", via="cli")
    assert revoked.revoked_at is not None and not revoked.active
    with pytest.raises(AuthError, match="revoked"):
        accounts.verify_token(wh, forever.secret)
    again = accounts.revoke_token(wh, forever.token_id, actor="boss", via="cli")
    assert again.revoked_at == revoked.revoked_at
    assert len(accounts.audit_log(wh, action="token.revoke")) == 1
    with pytest.raises(AccountError, match="no API token"):
        accounts.revoke_token(wh, "nope", actor="boss", via="cli")


def test_token_of_a_disabled_user_is_denied(wh, owner):
    accounts.add_user(wh, "bot", PASSWORD, "agent")
    issued = accounts.create_token(wh, "bot", "helpdesk", actor="boss", via="cli")
    accounts.update_user(wh, "bot", disabled=True, actor="boss", via="cli")
    with pytest.raises(AuthError, match="disabled"):
        accounts.verify_token(wh, issued.secret)
    with pytest.raises(AccountError, match="disabled"):
        accounts.create_token(wh, "bot", "another", actor="boss", via="cli")


def test_read_token_is_denied_every_writing_permission(wh, owner):
    issued = accounts.create_token(wh, "boss", "dashboards", scope="read", actor="boss",
                                   via="cli")
    user, info = accounts.verify_token(wh, issued.secret)
    assert info.scope == "read"
    for permission in Permission:
        assert accounts.allowed(user.role, permission, info.scope) is (
            permission.value not in WRITES)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"scope": "admin"}, "scope"), ({"expires_days": 0}, "expires_days"), ({"name": " "}, "name"),
])
def test_bad_token_requests_are_account_errors(wh, owner, kwargs, message):
    args = {"name": "x", **kwargs}
    with pytest.raises(AccountError, match=message):
        accounts.create_token(wh, "boss", actor="boss", via="cli", **args)
    assert accounts.list_tokens(wh) == []


# -- web sessions -----------------------------------------------------------------------------
def test_each_login_gets_a_new_session_id_stored_hashed(wh, owner):
    first, csrf1 = accounts.create_session(wh, owner.user_id)
    second, csrf2 = accounts.create_session(wh, owner.user_id)
    assert first != second and csrf1 != csrf2 and len(first) >= 40
    stored = json.dumps(wh.query("SELECT * FROM web_sessions"), default=str)
    assert first not in stored and second not in stored
    user, csrf = accounts.session_user(wh, first)
    assert (user.username, csrf) == ("boss", csrf1)
    assert accounts.session_user(wh, second)[1] == csrf2


def test_ended_expired_unknown_and_disabled_sessions_are_denied(wh, owner):
    ended, _ = accounts.create_session(wh, owner.user_id)
    accounts.end_session(wh, ended)
    with pytest.raises(AuthError):
        accounts.session_user(wh, ended)
    expired, _ = accounts.create_session(wh, owner.user_id, ttl_seconds=0)
    with pytest.raises(AuthError):
        accounts.session_user(wh, expired)
    with pytest.raises(AuthError):
        accounts.session_user(wh, "made-up-session-id")
    with pytest.raises(AuthError):
        accounts.session_user(wh, "")

    staff = accounts.add_user(wh, "staff", PASSWORD, "viewer")
    live, _ = accounts.create_session(wh, staff.user_id)
    accounts.session_user(wh, live)
    accounts.update_user(wh, "staff", disabled=True, actor="boss", via="web")
    with pytest.raises(AuthError):
        accounts.session_user(wh, live)
    accounts.update_user(wh, "staff", disabled=False, actor="boss", via="web")
    with pytest.raises(AuthError):  # disabling ended it for good
        accounts.session_user(wh, live)
    with pytest.raises(AuthError):
        accounts.create_session(wh, "u_nobody")


def test_a_password_change_ends_the_users_sessions(wh, owner):
    session, _ = accounts.create_session(wh, owner.user_id)
    accounts.update_user(wh, "boss", password="a brand new secret", actor="boss", via="web")
    with pytest.raises(AuthError):
        accounts.session_user(wh, session)


# -- the setup link ---------------------------------------------------------------------------
def test_setup_secret_creates_the_owner_once(wh):
    assert not accounts.has_users(wh)
    secret = accounts.create_setup_secret(wh)
    assert secret not in json.dumps(wh.query("SELECT * FROM setup_secrets"), default=str)
    with pytest.raises(AccountError, match="at least 10"):  # a bad password keeps the link
        accounts.complete_setup(wh, secret, "founder", "short")
    with pytest.raises(AuthError):
        accounts.complete_setup(wh, "wrong secret", "founder", PASSWORD)
    founder = accounts.complete_setup(wh, secret, "founder", PASSWORD, lang="zh")
    assert (founder.role, founder.lang) == ("owner", "zh") and accounts.has_users(wh)
    assert accounts.authenticate(wh, "founder", PASSWORD).user_id == founder.user_id
    with pytest.raises(AuthError):
        accounts.complete_setup(wh, secret, "intruder", PASSWORD)
    with pytest.raises(AccountError, match="already has users"):
        accounts.create_setup_secret(wh)
    assert [u.username for u in accounts.list_users(wh)] == ["founder"]
    (event,) = accounts.audit_log(wh, action="setup.complete")
    assert (event.actor, event.target, event.via) == ("founder", "user:founder", "web")


def test_a_newer_setup_secret_replaces_the_older(wh):
    old = accounts.create_setup_secret(wh)
    new = accounts.create_setup_secret(wh)
    with pytest.raises(AuthError):
        accounts.complete_setup(wh, old, "founder", PASSWORD)
    assert accounts.complete_setup(wh, new, "founder", PASSWORD).role == "owner"


# -- the audit log ----------------------------------------------------------------------------
def test_every_write_is_audited_without_secrets(wh):
    secret = accounts.create_setup_secret(wh)
    accounts.complete_setup(wh, secret, "boss", PASSWORD)
    accounts.add_user(wh, "ana", PASSWORD, "analyst", actor="boss", via="cli")
    accounts.update_user(wh, "ana", role="operator", password="rotated password",
                         actor="boss", via="web")
    issued = accounts.create_token(wh, "ana", "n8n", scope="write", actor="boss", via="api")
    accounts.revoke_token(wh, issued.token_id, actor="ana", via="mcp")

    events = list(reversed(accounts.audit_log(wh)))
    assert [(e.action, e.actor, e.via, e.target) for e in events] == [
        ("setup.complete", "boss", "web", "user:boss"),
        ("user.add", "boss", "cli", "user:ana"),
        ("user.update", "boss", "web", "user:ana"),
        ("token.create", "boss", "api", f"token:{issued.token_id}"),
        ("token.revoke", "ana", "mcp", f"token:{issued.token_id}"),
    ]
    update = events[2]
    assert update.before == {"role": "analyst"}
    assert update.after == {"role": "operator", "password_changed": True}
    assert events[3].after["scope"] == "write" and events[3].after["username"] == "ana"

    text = _all_audit_text(wh) + json.dumps(wh.query("SELECT * FROM audit_log"), default=str)
    hashes = [h for (h,) in wh.query(
        "SELECT password_hash FROM users UNION ALL SELECT token_hash FROM api_tokens")]
    for leaked in (PASSWORD, "rotated password", issued.secret, secret, "$argon2", *hashes):
        assert leaked not in text, leaked


def test_record_scrubs_secrets_whatever_they_are_called(wh):
    accounts.record(wh, "boss", "settings.update", "llm",
                    before={"api_key": "abc", "nested": {"password": "p", "x_hash": "h"}},
                    after={"note": "sk_0123456789ab_" + "x" * 43, "ok": 1}, via="web")
    (event,) = accounts.audit_log(wh)
    assert event.before == {"api_key": "[redacted]",
                            "nested": {"password": "[redacted]", "x_hash": "[redacted]"}}
    assert event.after == {"note": "[redacted]", "ok": 1}


def test_audit_log_filters_and_pages(wh, owner):
    for name in ("a1", "a2", "a3"):
        accounts.add_user(wh, name, PASSWORD, "viewer", actor="boss", via="cli")
    accounts.update_user(wh, "a1", lang="zh", actor="a2", via="web")
    assert accounts.audit_count(wh) == 5
    assert [e.target for e in accounts.audit_log(wh, action="user.add", limit=2)] == [
        "user:a3", "user:a2"]
    assert [e.target for e in accounts.audit_log(wh, action="user.add", limit=2, offset=2)] == [
        "user:a1", "user:boss"]
    assert [e.action for e in accounts.audit_log(wh, actor="a2")] == ["user.update"]
    assert len(accounts.audit_log(wh, action="user.*")) == 5
    assert accounts.audit_log(wh, since=datetime.now(UTC) + timedelta(minutes=1)) == []


def test_failed_write_records_nothing(wh, owner):
    before = accounts.audit_count(wh)
    with pytest.raises(AccountError):
        accounts.add_user(wh, "boss", PASSWORD, "viewer")
    with pytest.raises(AccountError):
        accounts.update_user(wh, "boss", role="viewer", actor="boss", via="cli")
    assert accounts.audit_count(wh) == before
    assert accounts.get_user(wh, "boss").role == "owner"


def test_export_audit_as_csv_and_jsonl(wh, owner, tmp_path):
    accounts.record(wh, "boss", "content.approve", "=HYPERLINK(\"x\")", after={"v": "中文"},
                    via="web")
    n = accounts.export_audit(wh, tmp_path / "audit.csv")
    assert n == 2
    with (tmp_path / "audit.csv").open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["action"] for r in rows] == ["user.add", "content.approve"]  # oldest first
    assert rows[1]["target"] == "'=HYPERLINK(\"x\")"  # never a live formula
    assert json.loads(rows[1]["after"]) == {"v": "中文"} and rows[0]["before"] == ""

    assert accounts.export_audit(wh, tmp_path / "out" / "audit.jsonl", fmt="jsonl") == 2
    lines = (tmp_path / "out" / "audit.jsonl").read_text(encoding="utf-8").splitlines()
    parsed = [json.loads(line) for line in lines]
    assert [p["action"] for p in parsed] == ["user.add", "content.approve"]
    assert parsed[0]["after"]["username"] == "boss" and parsed[1]["target"].startswith("=")
    with pytest.raises(AccountError, match="format"):
        accounts.export_audit(wh, tmp_path / "audit.xml", fmt="xml")


def test_accounts_survive_reopening_the_warehouse(tmp_path):
    path = tmp_path / "w.duckdb"
    with Warehouse(path) as wh:
        accounts.add_user(wh, "boss", PASSWORD, "owner")
        issued = accounts.create_token(wh, "boss", "t", actor="boss", via="cli")
        session, _ = accounts.create_session(wh, accounts.get_user(wh, "boss").user_id)
    with Warehouse(path, read_only=True) as wh:
        assert accounts.authenticate(wh, "boss", PASSWORD).role == "owner"
        assert accounts.verify_token(wh, issued.secret)[0].username == "boss"
        assert accounts.session_user(wh, session)[0].username == "boss"


def test_on_demand_warehouse_writes_in_brief_transactions(tmp_path):
    path = tmp_path / "w.duckdb"
    Warehouse(path).close()
    wh = Warehouse(path, on_demand=True)
    try:
        accounts.add_user(wh, "boss", PASSWORD, "owner")
        issued = accounts.create_token(wh, "boss", "t", actor="boss", via="cli")
        assert accounts.verify_token(wh, issued.secret)[1].token_id == issued.token_id
        assert accounts.audit_count(wh) == 2
    finally:
        wh.close()
