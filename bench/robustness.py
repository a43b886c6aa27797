"""Robustness figures (issue 25): ingestion fuzzing and kills with real signals.

Fuzzing mutates real exports (tests/data/ fixtures and slices of ../shared/data/transactions/)
and loads each mutated file: every one must end in a clear one-line error that names the file
with the warehouse unchanged, or in a load where rows read = loaded + quarantined. Prints how
the files ended, the error kinds, the violations (must be 0) and the time per file.

Kills SIGKILL real `shopkeeper` processes (ingest, forecast, plan approval, content approval,
migration) at random moments (tests/robustness/kills.py); each killed warehouse must pass the
doctor and be the state before or after the command. Prints the outcomes per command and the
mixed or damaged states (must be 0).

LLM faults call a fake OpenAI-compatible server (tests/robustness/llm_faults.py) in every fault
mode through the LLM runtime: each call must end in an LLMError within its bound.

    .venv/bin/python bench/robustness.py                 # 1,000 files, 200 kills, LLM faults
    .venv/bin/python bench/robustness.py --kills 0 --files 200 --seed 7 --no-llm
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pydantic import BaseModel  # noqa: E402
from tests.robustness import fuzz, kills  # noqa: E402
from tests.robustness import llm_faults as llm_fault_server  # noqa: E402

from shopkeeper.errors import LLMError  # noqa: E402
from shopkeeper.llm import get_llm  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000, help="mutated files to load")
    parser.add_argument("--kills", type=int, default=40, help="kills per command (5 commands)")
    parser.add_argument("--llm", action=argparse.BooleanOptionalAction, default=True,
                        help="call a fake LLM server in every fault mode")
    parser.add_argument("--seed", type=int, default=25)
    args = parser.parse_args()
    failed = False
    if args.files:
        failed |= fuzzing(args.files, args.seed)
    if args.kills:
        failed |= killing(args.kills, args.seed)
    if args.llm:
        failed |= llm_faults()
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


if __name__ == "__main__":
    main()
