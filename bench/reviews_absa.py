"""Aspect extraction and 3-class aspect polarity on the shared ABSA data sets.

Data sets: Chinese camera, phone, shampoo (zh) and Indian-English Television, T-shirt (en) from
yangheng95/ABSADatasets, in the APC format (a sentence with $T$, the aspect term, its polarity;
one line each); MAMS ATSA (restaurants, 46% neutral) and twitter (Dong et al. 2014, 50%
neutral) in JSON lines (en; twitter is scored for polarity only). Every figure is on the TEST
split; everything learned or tuned is learned or tuned on the TRAIN split only (C and the
neutral rule on a dev split carved from TRAIN by sentence hash, see ``dev_split``).

Printed per data set and as the mean over the five:
- aspect-term extraction, precision / recall / F1 against the gold terms, exact span match and
  a relaxed (overlap) match, for two extractors:
  * ``taxonomy``: the shipped e-commerce taxonomy only (it cannot know free-form gold terms);
  * ``+learned``: the taxonomy plus the aspect-term vocabulary learned from the train split's
    annotations (a term is kept if it was annotated at least ``min_count`` times and at least
    ``min_precision`` of its train occurrences were annotated; both picked by 2-fold CV on train).
  * ``tagger``: the shipped CRF term tagger (``models/aspect-terms-{lang}.crfsuite``, BIO over
    characters in zh and words in en, trained on all TRAIN splits of the language; c1/c2 picked
    on a dev split of TRAIN), through ``match_aspect_terms(terms="tagger")``;
  * ``both``: the tagger's terms merged with the taxonomy's (``terms="both"``).
  The gold sets only annotate aspects that carry an opinion, so a correct match of an unmarked
  mention counts against precision.
- cross-domain term extraction (``--cross-domain``): for each left-out data set, a tagger and a
  learned vocabulary from the OTHER train splits of its language only, scored on the left-out
  set's TEST split (a merchant's category is usually one the tagger never saw).
- aspect polarity given the gold terms, accuracy, macro-F1 (over the gold label set) and
  neutral recall (``neuR``), beside the majority class of the train split:
  * ``lexicon``: the opinion lexicon with negation, no training;
  * ``old``: the model shipped before the 3-class work (read from git, OLD_MODEL_COMMIT);
  * ``model``: the shipped model (``models/aspect-polarity-{lang}.npz``, fitted on all train
    splits of the language; the lexicon scores are among its features; C, a neutral intercept
    bias and a neutral bias for clauses without any opinion word picked on the dev split);
  * ``in-domain``: the same model fitted here on this data set's train split only.
Anchors (BERT-based aspect-polarity accuracy on SemEval-2014): restaurant 87%, laptop 82%; they
are other data sets, printed for scale, not a like-for-like comparison.
The shampoo set's neutral and negative labels are read swapped: see SHAMPOO_LABELS.

    python bench/reviews_absa.py                 # the tables (about 6 minutes on 2 cores)
    python bench/reviews_absa.py --train-models  # refit and write the shipped polarity models first
    python bench/reviews_absa.py --train-taggers # refit and write the shipped term taggers first
    python bench/reviews_absa.py --cross-domain  # skip the cross-domain figures (none listed)
"""

from __future__ import annotations

import argparse
import functools
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from shopkeeper.reviews import terms as terms_mod
from shopkeeper.reviews.aspects import (
    MODEL_DIR,
    POLARITIES,
    AspectPolarityModel,
    Taxonomy,
    aspect_polarity,
    load_polarity_model,
    load_taxonomy,
    match_aspect_terms,
    mention_features,
    term_hints,
)

DATA_DIR = Path(__file__).resolve().parents[2] / "shared/data/absa/ABSADatasets_yangheng95"
ANCHORS = {"restaurant (BERT)": 0.87, "laptop (BERT)": 0.82}
C_GRID = (0.03, 0.1, 0.3, 1.0, 3.0)
DEFAULT_C = 0.3  # used for in-domain fits; the shipped models record their own CV-picked C
SHAMPOO_LABELS = """\
The shampoo files' Neutral and Negative labels are swapped. In the TRAIN split the commonest
"Neutral" terms are 假货 (fake), 贵 (expensive), 痒 (itchy), 欺骗消费者 (cheats buyers),
不会回购 (won't buy again), 不是正品 (not genuine); the "Negative" ones are 控油效果：一般,
泡沫数量：很多 (lather: plenty), 有香味，不淡不浓. So both splits are read with the two swapped,
for training and for scoring; the footnote gives the figures against the labels as published."""


