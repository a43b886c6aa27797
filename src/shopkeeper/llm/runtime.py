"""One interface for chat and structured generation, whatever the provider.

:class:`LLM` adds what every capability needs around a provider: the on-disk response cache,
the usage log (tokens, latency, estimated cost), and structured output: a pydantic model, asked
for with a JSON schema where the provider can constrain decoding, and validated with bounded
retries that tell the model what was wrong.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from shopkeeper.errors import LLMError, StructuredOutputError
from shopkeeper.llm.journal import CachedReply, Journal, cache_key
from shopkeeper.llm.prompts import Prompt
from shopkeeper.llm.providers import BuiltinProvider, Provider, make_provider

M = TypeVar("M", bound=BaseModel)
_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.S)


@dataclass(frozen=True)
class Completion:
    """A reply and what it cost."""

    text: str
    provider: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    latency_s: float
    cost: float
    cached: bool


class LLM:
    """A provider with a cache, a usage log and structured output."""

    def __init__(self, provider: Provider, journal: Journal | None = None, *,
                 use_cache: bool = True, max_retries: int = 2, price_input: float = 0.0,
                 price_output: float = 0.0) -> None:
        self.provider = provider
        self.journal = journal
        self.use_cache = use_cache and journal is not None
        self.max_retries = max_retries
        self.price_input, self.price_output = price_input, price_output

    @property
    def has_model(self) -> bool:
        """False for the builtin provider: callers then take their grounded path."""
        return not isinstance(self.provider, BuiltinProvider)

    @property
    def label(self) -> str:
        """``provider:model`` for messages and stored drafts (never raises)."""
        if not self.has_model:
            return "builtin"
        try:
            return f"{self.provider.name}:{self.provider.model}"
        except LLMError:  # an endpoint that is down cannot say which model it serves
            return f"{self.provider.name}:unknown"

    def chat(self, messages: list[dict[str, str]] | Prompt, *, task: str = "chat",
             temperature: float = 0.0, max_tokens: int = 512, seed: int = 0,
             schema: dict[str, Any] | None = None) -> Completion:
        """One reply; served from the cache when these exact inputs were asked before."""
        version = ""
        if isinstance(messages, Prompt):
            task, version, messages = messages.task, messages.version, messages.messages
        try:
            model = self.provider.model
        except LLMError as exc:
            self._log(task, version, 0, 0, 0.0, 0.0, False, str(exc))
            raise
        key = cache_key(provider=self.provider.name, model=model, messages=messages,
                        temperature=temperature, max_tokens=max_tokens, seed=seed, schema=schema)
        if self.use_cache and (hit := self.journal.get(key)):
            self._log(task, version, hit.prompt_tokens, hit.completion_tokens, 0.0, 0.0, True)
            return Completion(hit.text, self.provider.name, model, hit.prompt_tokens,
                              hit.completion_tokens, 0.0, 0.0, True)
        started = time.perf_counter()
        try:
            reply = self.provider.complete(messages, temperature=temperature,
                                           max_tokens=max_tokens, seed=seed, schema=schema)
        except LLMError as exc:
            self._log(task, version, 0, 0, time.perf_counter() - started, 0.0, False, str(exc))
            raise
        latency = time.perf_counter() - started
        cost = (reply.prompt_tokens * self.price_input
                + reply.completion_tokens * self.price_output) / 1e6
        if self.use_cache:
            self.journal.put(key, self.provider.name, model,
                             CachedReply(reply.text, reply.prompt_tokens, reply.completion_tokens))
        self._log(task, version, reply.prompt_tokens, reply.completion_tokens, latency, cost, False)
        return Completion(reply.text, self.provider.name, model, reply.prompt_tokens,
                          reply.completion_tokens, latency, cost, False)

    def structured(self, messages: list[dict[str, str]] | Prompt, output: type[M], *,
                   task: str = "structured", temperature: float = 0.0, max_tokens: int = 512,
                   seed: int = 0, retries: int | None = None) -> M:
        """A reply parsed into ``output``. An invalid reply is sent back with the validation
        error, up to ``retries`` times; then :class:`StructuredOutputError`."""
        if isinstance(messages, Prompt):
            prompt, messages = messages, list(messages.messages)
        else:
            prompt, messages = None, list(messages)
        schema = output.model_json_schema()
        retries = self.max_retries if retries is None else retries
        problem = ""
        for _attempt in range(retries + 1):
            asked = (Prompt(prompt.task, prompt.lang, prompt.version, messages) if prompt
                     else messages)
            reply = self.chat(asked, task=task, temperature=temperature, max_tokens=max_tokens,
                              seed=seed, schema=schema)
            try:
                return output.model_validate(parse_json(reply.text))
            except (ValueError, ValidationError) as exc:
                problem = _short(exc)
            messages = [*messages, {"role": "assistant", "content": reply.text},
                        {"role": "user", "content": "That reply was not valid: " + problem
                         + ". Reply again with only a JSON object that matches this schema: "
                         + json.dumps(schema, ensure_ascii=False)}]
        raise StructuredOutputError(f"{self.label} gave no valid {output.__name__} in "
                                    f"{retries + 1} tries; last problem: {problem}")

    def _log(self, task: str, version: str, prompt_tokens: int, completion_tokens: int,
             latency: float, cost: float, cached: bool, error: str = "") -> None:
        if self.journal is not None:
            model = getattr(self.provider, "_model", None)
            if model is None:
                model = self.provider.model
            self.journal.log(provider=self.provider.name, model=model, task=task,
                             prompt_version=version, prompt_tokens=prompt_tokens,
                             completion_tokens=completion_tokens, latency_s=latency, cost=cost,
                             cached=cached, ok=not error, error=error)


def parse_json(text: str) -> Any:
    """The JSON object in a reply, tolerating code fences and prose around it."""
    fenced = _FENCE.search(text)
    candidate = fenced.group(1) if fenced else text
    start, end = candidate.find("{"), candidate.rfind("}")
    if start < 0:
        raise ValueError("the reply holds no JSON object")
    try:
        return json.loads(candidate[start:end + 1] if end > start else candidate[start:])
    except json.JSONDecodeError as exc:
        raise ValueError(f"malformed JSON ({exc.msg} at character {exc.pos})") from None


def _short(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "the object"
        return f"{where}: {first['msg']}"
    return str(exc)


def get_llm(settings: Any, *, provider: str | None = None) -> LLM:
    """The LLM the settings describe (``provider`` overrides ``llm_provider``)."""
    if provider is not None and provider != settings.llm_provider:
        settings = settings.model_copy(update={"llm_provider": provider})
    journal = Journal(settings.llm_dir) if settings.llm_provider != "builtin" else None
    return LLM(make_provider(settings), journal, use_cache=settings.llm_cache,
               max_retries=settings.llm_max_retries, price_input=settings.llm_price_input,
               price_output=settings.llm_price_output)
