"""Local generation runs in a worker process, so that a native crash (llama.cpp segfaulting on
a CPU code path, issue 18) never takes down the caller. These tests use the real worker
machinery (a child process, its pipes, real signals) with a small echo backend instead of a
model, so they run without the [llm] extra; test_llm_real.py kills the real model."""

from __future__ import annotations

import _thread
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

from shopkeeper.content import CopyOptions, ProductFacts, generate_copy
from shopkeeper.errors import LLMError, LLMUnavailableError
from shopkeeper.llm import LLM, Journal
from shopkeeper.llm.worker import LocalWorker, describe_exit
from tests.llm_fixtures import EchoWorkerProvider

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

ROOT = Path(__file__).resolve().parents[1]
KETTLE = ProductFacts(attributes=(("material", "copper"), ("colour", "white")),
                      title="White Copper Kettle", price=29.5, currency="GBP")


@pytest.fixture(autouse=True)
def _tests_importable_in_the_child(monkeypatch):
    """The echo backend lives in tests/: the worker process must be able to import it."""
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p))


def ask(provider, text: str) -> str:
    return provider.complete([{"role": "user", "content": text}], temperature=0.0,
                             max_tokens=8, seed=0, schema=None).text


def wait_until_busy(worker: LocalWorker, seconds: float = 30.0) -> int:
    """The worker's pid once a request is in flight (its lock is held for the request)."""
    deadline = time.monotonic() + seconds
    while not (worker._lock.locked() and worker.pid):
        assert time.monotonic() < deadline, "the request never started"
        time.sleep(0.02)
    time.sleep(0.2)  # the request line has been written; the backend is sleeping on it
    return worker.pid


def test_worker_answers_from_its_own_process():
    provider = EchoWorkerProvider()
    try:
        assert ask(provider, "hello 你好") == "hello 你好"
        assert provider.worker.pid not in (None, os.getpid())
        assert ask(provider, "again") == "again"  # the same process serves the next request
    finally:
        provider.worker.close()


def test_an_abort_in_the_worker_is_one_line_and_the_caller_lives_on(caplog):
    provider = EchoWorkerProvider()
    try:
        ask(provider, "warm up")
        first_pid = provider.worker.pid
        with caplog.at_level(logging.WARNING, logger="shopkeeper.llm"), \
                pytest.raises(LLMUnavailableError) as crash:
            ask(provider, "abort")
        line = "the local model crashed: killed by signal SIGABRT; falling back to the builtin path"
        assert str(crash.value) == line
        assert [r.getMessage() for r in caplog.records] == [line]
        # restarted once: the next call gets a fresh worker
        assert ask(provider, "still here") == "still here"
        assert provider.worker.pid != first_pid
        # a second crash: the provider stays on the fallback, without starting a third worker
        with pytest.raises(LLMUnavailableError, match="for the rest of this run"):
            ask(provider, "abort")
        with pytest.raises(LLMUnavailableError, match=r"failed 2 times \(last: killed by signal "
                           r"SIGABRT\); staying on the builtin path"):
            ask(provider, "hello")
        assert provider.worker.pid is None
    finally:
        provider.worker.close()


def test_worker_killed_mid_answer_falls_back_to_the_grounded_copy(tmp_path, caplog):
    provider = EchoWorkerProvider(delay=60)
    llm = LLM(provider, Journal(tmp_path))
    result: dict = {}
    caller = threading.Thread(target=lambda: result.update(drafts=generate_copy(
        KETTLE, CopyOptions(kinds=("title",), lang="en"), llm)))
    try:
        with caplog.at_level(logging.WARNING, logger="shopkeeper.llm"):
            caller.start()
            os.kill(wait_until_busy(provider.worker), signal.SIGSEGV)
            caller.join(30)
        assert not caller.is_alive()
        (draft,) = result["drafts"]
        assert draft.method == "grounded-fallback" and draft.text and draft.report.ok
        line = "the local model crashed: killed by signal SIGSEGV; falling back to the builtin path"
        assert draft.rejected[0]["problems"] == [line]
        assert [r.getMessage() for r in caplog.records] == [line]
        assert Journal(tmp_path).usage(("provider",)).loc[0, "failures"] == 1
    finally:
        provider.worker.close()


def test_a_worker_too_slow_is_stopped_and_the_call_falls_back():
    provider = EchoWorkerProvider(delay=30, timeout=0.5)
    try:
        started = time.monotonic()
        with pytest.raises(LLMUnavailableError, match=r"the local model did not answer: no "
                           r"answer within 0.5 s; falling back to the builtin path"):
            ask(provider, "slow")
        assert time.monotonic() - started < 10
        assert provider.worker.pid is None  # the stuck worker was killed
    finally:
        provider.worker.close()


def test_ctrl_c_mid_answer_stops_the_worker_without_counting_a_failure():
    provider = EchoWorkerProvider(delay=2)
    try:
        ask(provider, "warm up")
        threading.Timer(0.5, _thread.interrupt_main).start()
        with pytest.raises(KeyboardInterrupt):
            ask(provider, "interrupted")
        assert provider.worker.pid is None and provider.worker.failures == 0
        # the next call gets its own reply, not the interrupted one's
        assert ask(provider, "next") == "next"
    finally:
        provider.worker.close()


def test_backend_errors_are_reported_and_the_worker_keeps_serving():
    provider = EchoWorkerProvider()
    try:
        with pytest.raises(LLMError, match="ValueError: the backend cannot do that") as error:
            ask(provider, "fail")
        assert not isinstance(error.value, LLMUnavailableError)
        pid = provider.worker.pid
        assert ask(provider, "next") == "next" and provider.worker.pid == pid
        assert provider.worker.failures == 0
    finally:
        provider.worker.close()


def test_a_backend_that_cannot_load_is_an_error_not_a_crash():
    worker = LocalWorker("tests.llm_fixtures:no_such_backend", {}, timeout=10)
    with pytest.raises(LLMError, match="no_such_backend"):
        worker.request({"messages": []})
    assert worker.pid is None


@pytest.mark.parametrize(("code", "words"), [
    (-signal.SIGSEGV, "killed by signal SIGSEGV"), (-signal.SIGKILL, "killed by signal SIGKILL"),
    (1, "exited with status 1"), (0, "exited with status 0")])
def test_exit_status_in_words(code, words):
    assert describe_exit(code) == words
