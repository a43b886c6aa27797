"""Every capability that calls a language model, against every way the model's endpoint fails
(issue 25; the fake endpoint is tests/robustness/llm_faults.py): the call returns normally,
within a bound computed from the LLM settings, on its grounded, template or builtin path, and
records why the model's text was not used. The model is never mocked: each capability talks
HTTP to the fault server, and the server's request log proves that it did.

The slow modes (``timeout``, ``endless_stream``: each model call waits out the whole timeout,
twice) run by default for the service agent and the content studio; for the other
capabilities they are marked ``slow``."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pytest

from shopkeeper import ask, finance
from shopkeeper.content import CopyOptions, generate_copy, parse_attributes
from shopkeeper.llm import LLM, get_llm
from shopkeeper.recommend import GuideCatalogue, ShoppingGuide
from shopkeeper.reviews import summarize_product
from shopkeeper.reviews.replies import Policy, draft_reply, load_policy
from shopkeeper.service import ServiceAgent
from shopkeeper.store.warehouse import Warehouse
from tests import shop_fixtures
from tests import test_recommend_guide as guide_fixtures
from tests.robustness.llm_faults import FAULTS, FaultServer
from tests.service_fixtures import AS_OF, make_service_store

TIMEOUT_S = 2.0  # the LLM timeout the fault tests run with (per attempt)
RETRIES = 1  # the provider's retries after a failed attempt
# The most model calls one capability call makes in a row: structured output's one repair,
# or the service agent's understanding step and then its rewording.
MODEL_CALLS = 2
# Time the grounded path itself takes (a report, a catalogue search), on a loaded machine.
SLACK_S = 5.0
SLOW_MODES = ("timeout", "endless_stream")
SLOW_BY_DEFAULT = ("service", "content")  # the capabilities that run the slow modes unmarked

FEB = finance.Period("month", dt.date(2024, 2, 1), dt.date(2024, 2, 29))
UNREADABLE = "Which suppliers have the longest lead times?"  # no metric: the reader gives up
POLICY_QUESTION = "What is your return policy?"  # a policy flow: its draft is reworded
SHIPPING_QUESTION = "is an order of £60 free to ship?"
VAGUE = "what about the lantern"  # the intent classifier is unsure: the model is asked
GIFT = "a silk scarf under 200 yuan"
JACKET = "类型#上衣*材质#牛仔布*颜色#白色*风格#简约*图案#刺绣*衣样式#外套"


def time_bound(settings: Any) -> float:
    """The longest a capability may take when its model fails: each of its model calls
    makes ``retries + 1`` attempts of at most ``timeout``, plus one call's worth for the
    client's backoff between attempts, plus the grounded path's own work."""
    attempts = settings.llm_max_retries + 1
    return (MODEL_CALLS + 1) * attempts * settings.llm_timeout + SLACK_S


# -- the stores --------------------------------------------------------------------------------
@dataclass
class Stores:
    shop: Warehouse  # tests/shop_fixtures.py, with reviews of product A
    service: Warehouse  # tests/service_fixtures.py
    guide: Warehouse  # the shopping-guide shop of tests/test_recommend_guide.py
    catalogue: GuideCatalogue
    policy: Policy  # the demo store's policies, as review replies read them


REVIEW_SENTIMENT = pd.DataFrame({
    "review_id": ["ra", "rb", "rc"], "product_id": ["A"] * 3, "rating": [1, 5, 4],
    "lang": ["en"] * 3, "label": ["negative", "positive", "positive"],
    "score": [0.1, 0.9, 0.8], "method": ["model"] * 3})
REVIEW_ASPECTS = pd.DataFrame({
    "review_id": ["ra", "rb"], "product_id": ["A"] * 2, "aspect": ["packaging", "quality"],
    "term": ["box", "quality"], "polarity": ["negative", "positive"], "score": [0.5, 0.5],
    "span_start": [0, 0], "span_end": [3, 7],
    "evidence": ["the box was crushed", "great quality"]})


def _fill(fixture: Any, wh: Warehouse) -> None:
    """Run a function-scoped store fixture's own body on a module-scoped warehouse."""
    fixture.__wrapped__(wh)


@pytest.fixture(scope="module")
def stores(tmp_path_factory) -> Iterator[Stores]:
    folder = tmp_path_factory.mktemp("fault-stores")
    with (Warehouse(folder / "shop.duckdb") as shop, Warehouse(folder / "service.duckdb") as svc,
          Warehouse(folder / "guide.duckdb") as guide):
        _fill(shop_fixtures.shop, shop)
        shop.insert_df("review_sentiment", REVIEW_SENTIMENT)
        shop.insert_df("review_aspects", REVIEW_ASPECTS)
        make_service_store(svc)
        _fill(guide_fixtures.shop, guide)
        yield Stores(shop, svc, guide,
                     GuideCatalogue.from_warehouse(guide, cache_dir=folder / "models"),
                     load_policy(svc))