@dataclass(frozen=True)
class Dataset:
    name: str
    lang: str
    train: str
    test: str
    char_spaced: bool = False  # the camera/phone files put a space between every character
    swap_neutral_negative: bool = False  # see SHAMPOO_LABELS
    fmt: str = "apc"  # "apc" (ABSADatasets) or "jsonl" (MAMS ATSA, twitter; paths from absa/)
    polarity_only: bool = False  # no extraction figures (twitter: one entity per tweet)


DATASETS = (
    Dataset("camera", "zh", "102.Chinese/103.camera/camera.train.txt",
            "102.Chinese/103.camera/camera.test.txt", char_spaced=True),
    Dataset("phone", "zh", "102.Chinese/107.phone/phone.train.txt",
            "102.Chinese/107.phone/phone.test.txt", char_spaced=True),
    Dataset("shampoo", "zh", "102.Chinese/108.shampoo/hair.train.txt",
            "102.Chinese/108.shampoo/hair.test.txt", swap_neutral_negative=True),
    Dataset("television", "en", "117.Television/Television_Train.xml.seg",
            "117.Television/Television_Test_Gold.xml.seg"),
    Dataset("tshirt", "en", "118.TShirt/Menstshirt_Train.xml.seg",
            "118.TShirt/Menstshirt_Test_Gold.xml.seg"),
    Dataset("mams", "en", "../MAMS_siat-nlp/atsa_train.jsonl",
            "../MAMS_siat-nlp/atsa_test.jsonl", fmt="jsonl"),
    Dataset("twitter", "en", "../twitter_dong2014/train.jsonl",
            "../twitter_dong2014/test.jsonl", fmt="jsonl", polarity_only=True),
)
OLD_MODEL_COMMIT = "87a05e7f10de38641efef5bc7b37ff5e32444713"  # the 2-class-in-practice models
NEUTRAL_BIAS_GRID = tuple(np.round(np.arange(-1.0, 1.51, 0.25), 2))


@dataclass(frozen=True)
class Item:
    """One gold aspect: text[start:end] is the term, label its polarity."""

    text: str
    start: int
    end: int
    label: str


# ----------------------------------------------------------------------------------------------
# reading
# ----------------------------------------------------------------------------------------------


def read_items(path: Path, lang: str, char_spaced: bool = False,
               swap_neutral_negative: bool = False) -> list[Item]:
    """The APC file's (sentence, term, polarity) triples as spans in a readable text.

    zh char-spaced files lose all whitespace; other zh files keep theirs (it separates
    clauses there); en files get one space between tokens.
    """
    lines = path.read_text(encoding="utf-8").split("\n")
    items = []
    for i in range(0, len(lines) - 2, 3):
        sentence, term, label = lines[i], lines[i + 1], lines[i + 2].strip().lower()
        if "$T$" not in sentence or not term.strip() or label not in POLARITIES:
            continue
        prefix, suffix = sentence.split("$T$", 1)
        if lang == "en":
            p, t, s = prefix.split(), term.split(), suffix.split()
            text = " ".join(p + t + s)
            start = len(" ".join(p)) + (1 if p else 0)
            end = start + len(" ".join(t))
        elif char_spaced:
            p, t, s = (re.sub(r"\s+", "", x) for x in (prefix, term, suffix))
            text, start, end = p + t + s, len(p), len(p) + len(t)
        else:
            text = prefix + term + suffix
            start = len(prefix) + len(term) - len(term.lstrip())
            end = len(prefix) + len(term.rstrip())
        if swap_neutral_negative and label in ("neutral", "negative"):
            label = "negative" if label == "neutral" else "neutral"
        items.append(Item(text, start, end, label))
    return items


def read_jsonl(path: Path) -> list[Item]:
    """MAMS ATSA ``{text, aspects: [{from, to, polarity}]}`` or twitter ``{text, from, to,
    polarity}`` lines as items (spans are character offsets into the text)."""
    import json

    items = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        for a in row.get("aspects", [row]):
            label = str(a["polarity"]).lower()
            if label in POLARITIES and 0 <= a["from"] < a["to"] <= len(row["text"]):
                items.append(Item(row["text"], int(a["from"]), int(a["to"]), label))
    return items


def read_split(data_dir: Path, d: Dataset, split: str, published: bool = False) -> list[Item]:
    """One split of a data set; ``published`` keeps the labels exactly as in the file."""
    if d.fmt == "jsonl":
        return read_jsonl(data_dir / getattr(d, split))
    return read_items(data_dir / getattr(d, split), d.lang, d.char_spaced,
                      d.swap_neutral_negative and not published)


