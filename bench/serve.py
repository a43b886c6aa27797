"""The server under load: simulated users on loopback while a forecast job runs.

    .venv/bin/python bench/serve.py [--warehouse FILE] [--workdir DIR] [--users 50]
                                    [--seconds 60] [--think 0.5:1.5] [--json OUT.json]

What it does, in order:

1. **A warehouse of its own.** ``--warehouse FILE`` is copied to ``DIR/warehouse.duckdb`` (the
   source is never opened); without it the demo store is used: ``/tmp/demo-ws``'s if present,
   else one built by ``shopkeeper demo`` in ``DIR/demo``. An existing ``DIR/warehouse.duckdb`` is
   reused (``--fresh`` copies again). For the 10M-line store: ``--warehouse
   /tmp/ov/bench/lines-10000000/warehouse.duckdb`` (made by ``bench/overview.py --lines
   10000000``).
2. **Accounts, before the server holds the file**: an owner ``bench`` with a password, a read
   token for the API calls and a write token to start the forecast (``shopkeeper.accounts``).
3. **The real server**: ``shopkeeper serve`` in a subprocess on a free loopback port, over that
   warehouse (``SHOPKEEPER_WAREHOUSE``; working directory ``DIR``).
4. **Sign-in and warm-up**: every simulated user signs in (``POST /api/v1/session``: a session
   cookie of its own); every URL of the mix is asked once (its first-request time is reported
   as ``cold``), then again until it answers without starting work (the finance page starts its
   report as a job when it is not cached yet: that job is awaited), and the server's own
   ``warm`` job (started with the server, see ``api/warm.py``) is awaited.
5. **A forecast job in the background**: ``POST /api/v1/stock/forecasts`` (``--forecast``
   parameters as JSON; default every SKU, daily, models ``auto``), waited for until it runs.
6. **The load**: ``--users`` asyncio tasks, each with its own ``httpx.AsyncClient``, for
   ``--seconds``: pick a request from the weighted mix below, send it, record its latency and
   status, wait a think time drawn uniformly from ``--think`` (seconds; ``0`` for none), repeat.
   The default, 1 to 5 s (a person reading a page before the next click; Locust's usual
   ``between(1, 5)``), offers 50 users' load as about 16 requests a second; ``--think 0`` makes
   every user a tight loop, which measures the server's throughput instead. Web pages carry
   the user's session cookie; API calls carry the read token.
7. **The figures**: p50/p95/p99/max per request kind, for pages, for API calls and overall; errors
   (a status of 400 or more, or an exception such as a timeout); requests per second; the
   server's resident memory (``/proc/PID/status``: sampled peak and ``VmHWM``); the load average
   of the machine before and after (other work on it slows everything down); the forecast job's
   state at the end (it must be running or done, not failed). ``--json`` writes them. A kind
   that answers 404 once warm (a store without a replenishment plan has no plan lines) is
   left out of the mix and named, not counted as an error.

The targets (issue 19): 50 users, 0 errors, p95 under 300 ms for pages that run no model, with
a forecast running. Every kind here runs no model (the finance page's outlook is a forecast
computed once per load by the warm-up, then served from the cache).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

DEMO_WAREHOUSE = Path("/tmp/demo-ws/shopkeeper-data/warehouse.duckdb")
USER, PASSWORD = "bench", "bench-serve-password-1"
TARGET_P95_S = 0.300
REQUEST_TIMEOUT_S = 60.0

# (kind, url, weight, web page?) — web pages with the session cookie, API calls with the token
MIX: list[tuple[str, str, int, bool]] = [
    ("page /", "/", 8, True),
    ("page /finance", "/finance", 4, True),
    ("page /metrics", "/metrics?metrics=net_revenue&metrics=orders&by=month", 4, True),
    ("page /metrics by channel", "/metrics?metrics=net_revenue,aov&by=channel&compare=previous",
     2, True),
    ("page /stock", "/stock", 3, True),
    ("page /reviews", "/reviews", 3, True),
    ("page /data", "/data", 2, True),
    ("page /customers", "/customers", 2, True),
    ("page /service", "/service", 2, True),
    ("api overview", "/api/v1/overview", 6, False),
    ("api overview week", "/api/v1/overview?period=week", 2, False),
    ("api metrics", "/api/v1/metrics?metrics=net_revenue,orders&by=month", 5, False),
    ("api plan lines", "/api/v1/stock/plans/latest/lines?limit=50", 3, False),
    ("api loads", "/api/v1/loads", 2, False),
    ("api reviews insights", "/api/v1/reviews/insights", 2, False),
    ("api reviews replies", "/api/v1/reviews/replies", 1, False),
    ("api customer segments", "/api/v1/customers/segments", 2, False),
]


@dataclass
class Sample:
    kind: str
    seconds: float
    status: int  # 0: an exception
    error: str = ""


@dataclass
class Run:
    samples: list[Sample] = field(default_factory=list)
    rss_peak_kb: int = 0
    seconds: float = 0.0  # from the first user's start to the last answer


# -- the warehouse and its accounts --------------------------------------------------------
def prepare_warehouse(source: Path | None, workdir: Path, fresh: bool) -> Path:
    """A copy of the store in ``workdir`` (the server writes to it: migrations, jobs)."""
    workdir.mkdir(parents=True, exist_ok=True)
    target = workdir / "warehouse.duckdb"
    if target.exists() and not fresh:
        print(f"reusing {target}")
        return target
    if source is None:
        source = DEMO_WAREHOUSE if DEMO_WAREHOUSE.exists() else build_demo(workdir / "demo")
    print(f"copying {source} → {target}")
    for leftover in (target, target.with_suffix(".duckdb.wal"), workdir / "jobs.sqlite3"):
        leftover.unlink(missing_ok=True)
    shutil.copyfile(source, target)
    return target


def build_demo(folder: Path) -> Path:
    built = folder / "shopkeeper-data" / "warehouse.duckdb"
    if built.exists():
        return built
    folder.mkdir(parents=True, exist_ok=True)
    print(f"building the demo store in {folder} (many minutes)…")
    subprocess.run([str(_exe()), "demo"], cwd=folder, env=_env(None), check=True,
                   stdout=subprocess.DEVNULL)
    return built


def make_accounts(db: Path) -> tuple[str, str]:
    """The owner ``bench`` (created or reset) and two fresh tokens: (read, write)."""
    from shopkeeper import accounts
    from shopkeeper.store import Warehouse

    with Warehouse(db) as wh:
        if accounts.get_user(wh, USER) is None:
            accounts.add_user(wh, USER, PASSWORD, "owner", actor="bench", via="cli")
        else:
            accounts.update_user(wh, USER, password=PASSWORD, disabled=False, actor="bench",
                                 via="cli")
        read = accounts.create_token(wh, USER, "bench read", scope="read", expires_days=1,
                                     actor="bench", via="cli")
        write = accounts.create_token(wh, USER, "bench write", scope="write", expires_days=1,
                                      actor="bench", via="cli")
    return read.secret, write.secret


# -- the server ------------------------------------------------------------------------------
def _exe() -> Path:
    return Path(sys.executable).with_name("shopkeeper")


def _env(db: Path | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOPKEEPER_")}
    if db is not None:
        env["SHOPKEEPER_WAREHOUSE"] = str(db)
        env["SHOPKEEPER_MODEL_DIR"] = str(db.parent / "models")
        env["SHOPKEEPER_OUTPUT_DIR"] = str(db.parent / "out")
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(db: Path, port: int, workers: int) -> subprocess.Popen:
    log = open(db.parent / "server.log", "w")  # noqa: SIM115 (closed with the process)
    return subprocess.Popen([str(_exe()), "serve", "--port", str(port), "--workers",
                             str(workers)], cwd=db.parent, env=_env(db), stdout=log,
                            stderr=subprocess.STDOUT)


def wait_ready(base: str, proc: subprocess.Popen, timeout: float = 300.0) -> float:
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited ({proc.returncode}); see server.log")
        try:
            if httpx.get(f"{base}/api/v1/health", timeout=2).status_code == 200:
                return time.perf_counter() - t0
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("the server did not answer in time")


def rss_kb(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of a process in kB, from /proc."""
    values = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0])
    except OSError:
        pass
    return values.get("VmRSS", 0), values.get("VmHWM", 0)


