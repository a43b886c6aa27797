"""The grounding checker against hand labels on human AdvertiseGen copy.

Two annotators labelled, blind to the checker, the factual claims in human product copy that the
product's attributes do not support (``checker_labels_tune.jsonl``: items 0, 4, …, 396;
``checker_labels_holdout.jsonl``: items 400, 404, …, 796; 100 texts each). Each line holds
``index`` (the line of ``../shared/data/product_copy/advertisegen_dev_800.jsonl``, whose
attributes and copy are read from there, not copied here), ``unsupported``: a list of
``{"text": exact substring of the copy, "kind": ...}``, and the annotator's ``note``.

For every text this runs ``check_grounding(summary, facts, lang="zh")`` with the facts
``parse_attributes(content).grounding()`` and matches violations to labels by character span:
each label's span is found in the summary (a substring labelled more than once takes its
occurrences in order), and a violation and a label match when their spans overlap.

- false alarm: a violation that overlaps no label;
- miss: a label that no violation overlaps.

Violations of kind "language" are ignored (the copy is all Chinese). Per split it prints the
number of texts, labels and violations, false alarms and misses per 100 texts, precision
(share of violations that overlap a label) and recall (share of labels overlapped), misses by
label kind and the most common false-alarm words.

The tune split may be used to tune the checker; the holdout split is only scored.

    python bench/content/checker_eval.py [--split tune|holdout|both] [--show N]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from shopkeeper.content import parse_attributes
from shopkeeper.llm.grounding import check_grounding

HERE = Path(__file__).resolve().parent
DATA = HERE.parents[2] / "shared/data/product_copy/advertisegen_dev_800.jsonl"
SPLITS = {"tune": HERE / "checker_labels_tune.jsonl",
          "holdout": HERE / "checker_labels_holdout.jsonl"}


@dataclass
class Label:
    text: str
    kind: str
    start: int
    end: int


@dataclass
class Result:
    texts: int = 0
    labels: int = 0
    violations: int = 0
    false_alarms: list[tuple[int, str, str, int, int, str]] = field(default_factory=list)
    misses: list[tuple[int, str, str, int, int, str]] = field(default_factory=list)
    unplaced: list[tuple[int, str]] = field(default_factory=list)  # label text not in summary


def label_spans(summary: str, unsupported: list[dict]) -> tuple[list[Label], list[str]]:
    """Each label's span; a substring labelled n times takes its first n occurrences."""
    spans: list[Label] = []
    unplaced: list[str] = []
    next_from: dict[str, int] = {}
    for u in unsupported:
        text = u["text"]
        at = summary.find(text, next_from.get(text, 0))
        if at < 0 and text in next_from:  # labelled more often than it occurs: reuse the last
            at = summary.rfind(text)
        if at < 0:
            unplaced.append(text)
            continue
        next_from[text] = at + len(text)
        spans.append(Label(text, u["kind"], at, at + len(text)))
    return spans, unplaced


def _overlap(a0: int, a1: int, b0: int, b1: int) -> bool:
    return a0 < b1 and b0 < a1


def load_items(path: Path = DATA) -> list[dict]:
    """The AdvertiseGen items the labels point at (the texts are not copied into the repo)."""
    if not path.exists():
        sys.exit(f"{path} not found: the labels point at ../shared/data beside the repo")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def evaluate(path: Path, items: list[dict]) -> Result:
    res = Result()
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        item = items[row["index"]]
        summary = item["summary"]
        facts = parse_attributes(item["content"]).grounding()
        labels, unplaced = label_spans(summary, row["unsupported"])
        res.unplaced += [(row["index"], t) for t in unplaced]
        violations = [v for v in check_grounding(summary, facts, lang="zh").violations
                      if v.kind != "language"]
        res.texts += 1
        res.labels += len(labels)
        res.violations += len(violations)
        for v in violations:
            if not any(_overlap(v.start, v.end, lb.start, lb.end) for lb in labels):
                res.false_alarms.append((row["index"], v.text, v.kind, v.start, v.end,
                                         summary))
        for lb in labels:
            if not any(_overlap(v.start, v.end, lb.start, lb.end) for v in violations):
                res.misses.append((row["index"], lb.text, lb.kind, lb.start, lb.end, summary))
    return res


def _context(summary: str, start: int, end: int, width: int = 18) -> str:
    left = summary[max(0, start - width):start]
    right = summary[end:end + width]
    return f"…{left}【{summary[start:end]}】{right}…"


def report(name: str, res: Result, show: int, out=sys.stdout) -> None:
    n = max(res.texts, 1)
    matched_violations = res.violations - len(res.false_alarms)
    matched_labels = res.labels - len(res.misses)
    precision = matched_violations / res.violations if res.violations else float("nan")
    recall = matched_labels / res.labels if res.labels else float("nan")
    p = lambda *a: print(*a, file=out)  # noqa: E731
    p(f"== {name} ==")
    p(f"texts {res.texts}  labels {res.labels}  violations {res.violations}")
    p(f"false alarms per 100 texts: {100 * len(res.false_alarms) / n:.1f}  "
      f"({len(res.false_alarms)})")
    p(f"misses per 100 texts:       {100 * len(res.misses) / n:.1f}  ({len(res.misses)})")
    p(f"precision {precision:.3f}  recall {recall:.3f}")
    if res.unplaced:
        p(f"labels not found in their summary (not counted): {len(res.unplaced)}")
    by_kind = Counter(kind for _, _, kind, *_ in res.misses)
    total_kind = Counter()
    for line in SPLITS[name].read_text(encoding="utf-8").splitlines() if name in SPLITS else ():
        if line.strip():
            total_kind.update(u["kind"] for u in json.loads(line)["unsupported"])
    p("misses by label kind: " + ", ".join(
        f"{k} {c}/{total_kind.get(k, c)}" for k, c in by_kind.most_common()))
    words = Counter(text for _, text, *_ in res.false_alarms)
    p("most common false-alarm words: " + ", ".join(
        f"{w} {c}" for w, c in words.most_common(15)))
    if show:
        p(f"-- {min(show, len(res.false_alarms))} false alarms --")
        for idx, text, kind, s, e, summary in res.false_alarms[:show]:
            p(f"  [{idx}] {kind} {text}: {_context(summary, s, e)}")
        p(f"-- {min(show, len(res.misses))} misses --")
        for idx, text, kind, s, e, summary in res.misses[:show]:
            p(f"  [{idx}] {kind} {text}: {_context(summary, s, e)}")
    p()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="false alarm = violation overlapping no label; "
                                        "miss = label overlapped by no violation")
    ap.add_argument("--split", choices=("tune", "holdout", "both"), default="both",
                    help="which labelled split to score (default both)")
    ap.add_argument("--show", type=int, default=0, metavar="N",
                    help="print N false alarms and N misses with context")
    args = ap.parse_args(argv)
    names = ("tune", "holdout") if args.split == "both" else (args.split,)
    items = load_items()
    for name in names:
        report(name, evaluate(SPLITS[name], items), args.show)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