def sentences(items: Sequence[Item]) -> list[tuple[str, set[tuple[int, int]]]]:
    """Items grouped by sentence (ignoring whitespace), each with its set of gold spans."""
    groups: dict[str, tuple[str, list[int], set[tuple[int, int]]]] = {}
    for it in items:
        key = re.sub(r"\s+", "", it.text)
        if key not in groups:
            groups[key] = (it.text, _solid(it.text), set())
        text, solid, spans = groups[key]
        mine = _solid(it.text)
        ns = sum(1 for p in mine if p < it.start)
        ne = sum(1 for p in mine if p < it.end)
        if ne > ns:
            spans.add((solid[ns], solid[ne - 1] + 1))
    return [(text, spans) for text, _, spans in groups.values()]


def _solid(text: str) -> list[int]:
    return [i for i, c in enumerate(text) if not c.isspace()]


# ----------------------------------------------------------------------------------------------
# extraction
# ----------------------------------------------------------------------------------------------


def prf(pred: Sequence[set[tuple[int, int]]], gold: Sequence[set[tuple[int, int]]]
        ) -> dict[str, float]:
    """Exact and relaxed (any overlap) precision, recall, F1 over sentences."""
    tp = n_pred = n_gold = hit_p = hit_g = 0
    for p, g in zip(pred, gold, strict=True):
        tp += len(p & g)
        n_pred += len(p)
        n_gold += len(g)
        hit_p += sum(any(a < d and c < b for c, d in g) for a, b in p)
        hit_g += sum(any(a < d and c < b for a, b in p) for c, d in g)

    def f1(prec: float, rec: float) -> float:
        return 2 * prec * rec / (prec + rec) if prec + rec else 0.0

    p_ex, r_ex = tp / max(n_pred, 1), tp / max(n_gold, 1)
    p_rx, r_rx = hit_p / max(n_pred, 1), hit_g / max(n_gold, 1)
    return {"P": p_ex, "R": r_ex, "F1": f1(p_ex, r_ex), "F1_relaxed": f1(p_rx, r_rx)}


def extract_spans(sents: Sequence[tuple[str, set]], taxonomy: Taxonomy, terms: str = "taxonomy"
                  ) -> list[set[tuple[int, int]]]:
    return [{(s, e) for s, e, _ in match_aspect_terms(text, taxonomy=taxonomy, terms=terms)}
            for text, _ in sents]


def learn_terms(sents: Sequence[tuple[str, set]], lang: str, min_count: int = 1,
                min_precision: float = 0.3) -> list[str]:
    """Gold terms annotated >= min_count times and in >= min_precision of their occurrences."""
    annotated = Counter(_term_key(text[s:e], lang) for text, spans in sents for s, e in spans)
    corpus = "\n".join(text if lang == "zh" else text.lower() for text, _ in sents)
    kept = []
    for term, n in annotated.items():
        if n < min_count or not term:
            continue
        if lang == "zh":
            seen = corpus.count(term)
        else:
            seen = len(re.findall(rf"(?<![a-z0-9]){re.escape(term)}(?![a-z0-9])", corpus))
        if n >= min_precision * max(seen, n):
            kept.append(term)
    return sorted(kept)


def _term_key(term: str, lang: str) -> str:
    return term.strip() if lang == "zh" else " ".join(term.lower().split())


def tune_learning(sents: Sequence[tuple[str, set]], lang: str, base: Taxonomy
                  ) -> tuple[int, float]:
    """(min_count, min_precision) with the best mean 2-fold F1 on the TRAIN sentences."""
    halves = (sents[0::2], sents[1::2])
    best, best_f1 = (1, 0.3), -1.0
    for min_count in (1, 2, 3):
        for min_precision in (0.1, 0.3, 0.5):
            f1s = []
            for fit, held in (halves, halves[::-1]):
                tx = base.with_terms(learn_terms(fit, lang, min_count, min_precision))
                f1s.append(prf(extract_spans(held, tx), [g for _, g in held])["F1"])
            if np.mean(f1s) > best_f1:
                best, best_f1 = (min_count, min_precision), float(np.mean(f1s))
    return best


# ----------------------------------------------------------------------------------------------
# the learned term tagger (CRF)
# ----------------------------------------------------------------------------------------------

TAGGER_GRID = ((0.1, 0.05), (0.3, 0.05), (0.3, 0.3), (1.0, 0.3))  # (c1, c2) tried on dev
TAGGER_ITERATIONS = 150
TAGGER_MIN_FREQ = 3  # features seen fewer times are dropped: a 2 MB model instead of 8 MB (zh)
CROSS_DOMAIN = ("camera", "phone", "shampoo", "television", "tshirt", "mams")  # --cross-domain


