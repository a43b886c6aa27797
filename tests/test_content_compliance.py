"""The copy compliance checker: what it flags, what it leaves alone, and the fixes it proposes."""

from __future__ import annotations

import pytest

from shopkeeper.content.compliance import (
    RULE_KINDS,
    ComplianceFlag,
    check_compliance,
    is_medical_category,
    load_rules,
    suggest_fix,
)
from shopkeeper.errors import ConfigError


def _only(flags: list[ComplianceFlag], term: str) -> ComplianceFlag:
    found = [f for f in flags if f.term == term]
    assert len(found) == 1, (term, flags)
    return found[0]


@pytest.mark.parametrize(
    ("text", "term", "kind", "rule_id"),
    [
        ("这款面霜效果最显著", "最", "absolute_term", "ad-law-absolute"),
        ("在行业里我们排第一", "第一", "absolute_term", "ad-law-absolute"),
        ("国家级非遗工艺", "国家级", "absolute_term", "ad-law-absolute"),
        ("顶级头层牛皮", "顶级", "absolute_term", "ad-law-absolute"),
        ("极品大红袍", "极品", "absolute_term", "ad-law-absolute"),
        ("好评率100%", "100%", "absolute_term", "ad-law-percent"),
        ("绝对正品", "绝对", "absolute_term", "ad-law-absolute"),
        ("唯一指定供应商", "唯一", "absolute_term", "ad-law-absolute"),
        ("国家免检产品，特供精品", "特供", "banned_word", "ad-law-state-endorsement"),
        ("中国驰名商标", "中国驰名商标", "banned_word", "trademark-well-known"),
        ("点击有惊喜，抢疯了", "抢疯了", "banned_word", "platform-inducement"),
        ("假一赔十", "假一赔十", "banned_word", "platform-false-promise"),
        ("Our best grinder yet", "best", "absolute_term", "en-superlative"),
        ("#1 in kitchen gadgets", "#1", "absolute_term", "en-superlative"),
        ("Freshness guaranteed", "guaranteed", "absolute_term", "en-absolute-promise"),
        ("This balm will cure eczema", "cure", "medical_claim", "en-medical"),
        ("FDA approved formula", "FDA approved", "medical_claim", "en-medical"),
    ],
)
def test_listed_terms_are_flagged_with_their_rule(text, term, kind, rule_id):
    flag = _only(check_compliance(text, category="服装"), term)
    assert (flag.kind, flag.rule_id) == (kind, rule_id)
    assert text[flag.start:flag.end] == term
    assert flag.severity in {"error", "warning"}


def test_flag_names_the_law_and_the_suggestion():
    flag = _only(check_compliance("质量最好"), "最好")
    assert flag.rule == "《广告法》第九条第（三）项：不得使用“国家级”“最高级”“最佳”等用语"
    assert flag.suggestion == "很好"
    english = _only(check_compliance("Best price"), "Best")
    assert english.rule.startswith("FTC Act §5") and ": " in english.rule
    assert english.suggestion == "great"


@pytest.mark.parametrize(
    "text",
    ["最近上新了三款", "最后一天包邮", "最初的设计", "第一次购买送小样", "第一件半价",
     "万能胶水", "They bestow gifts", "Best before 2026", "rank #10", "Bestowed",
     "Tasty dog treats", "UV cure time 30s"],
)
def test_exceptions_and_word_boundaries_are_not_flagged(text):
    assert check_compliance(text, category="pet food") == []


def test_only_is_always_flagged_even_next_to_an_exception():
    flags = check_compliance("最近唯一的新品")
    assert [(f.term, f.start) for f in flags] == [("唯一", 2)]


def test_english_matching_is_case_insensitive_and_word_bounded():
    flags = check_compliance("BEST deal, Best deal, best-in-town, bestseller-ish", "en")
    assert [f.term for f in flags][:3] == ["BEST", "Best", "best"]
    assert not any(f.term.lower() == "best" and f.start > 30 for f in flags)


def test_full_width_forms_match_their_ascii_twins():
    text = "ＮＯ．１销量 １００％纯棉"
    flags = check_compliance(text)
    assert [f.term for f in flags] == ["ＮＯ．１", "１００％纯"]
    assert all(text[f.start:f.end] == f.term for f in flags)


