"""The ``shopkeeper`` command (a package while it is split into one module per capability)."""

from shopkeeper.cli._common import _Steps, app, main

__all__ = ["_Steps", "app", "main"]
