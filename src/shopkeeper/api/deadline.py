"""A bound on a whole request (issue 25): every request to the server is answered within
``request_timeout`` seconds, and what it still runs in the warehouse is stopped then.

The time counts from when the request's body has arrived, so a slow upload of a large file is
bounded by its size (``MAX_UPLOAD_BYTES``), not cut off half-way. When the time passes before
the response has started, the client gets a 504 problem at once and every warehouse statement
the request is running is interrupted (:meth:`Warehouse.interrupt`): the statement raises in
its worker thread and its transaction rolls back, so nothing is half-written. Python work
between statements (a model call, a chart) cannot be stopped from outside; it has bounds of its
own (``llm_timeout``, the question's 10 s) and its late answer is dropped. A response that has
started (a download, a stream) is left to finish. Long work belongs in jobs, which this does not
bound. MCP tool calls are bounded the same way in ``mcp._run``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

from shopkeeper import store
from shopkeeper.api import problems

log = logging.getLogger("shopkeeper.api")
STATE_KEY = "shopkeeper.deadline"


class Deadline:
    """One request's time bound and the warehouse handles it is running statements on."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds
        self.passed = False
        self._handles: list[store.Warehouse] = []
        self._lock = threading.Lock()

    def restart(self) -> None:
        self.at = time.monotonic() + self.seconds

    @contextlib.contextmanager
    def watching(self, wh: store.Warehouse) -> Iterator[store.Warehouse]:
        """Interrupt ``wh``'s statement if the deadline passes while the request holds it."""
        with self._lock:
            if self.passed:  # answered already: run nothing more
                raise TimeoutError("the request ran past its deadline")
            self._handles.append(wh)
        try:
            yield wh
        finally:
            with self._lock:
                self._handles.remove(wh)

    def expire(self) -> None:
        with self._lock:
            self.passed = True
            handles = list(self._handles)
        for wh in handles:
            with contextlib.suppress(Exception):  # a handle closing as we reach it
                wh.interrupt()


@contextlib.contextmanager
def interrupt_after(wh: store.Warehouse, seconds: float) -> Iterator[threading.Event]:
    """Run a block whose warehouse statement is interrupted after ``seconds``; the event
    yielded says whether it was (for callers outside an HTTP request: MCP tools)."""
    fired = threading.Event()

    def stop() -> None:
        fired.set()
        with contextlib.suppress(Exception):
            wh.interrupt()

    timer = threading.Timer(seconds, stop)
    timer.daemon = True
    timer.start()
    try:
        yield fired
    finally:
        timer.cancel()


def watched(scope: dict[str, Any], wh: store.Warehouse) -> contextlib.AbstractContextManager:
    """``wh`` under the deadline of the request whose ASGI scope this is (none: unbounded)."""
    deadline = scope.get("state", {}).get(STATE_KEY)
    return deadline.watching(wh) if deadline is not None else contextlib.nullcontext(wh)


def _has_body(scope: dict[str, Any]) -> bool:
    headers = dict(scope.get("headers") or [])
    length = headers.get(b"content-length", b"")
    return (length.isdigit() and int(length) > 0) or b"transfer-encoding" in headers


class RequestDeadline:
    """ASGI middleware: answer 504 when a request runs past ``seconds()`` before its response
    starts, and interrupt its warehouse statements. Paths under ``exempt`` (MCP's own
    long-lived streams) pass through."""

    def __init__(self, inner: Any, seconds: Any, exempt: tuple[str, ...] = ("/mcp",)) -> None:
        self.inner = inner
        self.seconds = seconds  # a callable, so a test can change the server's setting
        self.exempt = exempt

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope.get("path", "").startswith(self.exempt):
            await self.inner(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        deadline = Deadline(float(self.seconds()))
        scope.setdefault("state", {})[STATE_KEY] = deadline
        body_pending = _has_body(scope)
        last_chunk = time.monotonic()
        started = False
        answer: asyncio.Task | None = None

        async def receive_body() -> dict:
            nonlocal body_pending, last_chunk
            message = await receive()
            if body_pending and message["type"] == "http.request":
                last_chunk = time.monotonic()
                body_pending = message.get("more_body", False)
                deadline.restart()  # the time counts from when the body has arrived
            return message

        async def send_in_time(message: dict) -> None:
            nonlocal started
            if deadline.passed:
                return  # answered with a 504 already
            started = started or message["type"] == "http.response.start"
            await send(message)

        async def answer_late() -> None:
            detail = (f"the request ran past its {deadline.seconds:g} s limit "
                      "(request_timeout) and was stopped; nothing it was writing was kept. "
                      "Narrow it, or run long work as a job")
            await problems.problem_response(problems.problem(
                504, detail, instance=scope.get("path")))(scope, receive, send)
            log.warning("%s %s: stopped after %g s", scope.get("method"), scope.get("path"),
                        deadline.seconds)

        def check() -> None:  # a timer on the loop: cheaper than a task per request
            nonlocal timer, answer
            if started:
                return
            if body_pending:  # still arriving: counted from its last piece, not from the start
                deadline.at = last_chunk + deadline.seconds
            if time.monotonic() < deadline.at:
                timer = loop.call_later(deadline.at - time.monotonic(), check)
                return
            deadline.expire()  # on the loop, between two sends: no response can start now
            answer = loop.create_task(answer_late())

        timer = loop.call_later(deadline.seconds, check)
        try:
            await self.inner(scope, receive_body, send_in_time)
        except Exception:
            if not deadline.passed:
                raise
            log.info("%s: the stopped request ended with an error", scope.get("path"))
        finally:
            timer.cancel()
            if answer is not None:
                await answer
