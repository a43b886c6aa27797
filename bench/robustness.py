"""Robustness figures (issue 25): ingestion fuzzing.

Mutates real exports (tests/data/ fixtures and slices of ../shared/data/transactions/) and
loads each mutated file: every one must end in a clear one-line error that names the file with
the warehouse unchanged, or in a load where rows read = loaded + quarantined. Prints how the
files ended, the error kinds, the violations (must be 0) and the time per file.

    .venv/bin/python bench/robustness.py                 # 1,000 files, seed 25 (the CI run)
    .venv/bin/python bench/robustness.py --files 200 --seed 7
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.robustness import fuzz  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000, help="mutated files to load")
    parser.add_argument("--seed", type=int, default=25)
    args = parser.parse_args()

    def progress(done: int, total: int) -> None:
        if done % 50 == 0 or done == total:
            print(f"\r  fuzzed {done:,}/{total:,}", end="", file=sys.stderr, flush=True)

    report = fuzz.run(args.files, args.seed, progress=progress)
    print(file=sys.stderr)
    counts = report.counts()
    mutations = Counter(m for v in report.verdicts for m in v.mutations)
    print(f"ingestion fuzzing: {len(report.verdicts):,} mutated files (seed {args.seed}), "
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
    print(json.dumps({"files": len(report.verdicts), "seed": args.seed, **counts,
                      "seconds": round(report.seconds, 1)}))
    sys.exit(1 if report.violations else 0)


if __name__ == "__main__":
    main()
