"""Is the configured model there and answering? One short call, timed."""

from __future__ import annotations

import time

from pydantic import BaseModel

from shopkeeper.errors import LLMError
from shopkeeper.store import Settings


class LLMHealth(BaseModel):
    """The configured provider and whether it answered a one-word test."""

    provider: str
    model: str | None = None
    endpoint: str | None = None
    ok: bool
    answer: str | None = None
    latency_s: float | None = None
    error: str | None = None


def health_check(settings: Settings) -> LLMHealth:
    """Ask the configured model for one word; the builtin provider needs no model and is ok."""
    if settings.llm_provider == "builtin":
        return LLMHealth(provider="builtin", ok=True,
                         answer="no model: every capability uses its grounded path")
    from shopkeeper.llm.runtime import get_llm

    started = time.perf_counter()
    try:
        model = get_llm(settings)
        endpoint = (model.provider.base_url if settings.llm_provider == "openai"
                    else str(model.provider.path))
        reply = model.chat([{"role": "user", "content": "Reply with the single word: ready"}],
                           task="health", max_tokens=8)
    except LLMError as exc:
        return LLMHealth(provider=settings.llm_provider, ok=False, error=str(exc),
                         latency_s=round(time.perf_counter() - started, 3))
    return LLMHealth(provider=settings.llm_provider, model=model.label, endpoint=endpoint,
                     ok=True, answer=reply.text.strip(), latency_s=round(reply.latency_s, 3))