def tagger_sequences(sents: Sequence[tuple[str, set]], lang: str, taxonomy: Taxonomy
                     ) -> list[tuple[list[list[str]], list[str]]]:
    """(features, BIO labels) per sentence, the hints from ``taxonomy``."""
    out = []
    for text, spans in sents:
        tokens = terms_mod.tokenize(text)
        feats = terms_mod.features(text, tokens, lang, *term_hints(text, taxonomy, lang))
        out.append((feats, terms_mod.bio_labels(tokens, spans)))
    return out


def tagger_predict(sents: Sequence[tuple[str, set]], tagger: terms_mod.TermTagger,
                   taxonomy: Taxonomy) -> list[set[tuple[int, int]]]:
    """The tagger's spans on whole sentences (the path the dev tuning and cross-domain use)."""
    return [set(tagger.spans(text, *term_hints(text, taxonomy, tagger.lang)))
            for text, _ in sents]


def fit_tagger(sents: Sequence[tuple[str, set]], lang: str, path: Path, taxonomy: Taxonomy,
               c1: float, c2: float, meta: dict | None = None) -> terms_mod.TermTagger:
    terms_mod.train_tagger(tagger_sequences(sents, lang, taxonomy), path, c1=c1, c2=c2,
                           max_iterations=TAGGER_ITERATIONS, min_freq=TAGGER_MIN_FREQ, meta=meta)
    return terms_mod.TermTagger(path, lang)


def _sentence_dev(sents: Sequence[tuple[str, set]], every: int = 5
                  ) -> tuple[list[tuple[str, set]], list[tuple[str, set]]]:
    """(fit, dev) sentences of a TRAIN split by a CRC32 of the text (as ``dev_split``)."""
    import zlib

    fit, dev = [], []
    for s in sents:
        (dev if zlib.crc32(s[0].encode("utf-8")) % every == 0 else fit).append(s)
    return fit, dev


def pick_tagger_params(parts: Sequence[tuple[str, list]], lang: str, taxonomy: Taxonomy,
                       work: Path) -> tuple[float, float, dict[str, float]]:
    """(c1, c2, dev F1 per set) with the best mean exact-span F1 over the data sets on a dev
    split carved from TRAIN."""
    split = [(name, *_sentence_dev(s)) for name, s in parts]
    fit = [x for _, f, _ in split for x in f]
    best: tuple[float, float, dict[str, float]] = (0.1, 0.05, {})
    best_score = -1.0
    for c1, c2 in TAGGER_GRID:
        tagger = fit_tagger(fit, lang, work / f"dev-{lang}.crfsuite", taxonomy, c1, c2)
        per = {name: prf(tagger_predict(dev, tagger, taxonomy), [g for _, g in dev])["F1"]
               for name, _, dev in split}
        score = float(np.mean(list(per.values())))
        print(f"  {lang} tagger c1={c1} c2={c2}: dev F1 "
              + " ".join(f"{k} {100 * v:.1f}" for k, v in per.items())
              + f" mean {100 * score:.1f}", file=sys.stderr)
        if score > best_score:
            best, best_score = (c1, c2, per), score
    return best


def train_term_models(data_dir: Path = DATA_DIR, out_dir: Path = MODEL_DIR,
                      langs: Sequence[str] = ("zh", "en")) -> dict[str, Path]:
    """Fit the shipped term taggers: one per language on all its TRAIN splits, (c1, c2) picked
    on a dev split of TRAIN."""
    import tempfile

    taxonomy = load_taxonomy()
    written = {}
    for lang in langs:
        sets = [d for d in DATASETS if d.lang == lang and not d.polarity_only]
        parts = [(d.name, sentences(read_split(data_dir, d, "train"))) for d in sets]
        with tempfile.TemporaryDirectory() as tmp:
            c1, c2, dev = pick_tagger_params(parts, lang, taxonomy, Path(tmp))
        path = out_dir / f"aspect-terms-{lang}.crfsuite"
        every = [x for _, s in parts for x in s]
        fit_tagger(every, lang, path, taxonomy, c1, c2, meta={
            "lang": lang, "c1": c1, "c2": c2, "max_iterations": TAGGER_ITERATIONS,
            "min_freq": TAGGER_MIN_FREQ,
            "trained_on": [f"{d.name}:{d.train}" for d in sets], "sentences": len(every),
            "dev_f1": {k: round(v, 4) for k, v in dev.items()},
            "source": "ABSADatasets (yangheng95), MAMS: train splits only; c1/c2 picked on a "
                      "dev split of train"})
        terms_mod.load_term_tagger.cache_clear()
        written[lang] = path
        print(f"  wrote {path} (c1={c1}, c2={c2}, {path.stat().st_size / 1e6:.2f} MB)",
              file=sys.stderr)
    return written


