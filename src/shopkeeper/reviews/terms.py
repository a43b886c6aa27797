"""The learned aspect-term tagger: a linear-chain CRF (python-crfsuite) that marks aspect terms
with B/I/O tags, one model per language, trained on the ABSA train splits.

zh is tagged per character; en per word. Features are local: the token and its neighbours
(characters, character n-grams and jieba words with their POS flags in zh; the lower-cased word,
its affixes and shape and its neighbours in en), plus two hints that the caller computes from the
taxonomy (``shopkeeper.reviews.aspects``): which tokens lie inside a taxonomy term and which lie
inside an opinion word. This module does not import ``aspects`` (no import cycle); the hints
arrive as spans.

The model files are crfsuite's own binary format (``models/aspect-terms-{zh,en}.crfsuite``),
with the training settings in a JSON file beside them; nothing is pickled. Tagging is offline.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

MODEL_DIR = Path(__file__).with_name("models")
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAS_CJK = re.compile(f"[{_CJK}]")
_TOKEN = re.compile(rf"[{_CJK}]|[A-Za-z0-9]+(?:['’][A-Za-z]+)*|[^\s{_CJK}A-Za-z0-9]")
_DETERMINERS = frozenset(["the", "this", "that", "these", "those", "its", "my", "their", "his",
                          "her", "our", "your", "a", "an"])
Span = tuple[int, int]


def model_path(lang: str) -> Path:
    return MODEL_DIR / f"aspect-terms-{lang}.crfsuite"


def tokenize(text: str) -> list[Span]:
    """(start, end) of each token: one per CJK character, Latin word/number, or other symbol."""
    return [m.span() for m in _TOKEN.finditer(text)]


def _inside(tokens: Sequence[Span], spans: Iterable[Span]) -> list[str]:
    """'B'/'I'/'O' per token for the tokens covered by ``spans``."""
    marks = ["O"] * len(tokens)
    for s, e in spans:
        first = True
        for k, (ts, te) in enumerate(tokens):
            if ts < e and s < te:
                marks[k] = "B" if first else "I"
                first = False
    return marks


def _shape(word: str) -> str:
    if word.isdigit():
        return "d"
    if _HAS_CJK.match(word):
        return "c"
    if not word[0].isalnum():
        return "p"
    if word.isupper() and len(word) > 1:
        return "X"
    if word[0].isupper():
        return "Xx"
    return "x"


def features(text: str, tokens: Sequence[Span], lang: str, term_spans: Iterable[Span] = (),
             opinion_spans: Iterable[Span] = ()) -> list[list[str]]:
    """The CRF feature strings of each token."""
    if not tokens:
        return []
    tax = _inside(tokens, term_spans)
    op = _inside(tokens, opinion_spans)
    words = [text[s:e].lower() for s, e in tokens]
    n = len(words)

    def w(k: int) -> str:
        return words[k] if 0 <= k < n else ("<s>" if k < 0 else "</s>")

    def at(seq: Sequence[str], k: int) -> str:
        return seq[k] if 0 <= k < n else "-"

    out: list[list[str]] = []
    if lang == "zh":
        gap = _gaps(text, tokens)
        seg, flag, word = _jieba_marks(text, tokens)
        for i in range(n):
            f = ["b", f"c={w(i)}", f"c-1={w(i - 1)}", f"c+1={w(i + 1)}", f"c-2={w(i - 2)}",
                 f"c+2={w(i + 2)}", f"c-1c={w(i - 1)}{w(i)}", f"cc+1={w(i)}{w(i + 1)}",
                 f"c-2c-1={w(i - 2)}{w(i - 1)}", f"c+1c+2={w(i + 1)}{w(i + 2)}",
                 f"c-1cc+1={w(i - 1)}{w(i)}{w(i + 1)}", f"sh={_shape(words[i])}",
                 f"seg={seg[i]}", f"pos={flag[i]}", f"segpos={seg[i]}{flag[i]}",
                 f"pos-1={at(flag, i - 1)}", f"pos+1={at(flag, i + 1)}",
                 f"tax={tax[i]}", f"op={op[i]}", f"op-1={at(op, i - 1)}", f"op+1={at(op, i + 1)}",
                 f"tax-1={at(tax, i - 1)}", f"tax+1={at(tax, i + 1)}",
                 f"gap={gap[i][0]}", f"gap+1={gap[i][1]}", f"from={gap[i][2]}",
                 f"to={gap[i][3]}", f"wd={word[i]}", f"wdseg={word[i]}{seg[i]}"]
            out.append(f)
        return out
    for i in range(n):
        word = words[i]
        raw = text[tokens[i][0]:tokens[i][1]]
        f = ["b", f"w={word}", f"s3={word[-3:]}", f"s2={word[-2:]}", f"p3={word[:3]}",
             f"sh={_shape(raw)}", f"len={min(len(word), 8)}",
             f"w-1={w(i - 1)}", f"w+1={w(i + 1)}", f"w-2={w(i - 2)}", f"w+2={w(i + 2)}",
             f"w-1w={w(i - 1)}|{word}", f"ww+1={word}|{w(i + 1)}",
             f"s3-1={w(i - 1)[-3:]}", f"s3+1={w(i + 1)[-3:]}",
             f"det-1={w(i - 1) in _DETERMINERS}", f"det-2={w(i - 2) in _DETERMINERS}",
             f"tax={tax[i]}", f"op={op[i]}", f"op-1={at(op, i - 1)}", f"op+1={at(op, i + 1)}",
             f"tax-1={at(tax, i - 1)}", f"tax+1={at(tax, i + 1)}"]
        out.append(f)
    return out


_STOPS = frozenset("，。！？,.!?;；…~～|/、：:()（）【】[]")


def _gaps(text: str, tokens: Sequence[Span]) -> list[tuple[str, str, str, str]]:
    """Per token: the space before it and after it ('' / ' ' / '  ' for two or more) and how
    far it is from the start and the end of its segment (cut at punctuation and spaces; 0, 1,
    2, 3 or 4 for 4+)."""
    n = len(tokens)

    def space(a: int, b: int) -> str:
        k = sum(c.isspace() for c in text[a:b])
        return "" if k == 0 else " " if k == 1 else "  "

    before = [space(tokens[i - 1][1] if i else 0, tokens[i][0]) for i in range(n)]
    after = [before[i + 1] if i + 1 < n else "end" for i in range(n)]
    stop = [text[s:e] in _STOPS for s, e in tokens]
    since, until = [0] * n, [0] * n
    run = 0
    for i in range(n):
        run = 0 if i == 0 or stop[i - 1] or before[i] == "  " else run + 1
        since[i] = min(run, 4)
    run = 0
    for i in range(n - 1, -1, -1):
        run = 0 if i == n - 1 or stop[i + 1] or after[i] == "  " else run + 1
        until[i] = min(run, 4)
    return [(before[i], after[i], str(since[i]), str(until[i])) for i in range(n)]


def _jieba_marks(text: str, tokens: Sequence[Span]
                 ) -> tuple[list[str], list[str], list[str]]:
    """Per token: its place in its jieba word (B/M/E/S), that word's POS flag, and the word
    itself when it has more than one token ('-' otherwise)."""
    import jieba.posseg as pseg

    seg = ["S"] * len(tokens)
    flag = ["x"] * len(tokens)
    words = ["-"] * len(tokens)
    where = {s: k for k, (s, _) in enumerate(tokens)}
    pos = 0
    for pair in pseg.lcut(text):
        word, tag = pair.word, pair.flag
        start, end = pos, pos + len(word)
        pos = end
        ks = [where[p] for p in range(start, end) if p in where]
        for j, k in enumerate(ks):
            seg[k] = "S" if len(ks) == 1 else "B" if j == 0 else "E" if j == len(ks) - 1 else "M"
            flag[k] = tag[:2]
            words[k] = word.lower() if len(ks) > 1 else "-"
    return seg, flag, words


def bio_labels(tokens: Sequence[Span], gold: Iterable[Span]) -> list[str]:
    return _inside(tokens, gold)


def decode(tokens: Sequence[Span], tags: Sequence[str]) -> list[Span]:
    """Spans from B/I tags (an I with nothing open starts a span)."""
    spans: list[Span] = []
    cur: list[int] | None = None
    for (s, e), t in zip(tokens, tags, strict=True):
        if t == "B" or (t == "I" and cur is None):
            if cur is not None:
                spans.append((cur[0], cur[1]))
            cur = [s, e]
        elif t == "I":
            cur[1] = e  # type: ignore[index]
        else:
            if cur is not None:
                spans.append((cur[0], cur[1]))
            cur = None
    if cur is not None:
        spans.append((cur[0], cur[1]))
    return spans


class TermTagger:
    """A loaded CRF model: ``spans(text, term_spans, opinion_spans)`` → term spans."""

    def __init__(self, path: Path | str, lang: str) -> None:
        import pycrfsuite

        self.path = Path(path)
        self.lang = lang
        self._tagger = pycrfsuite.Tagger()
        self._tagger.open(str(self.path))
        meta = self.path.with_suffix(".json")
        self.meta = json.loads(meta.read_text(encoding="utf-8")) if meta.exists() else {}

    def spans(self, text: str, term_spans: Iterable[Span] = (),
              opinion_spans: Iterable[Span] = ()) -> list[Span]:
        tokens = tokenize(text)
        if not tokens:
            return []
        tags = self._tagger.tag(features(text, tokens, self.lang, term_spans, opinion_spans))
        return decode(tokens, tags)


@functools.lru_cache(maxsize=4)
def load_term_tagger(lang: str) -> TermTagger | None:
    """The shipped tagger for ``zh``/``en``, or None (no model file or no python-crfsuite)."""
    path = model_path(lang)
    if not path.exists():
        return None
    try:
        return TermTagger(path, lang)
    except ImportError:
        return None


def train_tagger(sequences: Sequence[tuple[list[list[str]], list[str]]], path: Path | str, *,
                 c1: float = 0.1, c2: float = 0.05, max_iterations: int = 100,
                 min_freq: int = 1, meta: dict | None = None) -> Path:
    """Fit a CRF on (features, BIO labels) sequences with L-BFGS and write it to ``path``
    (and ``meta`` as JSON beside it, when given)."""
    import pycrfsuite

    trainer = pycrfsuite.Trainer(verbose=False)
    for xseq, yseq in sequences:
        if xseq:
            trainer.append(xseq, yseq)
    trainer.set_params({"c1": c1, "c2": c2, "max_iterations": max_iterations,
                        "feature.minfreq": min_freq,
                        "feature.possible_transitions": True})
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    trainer.train(str(path))
    if meta is not None:
        path.with_suffix(".json").write_text(json.dumps(meta, ensure_ascii=False, indent=1) + "\n",
                                             encoding="utf-8")
    return path
