"""Robustness figures (issue 25): ingestion fuzzing and kills with real signals.

Fuzzing mutates real exports (tests/data/ fixtures and slices of ../shared/data/transactions/)
and loads each mutated file: every one must end in a clear one-line error that names the file
with the warehouse unchanged, or in a load where rows read = loaded + quarantined. Prints how
the files ended, the error kinds, the violations (must be 0) and the time per file.

Kills SIGKILL real `shopkeeper` processes (ingest, forecast, plan approval, content approval,
migration) at random moments (tests/robustness/kills.py); each killed warehouse must pass the
doctor and be the state before or after the command. Prints the outcomes per command and the
mixed or damaged states (must be 0).

Kills on a full disk (--full-disk N) run the same commands with the warehouse on a small tmpfs
that is nearly full or fills up (tests/robustness/full_disk.py; needs root to mount it), N
trials each: SIGKILLed at random moments or left to fail with ENOSPC. Prints per command how
the runs ended and the states they left, the failures' error lines, the reruns after freeing
space that reached the after state, and the mixed or damaged states (must be 0).

LLM faults call a fake OpenAI-compatible server (tests/robustness/llm_faults.py) in every fault
mode through the LLM runtime: each call must end in an LLMError within its bound.

Injection runs the corpus of tests/robustness/injection.py through every capability that asks a
model, against a model that obeys every instruction it reads, and prints the payloads tried and
carried out per surface (tuning corpus and the three held-out ones; must be 0); then the HTML
payloads live in the finance report (must be 0), and how many real reviews
(../shared/data/reviews_*) the prompt guard would withhold as instructions (false alarms).

    .venv/bin/python bench/robustness.py                 # 1,000 files, 240 kills, LLM faults
    .venv/bin/python bench/robustness.py --kills 0 --files 200 --seed 7 --no-llm
    .venv/bin/python bench/robustness.py --kills 0 --files 0 --no-llm   # injection only
    .venv/bin/python bench/robustness.py --files 0 --kills 0 --no-llm --no-injection \
        --full-disk 10                                   # kills on a full disk only (root)
"""

from __future__ import annotations

import argparse
import functools
import json
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pydantic import BaseModel  # noqa: E402
from tests.robustness import full_disk, fuzz, kills  # noqa: E402
from tests.robustness import llm_faults as llm_fault_server  # noqa: E402

from shopkeeper.errors import LLMError  # noqa: E402
from shopkeeper.llm import get_llm  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000, help="mutated files to load")
    parser.add_argument("--kills", type=int, default=40, help="kills per command (5 commands)")
    parser.add_argument("--full-disk", type=int, default=0, metavar="N",
                        help="full-disk trials per command (6 commands; needs root)")
    parser.add_argument("--llm", action=argparse.BooleanOptionalAction, default=True,
                        help="call a fake LLM server in every fault mode")
    parser.add_argument("--injection", action=argparse.BooleanOptionalAction, default=True,
                        help="run the injection corpus against a model that obeys it")
    parser.add_argument("--seed", type=int, default=25)
    args = parser.parse_args()
    failed = False
    if args.files:
        failed |= fuzzing(args.files, args.seed)
    if args.kills:
        failed |= killing(args.kills, args.seed)
    if args.full_disk:
        failed |= full_disk_kills(args.full_disk, args.seed)
    if args.llm:
        failed |= llm_faults()
    if args.injection:
        failed |= injection()
    sys.exit(1 if failed else 0)


class _Answer(BaseModel):
    answer: str