@pytest.fixture(scope="module")
def server() -> Iterator[FaultServer]:
    with FaultServer() as running:
        yield running


@pytest.fixture(scope="module")
def settings(server: FaultServer, tmp_path_factory):
    return server.settings(tmp_path_factory.mktemp("fault-llm"), timeout=TIMEOUT_S,
                           retries=RETRIES)


# -- the capabilities --------------------------------------------------------------------------
@dataclass(frozen=True)
class Outcome:
    """What a capability produced: the text a person gets, the path it names, and what it
    recorded about the model's text (one entry per thing produced, each saying why)."""

    text: str
    path: str
    why: list[str]


def _finance(llm: LLM | None, stores: Stores) -> Outcome:
    report = finance.build_report(stores.shop, FEB, lang="en",
                                  rewrite=finance.model_rewriter(llm) if llm else None)
    narrative = report.narrative
    return Outcome(narrative.text, narrative.path, ["; ".join(narrative.rejected_numbers)])


def _review_summary(llm: LLM | None, stores: Stores) -> Outcome:
    summary = summarize_product(stores.shop, "A", lang="en", llm=llm)
    return Outcome(summary.text, summary.method, ["; ".join(summary.refused)])


def _review_reply(llm: LLM | None, stores: Stores) -> Outcome:
    draft = draft_reply("ra", "A", "The box was crushed and the toy inside broke.", "en",
                        "packaging", stores.policy, llm=llm)
    return Outcome(draft.text, draft.method, ["; ".join(draft.refused)])


def _content(llm: LLM | None, stores: Stores) -> Outcome:
    drafts = generate_copy(parse_attributes(JACKET), CopyOptions(lang="en"), llm)
    methods = {d.method for d in drafts}
    return Outcome("\n\n".join(d.text for d in drafts), methods.pop() if len(methods) == 1
                   else ",".join(sorted(methods)),
                   ["; ".join(p for r in d.rejected for p in r["problems"]) for d in drafts])


def _service(llm: LLM | None, stores: Stores) -> Outcome:
    agent = ServiceAgent(stores.service, customer_id="c1", llm=llm, as_of=AS_OF)
    turn = agent.reply(POLICY_QUESTION)
    return Outcome(turn.text, turn.method,
                   [", ".join(f for f in turn.flags if f.startswith("model_"))])


def _ask(llm: LLM | None, stores: Stores) -> Outcome:
    answer = ask.ask(stores.shop, UNREADABLE, llm=llm)
    # the builtin path for a question the reader cannot read is a refusal; with a model,
    # the refusal names what went wrong with the model
    said = answer.text if "the model" in answer.text else ""
    return Outcome(answer.kind + (f" {answer.sql}" if answer.sql else ""), answer.kind, [said])


def _guide(llm: LLM | None, stores: Stores) -> Outcome:
    turn = ShoppingGuide(stores.guide, shop=stores.catalogue, llm=llm).reply(GIFT)
    return Outcome(turn.text, turn.method,
                   [", ".join(f for f in turn.flags if f.startswith("model_"))])


@dataclass(frozen=True)
class Capability:
    run: Callable[[LLM | None, Stores], Outcome]
    fallback: str  # the path it names when the model's text is not used


CAPABILITIES = {
    "finance": Capability(_finance, "template"),  # finance.build_report + model_rewriter
    "review_summary": Capability(_review_summary, "extractive"),
    "review_reply": Capability(_review_reply, "template"),
    "content": Capability(_content, "grounded-fallback"),
    "service": Capability(_service, "template"),
    "ask": Capability(_ask, "refused"),
    "guide": Capability(_guide, "grounded"),
}


def _cases() -> list[Any]:
    cases = []
    for name in CAPABILITIES:
        for mode in FAULTS:
            slow = mode in SLOW_MODES and name not in SLOW_BY_DEFAULT
            cases.append(pytest.param(name, mode, id=f"{name}-{mode}",
                                      marks=[pytest.mark.slow] if slow else []))
    return cases


@pytest.fixture(scope="module")
def without_model(stores: Stores) -> Callable[[str], Outcome]:
    """Each capability's output with no model at all (computed once)."""
    done: dict[str, Outcome] = {}

    def outcome(name: str) -> Outcome:
        if name not in done:
            done[name] = CAPABILITIES[name].run(None, stores)
        return done[name]

    return outcome


def _run(name: str, mode: str, server: FaultServer, settings: Any,
         stores: Stores) -> tuple[Outcome, float, list[str]]:
    """Run one capability with the server in ``mode``: its outcome, how long it took and the
    requests the server met meanwhile."""
    llm = get_llm(settings)
    server.mode = mode
    before = len(server.requests)
    started = time.perf_counter()
    outcome = CAPABILITIES[name].run(llm, stores)  # an exception here fails the test
    elapsed = time.perf_counter() - started
    return outcome, elapsed, server.requests[before:]


