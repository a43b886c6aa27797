"""Local generation in a child process, so that a native crash never takes down the caller.

llama.cpp is C++: a fault in it (a SIGSEGV on a CPU code path, an abort on a damaged file) kills
the process it runs in. The ``llamacpp`` provider therefore runs the model in a worker process
(a ``python -c`` that calls :func:`serve` with BACKEND and OPTIONS) and sends it one JSON line
per request; the worker answers with one JSON line per reply. When the worker dies (killed by a signal, or the
pipe ends) or does not answer within the timeout, the call raises
:class:`~shopkeeper.errors.LLMUnavailableError` and logs one line, such as "the local model
crashed: killed by signal SIGSEGV; falling back to the builtin path". Capabilities catch it and
keep their grounded text, as they do when an endpoint times out.

Restart policy: the next call starts a fresh worker once (an out-of-memory kill or a one-off
fault should not cost the whole run); after a second failure the worker stays down and every
call falls back at once, for the rest of the process.

``BACKEND`` is ``module:function``; the function takes the OPTIONS (a JSON object) as keyword
arguments and returns a callable that turns one request dict into one reply dict.
"""

from __future__ import annotations

import atexit
import importlib
import json
import logging
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import IO, Any

from shopkeeper.errors import LLMError, LLMUnavailableError

log = logging.getLogger("shopkeeper.llm")

FALLBACK = "falling back to the builtin path"
Backend = Callable[[dict[str, Any]], dict[str, Any]]


class LocalWorker:
    """One model in one child process; requests are served one at a time.

    ``timeout`` bounds each reply, ``load_timeout`` the start (loading a large GGUF takes a
    while); ``restarts`` is how many times a dead worker is started again."""

    def __init__(self, backend: str, options: dict[str, Any], *, label: str = "the local model",
                 timeout: float = 60.0, load_timeout: float = 300.0, restarts: int = 1) -> None:
        self.backend, self.options, self.label = backend, options, label
        self.timeout, self.load_timeout, self.restarts = timeout, load_timeout, restarts
        self.failures = 0
        self.last_failure = ""
        self._proc: subprocess.Popen[str] | None = None
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._lock = threading.Lock()
        _LIVE.add(self)

    @property
    def pid(self) -> int | None:
        """The worker's process id while it runs (tests kill it by this)."""
        return self._proc.pid if self._proc is not None and self._proc.poll() is None else None

    def request(self, payload: dict[str, Any]) -> dict[str, Any]:
        """The worker's reply to ``payload``. Raises LLMUnavailableError when the worker is
        down, dies or is too slow, and LLMError for an error it reports."""
        with self._lock:
            self._ensure_started()
            assert self._proc is not None and self._proc.stdin is not None
            try:
                self._proc.stdin.write(json.dumps(payload, ensure_ascii=False) + "\n")
                self._proc.stdin.flush()
            except (BrokenPipeError, OSError):
                raise self._failed(self._how_it_ended()) from None
            try:
                reply = self._next_line(self.timeout)
            except BaseException as exc:  # Ctrl-C mid-answer: the reply would come to nobody
                if not isinstance(exc, LLMError):
                    self._kill()
                raise
            return _unpack(reply)

    def _kill(self) -> None:
        """Stop a worker that is busy for nobody (not a failure: the next call restarts it)."""
        if self._proc is not None:
            self._proc.kill()
        self.close()

    def close(self) -> None:
        """Stop the worker: end its input, then terminate it if it lingers."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            if proc.stdin is not None:
                proc.stdin.close()
            proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            proc.kill()
            proc.wait()
        finally:
            if proc.stdout is not None:
                proc.stdout.close()

    def _ensure_started(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            return
        if self._proc is not None:  # it died between calls
            self._failed(self._how_it_ended())
        if self.failures > self.restarts:
            raise LLMUnavailableError(f"{self.label} failed {self.failures} times (last: "
                                      f"{self.last_failure}); staying on the builtin path")
        self._lines = queue.Queue()
        self._proc = subprocess.Popen(
            [sys.executable, "-c", _CHILD, self.backend, json.dumps(self.options)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding="utf-8",
            bufsize=1)  # stderr is shared: the model's own messages go where ours go
        threading.Thread(target=_pump, args=(self._proc.stdout, self._lines), daemon=True,
                         name=f"shopkeeper-llm-worker-{self._proc.pid}").start()
        try:
            _unpack(self._next_line(self.load_timeout))  # {"ready": true}, or the load error
        except LLMError:
            self.close()  # a file that cannot load is no crash: the next call says so again
            raise

    def _next_line(self, timeout: float) -> dict[str, Any]:
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            raise self._failed(f"no answer within {timeout:g} s", kill=True) from None
        if line is None:
            raise self._failed(self._how_it_ended())
        try:
            return json.loads(line)
        except json.JSONDecodeError:
            raise self._failed(f"an unreadable reply ({line[:80]!r})", kill=True) from None

    def _how_it_ended(self) -> str:
        assert self._proc is not None
        try:
            code = self._proc.wait(timeout=5)
        except subprocess.TimeoutExpired:  # the pipe closed but the process lingers
            self._proc.kill()
            return "it closed its output"
        return describe_exit(code)

    def _failed(self, how: str, *, kill: bool = False) -> LLMUnavailableError:
        """Count a failure, log its one line and return the error to raise."""
        if kill:
            self._kill()
        self.close()
        self.failures += 1
        self.last_failure = how
        verb = "did not answer" if how.startswith("no answer") else "crashed"
        message = f"{self.label} {verb}: {how}; {FALLBACK}"
        if self.failures > self.restarts:
            message += " (for the rest of this run)"
        log.warning(message)
        return LLMUnavailableError(message)


def describe_exit(code: int) -> str:
    """A process's exit status in words: "killed by signal SIGSEGV", "exited with status 1"."""
    if code < 0:
        try:
            return f"killed by signal {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exited with status {code}"