def llm_faults(timeout: float = 2.0, retries: int = 1) -> bool:
    """Every fault mode of the fake server, through the LLM runtime (plain and structured):
    each must end in an LLMError (callers then take their grounded path) within its bound."""
    bound = (retries + 1) * timeout + 2.0 + 1.0  # attempts × timeout, backoff, slack
    escaped, slow, calls = [], [], 0
    print(f"LLM faults: a fake OpenAI-compatible server, timeout {timeout:g} s, "
          f"{retries} retry; bound per call {bound:g} s")
    with tempfile.TemporaryDirectory(prefix="shopkeeper-llm-") as tmp, \
            llm_fault_server.FaultServer() as server:
        settings = server.settings(Path(tmp), timeout=timeout, retries=retries)
        for mode in llm_fault_server.FAULTS:
            server.mode = mode
            model = get_llm(settings)
            outcomes = []
            hello = [{"role": "user", "content": "hi"}]
            for kind, call in (("chat", functools.partial(model.chat, hello)),
                               ("structured", functools.partial(model.structured, hello,
                                                                _Answer, retries=1))):
                calls += 1
                started = time.monotonic()
                try:
                    call()
                    outcome = "answered"
                except LLMError as exc:
                    outcome = type(exc).__name__
                except Exception as exc:  # noqa: BLE001 - what escaped is the finding
                    outcome = f"ESCAPED {type(exc).__name__}"
                    escaped.append((mode, kind, repr(exc)[:200]))
                seconds = time.monotonic() - started
                if seconds > bound:
                    slow.append((mode, kind, seconds))
                outcomes.append(f"{kind} {outcome} in {seconds:.1f} s")
            print(f"  {mode}: " + "; ".join(outcomes))
    print(f"  calls {calls}, ended within the bound {calls - len(slow)}, "
          f"escaped {len(escaped)}, over the bound {len(slow)}")
    for item in escaped + slow:
        print(f"  VIOLATION {item}")
    print(json.dumps({"llm_calls": calls, "escaped": len(escaped), "over_bound": len(slow)}))
    return bool(escaped or slow)


def fuzzing(files: int, seed: int) -> bool:

    def progress(done: int, total: int) -> None:
        if done % 50 == 0 or done == total:
            print(f"\r  fuzzed {done:,}/{total:,}", end="", file=sys.stderr, flush=True)

    report = fuzz.run(files, seed, progress=progress)
    print(file=sys.stderr)
    counts = report.counts()
    mutations = Counter(m for v in report.verdicts for m in v.mutations)
    print(f"ingestion fuzzing: {len(report.verdicts):,} mutated files (seed {seed}), "
          f"{len(fuzz.bases())} base exports, {report.seconds:.0f} s "
          f"({report.seconds / max(1, len(report.verdicts)) * 1000:.0f} ms per file)")
    print(f"  loaded (read = loaded + quarantined): {counts['loaded']:,}")
    print(f"  refused with a one-line error naming the file, warehouse unchanged: "
          f"{counts['error']:,}")
    print(f"  violations: {counts['violation']:,}")
    for kind, n in report.error_kinds().most_common():
        print(f"    error {kind}: {n}")
    print("  mutations applied: " + ", ".join(f"{m} {n}" for m, n in mutations.most_common()))
    for v in report.violations[:20]:
        print(f"  VIOLATION {v.case} {v.mutations}: {v.detail}")
    print(json.dumps({"files": len(report.verdicts), "seed": seed, **counts,
                      "seconds": round(report.seconds, 1)}))
    return bool(report.violations)


def killing(per_command: int, seed: int) -> bool:
    def progress(done: int, total: int) -> None:
        print(f"\r  killed {done:,}/{total:,}", end="", file=sys.stderr, flush=True)

    with tempfile.TemporaryDirectory(prefix="shopkeeper-kills-") as tmp:
        operations = kills.build_operations(Path(tmp))
        report = kills.run(operations, per_command, seed, Path(tmp), progress=progress)
    print(file=sys.stderr)
    counts = report.counts()
    print(f"kills with SIGKILL: {len(report.kills):,} (seed {seed}), {report.seconds:.0f} s")
    for op in operations:
        outcomes = ", ".join(f"{outcome} {counts[(op.name, outcome)]}" for outcome in
                             ("before", "after", "between", "mixed", "damaged")
                             if counts[(op.name, outcome)])
        print(f"  {op.name}: runs {op.seconds:.1f} s, starts writing at "
              f"{op.writes_at or 0:.2f} s; {outcomes}")
    print(f"  recovered to a whole state: {len(report.kills) - len(report.violations):,}")
    print(f"  mixed or damaged: {len(report.violations):,}")
    for k in report.violations[:20]:
        print(f"  VIOLATION {k.operation} after {k.delay:.2f} s: {k.outcome} {k.detail}")
    print(json.dumps({"kills": len(report.kills), "seed": seed,
                      "violations": len(report.violations),
                      "seconds": round(report.seconds, 1)}))
    return bool(report.violations)