def merge_longest(*span_sets: set[tuple[int, int]]) -> set[tuple[int, int]]:
    """The union of span sets, the longer span winning where two overlap (as ``terms="both"``
    does in ``match_aspect_terms``)."""
    taken: list[tuple[int, int]] = []
    for s, e in sorted({x for spans in span_sets for x in spans}, key=lambda x: (x[0] - x[1], x[0])):
        if not any(s < te and ts < e for ts, te in taken):
            taken.append((s, e))
    return set(taken)


def run_cross_domain(data_dir: Path = DATA_DIR, left_out: Sequence[str] = CROSS_DOMAIN
                     ) -> pd.DataFrame:
    """For each left-out set: a tagger trained on the other TRAIN splits of its language only
    (the shipped c1/c2), scored on the left-out set's TEST split, beside the taxonomy alone, the
    taxonomy + the vocabulary learned from the other sets' train splits (min_count 2,
    min_precision 0.3), and the tagger merged with the taxonomy (``both``)."""
    import tempfile

    taxonomy = load_taxonomy()
    rows = []
    for name in left_out:
        d = next(x for x in DATASETS if x.name == name)
        others = [x for x in DATASETS if x.lang == d.lang and x.name != name
                  and not x.polarity_only]
        train_s = [s for x in others for s in sentences(read_split(data_dir, x, "train"))]
        test_s = sentences(read_split(data_dir, d, "test"))
        gold = [g for _, g in test_s]
        meta = terms_mod.load_term_tagger(d.lang)
        c1, c2 = ((meta.meta.get("c1", 0.1), meta.meta.get("c2", 0.05)) if meta else (0.1, 0.05))
        with tempfile.TemporaryDirectory() as tmp:
            tagger = fit_tagger(train_s, d.lang, Path(tmp) / "x.crfsuite", taxonomy, c1, c2)
            pred = tagger_predict(test_s, tagger, taxonomy)
        learned = learn_terms(train_s, d.lang, 2, 0.3)
        row: dict[str, object] = {"left_out": name, "lang": d.lang,
                                  "trained_on": "+".join(x.name for x in others)}
        listed = extract_spans(test_s, taxonomy)
        for tag, spans in (("tax", listed),
                           ("learn", extract_spans(test_s, taxonomy.with_terms(learned))),
                           ("tagger", pred),
                           ("both", [merge_longest(a, b) for a, b in zip(listed, pred,
                                                                         strict=True)])):
            for k, v in prf(spans, gold).items():
                row[f"{tag}_{k}"] = v
        rows.append(row)
        print(f"cross-domain {name}: done", file=sys.stderr)
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------------------------
# polarity
# ----------------------------------------------------------------------------------------------


def featurize(items: Sequence[Item], taxonomy: Taxonomy, lang: str) -> list[dict[str, float]]:
    return [mention_features(it.text, it.start, it.end, taxonomy=taxonomy, lang=lang)[1]
            for it in items]


def accuracy_macro_f1(gold: Sequence[str], pred: Sequence[str]) -> tuple[float, float]:
    labels = sorted(set(gold))
    acc = float(np.mean([g == p for g, p in zip(gold, pred, strict=True)]))
    f1s = []
    for lab in labels:
        tp = sum(g == lab and p == lab for g, p in zip(gold, pred, strict=True))
        n_p, n_g = sum(p == lab for p in pred), sum(g == lab for g in gold)
        f1s.append(2 * tp / (n_p + n_g) if n_p + n_g else 0.0)
    return acc, float(np.mean(f1s))


def dev_split(items: Sequence[Item], every: int = 5) -> tuple[list[int], list[int]]:
    """(fit, dev) indices of a TRAIN split: a sentence goes to dev when a stable hash of its
    text falls in 1/``every`` (all aspects of one sentence stay on one side)."""
    import zlib

    fit, dev = [], []
    for i, it in enumerate(items):
        (dev if zlib.crc32(it.text.encode("utf-8")) % every == 0 else fit).append(i)
    return fit, dev


NO_OPINION_BIAS_GRID = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0)


