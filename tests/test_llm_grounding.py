"""The grounding check: invented attributes, numbers, units, prices and claims are caught in
Chinese and English; faithful text passes."""

from __future__ import annotations

import pytest

from shopkeeper.errors import ConfigError
from shopkeeper.llm.grounding import Facts, check_grounding, load_lexicon
from shopkeeper.llm.quantities import find_quantities

KETTLE = Facts.of({"材质": "铜", "颜色": "白色", "容量": "750ml", "价格": "¥199"})
KETTLE_EN = Facts.of({"material": "copper", "colour": "white", "capacity": "750 ml",
                      "price": "$24.99"})


def kinds(text: str, facts: Facts, lang: str | None = None) -> list[tuple[str, str]]:
    return [(v.kind, v.text) for v in check_grounding(text, facts, lang=lang).violations]


@pytest.mark.parametrize("text", [
    "这款白色铜质水壶，容量750毫升，到手价¥199。",
    "白色铜壶，0.75L大容量，仅售199元。",
    "铜制水壶，白色外观，容量 750 ml。",
])
def test_faithful_chinese_passes(text):
    assert kinds(text, KETTLE, "zh") == []


@pytest.mark.parametrize("text", [
    "A white copper kettle that holds 750 ml, for $24.99.",
    "White copper kettle, 0.75 L capacity. Now $24.99.",
    "This kettle is made of copper and finished in white; it holds 75 cl.",
])
def test_faithful_english_passes(text):
    assert kinds(text, KETTLE_EN, "en") == []


@pytest.mark.parametrize(("text", "expected"), [
    ("这款白色钢质水壶，容量750毫升。", ("attribute", "钢质")),       # wrong material
    ("这款白色不锈钢水壶，容量750毫升。", ("attribute", "不锈钢")),
    ("这款黑色铜质水壶，容量750毫升。", ("attribute", "黑色")),       # wrong colour
    ("这款白色铜质水壶，容量500毫升。", ("number", "500毫升")),       # wrong number
    ("这款白色铜质水壶，容量750升。", ("unit", "750升")),             # right number, wrong unit
    ("这款白色铜质水壶，到手价¥189。", ("price", "¥189")),            # wrong price
    ("白色铜质水壶，保温24小时。", ("number", "24小时")),              # invented spec
    ("白色铜质水壶，防烫又透气。", ("claim", "透气")),                 # invented property
    ("白色铜质水壶，两件套。", ("number", "两件套")),                  # invented count
])
def test_chinese_inventions_are_caught(text, expected):
    assert expected in kinds(text, KETTLE, "zh")


@pytest.mark.parametrize(("text", "expected"), [
    ("A white steel kettle that holds 750 ml.", ("attribute", "steel")),
    ("A white stainless steel kettle.", ("attribute", "stainless steel")),
    ("A black copper kettle.", ("attribute", "black")),
    ("A white copper kettle that holds 500 ml.", ("number", "500 ml")),
    ("A white copper kettle that holds 750 l.", ("unit", "750 l")),
    ("A white copper kettle, now $19.99.", ("price", "$19.99")),
    ("A waterproof white copper kettle.", ("claim", "waterproof")),
    ("A white copper kettle, 20% off.", ("percentage", "20%")),
])
def test_english_inventions_are_caught(text, expected):
    assert expected in kinds(text, KETTLE_EN, "en")


def test_fractions_are_numbers_not_digits():
    """The Amazon complaint: 9/16 turned into 1-9/16."""
    facts = Facts.of({"size": "9/16 inch"})
    assert kinds("A 9/16 inch socket.", facts) == []
    assert kinds("A 1-9/16 inch socket.", facts) == [("number", "1-9/16 inch")]


def test_units_normalise_across_languages():
    ml, litre, haoshen = (find_quantities(t)[0] for t in ("750ml", "0.75 L", "750 毫升"))
    assert ml.same_amount(litre) and litre.same_amount(haoshen)
    assert not ml.same_amount(find_quantities("750 L")[0])


def test_concepts_match_across_languages():
    facts = Facts.of({"材质": "铜"})
    assert kinds("A copper kettle.", facts) == []
    assert kinds("A steel kettle.", facts) == [("attribute", "steel")]


def test_generic_garment_words_follow_the_specific_one():
    facts = Facts.of([("类型", "裙"), ("裙长", "连衣裙")])
    assert kinds("这条裙子很有气质", facts) == []
    assert kinds("这条半身裙很有气质", facts) == [("attribute", "半身裙")]


def test_words_inside_other_words_are_not_terms():
    lexicon = load_lexicon()
    assert [m.term.kind for m in lexicon.find("Glass star frosted t-light holder")
            if m.term.id == "office_lady"] == []
    assert [m.surface for m in lexicon.find("POLO领白色T恤")][:1] == ["POLO领"]


def test_wrong_language_is_a_violation():
    assert ("language", "A white copper kettle.") in [
        (v.kind, v.text) for v in check_grounding("A white copper kettle.", KETTLE,
                                                  lang="zh").violations]
    # an English product name quoted in Chinese copy is fine
    facts = Facts.of({"material": "glass"}, context=["White Hanging Heart T-Light Holder"])
    assert kinds("这款White Hanging Heart T-Light Holder，采用玻璃材质。", facts, "zh") == []


def test_coverage_counts_attributes_mentioned():
    report = check_grounding("白色铜壶", KETTLE)
    assert report.covered == [("材质", "铜"), ("颜色", "白色")]
    assert report.coverage == pytest.approx(0.5)


def test_merchant_lexicon_extends_the_bundled_one(tmp_path):
    extra = tmp_path / "mine.toml"
    extra.write_text('[[term]]\nid = "zorbium"\nkind = "material"\nzh = ["佐比铝"]\n'
                     'en = ["zorbium"]\n[[term]]\nid = "cotton"\nkind = "material"\n'
                     'zh = ["棉布料"]\n', encoding="utf-8")
    lexicon = load_lexicon((extra,))
    assert [m.term.id for m in lexicon.find("zorbium and 棉布料")] == ["zorbium", "cotton"]
    facts = Facts.of({"材质": "棉"})
    assert kinds("A zorbium mug", facts) == []  # unknown to the bundled lexicon
    assert [(v.kind, v.text) for v in check_grounding("A zorbium mug", facts,
                                                      lexicon=lexicon).violations] == [
        ("attribute", "zorbium")]


def test_broken_lexicon_file_names_itself(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[[term]]\nzh = ["x"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="bad.toml: term 1 needs an 'id' and a 'kind'"):
        load_lexicon((bad,))