def full_disk_kills(per_command: int, seed: int) -> bool:
    def progress(done: int, total: int) -> None:
        print(f"\r  full-disk trials {done:,}/{total:,}", end="", file=sys.stderr, flush=True)

    with tempfile.TemporaryDirectory(prefix="shopkeeper-full-disk-") as tmp:
        work = Path(tmp)
        operations = kills.build_operations(work)
        for op in operations:
            kills.calibrate(op, work)
        try:
            report = full_disk.run(operations, per_command, seed, work, progress=progress)
        except full_disk.CannotMount as exc:
            print(f"kills on a full disk: skipped ({exc})")
            return False
    print(file=sys.stderr)
    trials = report.trials
    print(f"kills on a full disk: {len(trials):,} trials (seed {seed}), {per_command} per "
          f"command, warehouse on a tmpfs nearly full or filling up, {report.seconds:.0f} s")
    for op in operations:
        mine = [t for t in trials if t.operation == op.name]
        ended = Counter(t.ended for t in mine)
        states = Counter(t.outcome for t in mine)
        print(f"  {op.name}: needs {report.growth[op.name] / 2**20:.2f} MiB; killed "
              f"{ended['killed']}, failed on the full disk {ended['failed']}, finished "
              f"{ended['finished']}; left " + ", ".join(
                  f"{s} {states[s]}" for s in ("before", "after", "between", "mixed", "damaged")
                  if states[s]) + f"; reran to after {sum(t.rerun == 'after' for t in mine)}")
    ended = Counter(t.ended for t in trials)
    whole = sum(t.outcome in {"before", "after", "between"} for t in trials)
    reruns = [t for t in trials if t.rerun]
    mixed = sum(t.outcome in {"mixed", "damaged"} for t in trials)
    print(f"  killed {ended['killed']}, failed with ENOSPC {ended['failed']}, finished "
          f"{ended['finished']}")
    print(f"  recovered to a whole state (doctor passes, before or after): {whole:,}")
    print(f"  reran to the after state once space was freed: "
          f"{sum(t.rerun == 'after' for t in reruns)} of {len(reruns)}")
    print(f"  opened for writing while still full: "
          f"{sum(t.full_disk_open == 'ok' for t in trials)} of {len(trials)} (the rest could "
          f"not for want of space, which is allowed)")
    print(f"  mixed or damaged: {mixed}; violations of any kind: {len(report.violations)}")
    errors = Counter(re.sub(r"(/[^\s'\",]+)+", "PATH", t.error) for t in trials if t.error)
    for line, n in errors.most_common():
        print(f"    {n} × {line}")
    for t in report.violations[:20]:
        print(f"  VIOLATION {t.operation} ({t.free:,} B free, killed after {t.delay}): "
              f"{t.ended}, {t.outcome}: {'; '.join(t.problems)}")
    print(json.dumps({"full_disk_trials": len(trials), "seed": seed, **ended,
                      "whole": whole, "reruns_after": sum(t.rerun == "after" for t in reruns),
                      "mixed_or_damaged": mixed, "violations": len(report.violations),
                      "seconds": round(report.seconds, 1)}))
    return bool(report.violations)


