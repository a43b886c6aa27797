"""The runtime's own logic: structured output through retries, the cache, the usage log,
prompt files and provider errors. A scripted provider stands in where the test is about what
the runtime does with replies; the real model is exercised in test_llm_real.py."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from shopkeeper.errors import ConfigError, LLMUnavailableError, StructuredOutputError
from shopkeeper.llm import LLM, Journal, OpenAIProvider, get_llm, parse_json, render_prompt
from shopkeeper.store.config import Settings
from tests.llm_fixtures import ScriptedProvider, free_port


class Copy(BaseModel):
    title: str
    bullets: list[str]


def test_structured_output_survives_malformed_json(tmp_path):
    provider = ScriptedProvider(
        '{"title": "White mug", "bullets": ["ceramic"',          # cut off
        'Sure! {"title": "White mug"}',                          # a field missing
        '```json\n{"title": "White mug", "bullets": ["ceramic", "white"]}\n```',
    )
    llm = LLM(provider, Journal(tmp_path))
    out = llm.structured([{"role": "user", "content": "copy please"}], Copy)
    assert out == Copy(title="White mug", bullets=["ceramic", "white"])
    assert len(provider.calls) == 3
    # each retry tells the model what was wrong
    assert "malformed JSON" in provider.calls[1][-1]["content"]
    assert "bullets: Field required" in provider.calls[2][-1]["content"]


def test_structured_output_gives_up_after_the_retries(tmp_path):
    llm = LLM(ScriptedProvider("no", "still no", "never"), Journal(tmp_path), max_retries=2)
    with pytest.raises(StructuredOutputError, match="no valid Copy in 3 tries"):
        llm.structured([{"role": "user", "content": "copy"}], Copy)


def test_cache_returns_identical_replies_without_calling_the_model(tmp_path):
    provider = ScriptedProvider("first answer")
    llm = LLM(provider, Journal(tmp_path))
    messages = [{"role": "user", "content": "hello"}]
    first = llm.chat(messages)
    again = LLM(provider, Journal(tmp_path)).chat(messages)  # a new process, same folder
    assert (again.text, again.cached, first.cached) == ("first answer", True, False)
    assert len(provider.calls) == 1
    usage = Journal(tmp_path).usage(("provider",))
    assert usage[["calls", "cache_hits", "prompt_tokens"]].values.tolist() == [[2, 1, 20]]


def test_cache_key_includes_the_parameters(tmp_path):
    provider = ScriptedProvider("a", "b")
    llm = LLM(provider, Journal(tmp_path))
    messages = [{"role": "user", "content": "hello"}]
    assert llm.chat(messages, temperature=0.0).text == "a"
    assert llm.chat(messages, temperature=0.7).text == "b"


def test_usage_log_estimates_cost(tmp_path):
    llm = LLM(ScriptedProvider("x"), Journal(tmp_path), price_input=2.0, price_output=10.0)
    reply = llm.chat([{"role": "user", "content": "hi"}], task="ask")
    assert reply.cost == pytest.approx((10 * 2.0 + 5 * 10.0) / 1e6)
    by_task = Journal(tmp_path).usage(("task",))
    assert by_task.loc[0, "task"] == "ask" and by_task.loc[0, "cost"] == pytest.approx(reply.cost)
    with pytest.raises(ValueError, match="cannot group usage by"):
        Journal(tmp_path).usage(("colour",))


def test_endpoint_down_is_a_clear_error_and_is_logged(tmp_path):
    port = free_port()  # nothing listens there
    provider = OpenAIProvider(f"http://127.0.0.1:{port}/v1", "any-model", timeout=2,
                              max_retries=0)
    llm = LLM(provider, Journal(tmp_path))
    with pytest.raises(LLMUnavailableError, match=rf"cannot reach the LLM endpoint "
                       rf"http://127.0.0.1:{port}/v1 .*llm_provider = \"builtin\""):
        llm.chat([{"role": "user", "content": "hi"}])
    assert Journal(tmp_path).usage(("provider",)).loc[0, "failures"] == 1


def test_openai_provider_needs_a_base_url(tmp_path, monkeypatch):
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    settings = Settings(llm_provider="openai", llm_dir=tmp_path)
    with pytest.raises(ConfigError, match="needs llm_base_url"):
        get_llm(settings)
    assert not get_llm(Settings(llm_dir=tmp_path)).has_model  # builtin by default


def test_prompt_templates_are_versioned_files():
    for lang in ("zh", "en"):
        prompt = render_prompt("shopkeeper.content", "copy", lang, facts=[("材质", "棉")],
                               kinds=("title",), tone="standard", tone_zh="专业",
                               length="short", length_zh="简短", sentences=2,
                               platform="taobao", title_limit=60, campaign="")
        assert prompt.version == "2"
        assert [m["role"] for m in prompt.messages] == ["system", "user"]
        assert "棉" in prompt.messages[1]["content"]
    with pytest.raises(ConfigError, match="no prompt template"):
        render_prompt("shopkeeper.content", "copy", "fr")


@pytest.mark.parametrize(("text", "expected"), [
    ('{"a": 1}', {"a": 1}),
    ('Here you go:\n```json\n{"a": [1, 2]}\n```', {"a": [1, 2]}),
    ('prefix {"a": {"b": 2}} suffix', {"a": {"b": 2}}),
])
def test_parse_json_tolerates_wrapping(text, expected):
    assert parse_json(text) == expected
