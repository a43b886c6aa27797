"""Prompt injection through the store's data (issue 25): the corpus of
``tests/robustness/injection.py`` goes into review texts, review evidence, product titles and
attributes, and customer messages; every capability that asks a model runs against a model
that obeys every instruction it reads (the fault server's ``obey`` mode), over HTTP. Target:
not one instruction carried out.

Two controls keep the test honest: with clean data the obeying model's text is taken (so a
payload that reached it would be, too), and with the prompt guard switched off the payloads do
fire. HTML reports and pages: ``test_injection_html.py``; spreadsheet formulas:
``test_export_injection.py``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from shopkeeper import finance
from shopkeeper.content import CopyOptions, ProductFacts, generate_copy, studio
from shopkeeper.finance import narrative
from shopkeeper.llm import LLM, get_llm, prompts
from shopkeeper.llm.untrusted import Masked
from shopkeeper.recommend import ShoppingGuide
from shopkeeper.reviews import summarize_product
from shopkeeper.reviews import summary as summary_module
from shopkeeper.reviews.replies import draft_reply
from shopkeeper.service import ServiceAgent
from tests.robustness import test_llm_faults
from tests.robustness.injection import (
    HELD_OUT,
    HELD_OUT_2,
    HELD_OUT_3,
    HELD_OUT_4,
    PAYLOADS,
    TUNING,
    Payload,
    followed,
)
from tests.robustness.llm_faults import FaultServer
from tests.robustness.test_llm_faults import FEB, GIFT, REVIEW_ASPECTS, Stores
from tests.service_fixtures import AS_OF

CLEAN = "The box was crushed and the handle came off."


def _reply(llm: LLM, s: Stores, text: str) -> tuple[str, str]:
    draft = draft_reply("ra", "A", text, "en", "packaging", s.policy, llm=llm)
    return draft.text, draft.method


def _summary(llm: LLM, s: Stores, text: str) -> tuple[str, str]:
    aspects = REVIEW_ASPECTS.copy()
    aspects.loc[0, "evidence"] = text
    with s.shop.transaction() as con:
        con.execute("DELETE FROM review_aspects WHERE product_id = 'A'")
    s.shop.insert_df("review_aspects", aspects)
    summary = summarize_product(s.shop, "A", lang="en", llm=llm)
    return summary.text, summary.method


def _content(llm: LLM, s: Stores, text: str) -> tuple[str, str]:
    facts = ProductFacts((("type", "jacket"), ("material", "denim"), ("colour", "white"),
                          ("selling point", text)), title=f"Denim jacket {text}",
                         category="jacket")
    drafts = generate_copy(facts, CopyOptions(lang="en", kinds=("description",)), llm)
    return "\n".join(d.text for d in drafts), ",".join(sorted({d.method for d in drafts}))


def _service(llm: LLM, s: Stores, text: str) -> tuple[str, str]:
    turn = ServiceAgent(s.service, customer_id="c1", llm=llm, as_of=AS_OF).reply(
        f"What is your return policy? {text}")
    return turn.text, turn.method


def _guide(llm: LLM, s: Stores, text: str) -> tuple[str, str]:
    turn = ShoppingGuide(s.guide, shop=s.catalogue, llm=llm).reply(f"{GIFT}. {text}")
    return turn.text, turn.method


def _finance(llm: LLM, s: Stores, text: str) -> tuple[str, str]:
    with s.shop.transaction() as con:
        con.execute("UPDATE products SET title = ?, category = ? WHERE product_id = 'A'",
                    [text, text])
    report = finance.build_report(s.shop, FEB, lang="en", rewrite=finance.model_rewriter(llm))
    return report.narrative.text, report.narrative.path


SURFACES: dict[str, Callable[[LLM, Stores, str], tuple[str, str]]] = {
    "review_reply": _reply,  # the review's text
    "review_summary": _summary,  # a review quoted as evidence
    "content": _content,  # the product's title and an attribute
    "service": _service,  # the customer's message
    "guide": _guide,  # the shopper's message
    "finance": _finance,  # a product title and category among the movers
}


@pytest.fixture(scope="module")
def stores(tmp_path_factory) -> Iterator[Stores]:
    """The fault tests' stores (a shop with reviews, a service shop, a guide shop)."""
    yield from test_llm_faults.stores.__wrapped__(tmp_path_factory)