def _unpack(message: dict[str, Any]) -> dict[str, Any]:
    if "error" in message:
        error = LLMUnavailableError if message.get("unavailable") else LLMError
        raise error(message["error"])
    return message.get("reply", message)


def _pump(stream: IO[str], lines: queue.Queue[str | None]) -> None:
    """Copy the worker's reply lines into a queue (so waits can time out); None at the end."""
    try:
        for line in stream:
            lines.put(line)
    except (OSError, ValueError):  # closed under us
        pass
    lines.put(None)


_LIVE: set[LocalWorker] = set()
# what the child runs (not ``-m shopkeeper.llm.worker``: the package imports this module first)
_CHILD = ("import json, sys; from shopkeeper.llm.worker import serve; "
          "sys.exit(serve(sys.argv[1], json.loads(sys.argv[2])))")


@atexit.register
def _close_all() -> None:
    for worker in list(_LIVE):
        worker.close()


# -- the child side -------------------------------------------------------------------------
def serve(backend_spec: str, options: dict[str, Any]) -> int:
    """Load the backend, then answer one JSON line per request until stdin ends."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the caller's to handle
    replies = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)  # whatever native code prints goes to stderr, never into the replies
    sys.stdout = sys.stderr

    def send(message: dict[str, Any]) -> None:
        replies.write(json.dumps(message, ensure_ascii=False) + "\n")
        replies.flush()

    module, _, function = backend_spec.partition(":")
    try:
        handle: Backend = getattr(importlib.import_module(module), function)(**options)
    except LLMError as exc:
        send({"error": str(exc), "unavailable": True})
        return 1
    except Exception as exc:  # noqa: BLE001 - a backend that cannot start, said in one line
        send({"error": f"cannot start {backend_spec}: {type(exc).__name__}: {exc}",
              "unavailable": True})
        return 1
    send({"ready": True})
    for line in sys.stdin:
        try:
            send({"reply": handle(json.loads(line))})
        except LLMError as exc:
            send({"error": str(exc), "unavailable": isinstance(exc, LLMUnavailableError)})
        except Exception as exc:  # noqa: BLE001 - reported to the caller, the worker lives on
            send({"error": f"{type(exc).__name__}: {exc}"})
    return 0