def with_neutral_bias(model: AspectPolarityModel, bias: float, no_opinion: float = 0.0
                      ) -> AspectPolarityModel:
    """The neutral rule, folded into the linear model: ``bias`` is added to the neutral class's
    intercept and ``no_opinion`` to the neutral weight of the ``no_opinion`` feature (the
    lexicon finds no opinion word in the clause). A no-op for a model without neutral."""
    if "neutral" not in model.classes_:
        return model
    k = model.classes_.index("neutral")
    if bias:
        model.intercept_ = model.intercept_.copy()
        model.intercept_[k] += np.float32(bias)
    j = model.features_.get("no_opinion")
    if no_opinion and j is not None:
        model.coef_ = model.coef_.copy()
        model.coef_[k, j] += np.float32(no_opinion)
    return model


def pick_c(features: Sequence[dict], labels: Sequence[str], groups: Sequence[str],
           texts: Sequence[str]) -> tuple[float, float, float]:
    """(C, neutral bias, no-opinion bias) with the best mean macro-F1 over the data sets on a
    dev split carved from TRAIN (``groups``: each item's data set, so a big set does not drown
    a small one)."""
    fit, dev = dev_split([Item(t, 0, 1, lab) for t, lab in zip(texts, labels, strict=True)])
    gold = [labels[i] for i in dev]
    by_set = [[k for k, i in enumerate(dev) if groups[i] == g] for g in sorted(set(groups))]
    no_op = np.array([features[i].get("no_opinion", 0.0) for i in dev])
    best, best_score = (DEFAULT_C, 0.0, 0.0), -1.0
    for c in C_GRID:
        model = AspectPolarityModel(C=c).fit([features[i] for i in fit], [labels[i] for i in fit])
        logp = np.log(model.predict_proba([features[i] for i in dev]) + 1e-12)
        k = model.classes_.index("neutral") if "neutral" in model.classes_ else None
        for bias in NEUTRAL_BIAS_GRID:
            for nb in NO_OPINION_BIAS_GRID if k is not None else (0.0,):
                z = logp.copy()
                if k is not None:
                    z[:, k] += bias + nb * no_op
                pred = [model.classes_[j] for j in z.argmax(axis=1)]
                score = float(np.mean([accuracy_macro_f1([gold[i] for i in idx],
                                                         [pred[i] for i in idx])[1]
                                       for idx in by_set if idx]))
                if score > best_score:
                    best, best_score = (c, float(bias), float(nb)), score
        print(f"  C={c}: dev macro-F1 so far best {best_score:.3f} at {best}", file=sys.stderr)
    return best


def _copy(model: AspectPolarityModel) -> AspectPolarityModel:
    out = AspectPolarityModel(C=model.C, min_df=model.min_df)
    out.features_, out.coef_, out.classes_ = model.features_, model.coef_, model.classes_
    out.intercept_ = model.intercept_.copy()
    return out


def train_models(data_dir: Path = DATA_DIR, out_dir: Path = MODEL_DIR,
                 langs: Sequence[str] = ("zh", "en")) -> dict[str, Path]:
    """Fit one 3-class polarity model per language on all that language's TRAIN splits; C and
    the neutral bias are picked on a dev split carved from TRAIN; write .npz."""
    taxonomy = load_taxonomy()
    out_dir.mkdir(parents=True, exist_ok=True)
    written = {}
    for lang in langs:
        sets = [d for d in DATASETS if d.lang == lang]
        parts = [(d.name, read_split(data_dir, d, "train")) for d in sets]
        items = [it for _, its in parts for it in its]
        groups = [name for name, its in parts for _ in its]
        feats = featurize(items, taxonomy, lang)
        labels = [it.label for it in items]
        print(f"{lang}: {len(items)} train items from {', '.join(d.name for d in sets)} "
              f"{dict(Counter(labels))}", file=sys.stderr)
        c, bias, no_opinion = pick_c(feats, labels, groups, [it.text for it in items])
        model = with_neutral_bias(AspectPolarityModel(C=c).fit(feats, labels), bias, no_opinion)
        path = out_dir / f"aspect-polarity-{lang}.npz"
        model.save(path, lang=lang, trained_on=[f"{d.name}:{d.train}" for d in sets],
                   items=len(items), neutral_bias=bias, no_opinion_bias=no_opinion,
                   source="ABSADatasets (yangheng95), MAMS, twitter (Dong 2014): train splits "
                          "only; C and neutral bias picked on a dev split of train")
        load_polarity_model.cache_clear()
        written[lang] = path
        print(f"  wrote {path} (C={c}, neutral bias {bias}, no-opinion bias {no_opinion}, "
              f"{len(model.features_)} features)",
              file=sys.stderr)
    return written


# ----------------------------------------------------------------------------------------------
# the evaluation
# ----------------------------------------------------------------------------------------------


