"""The LLM runtime against a server that fails on purpose (issue 25): every fault ends in an
``LLMError`` (which every capability turns into its grounded path) within the timeout, never a
raw exception and never a hang. Found by these tests and fixed: a reply cut short escaped as a
``JSONDecodeError``, and a reply that trickled forever held the request for good."""

from __future__ import annotations

import time

import pytest
from pydantic import BaseModel

from shopkeeper.errors import LLMError, StructuredOutputError
from shopkeeper.llm import get_llm
from shopkeeper.llm.providers import MAX_REPLY_BYTES
from tests.robustness.llm_faults import FAULTS, HUGE_BYTES, FaultServer

TIMEOUT_S, RETRIES = 1.0, 1
# every attempt may take the whole timeout, then the client's backoff between attempts
BOUND_S = (RETRIES + 1) * TIMEOUT_S + 2.5


class Answer(BaseModel):
    answer: str


@pytest.fixture(scope="module")
def server():
    with FaultServer() as running:
        yield running


@pytest.fixture
def llm(server, tmp_path):
    return get_llm(server.settings(tmp_path, timeout=TIMEOUT_S, retries=RETRIES))


def _timed(call):
    started = time.monotonic()
    try:
        return call(), None, time.monotonic() - started
    except Exception as exc:  # noqa: BLE001 - the test judges what came out
        return None, exc, time.monotonic() - started


def test_the_fake_server_answers_when_nothing_is_wrong(server, llm):
    server.mode = "ok"
    before = len(server.requests)
    assert llm.chat([{"role": "user", "content": "hi"}]).text == "Fine."
    assert server.requests[before:] == ["ok"]


@pytest.mark.parametrize("mode", [m for m in FAULTS if m not in {"wrong_schema",
                                                                  "wrong_language"}])
def test_a_failing_endpoint_is_an_llm_error_within_the_timeout(server, llm, mode):
    server.mode = mode
    before = len(server.requests)
    reply, error, seconds = _timed(lambda: llm.chat([{"role": "user", "content": "hi"}]))
    assert reply is None and isinstance(error, LLMError), (mode, repr(error))
    assert seconds < BOUND_S, (mode, seconds)
    assert len(error.args[0].splitlines()) == 1 and server.base_url in str(error)
    assert len(server.requests) > before


@pytest.mark.parametrize("mode", FAULTS)
def test_structured_output_under_every_fault_is_an_llm_error_within_bounds(server, llm, mode):
    server.mode = mode
    _, error, seconds = _timed(lambda: llm.structured(
        [{"role": "user", "content": "hi"}], Answer, retries=1))
    assert isinstance(error, LLMError), (mode, repr(error))
    if mode in {"wrong_schema", "wrong_language"}:
        assert isinstance(error, StructuredOutputError)
    assert seconds < 2 * BOUND_S, (mode, seconds)


def test_why_each_fault_failed_is_said(server, llm):
    reasons = {}
    for mode in ("truncated_json", "endless_stream", "huge_reply", "http429"):
        server.mode = mode
        _, error, _ = _timed(lambda: llm.chat([{"role": "user", "content": "hi"}]))
        reasons[mode] = str(error)
    assert "not a completion" in reasons["truncated_json"]
    assert f"still arriving after {TIMEOUT_S:g} s" in reasons["endless_stream"]
    assert f"past {MAX_REPLY_BYTES:,} bytes" in reasons["huge_reply"] and (
        HUGE_BYTES > MAX_REPLY_BYTES)
    assert "HTTP 429" in reasons["http429"]
