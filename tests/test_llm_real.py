"""The real local model (SmolLM2-135M via llama.cpp), in process and behind the real
OpenAI-compatible llama.cpp server on 127.0.0.1. No mocks: what the model writes is whatever it
writes, so the assertions are about what Shopkeeper guarantees around it."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time

import pytest
from pydantic import BaseModel

from shopkeeper.content import CopyOptions, ProductFacts, generate_copy, parse_attributes
from shopkeeper.errors import LLMError, LLMUnavailableError
from shopkeeper.finance import build_report
from shopkeeper.finance.narrative import checked_narrative, model_rewriter
from shopkeeper.llm import LLM, Journal, LlamaCppProvider, OpenAIProvider
from tests.llm_fixtures import llama_server, running_llama_server, smollm2_path  # noqa: F401

pytestmark = pytest.mark.slow

KETTLE = ProductFacts(attributes=(("material", "copper"), ("colour", "white")),
                      title="White Copper Kettle", price=29.5, currency="GBP")


class Title(BaseModel):
    title: str


@pytest.fixture(scope="module")
def local(tmp_path_factory) -> LLM:
    return LLM(LlamaCppProvider(smollm2_path()), Journal(tmp_path_factory.mktemp("llm")))


@pytest.fixture(scope="module")
def served(llama_server, tmp_path_factory) -> LLM:  # noqa: F811
    return LLM(OpenAIProvider(llama_server, "smollm2"), Journal(tmp_path_factory.mktemp("llm")))


def test_openai_provider_against_the_llama_cpp_server(served):
    reply = served.chat([{"role": "user", "content": "Say hello in one word."}], max_tokens=16)
    assert reply.text.strip() and reply.completion_tokens > 0 and not reply.cached
    again = served.chat([{"role": "user", "content": "Say hello in one word."}], max_tokens=16)
    assert (again.text, again.cached) == (reply.text, True)


def test_openai_provider_structured_output(served):
    out = served.structured([{"role": "user", "content": "Give a product title for a white "
                              "copper kettle as JSON with a 'title' field."}], Title,
                            max_tokens=64)
    assert isinstance(out, Title) and out.title.strip()


def test_llamacpp_provider_in_process(local):
    reply = local.chat([{"role": "user", "content": "Name one colour."}], max_tokens=16)
    assert reply.text.strip() and reply.provider == "llamacpp"
    out = local.structured([{"role": "user", "content": "A title for a copper kettle, as "
                             "JSON."}], Title, max_tokens=64)
    assert out.title.strip()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_model_copy_is_never_published_with_invented_facts(local, lang):
    facts = KETTLE if lang == "en" else parse_attributes(
        "类型#上衣*材质#牛仔布*颜色#白色*风格#简约*衣样式#外套")
    drafts = generate_copy(facts, CopyOptions(kinds=("title", "description", "bullets"),
                                              lang=lang, platform="amazon"), local)
    assert [d.kind for d in drafts] == ["title", "description", "bullets"]
    for d in drafts:
        assert d.report.ok, (d.kind, d.text, d.report.violations)
        assert d.method in {"model", "model-repaired", "grounded-fallback"}
        assert d.provider == "llamacpp"
        if d.method == "grounded-fallback":  # what the model tried is kept, with its problems
            assert d.rejected and all(r["problems"] for r in d.rejected)


def test_served_model_copy_goes_through_the_same_checks(served):
    drafts = generate_copy(KETTLE, CopyOptions(kinds=("description",), lang="en"), served)
    assert drafts[0].report.ok and drafts[0].provider == "openai"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_finance_narrative_rewrite_keeps_only_supported_text(local, shop, lang):
    facts = build_report(shop, "month", lang=lang).facts
    narrative = checked_narrative(facts, lang, model_rewriter(local))
    assert narrative.path in {"model", "template"}
    if narrative.path == "template":
        assert narrative.rejected_numbers  # the model's text was refused, with the reason
    report = build_report(shop, "month", lang=lang, rewrite=model_rewriter(local))
    assert report.narrative.text == narrative.text  # same prompt, cached reply


def test_review_summary_and_reply_model_paths(local, warehouse):
    from shopkeeper.reviews import (
        analyze_reviews,
        draft_reply,
        load_policy,
        remedies_in,
        summarize_product,
    )
    from tests.test_reviews import REFUND_ONLY, REVIEWS

    warehouse.insert_df("reviews", REVIEWS)
    warehouse.insert_df("knowledge_documents", REFUND_ONLY)
    analyze_reviews(warehouse)
    summary = summarize_product(warehouse, "P1", lang="en", llm=local)
    assert summary.method in {"model", "extractive"}
    if summary.method == "extractive":  # the model's prose was refused, with the reason
        assert summary.refused
    policy = load_policy(warehouse)
    reply = draft_reply("en1", "P1", "The mug arrived broken, the box was crushed.", "en",
                        "packaging", policy, llm=local)
    assert remedies_in(reply.text) <= {"refund"}, reply.text
    if reply.method == "template":
        assert reply.refused


# -- a model process that dies mid-answer (issue 18: llama.cpp segfaulted on an AVX-512 Xeon) ---
STORY = [{"role": "user", "content": "Write a long story about a copper kettle, in ten "
          "chapters, each of them long."}]


def _kill_when_busy(pid_of, busy, after: float, seconds: float = 60.0) -> int:
    """Wait until a request is in flight, give the model ``after`` seconds to start answering,
    then kill its process with SIGSEGV, as the native crash did. Returns the pid killed."""
    deadline = time.monotonic() + seconds
    while not (busy() and pid_of()):
        assert time.monotonic() < deadline, "the request never started"
        time.sleep(0.01)
    time.sleep(after)
    pid = pid_of()
    os.kill(pid, signal.SIGSEGV)
    return pid


def test_local_model_killed_mid_answer_falls_back_with_one_line(tmp_path, caplog):
    # its own worker (another context size), so the shared one the other tests use is untouched
    provider = LlamaCppProvider(smollm2_path(), n_ctx=1024)
    llm = LLM(provider, Journal(tmp_path))
    try:
        llm.chat([{"role": "user", "content": "Name one colour."}], max_tokens=4)  # loaded
        worker = provider.worker
        result: dict = {}
        caller = threading.Thread(target=lambda: result.update(drafts=generate_copy(
            KETTLE, CopyOptions(kinds=("description",), lang="en"), llm)))
        with caplog.at_level(logging.WARNING, logger="shopkeeper.llm"):
            caller.start()
            # a copy request takes SmolLM2 0.7 s or more here: 0.1 s in, it is mid-answer
            _kill_when_busy(lambda: worker.pid, worker._lock.locked, after=0.1)
            caller.join(60)
        assert not caller.is_alive()
        (draft,) = result["drafts"]  # the caller lives on, with the grounded text
        line = ("the local model crashed: killed by signal SIGSEGV; falling back to the "
                "builtin path")
        assert draft.method == "grounded-fallback" and draft.text and draft.report.ok
        assert draft.rejected[0]["problems"] == [line]
        assert [r.getMessage() for r in caplog.records] == [line]
        # the next call starts the model again (once) and answers
        assert llm.chat([{"role": "user", "content": "Name one fruit."}], max_tokens=8).text
    finally:
        provider.worker.close()


def test_llama_server_killed_mid_answer_falls_back_with_one_line(tmp_path, caplog):
    with running_llama_server(tmp_path) as (base, proc):
        served = LLM(OpenAIProvider(base, "smollm2", timeout=60, max_retries=1),
                     Journal(tmp_path / "llm"))
        served.chat([{"role": "user", "content": "Name one colour."}], max_tokens=4)
        outcome: dict = {}

        def ask() -> None:
            try:
                outcome["reply"] = served.chat(STORY, max_tokens=512)
            except LLMError as exc:
                outcome["error"] = exc

        caller = threading.Thread(target=ask)
        with caplog.at_level(logging.WARNING, logger="shopkeeper.llm"):
            caller.start()
            _kill_when_busy(lambda: proc.pid if proc.poll() is None else None,
                            caller.is_alive, after=0.5)  # a 512-token story takes seconds
            caller.join(60)
        assert not caller.is_alive() and "reply" not in outcome
        error = outcome["error"]
        assert isinstance(error, LLMUnavailableError)
        assert str(error).startswith(f"the LLM endpoint {base} stopped answering (")
        assert str(error).endswith("the server may have crashed); falling back to the builtin "
                                   "path")
        assert "\n" not in str(error)
        assert [r.getMessage() for r in caplog.records] == [str(error)]
        # a capability on the dead server keeps its grounded text
        drafts = generate_copy(KETTLE, CopyOptions(kinds=("title",), lang="en"), served)
        assert drafts[0].method == "grounded-fallback" and drafts[0].report.ok
