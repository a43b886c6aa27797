"""The ``content`` group: the content studio (grounded product copy, review, export)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from shopkeeper import store
from shopkeeper.cli._common import (
    _progress,
    _settings,
    _split,
    app,
    console,
    handle_errors,
)

content_app = typer.Typer(help="Product copy: generate grounded drafts, review, approve, export.",
                          no_args_is_help=True)
app.add_typer(content_app, name="content")


@content_app.command("generate")
@handle_errors
def content_generate(
    sku: Annotated[list[str] | None, typer.Option("--sku", help="Product id; repeatable.")]
    = None,
    attributes: Annotated[str | None, typer.Option(help="Attributes instead of a product, "
                          "e.g. '类型#上衣*材质#牛仔布*颜色#白色'.")] = None,
    category: Annotated[str | None, typer.Option(help="Every product of this category "
                        "(batch, best sellers first).")] = None,
    all_products: Annotated[bool, typer.Option("--all", help="Every product (batch).")]
    = False,
    limit: Annotated[int | None, typer.Option(help="At most this many products.")] = None,
    lang: Annotated[str, typer.Option(help="zh or en.")] = "zh",
    kind: Annotated[str, typer.Option(help="Comma-separated: title, description, bullets, "
                    "marketing.")] = "title,description,bullets",
    platform: Annotated[str, typer.Option(help="Title limit: taobao, tmall, pinduoduo (60 "
                        "bytes), amazon (200 chars), ebay (80), shopify (255).")] = "taobao",
    tone: Annotated[str, typer.Option(help="standard, friendly or concise.")] = "standard",
    length: Annotated[str, typer.Option(help="short, medium or long.")] = "medium",
    campaign: Annotated[str, typer.Option(help="Campaign theme for marketing copy, e.g. "
                        "'双11 满200减30'.")] = "",
    provider: Annotated[str | None, typer.Option(help="builtin, openai or llamacpp "
                        "(default: the llm_provider setting).")] = None,
    save: Annotated[bool, typer.Option(help="Keep the drafts for review in the warehouse.")]
    = True,
    json_output: Annotated[bool, typer.Option("--json", help="Print the drafts as JSON.")]
    = False,
) -> None:
    """Write product copy grounded in the product's facts, checked for invented claims and
    banned terms, saved as drafts for a person to approve. Nothing is published.

    Example: shopkeeper content generate --sku 85123A --lang en --kind title,description,bullets
    --platform amazon
    """
    from shopkeeper import content, llm

    options = content.CopyOptions(kinds=tuple(_split(kind)), lang=lang, platform=platform,
                                  tone=tone, length=length, campaign=campaign)
    content.check_options(options)
    chosen = sum(bool(x) for x in (sku, attributes, category, all_products))
    if chosen != 1:
        raise typer.BadParameter("give exactly one of --sku, --attributes, --category or --all")
    settings = _settings()
    model = llm.get_llm(settings, provider=provider)
    with store.Warehouse.from_settings(settings, on_demand=True) as wh:
        if attributes:
            facts = content.parse_attributes(attributes)
            drafts = content.generate_copy(facts, options, model)
            if save:
                content.save_drafts(wh, facts, options, drafts)
            results = {"(attributes)": drafts}
        else:
            ids = sku or content.pick_products(wh, category=category, limit=limit)
            with _progress() as bar:
                results = content.generate_for_products(wh, ids, options, model, save=save,
                                                        progress=bar)
    if json_output:
        console.print_json(json.dumps({p: [_draft_dict(d) for d in ds]
                                       for p, ds in results.items()}, ensure_ascii=False))
        return
    if len(results) > 3:
        _print_batch(results)
    else:
        for product, drafts in results.items():
            console.rule(f"{product} · {model.label}", characters="─")
            for d in drafts:
                _print_draft(d)
    if save:
        console.print("review: shopkeeper content list · approve: shopkeeper content approve ID")


def _draft_dict(d: Any) -> dict:
    return {"draft_id": getattr(d, "draft_id", None), "kind": d.kind, "lang": d.lang,
            "text": d.text, "method": d.method, "grounded": d.grounded,
            "coverage": d.report.coverage,
            "violations": [v.detail for v in d.report.violations],
            "rejected": d.rejected,
            "compliance": [{"term": f.term, "rule": f.rule, "suggestion": f.suggestion}
                           for f in d.compliance],
            "compliant_text": d.compliant_text}


def _print_draft(d: Any) -> None:
    verdict = "[green]grounded[/]" if d.grounded else "[red]unsupported claims[/]"
    console.print(f"[bold]{d.kind}[/] · {d.method} · {verdict} · covers "
                  f"{d.report.coverage:.0%} of the attributes")
    console.print(d.text, highlight=False, markup=False)
    for v in d.report.violations:
        console.print(f"  [red]✗[/] {v.detail}", highlight=False)
    for r in d.rejected:
        console.print(f"  [dim]model draft rejected: {'; '.join(r['problems'])[:200]}[/]",
                      highlight=False)
    for f in d.compliance:
        hint = f" → {f.suggestion!r}" if f.suggestion is not None else " (rewrite by hand)"
        console.print(f"  [yellow]![/] '{f.term}': {f.rule}{hint}", highlight=False)
    console.print()


def _print_batch(results: dict[str, list]) -> None:
    from collections import Counter

    methods = Counter(d.method for ds in results.values() for d in ds)
    table = Table("product", *(d.kind for d in next(iter(results.values()))), "grounded")
    for product, drafts in list(results.items())[:20]:
        table.add_row(product, *(d.text.split("\n")[0][:40] for d in drafts),
                      "yes" if all(d.grounded for d in drafts) else "[red]no[/]")
    console.print(table)
    n = sum(len(ds) for ds in results.values())
    console.print(f"{len(results)} products, {n} drafts: "
                  + ", ".join(f"{m} {c}" for m, c in methods.most_common()))


@content_app.command("list")
@handle_errors
def content_list(
    status: Annotated[str | None, typer.Option(help="draft, approved or rejected.")] = None,
    sku: Annotated[str | None, typer.Option("--sku", help="Only this product.")] = None,
    kind: Annotated[str | None, typer.Option(help="Only this kind.")] = None,
) -> None:
    """Drafts awaiting review (or any status), newest first.

    Example: shopkeeper content list --status draft
    """
    from shopkeeper import content

    with store.Warehouse.from_settings(_settings(), read_only=True) as wh:
        df = content.list_drafts(wh, status=status, product_id=sku, kind=kind)
    if df.empty:
        console.print("no drafts; write some with: shopkeeper content generate --sku ID")
        return
    table = Table("draft", "product", "kind", "lang", "method", "grounded", "flags", "status",
                  "text")
    for r in df.itertuples(index=False):
        table.add_row(r.draft_id, str(r.product_id or ""), r.kind, r.lang, r.method,
                      "yes" if r.grounded else "[red]no[/]", str(r.compliance_flags),
                      r.status, r.text.replace("\n", " / ")[:60])
    console.print(table)


def _review(ids: list[str], status: str, by: str, note: str) -> None:
    from shopkeeper import content

    with store.Warehouse.from_settings(_settings()) as wh:
        content.set_status(wh, ids, status, actor=by, note=note)
    console.print(f"{status}: {', '.join(ids)}")


@content_app.command("approve")
@handle_errors
def content_approve(
    ids: Annotated[list[str], typer.Argument(help="Draft ids.")],
    by: Annotated[str, typer.Option(help="Who approves.")] = os.environ.get("USER", "staff"),
    note: Annotated[str, typer.Option(help="A note for the history.")] = "",
) -> None:
    """Approve drafts (they can then be exported; nothing is published automatically).

    Example: shopkeeper content approve cd-1a2b3c4d5e --by alice
    """
    _review(ids, "approved", by, note)


@content_app.command("reject")
@handle_errors
def content_reject(
    ids: Annotated[list[str], typer.Argument(help="Draft ids.")],
    by: Annotated[str, typer.Option(help="Who rejects.")] = os.environ.get("USER", "staff"),
    note: Annotated[str, typer.Option(help="Why, for the history.")] = "",
) -> None:
    """Reject drafts.

    Example: shopkeeper content reject cd-1a2b3c4d5e --note "too long"
    """
    _review(ids, "rejected", by, note)


@content_app.command("edit")
@handle_errors
def content_edit(
    draft_id: Annotated[str, typer.Argument(help="Draft id.")],
    text: Annotated[str, typer.Option(help="The new text (bullets: one per line).")],
    by: Annotated[str, typer.Option(help="Who edits.")] = os.environ.get("USER", "staff"),
) -> None:
    """Replace a draft's text; the grounding and compliance checks run again.

    Example: shopkeeper content edit cd-1a2b3c4d5e --text "白色牛仔外套"
    """
    from shopkeeper import content

    with store.Warehouse.from_settings(_settings()) as wh:
        checked = content.edit_draft(wh, draft_id, text, actor=by)
    _print_draft(checked)


@content_app.command("history")
@handle_errors
def content_history(draft_id: Annotated[str, typer.Argument(help="Draft id.")]) -> None:
    """Every version of a draft: created, edited, approved, rejected; who and when.

    Example: shopkeeper content history cd-1a2b3c4d5e
    """
    from shopkeeper import content

    with store.Warehouse.from_settings(_settings(), read_only=True) as wh:
        df = content.draft_history(wh, draft_id)
    table = Table("version", "when", "action", "status", "by", "note", "text")
    for r in df.itertuples(index=False):
        table.add_row(str(r.version), str(r.changed_at)[:19], r.action, r.status, r.actor,
                      r.note or "", r.text.replace("\n", " / ")[:60])
    console.print(table)


@content_app.command("export")
@handle_errors
def content_export(
    path: Annotated[Path, typer.Argument(help="A .csv or .xlsx file.")],
    status: Annotated[str, typer.Option(help="Which drafts.")] = "approved",
) -> None:
    """Export approved copy (or another status) to CSV or XLSX for upload.

    Example: shopkeeper content export approved-copy.xlsx
    """
    from shopkeeper import content

    with store.Warehouse.from_settings(_settings(), read_only=True) as wh:
        n = content.export_drafts(wh, path, status=status)
    console.print(f"wrote {n} {status} drafts to {path}")


@content_app.command("check")
@handle_errors
def content_check(
    text: Annotated[str, typer.Argument(help="The copy to check.")],
    attributes: Annotated[str | None, typer.Option(help="Facts as KEY#VALUE*KEY#VALUE.")]
    = None,
    sku: Annotated[str | None, typer.Option("--sku", help="Facts of this product.")] = None,
    lang: Annotated[str | None, typer.Option(help="zh or en: also check the language.")] = None,
    category: Annotated[str | None, typer.Option(help="Product category (medical products "
                        "may make health claims).")] = None,
) -> None:
    """Check any copy: claims its facts don't support, Advertising Law / platform terms, and
    how it reads (a phrase said twice, a bare noun phrase as a sentence, a wrong head noun).

    Example: shopkeeper content check "纯棉白色T恤，全网最低价" --attributes "材质#棉*颜色#白色"
    """
    from shopkeeper import content, llm

    product: content.ProductFacts | None = None
    if attributes:
        product = content.parse_attributes(attributes)
    elif sku:
        with store.Warehouse.from_settings(_settings(), read_only=True) as wh:
            product = content.product_facts(wh, sku, lang=lang or "en")
    facts = product.grounding() if product is not None else llm.Facts()
    report = llm.check_grounding(text, facts, lang=lang)
    flags = content.check_compliance(text, lang, category=category)
    if attributes or sku:
        console.print(f"grounding: {'ok' if report.ok else 'unsupported claims'} · covers "
                      f"{report.coverage:.0%} of the attributes")
        for v in report.violations:
            console.print(f"  [red]✗[/] {v.detail}", highlight=False)
    console.print(f"compliance: {len(flags)} flag(s)")
    for f in flags:
        hint = f" → {f.suggestion!r}" if f.suggestion is not None else " (rewrite by hand)"
        console.print(f"  [yellow]![/] '{f.term}' ({f.kind}): {f.rule}{hint}", highlight=False)
    if flags and (fixed := content.suggest_fix(text, flags)) != text:
        console.print(f"suggested: {fixed}", highlight=False, markup=False)
    reading = content.copy_issues(text, product, lang or _language_of(text))
    console.print(f"reading: {len(reading)} issue(s)")
    for issue in reading:
        console.print(f"  [yellow]![/] {issue.detail}", highlight=False)
    if not report.ok or any(f.severity == "error" for f in flags):
        raise typer.Exit(1)


def _language_of(text: str) -> str:
    return "zh" if any("\u4e00" <= c <= "\u9fff" for c in text) else "en"


@content_app.command("keywords")
@handle_errors
def content_keywords(
    sku: Annotated[str, typer.Option("--sku", help="Product id.")],
    lang: Annotated[str, typer.Option(help="zh or en.")] = "en",
    n: Annotated[int, typer.Option(help="How many.")] = 15,
) -> None:
    """Search keywords for a product from its attributes, category peers and its reviews.

    Example: shopkeeper content keywords --sku 85123A --lang en
    """
    from shopkeeper import content

    with store.Warehouse.from_settings(_settings(), read_only=True) as wh:
        keywords = content.product_keywords(wh, sku, lang=lang, n=n)
    table = Table("keyword", "score", "from")
    for k in keywords:
        table.add_row(k.term, f"{k.score:.2f}", k.source)
    console.print(table)
