"""The review workflow: drafts in the warehouse, approved or rejected by a person, with every
change in the history. Nothing is ever published from here; approved copy is exported."""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from shopkeeper.content.facts import ContentError, ProductFacts, ReviewPhrase
from shopkeeper.content.studio import CopyOptions, Draft, checked_draft
from shopkeeper.store import write_frame
from shopkeeper.store.warehouse import Warehouse

STATUSES = ("draft", "approved", "rejected")
EXPORT_FORMATS = (".csv", ".xlsx", ".json")


class DraftNotFound(ContentError, LookupError):
    """No draft has this id."""

_MOVES = {"approved": {"draft"}, "rejected": {"draft", "approved"}, "draft": {"rejected"}}


def save_drafts(wh: Warehouse, facts: ProductFacts, options: CopyOptions,
                drafts: Sequence[Draft], *, actor: str = "shopkeeper") -> list[str]:
    """Store ``drafts`` as new drafts awaiting review; returns their ids."""
    now = pd.Timestamp.now(tz="UTC")
    rows, history = [], []
    for d in drafts:
        draft_id = d.draft_id = "cd-" + uuid.uuid4().hex[:10]
        rows.append({
            "draft_id": draft_id, "product_id": facts.product_id,
            "source": "warehouse" if facts.product_id else "attributes",
            "facts": json.dumps(dataclasses.asdict(facts), ensure_ascii=False),
            "kind": d.kind, "lang": d.lang, "platform": options.platform, "tone": options.tone,
            "length": options.length, "campaign": options.campaign, "text": d.text,
            "method": d.method, "provider": d.provider, "model": d.model,
            "prompt_version": d.prompt_version, "grounded": d.grounded,
            "violations": _json([dataclasses.asdict(v) for v in d.report.violations]),
            "rejected": _json(d.rejected),
            "compliance": _json([dataclasses.asdict(f) for f in d.compliance]),
            "compliant_text": d.compliant_text, "coverage": d.report.coverage,
            "status": "draft", "version": 1, "created_at": now, "updated_at": now,
            "reviewed_by": None,
        })
        history.append({"draft_id": draft_id, "version": 1, "changed_at": now, "action": "created",
                        "status": "draft", "text": d.text, "actor": actor, "note": d.method})
    with wh.transaction():
        wh.insert_df("content_drafts", pd.DataFrame(rows))
        wh.insert_df("content_draft_history", pd.DataFrame(history))
    return [r["draft_id"] for r in rows]


def list_drafts(wh: Warehouse, *, status: str | None = None, product_id: str | None = None,
                kind: str | None = None) -> pd.DataFrame:
    """Drafts, newest first, optionally only one status, product or kind."""
    clauses, params = [], []
    for column, value in (("status", status), ("product_id", product_id), ("kind", kind)):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    where = "WHERE " + " AND ".join(clauses) if clauses else ""
    return wh.query_df(
        "SELECT draft_id, product_id, kind, lang, platform, method, grounded, coverage, "
        "json_array_length(compliance) AS compliance_flags, status, version, text, "
        f"updated_at FROM content_drafts {where} "
        "ORDER BY updated_at DESC, product_id, kind, draft_id", params)


def draft_history(wh: Warehouse, draft_id: str) -> pd.DataFrame:
    _status(wh, draft_id)
    return wh.query_df("SELECT * FROM content_draft_history WHERE draft_id = ? ORDER BY version, "
                       "changed_at", [draft_id])


def set_status(wh: Warehouse, draft_ids: Sequence[str], status: str, *,
               actor: str = "shopkeeper", note: str = "") -> None:
    """Approve or reject drafts (a rejected draft may go back to draft). All or nothing."""
    if status not in STATUSES:
        raise ContentError(f"unknown status {status!r}; use one of {', '.join(STATUSES)}")
    current = {d: _status(wh, d) for d in draft_ids}
    for draft_id, (old, _version) in current.items():
        if old not in _MOVES[status]:
            raise ContentError(f"draft {draft_id} is {old}; it cannot become {status}")
    now = pd.Timestamp.now(tz="UTC")
    with wh.transaction() as con:
        for draft_id, (_old, version) in current.items():
            con.execute("UPDATE content_drafts SET status = ?, version = ?, updated_at = ?, "
                        "reviewed_by = ? WHERE draft_id = ?",
                        [status, version + 1, now, actor, draft_id])
            con.execute("INSERT INTO content_draft_history SELECT draft_id, ?, ?, ?, ?, text, "
                        "?, ? FROM content_drafts WHERE draft_id = ?",
                        [version + 1, now, _ACTION[status], status, actor, note, draft_id])


