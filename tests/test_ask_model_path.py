"""The model path under attack: SQL a model writes (prompt-injected or not) and SQL typed as the
question both pass the read-only safety layer; the warehouse file is byte-identical after the
whole corpus (tests/ask_sql_attacks.py), held read-write or on demand."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from shopkeeper import ask
from shopkeeper.llm import LLM
from shopkeeper.store import Warehouse
from tests.ask_sql_attacks import ATTACKS, LEGIT
from tests.llm_fixtures import ScriptedProvider

QUESTION = "Which suppliers have the longest lead times?"  # outside the semantic layer


def _model_writing(sql: str) -> LLM:
    return LLM(ScriptedProvider(json.dumps({"metrics": [], "sql": sql})), None,
               use_cache=False, max_retries=0)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def shop_file(shop: Warehouse) -> Path:
    path = shop.path
    shop.close()
    return path


@pytest.mark.parametrize("on_demand", [False, True], ids=["held_read_write", "on_demand"])
def test_every_attack_through_the_model_and_the_question(shop_file, monkeypatch, on_demand):
    monkeypatch.setattr(ask, "SQL_TIMEOUT_S", 0.5)
    before = _digest(shop_file)
    with Warehouse(shop_file, on_demand=on_demand) as wh:
        for attack in ATTACKS:
            answer = ask.ask(wh, QUESTION, llm=_model_writing(attack.sql))
            assert answer.kind == "refused", attack.name
            assert "refused" in answer.text or "stopped" in answer.text, attack.name
            # the same text typed as the question is never run: the reader reads words
            typed = ask.ask(wh, attack.sql[:2000])
            assert typed.source != "sql" and "DROP" not in typed.sql.upper(), attack.name
        assert wh.count("orders") == 5
    assert _digest(shop_file) == before


def test_the_models_sql_answers_when_it_is_safe(shop):
    question = next(q for q in LEGIT if "JOIN" in q.sql.upper())
    answer = ask.ask(shop, QUESTION, llm=_model_writing(question.sql))
    assert answer.kind == "table" and answer.source == "sql" and answer.rows
    assert "LIMIT" in answer.sql.upper()
    assert "not through the metric definitions" in answer.text
