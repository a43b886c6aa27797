"""The users, tokens and audit commands, black-box through the real CLI and warehouse."""

from __future__ import annotations

import csv
import json

import pytest
from typer.testing import CliRunner

import shopkeeper.accounts as accounts
import shopkeeper.cli.users  # noqa: F401  (registers the commands even before cli/__init__ does)
from shopkeeper.cli import app
from shopkeeper.store import Warehouse

runner = CliRunner()
PASSWORD = "correct horse battery"


@pytest.fixture
def wpath(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SHOPKEEPER_CONFIG", raising=False)
    return tmp_path / "w.duckdb"


def run(wpath, *args: str, input: str | None = None):
    return runner.invoke(app, ["--warehouse", str(wpath), *args], input=input,
                         catch_exceptions=False)


def test_users_add_with_prompt_twice_and_from_stdin(wpath):
    added = run(wpath, "users", "add", "Boss", "--role", "owner", "--name", "The Boss",
                input=f"{PASSWORD}\n{PASSWORD}\n")
    assert added.exit_code == 0, added.output
    assert "added boss (owner)" in added.output
    assert PASSWORD not in added.output  # hidden input
    piped = run(wpath, "users", "add", "ana", "--role", "analyst", "--lang", "zh",
                "--password-stdin", input=f"{PASSWORD}\n")
    assert piped.exit_code == 0, piped.output
    with Warehouse(wpath, read_only=True) as wh:
        assert accounts.authenticate(wh, "boss", PASSWORD).display_name == "The Boss"
        assert accounts.authenticate(wh, "ana", PASSWORD).lang == "zh"
        events = accounts.audit_log(wh, action="user.add")
    assert {e.via for e in events} == {"cli"} and len(events) == 2


def test_users_add_mismatched_prompt_asks_again(wpath):
    result = run(wpath, "users", "add", "boss", "--role", "owner",
                 input=f"{PASSWORD}\nsomething else!\n{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "do not match" in result.output.lower()
    with Warehouse(wpath, read_only=True) as wh:
        assert accounts.authenticate(wh, "boss", PASSWORD).role == "owner"


@pytest.mark.parametrize(("args", "stdin", "message"), [
    (("--role", "admin"), PASSWORD, "unknown role"),
    (("--role", "viewer"), "short", "at least 10"),
])
def test_users_add_errors_are_one_line(wpath, args, stdin, message):
    result = run(wpath, "users", "add", "x", *args, "--password-stdin", input=stdin + "\n")
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output


def test_users_list_disable_enable_set_role(wpath):
    for name, role in (("boss", "owner"), ("ana", "analyst")):
        assert run(wpath, "users", "add", name, "--role", role, "--password-stdin",
                   input=PASSWORD + "\n").exit_code == 0
    listed = run(wpath, "users", "list")
    assert listed.exit_code == 0 and "ana" in listed.output and "analyst" in listed.output

    assert "disabled ana" in run(wpath, "users", "disable", "ana").output
    as_json = json.loads(run(wpath, "users", "list", "--json").output)
    assert {u["username"]: u["disabled"] for u in as_json} == {"ana": True, "boss": False}
    with Warehouse(wpath, read_only=True) as wh, pytest.raises(accounts.AuthError):
        accounts.authenticate(wh, "ana", PASSWORD)

    assert "enabled ana" in run(wpath, "users", "enable", "ana").output
    assert "ana is now operator" in run(wpath, "users", "set-role", "ana", "operator").output
    last_owner = run(wpath, "users", "disable", "boss")
    assert last_owner.exit_code == 1 and "only enabled owner" in last_owner.output
    missing = run(wpath, "users", "set-role", "ghost", "viewer")
    assert missing.exit_code == 1 and "no user called 'ghost'" in missing.output

    changed = run(wpath, "users", "set-password", "ana", "--password-stdin",
                  input="a new long password\n")
    assert changed.exit_code == 0, changed.output
    with Warehouse(wpath, read_only=True) as wh:
        assert accounts.authenticate(wh, "ana", "a new long password").role == "operator"
        actions = [e.action for e in accounts.audit_log(wh, actor=None)]
    assert actions.count("user.update") == 4


def test_users_list_on_an_empty_store_says_what_to_do(wpath):
    result = run(wpath, "users", "list")
    assert result.exit_code == 0 and "shopkeeper users add" in result.output


def test_tokens_create_prints_the_secret_once_list_and_revoke(wpath):
    run(wpath, "users", "add", "boss", "--role", "owner", "--password-stdin",
        input=PASSWORD + "\n")
    created = run(wpath, "tokens", "create", "boss", "--name", "claude desktop", "--scope",
                  "write", "--expires-days", "0")
    assert created.exit_code == 0, created.output
    secret = created.stdout.strip().splitlines()[-1]
    assert secret.startswith("sk_")
    assert "not shown again" in created.output
    with Warehouse(wpath, read_only=True) as wh:
        user, info = accounts.verify_token(wh, secret)
    assert (user.username, info.scope, info.expires_at) == ("boss", "write", None)

    listed = run(wpath, "tokens", "list")
    assert listed.exit_code == 0 and info.token_id in listed.output
    assert "never" in listed.output and secret not in listed.output
    assert "claude desktop" in run(wpath, "tokens", "list", "--user", "boss").output

    revoked = run(wpath, "tokens", "revoke", info.token_id)
    assert revoked.exit_code == 0 and f"revoked {info.token_id}" in revoked.output
    assert "revoked" in run(wpath, "tokens", "list").output
    with Warehouse(wpath, read_only=True) as wh, pytest.raises(accounts.AuthError):
        accounts.verify_token(wh, secret)
    unknown = run(wpath, "tokens", "revoke", "nope")
    assert unknown.exit_code == 1 and "no API token" in unknown.output
    bad = run(wpath, "tokens", "create", "boss", "--name", "x", "--scope", "admin")
    assert bad.exit_code == 1 and "scope" in bad.output


def test_audit_lists_filters_and_exports(wpath):
    run(wpath, "users", "add", "boss", "--role", "owner", "--password-stdin",
        input=PASSWORD + "\n")
    run(wpath, "users", "add", "ana", "--role", "viewer", "--password-stdin",
        input=PASSWORD + "\n")
    created = run(wpath, "tokens", "create", "ana", "--name", "bot")
    secret = created.stdout.strip().splitlines()[-1]

    shown = run(wpath, "audit")
    assert shown.exit_code == 0, shown.output
    assert "user.add" in shown.output and "token.create" in shown.output
    assert "user:ana" in shown.output and secret not in shown.output
    only = run(wpath, "audit", "--action", "token.*")
    assert "token.create" in only.output and "user.add" not in only.output
    assert "user.add" not in run(wpath, "audit", "--limit", "1").output

    exported = run(wpath, "audit", "--export", "audit.csv")
    assert exported.exit_code == 0 and "wrote 3 events" in exported.output
    with (wpath.parent / "audit.csv").open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["action"] for r in rows] == ["user.add", "user.add", "token.create"]
    assert run(wpath, "audit", "--export", "audit.jsonl").exit_code == 0
    lines = (wpath.parent / "audit.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["target"] for line in lines][:2] == ["user:boss", "user:ana"]
    text = (wpath.parent / "audit.csv").read_text(encoding="utf-8-sig") + "\n".join(lines)
    assert secret not in text and PASSWORD not in text


def test_every_new_command_has_help_with_an_example(wpath):
    for args in (("users", "add"), ("users", "list"), ("users", "disable"), ("users", "enable"),
                 ("users", "set-role"), ("users", "set-password"), ("tokens", "create"),
                 ("tokens", "list"), ("tokens", "revoke"), ("audit",)):
        result = runner.invoke(app, [*args, "--help"])
        assert result.exit_code == 0, args
        assert "Example: shopkeeper " + " ".join(args) in result.output.replace("\n", " "), args
