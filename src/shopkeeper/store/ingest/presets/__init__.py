"""Built-in presets: mappings for the exports merchants really have.

Each preset is a TOML mapping file in this folder (the same format as a user's ``--mapping``
file), plus one ``canonical_<table>`` mapping per canonical table for files whose columns are
already named like the schema (what ``shopkeeper generate`` writes). Presets sharing a
``family`` (``olist``, ``canonical``, ``shopify``…) can be loaded together from one folder.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from shopkeeper.errors import UnknownPresetError
from shopkeeper.store import schema
from shopkeeper.store.ingest.mapping import Mapping, canonical_mapping, load_mapping


@cache
def all_presets() -> dict[str, Mapping]:
    """Every built-in preset by name (read once, on first use)."""
    found: dict[str, Mapping] = {}
    folder = resources.files(__name__)
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            with resources.as_file(entry) as path:
                m = load_mapping(path)
            found[m.name] = m
    for table in schema.TABLES:
        m = canonical_mapping(table)
        found[m.name] = m
    return found


def get_preset(name: str) -> Mapping:
    presets = all_presets()
    if name not in presets:
        raise UnknownPresetError(f"unknown preset {name!r}; known presets: {sorted(presets)}")
    return presets[name]


def candidates(name: str | None) -> list[Mapping]:
    """The presets to choose from: one by name, a whole family, or all of them."""
    presets = all_presets()
    if name is None:
        return list(presets.values())
    if name in presets:
        return [presets[name]]
    family = [m for m in presets.values() if m.family == name]
    if family:
        return family
    families = sorted({m.family for m in presets.values() if m.family})
    raise UnknownPresetError(
        f"unknown preset {name!r}; presets: {sorted(presets)}; families: {families}"
    )
