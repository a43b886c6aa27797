"""What the request deadline (``api/deadline.py``) costs a request: the same app, in the same
process, answering ``GET /api/v1/health`` over httpx's ASGI transport with the deadline
middleware and with it passed through, alternately (6 rounds of 1,000 requests each).

    .venv/bin/python bench/request_deadline.py [--rounds 6] [--requests 1000]

Prints the median microseconds per request of each, and the difference.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from shopkeeper import store
from shopkeeper.api import create_app, deadline


async def _per_request_us(app, n: int) -> float:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        started = time.perf_counter()
        for _ in range(n):
            r = await client.get("/api/v1/health")
            assert r.status_code == 200
        return (time.perf_counter() - started) / n * 1e6


async def _passed_through(self, scope, receive, send) -> None:
    await self.inner(scope, receive, send)


async def _run(rounds: int, n: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="deadline-bench"))
    settings = store.load_settings(None, warehouse=folder / "w.duckdb")
    with store.Warehouse.from_settings(settings):
        pass
    app = create_app(settings, workers=0, web=False, mcp=False)
    bounded = deadline.RequestDeadline.__call__
    times: dict[str, list[float]] = {"with the deadline": [], "passed through": []}
    try:
        for _ in range(rounds):
            deadline.RequestDeadline.__call__ = bounded
            times["with the deadline"].append(await _per_request_us(app, n))
            deadline.RequestDeadline.__call__ = _passed_through
            times["passed through"].append(await _per_request_us(app, n))
    finally:
        deadline.RequestDeadline.__call__ = bounded
    medians = {k: statistics.median(v) for k, v in times.items()}
    for label, us in medians.items():
        print(f"{label:<18} {us:7.0f} µs per request (median of {rounds} × {n:,})")
    print(f"the deadline costs {medians['with the deadline'] - medians['passed through']:.0f} µs "
          "per request")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--requests", type=int, default=1000)
    args = parser.parse_args()
    asyncio.run(_run(args.rounds, args.requests))


if __name__ == "__main__":
    main()
