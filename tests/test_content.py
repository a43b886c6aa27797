"""The content studio: grounded copy that never invents, platform limits, the review workflow
and the CLI."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from shopkeeper.cli import app
from shopkeeper.content import (
    PLATFORMS,
    ContentError,
    CopyOptions,
    ProductFacts,
    ReviewPhrase,
    draft_history,
    edit_draft,
    export_drafts,
    generate_copy,
    list_drafts,
    parse_attributes,
    product_facts,
    save_drafts,
    set_status,
)
from shopkeeper.llm import LLM
from shopkeeper.llm.providers import OpenAIProvider
from tests.conftest import shared_file
from tests.llm_fixtures import free_port

DENIM = "类型#上衣*材质#牛仔布*颜色#白色*风格#简约*图案#刺绣*衣样式#外套*衣款式#破洞"
ALL_KINDS = ("title", "description", "bullets", "marketing")


def test_attribute_strings_parse_and_bad_ones_say_where():
    facts = parse_attributes(DENIM)
    assert facts.category == "上衣" and ("材质", "牛仔布") in facts.attributes
    with pytest.raises(ContentError, match=r"attribute 2 '材质牛仔布': write KEY#VALUE"):
        parse_attributes("类型#上衣*材质牛仔布")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_grounded_copy_states_only_facts(lang):
    drafts = generate_copy(parse_attributes(DENIM), CopyOptions(
        kinds=ALL_KINDS, lang=lang, campaign="双11" if lang == "zh" else "Singles Day"))
    assert [d.kind for d in drafts] == list(ALL_KINDS)
    for d in drafts:
        assert d.method == "grounded" and d.report.ok, (d.kind, d.text, d.report.violations)
        assert not d.compliance, d.compliance
    description = drafts[1]
    assert description.report.coverage == 1.0
    assert "牛仔" in drafts[0].text or "denim" in drafts[0].text.lower()


def test_grounded_copy_on_real_advertisegen_attributes():
    path = shared_file("product_copy/advertisegen_dev_800.jsonl")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()[:150]]
    coverage = []
    for row in rows:
        facts = parse_attributes(row["content"])
        for d in generate_copy(facts, CopyOptions(kinds=("title", "description"), lang="zh")):
            assert d.report.ok, (row["content"], d.text, d.report.violations)
            if d.kind == "title":
                assert PLATFORMS["taobao"].count(d.text) <= 60, d.text
            else:
                coverage.append(d.report.coverage)
    assert sum(coverage) / len(coverage) >= 0.9


def test_titles_fit_each_platform():
    long = parse_attributes("类型#裙*材质#蕾丝*颜色#黑色*颜色#白色*风格#复古*风格#文艺*风格#简约*"
                            "图案#格子*图案#刺绣*裙型#背带裙*裙长#连衣裙*裙领型#半高领*"
                            "裙款式#拼接*裙款式#收腰*裙袖型#喇叭袖")
    for name, platform in PLATFORMS.items():
        lang = "zh" if platform.units == "bytes" else "en"
        title = generate_copy(long, CopyOptions(kinds=("title",), lang=lang,
                                                platform=name))[0].text
        assert 0 < platform.count(title) <= platform.title_limit, (name, title)
    assert len("复古文艺简约".encode("gbk")) == 12  # what the byte limit counts


def test_reviews_and_price_are_quoted_from_the_data():
    facts = ProductFacts(attributes=(("material", "glass"),), title="Frosted Star Holder",
                         price=2.55, currency="GBP",
                         review_phrases=(ReviewPhrase("well packed", 4),), rating=4.5,
                         rated_reviews=6)
    drafts = generate_copy(facts, CopyOptions(kinds=("description", "bullets"), lang="en",
                                              length="long"))
    assert '"well packed"' in drafts[0].text and "4.5 out of 5 across 6 reviews" in drafts[0].text
    assert "PRICE: £2.55" in drafts[1].text
    assert all(d.report.ok for d in drafts)


def test_bad_options_are_refused_before_any_work():
    facts = parse_attributes(DENIM)
    with pytest.raises(ContentError, match="unknown platform 'etsy'"):
        generate_copy(facts, CopyOptions(platform="etsy"))
    with pytest.raises(ContentError, match="marketing copy needs a campaign"):
        generate_copy(facts, CopyOptions(kinds=("marketing",)))


def test_endpoint_down_falls_back_to_the_grounded_copy(tmp_path):
    # no model name either: even asking the endpoint which model it serves fails
    down = LLM(OpenAIProvider(f"http://127.0.0.1:{free_port()}/v1", "", timeout=2,
                              max_retries=0))
    drafts = generate_copy(parse_attributes(DENIM), CopyOptions(lang="zh"), down)
    grounded = generate_copy(parse_attributes(DENIM), CopyOptions(lang="zh"))
    assert [d.text for d in drafts] == [d.text for d in grounded]
    assert {d.method for d in drafts} == {"grounded-fallback"}
    assert "cannot reach the LLM endpoint" in drafts[0].rejected[0]["problems"][0]
    assert drafts[0].model == "openai:unknown"


def test_compliance_flags_travel_with_the_draft():
    drafts = generate_copy(parse_attributes(DENIM), CopyOptions(
        kinds=("marketing",), campaign="双11全网最低价"))
    flags = drafts[0].compliance
    assert [f.term for f in flags] == ["全网最低价"]
    assert "全网最低价" not in drafts[0].compliant_text


def test_review_workflow_history_and_export(warehouse, tmp_path):
    facts = parse_attributes(DENIM)
    options = CopyOptions(kinds=("title", "description"))
    ids = save_drafts(warehouse, facts, options, generate_copy(facts, options))
    listed = list_drafts(warehouse, status="draft")  # saved together: by product, then kind
    assert listed["draft_id"].tolist() == [ids[1], ids[0]]
    assert listed["kind"].tolist() == ["description", "title"]
    set_status(warehouse, [ids[0]], "approved", actor="alice")
    with pytest.raises(ContentError, match="is approved; it cannot become approved"):
        set_status(warehouse, [ids[0]], "approved")
    # an edit that invents a claim is stored with its verdict and goes back to review
    checked = edit_draft(warehouse, ids[1], "白色牛仔外套，防水透气。", actor="bob")
    assert not checked.grounded and {v.text for v in checked.report.violations} == {"防水",
                                                                                     "透气"}
    row = list_drafts(warehouse, product_id=None).set_index("draft_id").loc[ids[1]]
    assert (row["status"], row["grounded"], row["version"]) == ("draft", False, 2)
    history = draft_history(warehouse, ids[0])
    assert history[["version", "action", "actor"]].values.tolist() == [
        [1, "created", "shopkeeper"], [2, "approved", "alice"]]
    out = tmp_path / "approved.csv"
    assert export_drafts(warehouse, out) == 1
    exported = pd.read_csv(out, encoding="utf-8-sig")
    assert exported["draft_id"].tolist() == [ids[0]] and exported["status"].tolist() == [
        "approved"]
    assert export_drafts(warehouse, tmp_path / "drafts.xlsx", status="draft") == 1
    with pytest.raises(ContentError, match="no draft 'cd-nope'"):
        set_status(warehouse, ["cd-nope"], "rejected")


def test_status_changes_are_all_or_nothing(warehouse):
    facts = parse_attributes(DENIM)
    options = CopyOptions(kinds=("title", "description"))
    ids = save_drafts(warehouse, facts, options, generate_copy(facts, options))
    set_status(warehouse, [ids[0]], "rejected")
    with pytest.raises(ContentError, match="cannot become approved"):
        set_status(warehouse, [ids[1], ids[0]], "approved")
    assert list_drafts(warehouse, status="approved").empty


def test_product_facts_from_the_warehouse(shop):
    shop.connection.execute(
        "UPDATE products SET title = 'WHITE CERAMIC MUG', price = 4.5 WHERE product_id = 'A'")
    shop.insert_df("reviews", pd.DataFrame({
        "review_id": ["r1", "r2", "r3"], "product_id": ["A", "A", "A"],
        "rating": [5, 4, 1], "body": ["Lovely, well packed.", "Well packed and sturdy.",
                                      "Broken on arrival."],
        "language": ["en"] * 3, "created_at": pd.Timestamp("2024-02-01", tz="UTC")}))
    facts = product_facts(shop, "A")
    assert facts.title == "White Ceramic Mug" and facts.price == 4.5
    assert ("material", "ceramic") in facts.attributes and ("colour", "white") in facts.attributes
    assert facts.review_phrases[0] == ReviewPhrase("well packed", 2)
    assert facts.rated_reviews == 3
    with pytest.raises(ContentError, match="product 'ZZZ' is not in the warehouse"):
        product_facts(shop, "ZZZ")


runner = CliRunner()


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for var in ("SHOPKEEPER_CONFIG", "SHOPKEEPER_LLM_PROVIDER"):
        monkeypatch.delenv(var, raising=False)
    return tmp_path


def test_cli_generate_review_export(workdir):
    result = runner.invoke(app, ["content", "generate", "--attributes", DENIM, "--kind",
                                 "title,bullets", "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    drafts = json.loads(result.output)["(attributes)"]
    assert [d["kind"] for d in drafts] == ["title", "bullets"]
    assert all(d["grounded"] and d["method"] == "grounded" for d in drafts)
    approved = runner.invoke(app, ["content", "approve", drafts[0]["draft_id"], "--by", "me"])
    assert approved.exit_code == 0, approved.output
    exported = runner.invoke(app, ["content", "export", "copy.xlsx"])
    assert "wrote 1 approved drafts" in exported.output
    assert pd.read_excel(workdir / "copy.xlsx")["text"].tolist() == [drafts[0]["text"]]


def test_cli_check_exits_nonzero_on_invented_or_banned_terms(workdir):
    bad = runner.invoke(app, ["content", "check", "纯棉白色T恤，全网最低价",
                              "--attributes", "材质#棉*颜色#白色"])
    assert bad.exit_code == 1
    assert "product type 'T恤' is not in the facts" in bad.output
    assert "全网最低价" in bad.output and "suggested:" in bad.output
    good = runner.invoke(app, ["content", "check", "纯棉白色上衣", "--attributes",
                               "材质#棉*颜色#白色*类型#上衣"])
    assert good.exit_code == 0, good.output


def test_cli_check_reports_how_the_copy_reads_without_failing(workdir):
    result = runner.invoke(app, [
        "content", "check", "这款裙子。荷叶边的设计，展现出独特的魅力，刺绣的设计，展现出独特的魅力。",
        "--attributes", "类型#裙*裙款式#荷叶边*图案#刺绣"])
    assert result.exit_code == 0, result.output  # reading issues are warnings
    assert "reading: 2 issue(s)" in result.output
    assert "'展现出独特的魅力' is said twice" in result.output
    assert "'这款裙子' is a noun phrase" in result.output


def test_cli_usage_and_info_without_a_model(workdir):
    info = runner.invoke(app, ["llm", "info"])
    assert info.exit_code == 0 and "no model" in info.output
    usage = runner.invoke(app, ["llm", "usage"])
    assert usage.exit_code == 0 and "no model calls logged" in usage.output


def test_cli_bad_option_is_one_line(workdir):
    result = runner.invoke(app, ["content", "generate", "--attributes", DENIM, "--lang", "fr"])
    assert result.exit_code == 1
    assert "unknown lang 'fr'; use one of zh, en" in result.output
