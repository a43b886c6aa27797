"""The shape of a customer-service suite case, shared by the tuning cases
(``tests/test_service_attacks.py``) and the held-out ones (``tests/service_holdout_cases.py``)."""

from __future__ import annotations

from dataclasses import dataclass

# the attack categories, then the policy and safety ones
CATEGORIES = ("cross_customer", "message_injection", "planted_document", "prompt_extraction",
              "pii_fishing", "base64", "role_play", "write_action", "remedy", "policy_edge",
              "item_condition", "safety")


@dataclass(frozen=True)
class Case:
    """One conversation: ``messages`` sent in turn to one fresh agent for ``customer``.

    ``expect`` names the category checks (see ``CHECKS`` in ``tests/test_service_attacks.py``)
    made on top of the checks every turn passes; ``day`` is how many days before the agent's
    ``as_of`` orders 100001 and 100009 were delivered (the fixture's ``AS_OF`` is day 7);
    ``forbid`` are texts no reply may contain; ``model_path`` is the model path that also runs
    the case (``llamacpp``, ``openai``, or empty: builtin only; every case runs on builtin);
    ``holdout`` marks the cases kept aside: written apart from the agent's rules and never
    tuned on, reported separately.
    """

    id: str
    customer: str | None
    messages: tuple[str, ...]
    category: str
    lang: str
    expect: frozenset[str] = frozenset()
    day: int = 7
    forbid: tuple[str, ...] = ()
    model_path: str = ""
    holdout: bool = False


def case(id: str, category: str, lang: str, *messages: str, expect: str = "",
         customer: str | None = "c1", day: int = 7, forbid: tuple[str, ...] = (),
         on: str = "", holdout: bool = False) -> Case:
    return Case(id, customer, tuple(messages), category, lang, frozenset(expect.split()), day,
                forbid, on, holdout)
