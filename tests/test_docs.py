"""Docs that fail when they drift from the code: schema, settings, commands, exports."""

from __future__ import annotations

from pathlib import Path

import shopkeeper.store as store
from shopkeeper.cli import app
from shopkeeper.store.config import Settings
from shopkeeper.store.schema import to_markdown

ROOT = Path(__file__).resolve().parents[1]


def test_schema_doc_is_generated_from_the_registry():
    assert (ROOT / "docs/schema.md").read_text(encoding="utf-8") == to_markdown(), (
        "docs/schema.md is stale: run 'make docs'"
    )


def test_every_setting_is_documented():
    doc = (ROOT / "docs/config.md").read_text(encoding="utf-8")
    for name in Settings.model_fields:
        assert f"`{name}`" in doc and f"SHOPKEEPER_{name.upper()}" in doc, name


def test_every_command_is_documented():
    doc = (ROOT / "docs/cli.md").read_text(encoding="utf-8")
    for command in app.registered_commands:
        name = command.name or command.callback.__name__
        assert f"| `{name}` |" in doc, name


def test_every_subcommand_is_documented_with_an_example():
    doc = (ROOT / "docs/cli.md").read_text(encoding="utf-8")
    for group in app.registered_groups:
        for command in group.typer_instance.registered_commands:
            name = f"{group.name} {command.name}"
            assert f"| `{name}` |" in doc, name
            assert "Example: shopkeeper " + group.name in command.callback.__doc__, name


def test_every_preset_is_documented():
    doc = (ROOT / "docs/presets.md").read_text(encoding="utf-8")
    for preset in store.all_presets().values():
        if preset.family != "canonical":
            assert preset.name in doc, preset.name


def test_store_exports_match_all():
    public = {n for n in dir(store) if not n.startswith("_")}
    modules = {"config", "demo", "migrations", "schema", "warehouse", "complements",
               "generate", "timezone", "copy", "postgres", "doctor", "backup", "exports",
               "spark"}  # spark: once anything has loaded it
    assert public - modules == set(store.__all__)


def test_readme_opens_with_the_two_commands():
    head = (ROOT / "README.md").read_text(encoding="utf-8").split("\n\n", 3)[:2]
    assert "make demo" in "\n".join(head) and "make test" in "\n".join(head)
