"""The house rule: faces (cli, api, web, mcp) call only the capabilities' entry modules, and no
capability imports a face."""

from __future__ import annotations

import ast
from pathlib import Path

import shopkeeper

SRC = Path(shopkeeper.__file__).parent
FACES = ("cli", "api", "web", "mcp")
# the packages below the faces; each one's entry module is the package itself
CAPABILITIES = ("store", "metrics", "llm", "reports", "finance", "forecast", "inventory",
                "reviews", "content", "service", "recommend", "accounts", "ask")


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names
                      if node.module == "shopkeeper"]
    return found


def _face_files() -> list[Path]:
    files = [SRC / "mcp.py"]
    for face in ("cli", "api", "web"):
        files += sorted((SRC / face).rglob("*.py"))
    return files


def test_faces_import_only_entry_modules():
    offences = []
    for path in _face_files():
        for line, name in _imports(path):
            parts = name.split(".")
            if parts[0] == "shopkeeper" and len(parts) > 2 and parts[1] in CAPABILITIES:
                offences.append(f"{path.relative_to(SRC)}:{line} imports {name}")
    assert len(_face_files()) > 20
    assert not offences, "\n".join(offences)


def test_no_capability_imports_a_face():
    offences = []
    for cap in CAPABILITIES:
        folder = SRC / cap
        for path in sorted(folder.rglob("*.py")) if folder.is_dir() else []:
            for line, name in _imports(path):
                parts = name.split(".")
                if parts[0] == "shopkeeper" and len(parts) > 1 and parts[1] in FACES:
                    offences.append(f"{path.relative_to(SRC)}:{line} imports {name}")
    assert not offences, "\n".join(offences)


def test_the_checker_sees_a_submodule_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from shopkeeper.finance.report import build_reports\nimport shopkeeper.store\n")
    names = [n for _, n in _imports(bad)]
    assert "shopkeeper.finance.report" in names and "shopkeeper.store" in names
