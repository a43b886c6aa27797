"""Keyword suggestions: attribute values first, stop words never, review words with their source."""

from __future__ import annotations

import dataclasses
import random

import pytest

from shopkeeper.content.keywords import (
    EN_STOP_WORDS,
    ZH_STOP_WORDS,
    Keyword,
    suggest_keywords,
    tokenize,
)

EN_CATALOGUE = [
    "WHITE HANGING HEART T-LIGHT HOLDER",
    "GLASS STAR FROSTED T-LIGHT HOLDER",
    "JUMBO BAG RED RETROSPOT",
    "JUMBO BAG PINK POLKADOT",
    "LUNCH BAG RED RETROSPOT",
    "ENAMEL BREAD BIN CREAM",
    "ENAMEL FLOWER JUG CREAM",
    "SET OF 3 CAKE TINS PANTRY DESIGN",
    "RED RETROSPOT CAKE STAND",
    "HAND WARMER UNION JACK",
    "SET OF 6 SPICE TINS PANTRY DESIGN",
    "REGENCY CAKESTAND 3 TIER",
]
EN_PRODUCT = ["ENAMEL BREAD BIN CREAM", "An enamel bread bin with a lid, and the set of the best."]
EN_PEERS = ["ENAMEL FLOWER JUG CREAM", "SET OF 3 CAKE TINS PANTRY DESIGN", "SET OF 6 SPICE TINS"]
EN_REVIEWS = [
    "Sturdy bin, keeps the loaf fresh for days.",
    "Really sturdy and the cream colour is lovely.",
    "Very sturdy, the loaf stays fresh.",
    "Arrived quickly, good seller.",
]
EN_REVIEW_CORPUS = [
    *EN_REVIEWS,
    "Arrived quickly, good seller, lovely colour.",
    "The bag is big and the colour is lovely.",
    "Good seller, arrived quickly, colour as shown.",
    "Lovely colour, arrived quickly.",
]

ZH_CATALOGUE = [
    "复古碎花雪纺连衣裙 收腰显瘦",
    "白色牛仔布衬衫 宽松休闲",
    "黑色针织开衫 简约百搭",
    "条纹棉质T恤 宽松 休闲",
    "高腰阔腿裤 垂坠 显瘦",
    "蕾丝拼接半身裙 高腰 百褶",
]
ZH_PRODUCT = ["白色牛仔布衬衫 宽松休闲", "这款衬衫的面料是很柔软的牛仔布，宽松的版型了"]
ZH_PEERS = ["黑色针织开衫 简约百搭", "条纹棉质T恤 宽松 休闲"]
ZH_REVIEWS = [
    "衬衫很透气，夏天穿不闷，好评",
    "面料透气，做工精细",
    "透气又舒服，物流很快",
]
ZH_REVIEW_CORPUS = [
    *ZH_REVIEWS,
    "物流很快，好评，做工不错",
    "裙子好看，物流很快",
    "做工不错，好评",
    "颜色好看，物流很快",
]


def en_keywords(**overrides) -> list[Keyword]:
    kwargs = dict(
        lang="en",
        peers=EN_PEERS,
        reviews=EN_REVIEWS,
        corpus=EN_CATALOGUE,
        review_corpus=EN_REVIEW_CORPUS,
        attributes={"material": "Enamel", "colour": "Cream", "capacity": "10"},
        n=20,
    )
    kwargs.update(overrides)
    return suggest_keywords(EN_PRODUCT, **kwargs)


def zh_keywords(**overrides) -> list[Keyword]:
    kwargs = dict(
        lang="zh",
        peers=ZH_PEERS,
        reviews=ZH_REVIEWS,
        corpus=ZH_CATALOGUE,
        review_corpus=ZH_REVIEW_CORPUS,
        attributes={"材质": "牛仔布", "颜色": "白色", "版型": "宽松"},
        n=20,
    )
    kwargs.update(overrides)
    return suggest_keywords(ZH_PRODUCT, **kwargs)


def by_term(keywords: list[Keyword]) -> dict[str, Keyword]:
    return {k.term: k for k in keywords}


# --- tokenize ------------------------------------------------------------------------------


def test_tokenize_en_lowercases_and_drops_stop_words_numbers_and_single_letters():
    tokens = tokenize("The WHITE Hanging-Heart holder, set of 3 - a 12cm T-LIGHT x 2!", "en")
    assert tokens == ["white", "hanging-heart", "holder", "12cm", "t-light"]


def test_tokenize_zh_uses_jieba_and_drops_punctuation_and_stop_words():
    tokens = tokenize("这款白色牛仔布衬衫很透气，面料舒适！", "zh")
    assert "白色" in tokens and "牛仔布" in tokens and "透气" in tokens
    assert "这款" not in tokens and "很" not in tokens
    assert not any(t in "，！。" for t in tokens)
    assert all(len(t) >= 2 for t in tokens)


def test_tokenize_zh_keeps_latin_words_lower_cased():
    assert "polo" in tokenize("经典POLO领 the 衬衫", "zh")
    assert "the" not in tokenize("经典POLO领 the 衬衫", "zh")


def test_unknown_language_is_rejected():
    with pytest.raises(ValueError, match="language"):
        tokenize("hello", "fr")
    with pytest.raises(ValueError, match="language"):
        suggest_keywords(["hello"], lang="fr")


def test_language_tags_are_normalised():
    assert tokenize("Red Bag", "en-GB") == ["red", "bag"]
    assert tokenize("白色衬衫", "zh_CN") == tokenize("白色衬衫", "zh")


# --- suggest_keywords ----------------------------------------------------------------------


