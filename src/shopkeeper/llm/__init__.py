"""The LLM runtime every capability uses: one interface, three providers, cache, usage log,
prompt templates as files, and the grounding check that keeps invented facts out.

Providers: ``builtin`` (no model: capabilities take their grounded path), ``openai`` (any
OpenAI-compatible endpoint) and ``llamacpp`` (a GGUF file, run in a worker process). See ``docs/llm.md``.
"""

from shopkeeper.llm.grounding import Facts, GroundingReport, check_grounding
from shopkeeper.llm.health import LLMHealth, health_check
from shopkeeper.llm.journal import Journal
from shopkeeper.llm.prompts import Prompt, render_prompt
from shopkeeper.llm.providers import (
    BuiltinProvider,
    LlamaCppProvider,
    OpenAIProvider,
    Provider,
    Reply,
    default_model_path,
)
from shopkeeper.llm.runtime import LLM, Completion, get_llm, parse_json
from shopkeeper.llm.untrusted import WITHHELD, as_data, withhold_instructions

__all__ = [
    "LLM", "LLMHealth", "BuiltinProvider", "Completion", "Facts", "GroundingReport", "Journal",
    "LlamaCppProvider", "OpenAIProvider", "Prompt", "Provider", "Reply", "check_grounding",
    "WITHHELD", "as_data", "default_model_path", "get_llm", "health_check", "parse_json",
    "render_prompt", "withhold_instructions",
]