class _Folders:
    """What pytest's tmp_path_factory gives the fixtures this bench borrows."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def mktemp(self, name: str) -> Path:
        return Path(tempfile.mkdtemp(prefix=name, dir=self.root))


def injection() -> bool:
    from tests.robustness import test_injection, test_injection_html, test_llm_faults
    from tests.robustness.injection import HTML, read_markup

    print("\n== injection through data (a model that obeys every instruction it reads)")
    failed = False
    with tempfile.TemporaryDirectory() as root:
        folders = _Folders(Path(root))
        stores = test_llm_faults.stores.__wrapped__(folders)  # the fixture's generator
        with llm_fault_server.FaultServer() as server:
            server.mode = "obey"
            llm = get_llm(server.settings(folders.mktemp("llm"), timeout=5.0, retries=0))
            started = time.perf_counter()
            try:
                figures = test_injection.injection_figures((server, llm), next(stores))
            finally:
                stores.close()
        corpora = ("tuning", "held_out", "held_out_2", "held_out_3", "held_out_4")
        print(f"{'surface':<16}" + "".join(f"{c.replace('_', ' '):>12}" for c in corpora)
              + "   carried out / tried")
        totals = Counter()
        for surface, f in figures.items():
            cells = [f"{f[k + '_fired']}/{f[k + '_tried']}" for k in corpora]
            print(f"{surface:<16}" + "".join(f"{c:>12}" for c in cells))
            totals.update(f)
        print(f"{'all':<16}" + "".join(
            f"{totals[k + '_fired']}/{totals[k + '_tried']}".rjust(12) for k in corpora)
            + f"   ({time.perf_counter() - started:.1f} s)")
        failed |= any(totals[k] for k in totals if k.endswith("_fired"))
        store_path = test_injection_html.hostile_store.__wrapped__(folders)
        files = test_injection_html.report_files.__wrapped__(store_path, folders)
        live, shown = read_markup(files["html"].read_text(encoding="utf-8"))
        print(f"finance report: {len(HTML)} HTML payloads in titles, categories, channels, "
              f"names and reviews; {shown} shown as text, {len(live)} live markup")
        failed |= bool(live)
        failed |= _mcp_injection(folders, corpora)
    print(_false_alarms())
    return failed


def _mcp_injection(folders: _Folders, corpora: tuple[str, ...]) -> bool:
    """The corpus through the MCP face: an agent that does what any payload it reads asks."""
    from tests.robustness import test_injection_mcp

    print("\n== injection through the MCP face (an agent that obeys every instruction it reads; "
          "tried: reaches the agent with the guard off)")
    started = time.perf_counter()
    path = test_injection_mcp.hostile_store.__wrapped__(folders)
    figures = test_injection_mcp.mcp_injection_figures(path)
    print(f"{'tool':<30}" + "".join(f"{c.replace('_', ' '):>12}" for c in corpora)
          + "   reach the agent / tried")
    totals: Counter = Counter()
    for tool, f in figures.items():
        print(f"{tool:<30}" + "".join(
            f"{f.get(c + '_fired', 0)}/{f.get(c + '_tried', 0)}".rjust(12) for c in corpora))
        totals.update(f)
    print(f"{'all':<30}" + "".join(
        f"{totals[c + '_fired']}/{totals[c + '_tried']}".rjust(12) for c in corpora)
        + f"   ({time.perf_counter() - started:.1f} s)")
    return bool(totals["tuning_fired"])


def _false_alarms() -> str:
    """How many real reviews the prompt guard takes for instructions."""
    import zipfile

    import pandas as pd

    from shopkeeper.llm.untrusted import looks_like_instruction

    data = Path(__file__).resolve().parents[2] / "shared" / "data"
    en_file = data / "reviews_en" / "amazon_multidomain_fdu_mtl" / "fdu_mtl_amazon_14domains.csv"
    zh_file = data / "reviews_zh" / "ChineseNlpCorpus_online_shopping_10_cats.zip"
    if not en_file.exists() or not zh_file.exists():
        return "false alarms: skipped (../shared/data/reviews_en or reviews_zh is absent)"
    english = pd.read_csv(en_file)["text"].dropna().astype(str).tolist()
    with zipfile.ZipFile(zh_file) as z:
        name = next(n for n in z.namelist() if n.endswith(".csv"))
        chinese = pd.read_csv(z.open(name))["review"].dropna().astype(str).tolist()
    parts = []
    for label, texts in (("English", english), ("Chinese", chinese)):
        flagged = sum(looks_like_instruction(t) for t in texts)
        parts.append(f"{label} {flagged} of {len(texts):,} ({flagged / len(texts):.3%})")
    return "false alarms on real reviews (withheld from prompts): " + ", ".join(parts)

if __name__ == "__main__":
    main()