@pytest.mark.parametrize("category", ["服装", "home decor", None])
def test_medical_claims_are_flagged_outside_medical_categories(category):
    flags = check_compliance("瘦身减肥，治疗失眠。Cures headaches, weight loss", category=category)
    medical = {f.term for f in flags if f.kind == "medical_claim"}
    assert medical == {"瘦身", "减肥", "治疗", "Cures", "weight loss"}


@pytest.mark.parametrize("category", ["医疗器械", "家用医疗器械", "药品", "Medical", "pharmacy",
                                      "Health Devices"])
def test_medical_claims_are_allowed_in_medical_categories(category):
    flags = check_compliance("治疗失眠，最好的选择。Cures headaches", category=category)
    assert [f.kind for f in flags] == ["absolute_term"]  # 最好 is still an absolute term


def test_is_medical_category():
    assert is_medical_category("家用医疗器械") and is_medical_category("OTC Drugs")
    assert not is_medical_category("服装")
    assert not is_medical_category("健身器材")
    assert not is_medical_category(None) and not is_medical_category("")


def test_overlapping_terms_keep_the_longest():
    flags = check_compliance("全网第一，史上最低价")
    assert [(f.term, f.start, f.end) for f in flags] == [("全网第一", 0, 4), ("史上最低价", 5, 10)]
    english = check_compliance("The best seller of the year", "en")
    assert [f.term for f in english] == ["best seller"]


def test_flags_are_sorted_with_exact_spans():
    text = "The best 100%纯棉 T恤，国家级工艺，guaranteed fit，质量最好"
    flags = check_compliance(text)
    assert [f.start for f in flags] == sorted(f.start for f in flags)
    assert all(text[f.start:f.end] == f.term for f in flags)
    assert all(a.end <= b.start for a, b in zip(flags, flags[1:], strict=False))
    assert [f.term for f in flags] == ["The best", "100%纯", "国家级", "guaranteed", "最好"]


def test_lang_restricts_the_rule_set():
    assert [f.term for f in check_compliance("best 最好", "en")] == ["best"]
    assert [f.term for f in check_compliance("best 最好", "zh-CN")] == ["最好"]
    with pytest.raises(ConfigError, match="unknown copy language 'fr'"):
        check_compliance("best", "fr")


def test_suggest_fix_rewrites_the_flagged_terms():
    text = "全网第一的最好面料，顶级做工，好评率100%"
    fixed = suggest_fix(text, check_compliance(text))
    assert fixed == "热销的很好面料，高端做工，好评率高比例"
    assert check_compliance(fixed) == []


def test_suggest_fix_in_english_keeps_case_and_spacing():
    text = "The best blender. Guaranteed fresh, perfect results, FDA approved."
    fixed = suggest_fix(text, check_compliance(text, category="kitchen"))
    assert fixed == "A great blender. Fresh, excellent results."


@pytest.mark.parametrize(
    ("text", "fixed"),
    [
        ("唯一，国家级工艺", "工艺"),
        ("好。特供。", "好。"),
        ("Soft, 100% cotton, warm", "Soft, cotton, warm"),
        ("Nice. Guaranteed. Fresh", "Nice. Fresh"),
        ("fresh, guaranteed", "fresh"),
    ],
)
def test_suggest_fix_tidies_what_a_deleted_term_leaves(text, fixed):
    assert suggest_fix(text, check_compliance(text)) == fixed


def test_suggest_fix_leaves_terms_without_a_suggestion():
    text = "治愈失眠的最好枕头"
    fixed = suggest_fix(text, check_compliance(text, category="家居"))
    assert fixed == "治愈失眠的很好枕头"
    assert [(f.term, f.suggestion) for f in check_compliance(fixed, category="家居")] == [
        ("治愈", None)
    ]


def test_suggest_fix_refuses_flags_from_another_text():
    flags = check_compliance("最好")
    with pytest.raises(ValueError, match="does not match the text"):
        suggest_fix("很好的", flags)


def test_every_packaged_suggestion_is_itself_compliant():
    for rule in load_rules():
        for term, suggestion in rule.suggest.items():
            assert suggestion == "" or check_compliance(suggestion) == [], (rule.id, term)
            fixed = suggest_fix(term, check_compliance(term))
            remaining = [f for f in check_compliance(fixed) if f.suggestion is not None]
            assert remaining == [], (rule.id, term, fixed)


