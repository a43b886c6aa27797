"""A fake OpenAI-compatible server that fails on purpose (issue 25): every way a real LLM
endpoint goes wrong, one mode at a time, so each capability can be shown to fall back to its
grounded path within its timeout and to record why.

    with FaultServer() as server:
        server.mode = "endless_stream"
        settings = server.settings(tmp_path)   # llm_provider = openai, pointed at it
        ...

Modes:

- ``timeout``: accepts the request and never answers (until the test ends);
- ``http500`` / ``http429``: an error status (429 with ``Retry-After: 3600``);
- ``truncated_json``: a 200 whose JSON body is cut in the middle;
- ``endless_stream``: a 200 whose body trickles one byte every 50 ms, forever;
- ``wrong_schema``: a well-formed completion whose content is JSON of another shape;
- ``huge_reply``: a well-formed completion of 10 MB;
- ``wrong_language``: a well-formed completion in a language nobody asked for;
- ``ok``: a short, plain, harmless answer (to show the server itself works);
- ``obey``: the answer of a model that follows every instruction in its prompt
  (``tests/robustness/injection.py``).
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

FAULTS = ("timeout", "http500", "http429", "truncated_json", "endless_stream", "wrong_schema",
          "huge_reply", "wrong_language")
HUGE_BYTES = 10 * 1024 * 1024
MODEL = "fault-model"


def completion(content: str) -> dict[str, Any]:
    return {"id": "chatcmpl-fault", "object": "chat.completion", "created": 0, "model": MODEL,
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": content}}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20}}


class FaultServer:
    """The server, on 127.0.0.1 and a free port, in a background thread."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.requests: list[str] = []  # the mode each chat request met
        self.bodies: list[dict[str, Any]] = []  # each chat request, as sent
        self._stop = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                if self.path.rstrip("/").endswith("/models"):
                    self._json(200, {"object": "list", "data": [
                        {"id": MODEL, "object": "model", "created": 0, "owned_by": "test"}]})
                else:
                    self._json(404, {"error": {"message": "not found"}})

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with contextlib.suppress(ValueError):
                    server.bodies.append(json.loads(body))
                mode = server.mode
                server.requests.append(mode)
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    getattr(self, f"_{mode}")()  # a client that gives up ends the reply

            def _json(self, status: int, body: dict[str, Any],
                      headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def _ok(self) -> None:
                self._json(200, completion("Fine."))

            def _obey(self) -> None:
                from tests.robustness.injection import obeying_reply

                self._json(200, completion(obeying_reply(server.bodies[-1])))

            def _timeout(self) -> None:
                server._stop.wait()

            def _http500(self) -> None:
                self._json(500, {"error": {"message": "internal error", "type": "server_error"}})

            def _http429(self) -> None:
                self._json(429, {"error": {"message": "rate limited", "type": "rate_limit"}},
                           {"Retry-After": "3600"})

            def _truncated_json(self) -> None:
                data = json.dumps(completion("A reply that never ends well")).encode()
                data = data[: len(data) // 2]
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _endless_stream(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                self.wfile.write(b"1\r\n{\r\n")
                while not server._stop.is_set():
                    self.wfile.write(b"1\r\n \r\n")
                    self.wfile.flush()
                    time.sleep(0.05)

            def _wrong_schema(self) -> None:
                self._json(200, completion(json.dumps({"unexpected": [1, 2, 3],
                                                       "answer": None})))

            def _huge_reply(self) -> None:
                self._json(200, completion("word " * (HUGE_BYTES // 5)))

            def _wrong_language(self) -> None:
                self._json(200, completion(
                    "Это ответ совсем на другом языке, и он никому здесь не нужен. "
                    "Пожалуйста, не используйте его."))

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def settings(self, folder: Path, *, timeout: float = 2.0, retries: int = 1, **more: Any):
        """Shopkeeper settings that use this server, with a short timeout and no cache."""
        from shopkeeper.store import load_settings

        return load_settings(None, warehouse=folder / "w.duckdb", llm_provider="openai",
                             llm_base_url=self.base_url, llm_model=MODEL, llm_api_key="test",
                             llm_timeout=timeout, llm_max_retries=retries, llm_cache=False,
                             llm_dir=folder / "llm", **more)

    def __enter__(self) -> FaultServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._httpd.shutdown()
        self._httpd.server_close()