def run_absa_eval(data_dir: Path | str = DATA_DIR, datasets: Sequence[str] | None = None,
                  *, in_domain: bool = True, log: Callable[[str], None] | None = None
                  ) -> pd.DataFrame:
    """One row per data set (test split) plus a ``mean`` row; see the module docstring."""
    data_dir = Path(data_dir)
    chosen = [d for d in DATASETS if datasets is None or d.name in datasets]
    if not chosen:
        raise ValueError(f"no data set among {datasets!r}; known: {[d.name for d in DATASETS]}")
    taxonomy = load_taxonomy()
    rows = []
    for d in chosen:
        t0 = time.perf_counter()
        train = read_split(data_dir, d, "train")
        test = read_split(data_dir, d, "test")
        train_s, test_s = sentences(train), sentences(test)
        gold = [g for _, g in test_s]
        row: dict[str, object] = {"dataset": d.name, "lang": d.lang, "test_terms": len(test),
                                  "test_sents": len(test_s)}
        if not d.polarity_only:
            for k, v in prf(extract_spans(test_s, taxonomy), gold).items():
                row[f"tax_{k}"] = v
            min_count, min_precision = tune_learning(train_s, d.lang, taxonomy)
            learned = learn_terms(train_s, d.lang, min_count, min_precision)
            for k, v in prf(extract_spans(test_s, taxonomy.with_terms(learned)), gold).items():
                row[f"learn_{k}"] = v
            row["learned_terms"] = len(learned)
            if terms_mod.load_term_tagger(d.lang) is not None:
                extract_spans(test_s[:1], taxonomy, "tagger")  # load the model (and jieba)
                t1 = time.perf_counter()
                tagged = extract_spans(test_s, taxonomy, "tagger")
                row["tagger_per_s"] = len(test_s) / (time.perf_counter() - t1)
                for k, v in prf(tagged, gold).items():
                    row[f"tagger_{k}"] = v
                for k, v in prf(extract_spans(test_s, taxonomy, "both"), gold).items():
                    row[f"both_{k}"] = v

        labels = [it.label for it in test]
        lex = [aspect_polarity(it.text, it.start, it.end, lang=d.lang, taxonomy=taxonomy,
                               method="lexicon")[0] for it in test]
        row["lex_acc"], row["lex_mF1"] = accuracy_macro_f1(labels, lex)
        test_f = featurize(test, taxonomy, d.lang)
        old = old_model(d.lang)
        if old is not None:
            old_pred = old.predict(test_f)
            row["old_acc"], row["old_mF1"] = accuracy_macro_f1(labels, old_pred)
            row["old_neuR"] = neutral_recall(labels, old_pred)
        shipped = load_polarity_model(d.lang)
        if shipped is not None:
            pred = shipped.predict(test_f)
            row["model_acc"], row["model_mF1"] = accuracy_macro_f1(labels, pred)
            row["model_neuR"] = neutral_recall(labels, pred)
            if d.swap_neutral_negative:
                published = [it.label for it in read_split(data_dir, d, "test", published=True)]
                acc, mf1 = accuracy_macro_f1(published, pred)
                row["note"] = (f"{d.name}: neutral/negative swapped (see SHAMPOO_LABELS); against "
                               f"the labels as published, model acc {100 * acc:.1f}, "
                               f"macro-F1 {100 * mf1:.1f}")
        if in_domain:
            model = AspectPolarityModel(C=DEFAULT_C).fit(featurize(train, taxonomy, d.lang),
                                                         [it.label for it in train])
            row["indom_acc"], row["indom_mF1"] = accuracy_macro_f1(labels, model.predict(test_f))
        majority = Counter(it.label for it in train).most_common(1)[0][0]
        row["majority_acc"], row["majority_mF1"] = accuracy_macro_f1(labels,
                                                                     [majority] * len(labels))
        row["neutral_share"] = labels.count("neutral") / len(labels)
        row["seconds"] = time.perf_counter() - t0
        rows.append(row)
        if log:
            log(f"{d.name}: done in {row['seconds']:.1f}s")
    table = pd.DataFrame(rows)
    if len(table) > 1:
        mean = table.select_dtypes("number").mean().to_dict()
        mean.update({"dataset": "mean", "lang": ""})
        table = pd.concat([table, pd.DataFrame([mean])], ignore_index=True)
    return table


def neutral_recall(gold: Sequence[str], pred: Sequence[str]) -> float:
    """Share of the gold-neutral items predicted neutral (NaN when the set has none)."""
    hits = [p == "neutral" for g, p in zip(gold, pred, strict=True) if g == "neutral"]
    return float(np.mean(hits)) if hits else float("nan")