def test_packaged_rules_are_valid_and_unique():
    rules = load_rules()
    assert len({r.id for r in rules}) == len(rules)
    assert {r.kind for r in rules} == set(RULE_KINDS)
    assert {r.id for r in load_rules("zh")} | {r.id for r in load_rules("en")} == {
        r.id for r in rules
    }
    assert load_rules("zh") is load_rules("zh")  # read once


def test_a_merchant_file_adds_a_banned_word_and_extends_a_rule(tmp_path):
    extra = tmp_path / "shop.toml"
    extra.write_text(
        """
[[rule]]
id = "shop-banned"
kind = "banned_word"
law = "店铺规范"
message = "本店不使用“包邮到家”"
terms = ["包邮到家"]
suggest_default = ""

[[rule]]
id = "ad-law-absolute"
terms = ["最牛"]
[rule.suggest]
"最牛" = "很棒"
""",
        encoding="utf-8",
    )
    text = "最牛的顶级鞋，全场包邮到家"
    assert all(f.rule_id != "shop-banned" for f in check_compliance(text))

    flags = check_compliance(text, extra_rules=extra)
    assert [(f.term, f.rule_id, f.suggestion) for f in flags] == [
        ("最牛", "ad-law-absolute", "很棒"),
        ("顶级", "ad-law-absolute", "高端"),
        ("包邮到家", "shop-banned", ""),
    ]
    assert flags[2].rule == "店铺规范：本店不使用“包邮到家”"
    assert flags == check_compliance(text, rules=load_rules(None, [extra]))
    assert suggest_fix(text, flags) == "很棒的高端鞋，全场"


def test_a_merchant_file_can_replace_a_rules_terms(tmp_path):
    extra = tmp_path / "quiet.toml"
    extra.write_text('[[rule]]\nid = "ad-law-absolute"\nreplace = true\nterms = ["唯一"]\n',
                     encoding="utf-8")
    flags = check_compliance("最好的唯一", "zh", extra_rules=extra)
    assert [f.term for f in flags] == ["唯一"]
    assert flags[0].suggestion is None  # the packaged suggestions went with the terms


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ('[[rule]]\nid = "x"\nkind = "banned_word"\n', r"rule 1 \('x'\) has no 'terms'"),
        ('[[rule]]\nid = "x"\nkind = "nonsense"\nterms = ["a"]\n', r"'kind' must be one of"),
        ('[[rule]]\nkind = "banned_word"\nterms = ["a"]\n', r"rule 1 has no 'id'"),
        ('[[rule]]\nid = "x"\nkind = "banned_word"\nterm = ["a"]\n', r"unknown key 'term'"),
        ('[[rule]]\nid = "x"\nkind = "banned_word"\nterms = "a"\n', r"'terms' must be a list"),
        ('[[rule]]\nid = "x"\nkind = "banned_word"\nterms = ["a"]\n[rule.suggest]\n"b" = "c"\n',
         r"suggestion for 'b', which is not one of its terms"),
        ('[[rule]\nid = "x"\n', r"not valid TOML"),
        ('title = "no rules here"\n', r"no \[\[rule\]\] tables"),
    ],
)
def test_a_broken_merchant_file_raises_config_error_naming_it(tmp_path, content, problem):
    extra = tmp_path / "broken_rules.toml"
    extra.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=problem) as info:
        check_compliance("最好", extra_rules=extra)
    message = str(info.value)
    assert message.startswith(str(extra)) and "\n" not in message


def test_a_missing_merchant_file_raises_config_error(tmp_path):
    missing = tmp_path / "nope.toml"
    with pytest.raises(ConfigError, match="nope.toml: rules file does not exist"):
        load_rules("zh", missing)


def test_rules_and_extra_rules_are_exclusive(tmp_path):
    with pytest.raises(ValueError, match="either rules= or extra_rules="):
        check_compliance("x", rules=load_rules(), extra_rules=tmp_path / "a.toml")


def test_empty_text_has_no_flags():
    assert check_compliance("") == []
    assert suggest_fix("", []) == ""
