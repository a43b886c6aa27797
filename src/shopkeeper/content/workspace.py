"""The content studio as a team works it: drafts as display models, with every grounding
violation and compliance flag as a character span (for inline highlighting), the text cut into
segments at those spans, and the create / edit / approve / reject steps returning the draft
before and after, so the face that made a change can audit it.

Nothing here publishes anything: approved copy is exported by a person.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel

from shopkeeper.content.drafts import (
    STATUSES,
    DraftNotFound,
    draft_history,
    edit_draft,
    save_drafts,
    set_status,
)
from shopkeeper.content.facts import ContentError, parse_attributes, product_facts
from shopkeeper.content.studio import CopyOptions, check_options, generate_copy
from shopkeeper.llm import LLM
from shopkeeper.store import Warehouse

MAX_TEXT_CHARS = 10_000
MAX_ATTRIBUTES_CHARS = 2_000


class TextFlag(BaseModel):
    """One problem found in a draft's text, where it is (``text[start:end]``) and why."""

    source: Literal["grounding", "compliance"]
    kind: str  # grounding: attribute, claim, number, unit, price, percentage, language;
    #            compliance: absolute_term, banned_word, medical_claim
    start: int
    end: int
    text: str
    reason: str
    severity: str  # error | warning
    rule_id: str | None = None
    suggestion: str | None = None  # compliance: the compliant alternative ("" = delete)


class TextSegment(BaseModel):
    """A run of the text with the same flags on it (``flags`` index ``DraftDetail.flags``);
    a face highlights a segment with flags and shows their reasons, escaping the text."""

    text: str
    flags: list[int]
    sources: list[str]  # grounding and/or compliance, for the highlight's style
    severity: str | None  # the worst of its flags
    reason: str  # the flags' reasons, one per line


class DraftVersion(BaseModel):
    version: int
    changed_at: dt.datetime | None
    action: str
    status: str
    actor: str | None
    note: str | None
    text: str


class DraftSummary(BaseModel):
    """A draft in a list."""

    draft_id: str
    product_id: str | None
    product_title: str | None
    kind: str
    lang: str
    platform: str | None
    method: str | None
    grounded: bool
    coverage: float | None
    violations: int
    compliance_flags: int
    status: str
    version: int
    text: str
    updated_at: dt.datetime | None


class DraftDetail(DraftSummary):
    """One draft with the evidence a reviewer needs: the flags with their spans, the text in
    highlightable segments, what the model tried and was refused, and the history."""

    source: str | None
    tone: str | None
    length: str | None
    campaign: str | None
    provider: str | None
    model: str | None
    compliant_text: str | None
    reviewed_by: str | None
    created_at: dt.datetime | None
    attributes: list[tuple[str, str]]
    flags: list[TextFlag]
    segments: list[TextSegment]
    rejected: list[dict[str, Any]]
    history: list[DraftVersion]


def text_flags(text: str, violations: Sequence[dict], compliance: Sequence[dict]
               ) -> list[TextFlag]:
    """The stored grounding violations and compliance flags of ``text`` as :class:`TextFlag`,
    by position; spans that do not fit the text (never expected) are clamped to it."""
    flags: list[TextFlag] = []
    n = len(text)
    for v in violations:
        start, end = max(0, min(int(v.get("start", 0)), n)), max(0, min(int(v.get("end", 0)), n))
        flags.append(TextFlag(source="grounding", kind=str(v.get("kind", "claim")),
                              start=start, end=max(start, end), text=text[start:end],
                              reason=str(v.get("detail", "")), severity="error"))
    for f in compliance:
        start, end = max(0, min(int(f.get("start", 0)), n)), max(0, min(int(f.get("end", 0)), n))
        flags.append(TextFlag(source="compliance", kind=str(f.get("kind", "")), start=start,
                              end=max(start, end), text=text[start:end],
                              reason=str(f.get("rule", "")),
                              severity=str(f.get("severity", "error")),
                              rule_id=f.get("rule_id"), suggestion=f.get("suggestion")))
    flags.sort(key=lambda f: (f.start, f.end, f.source))
    return flags


def flag_segments(text: str, flags: Sequence[TextFlag]) -> list[TextSegment]:
    """``text`` cut at every flag boundary: each segment carries the flags that cover it, so
    overlapping flags (a number that is also a banned claim) highlight correctly."""
    cuts = sorted({0, len(text), *(f.start for f in flags), *(f.end for f in flags)})
    segments: list[TextSegment] = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        if a == b:
            continue
        on = [i for i, f in enumerate(flags) if f.start <= a and b <= f.end and f.start < f.end]
        severity = None
        if on:
            severity = "error" if any(flags[i].severity == "error" for i in on) else "warning"
        segments.append(TextSegment(
            text=text[a:b], flags=on,
            sources=sorted({flags[i].source for i in on}), severity=severity,
            reason="\n".join(dict.fromkeys(flags[i].reason for i in on if flags[i].reason))))
    return segments


_SUMMARY = """SELECT d.draft_id, d.product_id, p.title, d.kind, d.lang, d.platform, d.method,
                     coalesce(d.grounded, false), d.coverage,
                     coalesce(json_array_length(d.violations), 0),
                     coalesce(json_array_length(d.compliance), 0), d.status, d.version,
                     coalesce(d.text, ''), d.updated_at"""
