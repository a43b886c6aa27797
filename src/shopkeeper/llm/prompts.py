"""Prompt templates as files: one Jinja2 file per task and language, versioned.

A capability keeps its prompts in its own ``prompts/`` folder as ``TASK.LANG.j2``. The file's
first line carries its version, e.g. ``{# version: 2 #}``; the version goes into the cache key
and the usage log, so changing a prompt never serves a stale reply. Lines ``### system``,
``### user`` and ``### assistant`` start the messages.

What a template writes is trusted; every value it interpolates (``{{ review }}``) is data and
passes :func:`shopkeeper.llm.untrusted.as_data`, so no review, title or message can start a
message of its own or address the model.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

import jinja2

from shopkeeper.errors import ConfigError
from shopkeeper.llm.untrusted import as_data

_VERSION = re.compile(r"\{#.*?version:\s*([\w.-]+).*?#\}", re.S)
_ROLE = re.compile(r"^###\s*(system|user|assistant)\s*$", re.M)


@functools.cache
def _environment(lang: str) -> jinja2.Environment:
    return jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=False,
                              trim_blocks=True, lstrip_blocks=True, autoescape=False,
                              finalize=functools.partial(as_data, lang=lang))


@dataclass(frozen=True)
class Prompt:
    """Rendered messages with the template's identity."""

    task: str
    lang: str
    version: str
    messages: list[dict[str, str]]


def render_prompt(package: str, task: str, lang: str, **variables: Any) -> Prompt:
    """Render ``<package>/prompts/<task>.<lang>.j2`` into chat messages."""
    name = f"{task}.{lang}.j2"
    try:
        source = resources.files(package).joinpath("prompts", name).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"no prompt template {package}/prompts/{name}") from None
    match = _VERSION.search(source.split("\n", 1)[0])
    if not match:
        raise ConfigError(f"prompt template {name} has no '{{# version: N #}}' first line")
    text = _environment(lang).from_string(source).render(**variables)
    parts = _ROLE.split(text)
    messages = [{"role": role, "content": body.strip()}
                for role, body in zip(parts[1::2], parts[2::2], strict=True) if body.strip()]
    if not messages:
        raise ConfigError(f"prompt template {name} has no '### user' section")
    return Prompt(task, lang, match.group(1), messages)