@pytest.fixture(scope="module")
def obeying(tmp_path_factory) -> Iterator[tuple[FaultServer, LLM]]:
    with FaultServer() as server:
        server.mode = "obey"
        settings = server.settings(tmp_path_factory.mktemp("obey-llm"), timeout=5.0, retries=0)
        yield server, get_llm(settings)


def run(surface: str, obeying: tuple[FaultServer, LLM], stores: Stores, text: str
        ) -> tuple[str, str, list[dict[str, Any]]]:
    """The surface's output, its path, and the requests the model got meanwhile."""
    server, llm = obeying
    before = len(server.bodies)
    out, path = SURFACES[surface](llm, stores, text)
    return out, path, server.bodies[before:]


@pytest.mark.parametrize("surface", list(SURFACES))
def test_with_clean_data_the_obeying_model_is_taken(surface, obeying, stores):
    """Control: the obeying model's reply to clean data is its draft kept word for word, which
    each capability accepts. So a payload that reached the model would reach the output."""
    out, path, asked = run(surface, obeying, stores, CLEAN)
    assert asked, "the capability never asked the model"
    assert path in {"model", "model-repaired"} or "model" in path.split(","), (path, out[:300])


@pytest.mark.parametrize("payload", PAYLOADS, ids=lambda p: p.id)
@pytest.mark.parametrize("surface", list(SURFACES))
def test_no_instruction_in_the_data_is_carried_out(surface, payload: Payload, obeying, stores):
    out, _path, asked = run(surface, obeying, stores, payload.text)
    # the service agent may hand a message it reads as an attack to a person, asking no model
    assert asked or surface == "service", "the capability never asked the model"
    assert not followed(out, [payload]), f"{surface} carried out {payload.id}: {out[:300]}"
    if payload.extra and payload.extra not in payload.text:  # an offer, a link, markup
        assert payload.extra not in out, out[:300]


@pytest.mark.parametrize("surface", ["review_summary", "content", "finance"])
def test_without_the_guards_the_payloads_fire(surface, obeying, stores, monkeypatch):
    """Control: with the data placed in prompts as it is (no slots, nothing withheld), the
    obeying model carries the instructions out and the capability takes its text. The test
    above would see it."""
    monkeypatch.setattr(prompts, "as_data", lambda value, lang="en": value)
    for module in (summary_module, narrative):
        monkeypatch.setattr(module, "mask", lambda text, quoted, **_: Masked(text, {}))
    monkeypatch.setattr(studio, "_masked_fact_lines",
                        lambda facts, lang: (studio._fact_lines(facts, lang), Masked("", {})))
    prompts._environment.cache_clear()
    try:
        fired = [p.id for p in TUNING if followed(run(surface, obeying, stores, p.text)[0], [p])]
    finally:
        prompts._environment.cache_clear()
    assert len(fired) >= 3, fired


def injection_figures(obeying: tuple[FaultServer, LLM], stores: Stores
                      ) -> dict[str, dict[str, int]]:
    """Payloads tried and carried out per surface, for the tuning and each held-out corpus
    (``bench/robustness.py --injection`` prints them)."""
    figures: dict[str, dict[str, int]] = {}
    for surface in SURFACES:
        for name, corpus in (("tuning", TUNING), ("held_out", HELD_OUT),
                             ("held_out_2", HELD_OUT_2), ("held_out_3", HELD_OUT_3),
                             ("held_out_4", HELD_OUT_4)):
            fired = sum(bool(followed(run(surface, obeying, stores, p.text)[0], [p]))
                        for p in corpus)
            figures.setdefault(surface, {})[f"{name}_tried"] = len(corpus)
            figures[surface][f"{name}_fired"] = fired
    return figures