_FROM = " FROM content_drafts d LEFT JOIN products p ON p.product_id = d.product_id"
_SUMMARY_KEYS = tuple(DraftSummary.model_fields)


def find_drafts(wh: Warehouse, *, status: str | None = None, product_id: str | None = None,
                kind: str | None = None, lang: str | None = None, limit: int = 50,
                offset: int = 0) -> tuple[list[DraftSummary], int]:
    """Drafts, newest first, filtered by status, product, kind or language; returns this page
    and the total."""
    if status is not None and status not in STATUSES:
        raise ContentError(f"unknown status {status!r}; use one of {', '.join(STATUSES)}")
    clauses, params = [], []
    for column, value in (("d.status", status), ("d.product_id", product_id),
                          ("d.kind", kind), ("d.lang", lang)):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    where = " WHERE " + " AND ".join(clauses) if clauses else ""
    total = int(wh.query(f"SELECT count(*){_FROM}{where}", params)[0][0])
    rows = wh.query(f"{_SUMMARY}{_FROM}{where} ORDER BY d.updated_at DESC, d.product_id, "
                    "d.kind, d.draft_id LIMIT ? OFFSET ?", [*params, int(limit), int(offset)])
    return [DraftSummary(**dict(zip(_SUMMARY_KEYS, r, strict=True))) for r in rows], total


def get_draft(wh: Warehouse, draft_id: str) -> DraftDetail:
    """One draft with its flags, segments, refused model texts and history."""
    rows = wh.query(f"{_SUMMARY}, d.source, d.tone, d.length, d.campaign, d.provider, d.model, "
                    "d.compliant_text, d.reviewed_by, d.created_at, d.facts, d.violations, "
                    f"d.compliance, d.rejected{_FROM} WHERE d.draft_id = ?", [draft_id])
    if not rows:
        raise DraftNotFound(f"no draft {draft_id!r}; list them with 'shopkeeper content list'")
    row = rows[0]
    values = dict(zip(_SUMMARY_KEYS, row[:len(_SUMMARY_KEYS)], strict=True))
    (source, tone, length, campaign, provider, model, compliant, reviewed_by, created,
     facts, violations, compliance, rejected) = row[len(_SUMMARY_KEYS):]
    flags = text_flags(values["text"], _loads(violations), _loads(compliance))
    attributes = [(str(k), str(v)) for k, v in (json.loads(facts).get("attributes", [])
                                                if facts else [])]
    history = [DraftVersion(version=int(h.version), changed_at=h.changed_at, action=h.action,
                            status=h.status, actor=h.actor, note=h.note or None,
                            text=h.text or "")
               for h in draft_history(wh, draft_id).itertuples(index=False)]
    return DraftDetail(**values, source=source, tone=tone, length=length, campaign=campaign,
                       provider=provider, model=model, compliant_text=compliant,
                       reviewed_by=reviewed_by, created_at=created, attributes=attributes,
                       flags=flags, segments=flag_segments(values["text"], flags),
                       rejected=_loads(rejected), history=history)


def create_drafts(wh: Warehouse, options: CopyOptions, *, product_id: str | None = None,
                  attributes: str | None = None, llm: LLM | None = None,
                  actor: str = "shopkeeper") -> list[DraftDetail]:
    """Generate copy for one product or one attribute string (``类型#上衣*材质#牛仔布``) and
    keep it as drafts for review; returns the stored drafts with their verdicts."""
    check_options(options)
    if (product_id is None) == (attributes is None):
        raise ContentError("give exactly one of a product id or an attribute string")
    if attributes is not None:
        if len(attributes) > MAX_ATTRIBUTES_CHARS:
            raise ContentError(f"the attribute string is over {MAX_ATTRIBUTES_CHARS} characters")
        facts = parse_attributes(attributes)
    else:
        facts = product_facts(wh, str(product_id), lang=options.lang)
    drafts = generate_copy(facts, options, llm)
    ids = save_drafts(wh, facts, options, drafts, actor=actor)
    return [get_draft(wh, i) for i in ids]


def revise_draft(wh: Warehouse, draft_id: str, text: str, *, actor: str = "shopkeeper",
                 note: str = "") -> tuple[DraftDetail, DraftDetail]:
    """Replace a draft's text; grounding and compliance are checked again and the draft goes
    back to review. Returns (before, after)."""
    if not text.strip():
        raise ContentError("the text is empty; reject the draft instead")
    if len(text) > MAX_TEXT_CHARS:
        raise ContentError(f"the text is over {MAX_TEXT_CHARS:,} characters")
    before = get_draft(wh, draft_id)
    edit_draft(wh, draft_id, text, actor=actor, note=note)
    return before, get_draft(wh, draft_id)


def review_draft(wh: Warehouse, draft_id: str, status: str, *, actor: str = "shopkeeper",
                 note: str = "") -> tuple[DraftDetail, DraftDetail]:
    """Approve or reject one draft (nothing is published). Returns (before, after)."""
    before = get_draft(wh, draft_id)
    set_status(wh, [draft_id], status, actor=actor, note=note)
    return before, get_draft(wh, draft_id)


def _loads(blob: Any) -> list:
    if blob is None:
        return []
    value = json.loads(blob) if isinstance(blob, str) else blob
    return list(value or [])