@pytest.mark.parametrize("make", [en_keywords, zh_keywords])
def test_attribute_values_come_first_in_given_order(make):
    keywords = make()
    expected = ["enamel", "cream"] if make is en_keywords else ["牛仔布", "白色", "宽松"]
    head = keywords[: len(expected)]
    assert [k.term for k in head] == expected
    assert all(k.score == 1.0 and k.source == "attribute" for k in head)
    assert all(k.score < 1.0 for k in keywords[len(expected) :])


def test_numeric_attribute_values_are_not_keywords():
    assert "10" not in by_term(en_keywords())


def test_title_terms_follow_attributes_and_precede_category_and_reviews():
    keywords = en_keywords()
    sources = [k.source for k in keywords]
    assert {"title", "category", "reviews"} <= set(sources)
    last_title = max(i for i, s in enumerate(sources) if s == "title")
    first_other = min(i for i, s in enumerate(sources) if s in ("category", "reviews"))
    assert last_title < first_other
    terms = by_term(keywords)
    assert terms["bread"].source == "title" and terms["bin"].source == "title"


@pytest.mark.parametrize("make", [en_keywords, zh_keywords])
def test_stop_words_never_appear(make):
    stop = EN_STOP_WORDS | ZH_STOP_WORDS
    keywords = make(n=200)
    assert keywords, "fixture should yield keywords"
    for k in keywords:
        assert k.term not in stop
        assert not k.term.isdigit()
        assert len(k.term) >= 2
    terms = {k.term for k in keywords}
    assert not terms & {"the", "and", "of", "with", "set", "的", "了", "是", "很", "这款"}


def test_review_word_frequent_here_and_rare_elsewhere_is_suggested_from_reviews():
    terms = by_term(en_keywords())
    assert terms["sturdy"].source == "reviews"
    assert terms["sturdy"].score > 0
    # "colour" is in every other review too: it may appear, but ranks below "sturdy".
    if "colour" in terms:
        assert terms["colour"].score < terms["sturdy"].score
    # Filler praise is never offered as a keyword.
    assert not {"lovely", "seller", "arrived", "really"} & set(terms)


def test_review_word_in_chinese():
    terms = by_term(zh_keywords())
    assert terms["透气"].source == "reviews"
    assert "好评" not in terms and "物流" not in terms
    assert terms["透气"].score > terms.get("做工", Keyword("做工", 0.0, "reviews")).score


def test_review_terms_without_review_corpus_fall_back_to_catalogue():
    terms = by_term(en_keywords(review_corpus=()))
    assert terms["sturdy"].source == "reviews"


def test_category_terms_come_from_peers():
    terms = by_term(en_keywords())
    assert terms["tins"].source == "category"
    assert terms["pantry"].source == "category"
    assert terms["tins"].score <= 0.5


def test_a_term_found_twice_is_listed_once_with_its_best_source():
    keywords = suggest_keywords(
        ["Red RED red bag"],
        lang="en",
        reviews=["red red red"],
        peers=["red jumbo bag"],
        corpus=["blue bag", "green tin"],
        attributes={"colour": "RED"},
    )
    reds = [k for k in keywords if k.term.lower() == "red"]
    assert reds == [Keyword("red", 1.0, "attribute")]
    assert len({k.term.lower() for k in keywords}) == len(keywords)


@pytest.mark.parametrize("n", [0, 1, 3, 7])
def test_n_is_respected(n):
    keywords = en_keywords(n=n)
    assert len(keywords) == n
    assert keywords == en_keywords(n=50)[:n]


def test_negative_n_is_rejected():
    with pytest.raises(ValueError):
        en_keywords(n=-1)


def test_scores_are_between_zero_and_one_and_sorted():
    for keywords in (en_keywords(n=100), zh_keywords(n=100)):
        scores = [k.score for k in keywords]
        assert all(0.0 < s <= 1.0 for s in scores)
        assert scores == sorted(scores, reverse=True)
        assert {k.source for k in keywords} <= {"attribute", "title", "category", "reviews"}


def test_ordering_is_deterministic_and_independent_of_input_order():
    first = en_keywords(n=100)
    assert first == en_keywords(n=100)
    rng = random.Random(7)
    shuffled = {
        name: rng.sample(list(seq), len(seq))
        for name, seq in (
            ("peers", EN_PEERS),
            ("reviews", EN_REVIEWS),
            ("corpus", EN_CATALOGUE),
            ("review_corpus", EN_REVIEW_CORPUS),
        )
    }
    assert en_keywords(n=100, **shuffled) == first


def test_works_with_only_a_title():
    keywords = suggest_keywords(["GLASS STAR FROSTED T-LIGHT HOLDER"], lang="en")
    assert [k.source for k in keywords] == ["title"] * 5
    assert {k.term for k in keywords} == {"glass", "star", "frosted", "t-light", "holder"}


def test_nothing_in_nothing_out():
    assert suggest_keywords([], lang="en") == []
    assert suggest_keywords(["the and of"], lang="en", attributes={"x": " "}) == []


def test_keyword_is_frozen():
    keyword = Keyword("red", 1.0, "attribute")
    with pytest.raises(dataclasses.FrozenInstanceError):
        keyword.score = 0.5  # type: ignore[misc]


def test_ties_break_by_source_then_term():
    rank = {"attribute": 0, "title": 1, "category": 2, "reviews": 3}
    for keywords in (en_keywords(n=100), zh_keywords(n=100)):
        rest = [k for k in keywords if k.source != "attribute"]  # attributes keep given order
        keys = [(-k.score, rank[k.source], k.term) for k in rest]
        assert keys == sorted(keys)
