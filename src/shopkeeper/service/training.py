"""Training the intent classifier on the shipped examples plus JDDC customer utterances.

JDDC (JD.com customer-service chats) has no intent labels. Its customer utterances are labelled
weakly: an utterance gets an intent when exactly one intent's keywords fire (ambiguous and
unmatched utterances are left out). The classifier, on character n-grams, then generalises past
the keywords. The evaluation holds out a seeded 20% of the weak labels (which measures
agreement with the rules on unseen wording, not true accuracy) and reports it per intent.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from pathlib import Path

from shopkeeper.errors import ShopkeeperError
from shopkeeper.service.understand import (
    IntentModel,
    IntentSpec,
    load_intents,
    train_intent_model,
    weak_labels,
)

JDDC_CHAT = "chat_0.1per.txt"
_PLACEHOLDER = re.compile(r"\[(?:订单|数字|金额|日期|时间|地址|姓名|电话|站点|组织机构|邮箱|身份证号|链接|"
                          r"商品快照)x\]|#E-s\d+|!@@@!")


@dataclass(frozen=True)
class IntentReport:
    utterances: int
    labelled: dict[str, int]
    holdout_agreement: float
    per_intent: dict[str, float]
    path: Path

    def __str__(self) -> str:
        lines = [f"JDDC customer utterances read: {self.utterances:,}; weakly labelled: "
                 f"{sum(self.labelled.values()):,}",
                 "labelled per intent: " + ", ".join(f"{k} {v:,}" for k, v in
                                                     sorted(self.labelled.items()))]
        lines.append(f"agreement with the rules on the held-out 20% (seeded): "
                     f"{self.holdout_agreement:.1%}")
        lines += [f"  {k:<17} {v:.1%}" for k, v in sorted(self.per_intent.items())]
        lines.append(f"model: {self.path}")
        return "\n".join(lines)


def jddc_customer_utterances(folder: Path) -> list[str]:
    """Distinct customer utterances of the JDDC chat sample, placeholders removed."""
    path = folder / JDDC_CHAT
    if not path.is_file():
        raise ShopkeeperError(f"{path}: not found; point --data at the folder holding "
                              f"customer_service/jddc_samples_EndlessLethe")
    seen: dict[str, None] = {}
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 7:
                raise ShopkeeperError(f"{path}, row {n}: expected 7 tab-separated columns, "
                                      f"got {len(parts)}")
            if parts[2] != "0":
                continue
            text = _PLACEHOLDER.sub(" ", parts[6]).strip()
            if len(text) >= 2 and text.lower() not in ("null", "nan"):
                seen.setdefault(text)
    return list(seen)


def train_intents(data: Path, out: Path, *, seed: int = 0,
                  spec: IntentSpec | None = None) -> IntentReport:
    """Train on the examples plus weakly labelled JDDC utterances; evaluate on a held-out 20%
    of the weak labels; write the model (trained on everything) to ``out``."""
    spec = spec or load_intents()
    folder = data / "customer_service" / "jddc_samples_EndlessLethe"
    if not folder.is_dir():
        folder = data
    texts = jddc_customer_utterances(folder)
    pairs = weak_labels(texts, spec)
    rng = random.Random(seed)
    rng.shuffle(pairs)
    cut = len(pairs) // 5
    held, train = pairs[:cut], pairs[cut:]
    model = train_intent_model(spec, train)
    predicted = [p for p, _ in model.predict([t for t, _ in held])]
    per: dict[str, list[bool]] = {}
    for (_, gold), pred in zip(held, predicted, strict=True):
        per.setdefault(gold, []).append(gold == pred)
    agreement = sum(sum(v) for v in per.values()) / max(1, len(held))
    final: IntentModel = train_intent_model(spec, pairs)
    out.parent.mkdir(parents=True, exist_ok=True)
    final.save(out)
    counts: dict[str, int] = {}
    for _, intent in pairs:
        counts[intent] = counts.get(intent, 0) + 1
    return IntentReport(len(texts), counts, agreement,
                        {k: sum(v) / len(v) for k, v in per.items()}, out)