def profile(pid: int, out: Path, seconds: float, gil: bool) -> subprocess.Popen:
    """py-spy on the server for the load's duration (raw: one collapsed stack per line)."""
    cmd = [str(Path(sys.executable).with_name("py-spy")), "record", "-p", str(pid), "-o",
           str(out), "-f", "raw", "-d", str(int(seconds)), "-r", "50", "--nonblocking"]
    return subprocess.Popen(cmd + (["--gil"] if gil else []), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


# -- the load --------------------------------------------------------------------------------
async def sign_in(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/v1/session", json={"username": USER, "password": PASSWORD})
    r.raise_for_status()


async def fetch(client: httpx.AsyncClient, kind: str, url: str, web: bool,
                token: str) -> Sample:
    headers = {} if web else {"Authorization": f"Bearer {token}"}
    t0 = time.perf_counter()
    try:
        r = await client.get(url, headers=headers)
        await r.aread()
    except Exception as exc:  # noqa: BLE001 (an error is a figure here)
        return Sample(kind, time.perf_counter() - t0, 0, f"{type(exc).__name__}: {exc}"[:200])
    seconds = time.perf_counter() - t0
    error = "" if r.status_code < 400 else f"{r.status_code}: {r.text[:200]}"
    if web and r.status_code < 400 and "/login" in str(r.url.path):
        error = "redirected to /login"
    return Sample(kind, seconds, r.status_code, error)


def _client(base: str) -> httpx.AsyncClient:
    # idle connections are dropped before uvicorn's 5 s keep-alive ends, as a browser retries
    # (otherwise a request sent as the server closes the connection fails with a ReadError)
    return httpx.AsyncClient(base_url=base, timeout=REQUEST_TIMEOUT_S, follow_redirects=False,
                             limits=httpx.Limits(max_connections=4, keepalive_expiry=3.0))


async def warm_up(base: str, token: str, mix: list[tuple[str, str, int, bool]],
                  max_wait: float) -> tuple[dict[str, float], dict[str, str]]:
    """Ask every URL once (the cold time), then until the finance page answers from its cache
    (it starts its report as a job otherwise). Returns the cold times, and the kinds that
    answer 404 once warm (what this store does not have, such as a plan: left out of the mix
    and reported, not counted as errors)."""
    cold: dict[str, float] = {}
    auth = {"Authorization": f"Bearer {token}"}
    async with _client(base) as client:
        await sign_in(client)
        for kind, url, _, web in mix:
            s = await fetch(client, kind, url, web, token)
            cold[kind] = round(s.seconds, 3)
            note = f"  ({s.error})" if s.error else ""
            print(f"  cold {kind:28s} {s.seconds * 1000:9.1f} ms  {s.status}{note}")
        deadline = time.perf_counter() + max_wait
        while time.perf_counter() < deadline:
            r = await client.get("/finance")
            if "data-job=" not in r.text:
                break
            await asyncio.sleep(1.0)
        else:
            print("  the finance report was still being computed after the warm-up")
        while time.perf_counter() < deadline:  # the server's own warm-up job (api/warm.py)
            jobs = (await client.get("/api/v1/jobs?kind=warm&limit=5", headers=auth)).json()
            if not any(j["status"] in ("queued", "running") for j in jobs["items"]):
                for j in jobs["items"][:1]:
                    print(f"  server warm-up job: {j['status']}, "
                          f"{(j.get('result') or {}).get('total_s')} s of computing")
                break
            await asyncio.sleep(1.0)
        absent: dict[str, str] = {}
        for kind, url, _, web in mix:  # once more: everything cached now
            s = await fetch(client, kind, url, web, token)
            if s.status == 404:
                absent[kind] = s.error
                print(f"  left out: {kind}: {s.error}")
    return cold, absent


async def start_forecast(base: str, write_token: str, params: dict[str, Any]) -> str:
    async with _client(base) as client:
        r = await client.post("/api/v1/stock/forecasts", json=params,
                              headers={"Authorization": f"Bearer {write_token}"})
        r.raise_for_status()
        job_id = r.json()["job_id"]
        for _ in range(100):
            job = (await client.get(f"/api/v1/jobs/{job_id}",
                                    headers={"Authorization": f"Bearer {write_token}"})).json()
            if job["status"] != "queued":
                break
            await asyncio.sleep(0.1)
        print(f"forecast job {job_id}: {job['status']} {job.get('phase') or ''}")
        return job_id


async def job_state(base: str, token: str, job_id: str) -> dict[str, Any]:
    async with _client(base) as client:
        r = await client.get(f"/api/v1/jobs/{job_id}",
                             headers={"Authorization": f"Bearer {token}"})
        return r.json()


async def load(base: str, token: str, mix: list[tuple[str, str, int, bool]], users: int,
               seconds: float, think: tuple[float, float], pid: int, seed: int) -> Run:
    run = Run()
    clients = [_client(base) for _ in range(users)]
    await asyncio.gather(*(sign_in(c) for c in clients))
    weights = [w for _, _, w, _ in mix]
    start = time.perf_counter()
    stop = start + seconds

    async def user(n: int, client: httpx.AsyncClient) -> None:
        rnd = random.Random(seed * 1000 + n)
        await asyncio.sleep(rnd.uniform(0, max(think[1], 0.2)))  # users arrive spread out
        while time.perf_counter() < stop:
            kind, url, _, web = rnd.choices(mix, weights)[0]
            run.samples.append(await fetch(client, kind, url, web, token))
            if think[1] > 0:
                await asyncio.sleep(rnd.uniform(*think))

    async def sample_memory() -> None:
        while time.perf_counter() < stop:
            run.rss_peak_kb = max(run.rss_peak_kb, rss_kb(pid)[0])
            await asyncio.sleep(0.5)

    try:
        await asyncio.gather(sample_memory(), *(user(n, c) for n, c in enumerate(clients)))
    finally:
        run.seconds = time.perf_counter() - start
        await asyncio.gather(*(c.aclose() for c in clients))
    return run


# -- the figures -----------------------------------------------------------------------------
def quantiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    values = sorted(values)

    def q(p: float) -> float:
        return values[min(len(values) - 1, max(0, round(p * len(values)) - 1))]

    return {"n": len(values), "p50_ms": round(q(0.50) * 1000, 1),
            "p95_ms": round(q(0.95) * 1000, 1), "p99_ms": round(q(0.99) * 1000, 1),
            "max_ms": round(values[-1] * 1000, 1),
            "mean_ms": round(statistics.fmean(values) * 1000, 1)}


def figures(run: Run, mix: list[tuple[str, str, int, bool]], wall: float) -> dict[str, Any]:
    web = {kind for kind, _, _, w in mix if w}
    groups: dict[str, list[Sample]] = {}
    for s in run.samples:
        groups.setdefault(s.kind, []).append(s)
        groups.setdefault("pages" if s.kind in web else "api", []).append(s)
        groups.setdefault("overall", []).append(s)
    out: dict[str, Any] = {}
    for kind in [k for k, _, _, _ in mix] + ["pages", "api", "overall"]:
        samples = groups.get(kind, [])
        out[kind] = {**quantiles([s.seconds for s in samples]),
                     "errors": sum(1 for s in samples if s.error)}
    out["overall"]["requests_per_s"] = round(len(run.samples) / wall, 1) if wall else 0
    return out


def print_table(stats: dict[str, Any]) -> None:
    print(f"{'kind':30s} {'n':>6s} {'p50 ms':>9s} {'p95 ms':>9s} {'p99 ms':>9s} "
          f"{'max ms':>9s} {'errors':>6s}")
    for kind, s in stats.items():
        if not s.get("n"):
            print(f"{kind:30s} {'0':>6s}")
            continue
        mark = " !" if s["p95_ms"] > TARGET_P95_S * 1000 else ""
        print(f"{kind:30s} {s['n']:6d} {s['p50_ms']:9.1f} {s['p95_ms']:9.1f} {s['p99_ms']:9.1f} "
              f"{s['max_ms']:9.1f} {s['errors']:6d}{mark}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--warehouse", type=Path, help="store to copy (default: the demo store)")
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/shopkeeper-bench-serve/demo"),
                    help="where the copy, the server's files and its log live (reused)")
    ap.add_argument("--fresh", action="store_true", help="copy the warehouse again")
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--think", default="1:5",
                    help="think time between a user's requests, MIN:MAX seconds (0: none)")
    ap.add_argument("--workers", type=int, default=2, help="the server's job threads")
    ap.add_argument("--forecast", default="{}",
                    help="JSON parameters of the background forecast job ('' for none)")
    ap.add_argument("--warmup-wait", type=float, default=900.0,
                    help="seconds to wait for the finance report's first computation")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", type=Path, help="write the figures here")
    ap.add_argument("--profile", type=Path,
                    help="sample the server with py-spy during the load (collapsed stacks "
                         "here; add --gil to see only what holds the GIL)")
    ap.add_argument("--gil", action="store_true", help="with --profile: py-spy --gil")
    args = ap.parse_args()
    lo, _, hi = args.think.partition(":")
    think = (float(lo), float(hi or lo))

    load_before = os.getloadavg()
    db = prepare_warehouse(args.warehouse, args.workdir.resolve(), args.fresh)
    read_token, write_token = make_accounts(db)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start_server(db, port, args.workers)
    result: dict[str, Any] = {"warehouse": str(db), "source": str(args.warehouse or "demo"),
                              "users": args.users, "seconds": args.seconds, "think_s": think,
                              "loadavg_before": [round(x, 2) for x in load_before]}
    try:
        result["server_start_s"] = round(wait_ready(base, proc), 2)
        print(f"server pid {proc.pid} on {base} (ready in {result['server_start_s']} s); "
              f"load average {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}")
        t0 = time.perf_counter()
        result["cold_s"], absent = asyncio.run(warm_up(base, read_token, MIX,
                                                        args.warmup_wait))
        result["left_out"] = absent
        mix = [m for m in MIX if m[0] not in absent]
        result["warmup_s"] = round(time.perf_counter() - t0, 1)
        result["rss_after_warmup_mb"] = round(rss_kb(proc.pid)[0] / 1024, 1)
        job_id = None
        if args.forecast:
            job_id = asyncio.run(start_forecast(base, write_token, json.loads(args.forecast)))
        spy = profile(proc.pid, args.profile, args.seconds, args.gil) if args.profile else None
        run = asyncio.run(load(base, read_token, mix, args.users, args.seconds, think,
                               proc.pid, args.seed))
        wall = run.seconds
        rss, hwm = rss_kb(proc.pid)
        if spy is not None:
            spy.wait()
        if job_id:
            job = asyncio.run(job_state(base, read_token, job_id))
            result["forecast_job"] = {k: job.get(k) for k in ("job_id", "status", "phase",
                                                             "progress", "error")}
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    stats = figures(run, mix, wall)
    load_after = os.getloadavg()
    errors = [s for s in run.samples if s.error]
    result.update({
        "stats": stats, "errors": len(errors),
        "error_examples": sorted({f"{s.kind}: {s.error}" for s in errors})[:10],
        "rss_peak_mb": round(max(run.rss_peak_kb, rss) / 1024, 1),
        "rss_hwm_mb": round(hwm / 1024, 1), "rss_end_mb": round(rss / 1024, 1),
        "loadavg_after": [round(x, 2) for x in load_after], "cpus": os.cpu_count()})
    pages = stats["pages"]
    slow = [k for k, s in stats.items() if s.get("n") and s["p95_ms"] > TARGET_P95_S * 1000]
    result["target_met"] = (not errors and not slow and args.users >= 50
                            and result.get("forecast_job", {}).get("status") in
                            ("running", "done", None))
    print()
    print_table(stats)
    print(f"\n{len(run.samples)} requests in {wall:.1f} s: {stats['overall']['requests_per_s']}"
          f" req/s; {len(errors)} errors; server RSS peak {result['rss_peak_mb']} MB "
          f"(VmHWM {result['rss_hwm_mb']} MB, end {result['rss_end_mb']} MB)")
    for example in result["error_examples"]:
        print(f"  error: {example}")
    for kind, why in result.get("left_out", {}).items():
        print(f"  left out (not in this store): {kind}: {why[:120]}")
    if "forecast_job" in result:
        fj = result["forecast_job"]
        print(f"forecast job {fj['job_id']}: {fj['status']} ({fj.get('phase') or ''}, "
              f"{fj.get('progress')}){' ' + fj['error'] if fj.get('error') else ''}")
    print(f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f} "
          f"({os.cpu_count()} CPUs)")
    print(f"target (≥50 users, 0 errors, p95 < {TARGET_P95_S * 1000:.0f} ms for every kind, "
          f"forecast not failed): {'MET' if result['target_met'] else 'NOT MET'}"
          f"{'; above target: ' + ', '.join(slow) if slow else ''}; pages p95 "
          f"{pages.get('p95_ms')} ms")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, default=str))
        print(f"figures → {args.json}")


if __name__ == "__main__":
    main()
