"""The grounding check: invented attributes, numbers, units, prices and claims are caught in
Chinese and English; faithful text, style words and figurative uses pass."""

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


TOP = {"类型": "上衣"}


def zh(text: str, **facts: str) -> list[tuple[str, str]]:
    return kinds(text, Facts.of({**TOP, **facts}), "zh")


def test_style_words_are_evaluation_not_violations_but_still_count_as_covered():
    assert zh("这款上衣很时尚，百搭又优雅。") == []
    report = check_grounding("这款上衣很时尚。", Facts.of({**TOP, "风格": "时尚"}))
    assert report.covered == [("类型", "上衣"), ("风格", "时尚")]
    assert kinds("An elegant, stylish white copper kettle.", KETTLE_EN, "en") == []


@pytest.mark.parametrize("text", [
    "这款上衣打破常规的设计，个性十足。",     # what it breaks from
    "上衣采用加长的视觉效果设计。",           # a look, not a length
    "上衣闪耀着星星光泽。",                   # a likeness, not a star print
    "上衣可以搭配打底裤。",                   # what to wear it with
    "18世纪的宫廷风上衣。",                   # a period, not a number
])
def test_figurative_words_are_not_claims(text):
    assert zh(text) == []


def test_a_property_said_against_something_else_is_still_claimed():
    assert ("claim", "透气") in zh("这款上衣比起其他面料更透气。")
    assert ("claim", "保暖") in zh("相比别的上衣更加保暖。")
    assert zh("和其他牛仔裤不同，这款上衣简约大方。") == []  # the other garment is not this one


def test_colour_counts_follow_the_colours_the_facts_name():
    assert zh("黑白两色的上衣，经典耐看。", 颜色="黑白") == []
    assert zh("两种颜色可选的上衣。", 颜色="黑白") == []
    assert zh("黑、白两色的上衣。", 颜色="黑白") == []
    assert ("number", "三色") in zh("三色拼接的上衣。", 颜色="黑白")
    assert ("attribute", "黑、白、红") in zh("黑、白、红撞色的上衣。", 颜色="黑白")
    assert ("number", "两色") in zh("两色拼接的上衣。")


def test_a_shade_of_a_stated_colour_passes_a_different_colour_does_not():
    assert zh("暗红色的上衣。", 颜色="红色") == []
    assert zh("深藏蓝的上衣。", 颜色="蓝色") == []
    assert zh("红色的上衣。", 颜色="暗红色") == []
    assert zh("深蓝色的上衣。", 颜色="浅蓝色") == [("attribute", "深蓝色")]
    assert zh("藏青色的上衣。", 颜色="红色") == [("attribute", "藏青色")]


def test_blends_and_fabrics_are_caught():
    assert zh("涤棉面料的上衣。", 材质="棉") == [("attribute", "涤棉")]
    assert zh("纯棉面料的上衣。", 材质="棉") == []
    assert zh("提花面料的上衣。", 材质="棉") == [("attribute", "提花面料")]
    assert zh("黑纱面料的上衣。", 材质="棉") == [("attribute", "黑纱")]


def test_origins_are_caught_unless_the_facts_name_them():
    assert zh("这款上衣来自西班牙。") == [("claim", "来自西班牙")]
    assert ("claim", "西班牙") in zh("这款西班牙进口的上衣。")
    assert zh("这款上衣来自梵凯。", 品牌="梵凯") == []
    assert zh("让你穿出自己的风格的上衣。") == []
    assert ("claim", "made in Italy") in kinds("A white copper kettle, made in Italy.",
                                               KETTLE_EN, "en")
    assert kinds("A white copper kettle, made in Italy.",
                 Facts.of({"material": "copper", "colour": "white", "origin": "Italy"}),
                 "en") == []


@pytest.mark.parametrize(("text", "expected"), [
    ("这款上衣穿着舒适。", ("claim", "舒适")),
    ("上衣手感柔软。", ("claim", "柔软")),
    ("上衣面料挺括。", ("claim", "挺括")),
    ("穿脱方便的上衣。", ("claim", "穿脱方便")),
    ("适合春夏季节的上衣。", ("claim", "春夏季节")),
    ("v领设计修饰脸型。", ("claim", "修饰脸型")),
    ("上衣遮肉显高。", ("claim", "遮肉")),
    ("上衣胸前刺绣点缀。", ("attribute", "胸前")),
    ("有三种款式可选的上衣。", ("number", "三种")),
])
def test_comfort_effect_season_position_and_count_claims_are_caught(text, expected):
    assert expected in zh(text, 图案="刺绣")


def test_a_body_effect_the_facts_state_passes():
    assert zh("显瘦的上衣。", 版型="显瘦") == []
    assert zh("收腰设计凸显腰身。", 裙款式="收腰") == []
    assert ("claim", "comfortable") in kinds("A comfortable white copper kettle.", KETTLE_EN,
                                              "en")


def test_merchant_lexicon_adds_phrases_with_the_bundled_fragments(tmp_path):
    extra = tmp_path / "mine.toml"
    extra.write_text("[[phrase]]\nid = \"wrinkle_resistant\"\n"
                     "zh = ['不${gap}起皱']\n", encoding="utf-8")
    lexicon = load_lexicon((extra,))
    facts = Facts.of(TOP)
    assert [(v.kind, v.text) for v in check_grounding("上衣不容易起皱", facts,
                                                      lexicon=lexicon).violations] == [
        ("claim", "不容易起皱")]
    assert check_grounding("上衣不容易起皱", facts).violations == []
    bad = tmp_path / "bad.toml"
    bad.write_text("[[phrase]]\nid = \"new_thing\"\nzh = ['新东西']\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="phrase 'new_thing' needs a 'kind'"):
        load_lexicon((bad,))