@functools.lru_cache(maxsize=4)
def old_model(lang: str) -> AspectPolarityModel | None:
    """The model shipped before the 3-class work (git OLD_MODEL_COMMIT), or None without git."""
    import io
    import subprocess

    rel = f"src/shopkeeper/reviews/models/aspect-polarity-{lang}.npz"
    try:
        blob = subprocess.run(["git", "show", f"{OLD_MODEL_COMMIT}:{rel}"], capture_output=True,
                              check=True, cwd=Path(__file__).resolve().parents[1]).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return AspectPolarityModel.load(io.BytesIO(blob))


def format_table(table: pd.DataFrame) -> str:
    pct = [c for c in table.columns if c.endswith(("_P", "_R", "_F1", "_F1_relaxed", "_acc",
                                                   "_mF1", "_neuR", "_share"))]
    shown = table.copy()
    for c in pct:
        shown[c] = (100 * shown[c]).round(1)
    for c in ("test_terms", "test_sents", "learned_terms"):
        shown[c] = shown[c].round(0).astype("Int64")
    shown["seconds"] = shown["seconds"].round(1)
    ext = ["dataset", "lang", "test_sents", "test_terms", "tax_P", "tax_R", "tax_F1",
           "tax_F1_relaxed", "learned_terms", "learn_P", "learn_R", "learn_F1",
           "learn_F1_relaxed"]
    ext = [c for c in ext if c in shown]
    tag = ["dataset", "tagger_P", "tagger_R", "tagger_F1", "tagger_F1_relaxed", "both_P",
           "both_R", "both_F1", "both_F1_relaxed", "tagger_per_s"]
    tag = [c for c in tag if c in shown]
    if "tagger_per_s" in shown:
        shown["tagger_per_s"] = shown["tagger_per_s"].round(0)
    pol = ["dataset", *[c for c in ("neutral_share", "majority_acc", "majority_mF1", "lex_acc",
                                    "lex_mF1", "old_acc", "old_mF1", "old_neuR", "model_acc", "model_mF1",
                                    "model_neuR", "indom_acc", "indom_mF1") if c in shown],
           "seconds"]
    anchors = "   ".join(f"{k}: {100 * v:.0f}" for k, v in ANCHORS.items())
    notes = "".join(f"note: {n}\n" for n in table.get("note", pd.Series(dtype=str)).dropna())
    return ("Aspect-term extraction on the TEST splits (%; exact span match, F1_relaxed = any "
            "overlap)\n" + shown[ext].to_string(index=False)
            + ("\n\nThe learned CRF term tagger (shipped models/aspect-terms-{lang}.crfsuite; "
               "tagger = its terms alone, both = merged with the taxonomy's, the longer span "
               "winning; per_s = test sentences a second)\n" + shown[tag].to_string(index=False)
               if len(tag) > 1 else "")
            + "\n\nAspect polarity given the gold terms (%; accuracy and macro-F1)\n"
            + shown[pol].to_string(index=False)
            + f"\npublished anchors, aspect-polarity accuracy: {anchors}\n" + notes)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA_DIR)
    parser.add_argument("--datasets", nargs="*", default=None,
                        help="subset of: " + " ".join(d.name for d in DATASETS))
    parser.add_argument("--train-models", action="store_true",
                        help="fit the shipped polarity models on the train splits first")
    parser.add_argument("--train-taggers", action="store_true",
                        help="fit the shipped term taggers (CRF) on the train splits first")
    parser.add_argument("--no-in-domain", action="store_true")
    parser.add_argument("--cross-domain", nargs="*", default=list(CROSS_DOMAIN),
                        help="data sets to leave out for the cross-domain tagger figures "
                             "(none: skip them)")
    args = parser.parse_args(argv)
    if not args.data.exists():
        print(f"ABSA data not found at {args.data}; pass --data", file=sys.stderr)
        return 2
    if args.train_models:
        train_models(args.data)
    if args.train_taggers:
        train_term_models(args.data)
    table = run_absa_eval(args.data, args.datasets, in_domain=not args.no_in_domain,
                          log=lambda m: print(m, file=sys.stderr))
    print(format_table(table))
    if args.cross_domain:
        print(format_cross_domain(run_cross_domain(args.data, args.cross_domain)))
    return 0


def format_cross_domain(table: pd.DataFrame) -> str:
    shown = table.copy()
    for c in shown.columns:
        if c.endswith(("_P", "_R", "_F1", "_F1_relaxed")):
            shown[c] = (100 * shown[c]).round(1)
    return ("\nCross-domain term extraction (%, exact span; the left-out set's TEST split, "
            "everything learned from the OTHER sets' train splits of its language)\n"
            + shown.to_string(index=False))


if __name__ == "__main__":
    sys.exit(main())