_ACTION = {"approved": "approved", "rejected": "rejected", "draft": "reopened"}


def edit_draft(wh: Warehouse, draft_id: str, text: str, *, actor: str = "shopkeeper",
               note: str = "") -> Draft:
    """Replace a draft's text; the grounding and compliance checks run again on the new text
    and the draft goes back to review."""
    _status(wh, draft_id)
    row = wh.query_df("SELECT facts, kind, lang, version FROM content_drafts WHERE draft_id = ?",
                      [draft_id]).iloc[0]
    facts = _facts_from_json(row["facts"])
    checked = checked_draft(facts, row["kind"], row["lang"], text, "edited")
    now = pd.Timestamp.now(tz="UTC")
    version = int(row["version"]) + 1
    with wh.transaction() as con:
        con.execute(
            "UPDATE content_drafts SET text = ?, method = 'edited', grounded = ?, violations = ?,"
            " compliance = ?, compliant_text = ?, coverage = ?, status = 'draft', version = ?, "
            "updated_at = ?, reviewed_by = ? WHERE draft_id = ?",
            [text, checked.grounded,
             _json([dataclasses.asdict(v) for v in checked.report.violations]),
             _json([dataclasses.asdict(f) for f in checked.compliance]), checked.compliant_text,
             checked.report.coverage, version, now, actor, draft_id])
        con.execute("INSERT INTO content_draft_history VALUES (?, ?, ?, 'edited', 'draft', ?, "
                    "?, ?)", [draft_id, version, now, text, actor, note])
    return checked


def export_drafts(wh: Warehouse, path: Path, *, status: str | None = "approved") -> int:
    """Write drafts of ``status`` (None: every status) to CSV, XLSX or JSON (by suffix);
    returns the row count. The text is data: in CSV and XLSX a cell that a spreadsheet would
    run as a formula (``=``, ``+``, ``-``, ``@``) gets a leading apostrophe."""
    suffix = path.suffix.lower()
    if suffix not in EXPORT_FORMATS:
        raise ContentError(f"{path}: export to {', '.join(EXPORT_FORMATS)}")
    if status is not None and status not in STATUSES:
        raise ContentError(f"unknown status {status!r}; use one of {', '.join(STATUSES)}")
    where, params = ("WHERE d.status = ?", [status]) if status else ("", [])
    df = wh.query_df(
        "SELECT d.draft_id, d.product_id, p.title AS product_title, d.kind, d.lang, d.platform, "
        "d.text, d.method, d.grounded, d.coverage, d.status, d.version, d.reviewed_by, "
        "d.updated_at FROM content_drafts d LEFT JOIN products p USING (product_id) "
        f"{where} ORDER BY d.product_id, d.kind, d.draft_id", params)
    df["updated_at"] = df["updated_at"].astype(str)
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".json":
        path.write_text(df.to_json(orient="records", force_ascii=False, indent=1),
                        encoding="utf-8")
        return len(df)
    write_frame(df, path, sheet_name=f"{status or 'all'} copy")
    return len(df)


def _status(wh: Warehouse, draft_id: str) -> tuple[str, int]:
    rows = wh.query("SELECT status, version FROM content_drafts WHERE draft_id = ?", [draft_id])
    if not rows:
        raise DraftNotFound(f"no draft {draft_id!r}; list them with 'shopkeeper content list'")
    return rows[0][0], int(rows[0][1])


def _facts_from_json(blob: str) -> ProductFacts:
    data = json.loads(blob)
    data["attributes"] = tuple(tuple(p) for p in data["attributes"])
    data["review_phrases"] = tuple(ReviewPhrase(**p) for p in data["review_phrases"])
    return ProductFacts(**data)


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)