# -- the tests ---------------------------------------------------------------------------------
def test_the_fault_server_answers_in_ok_mode(server, settings):
    server.mode = "ok"
    before = len(server.requests)
    reply = get_llm(settings).chat([{"role": "user", "content": "Say something."}])
    assert reply.text == "Fine." and reply.provider == "openai"
    assert server.requests[before:] == ["ok"]


@pytest.mark.parametrize("name", list(CAPABILITIES))
def test_with_a_working_model_each_capability_asks_it(name, server, settings, stores):
    outcome, elapsed, asked = _run(name, "ok", server, settings, stores)
    assert asked and set(asked) == {"ok"}, asked
    assert len(asked) <= MODEL_CALLS * (settings.llm_max_retries + 1), asked
    assert elapsed < time_bound(settings)
    assert outcome.text.strip()


@pytest.mark.parametrize(("name", "mode"), _cases())
def test_each_capability_falls_back_in_time_and_says_why(name, mode, server, settings, stores,
                                                         without_model):
    outcome, elapsed, asked = _run(name, mode, server, settings, stores)
    bound = time_bound(settings)
    assert elapsed < bound, f"{name} took {elapsed:.1f} s under {mode} (bound {bound:.1f} s)"
    # the capability really asked the model, and no more often than its calls allow
    assert asked and set(asked) == {mode}, asked
    assert len(asked) <= MODEL_CALLS * (settings.llm_max_retries + 1), asked
    grounded = without_model(name)
    assert outcome.path == CAPABILITIES[name].fallback, (outcome.path, outcome.text[:200])
    assert outcome.text == grounded.text  # exactly what it says with no model at all
    assert outcome.why and all(why.strip() for why in outcome.why), outcome.why


@pytest.mark.parametrize("name", list(CAPABILITIES))
def test_a_bare_reply_that_states_none_of_the_facts_is_not_kept(name, server, settings, stores,
                                                                  without_model):
    """The "ok" mode's whole reply is "Fine.": a well-formed answer that drops everything the
    grounded text says. No capability should hand that to a person in place of its text."""
    outcome, _elapsed, asked = _run(name, "ok", server, settings, stores)
    assert asked
    assert outcome.path == CAPABILITIES[name].fallback, (outcome.path, outcome.text[:200])
    assert outcome.text == without_model(name).text
    assert outcome.why and all(why.strip() for why in outcome.why), outcome.why


@pytest.mark.parametrize("mode", [
    pytest.param(m, marks=[pytest.mark.slow] if m == "endless_stream" else []) for m in FAULTS])
def test_the_service_agent_answers_the_next_turn_after_a_fault(mode, server, settings, stores):
    """No worker dies: after a turn whose model call failed, the same agent (same model
    client, same conversation) answers the next turn, asks the model again and logs both."""
    agent = ServiceAgent(stores.service, customer_id="c1", llm=get_llm(settings), as_of=AS_OF)
    server.mode = mode
    first = agent.reply(POLICY_QUESTION)
    assert first.flow == "policy" and first.method == "template"
    server.mode = "ok"
    before = len(server.requests)
    started = time.perf_counter()
    second = agent.reply(SHIPPING_QUESTION)
    assert time.perf_counter() - started < time_bound(settings)
    assert server.requests[before:] == ["ok"]  # the same client reached the server again
    assert second.flow == "shipping_fee" and "qualifies" in second.text
    # the model's answer arrived and was judged ("Fine." drops the £60 and the policy quote)
    assert any(f.startswith("model_rejected") for f in second.flags), second.flags
    assert len(agent.state.turns) == 4
    logged = stores.service.query(
        "SELECT count(*) FROM service_messages WHERE conversation_id = ? AND role = 'assistant'",
        [agent.conversation_id])[0][0]
    assert logged == 2


@pytest.mark.parametrize("mode", ["http500", pytest.param("timeout", marks=pytest.mark.slow)])
def test_a_failed_understanding_step_is_recorded_on_the_turn(mode, server, settings, stores):
    """A message the intent classifier is unsure of goes to the model (service/understand.py)
    before the flow's draft is reworded: two model calls, both failing. The turn still comes
    back in time, on the classifier's reading, and records each failure."""
    agent = ServiceAgent(stores.service, customer_id="c1", llm=get_llm(settings), as_of=AS_OF)
    server.mode = mode
    before = len(server.requests)
    started = time.perf_counter()
    turn = agent.reply(VAGUE)
    assert time.perf_counter() - started < time_bound(settings)
    asked = server.requests[before:]
    assert len(asked) == MODEL_CALLS * (settings.llm_max_retries + 1), asked  # both steps
    assert turn.method == "template" and turn.intent == "unknown"
    failures = [f for f in turn.flags if f.startswith("model_failed")]
    assert len(failures) == MODEL_CALLS, turn.flags  # the understanding step's, too
