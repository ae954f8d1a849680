"""The load phase of bench/scale.py: simulated dashboards polling the warnings service with
ETags (as services/gateway/static/dashboard.js does) while a producer process sends events
into Kafka for its consumer.

The dashboards share one aiohttp session: real dashboards are browsers on other machines, but
here the pollers share the two cores with what they measure, and httpx spent ~8 ms of CPU a
request at this concurrency (half a core for 60 requests/s, starving the service under test
and queueing its own requests for seconds); aiohttp does the same requests for a fraction.

    python -m bench.scale_load JOB.json   (the producer process; bench/scale.py starts it)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import orjson
from prometheus_client.parser import text_string_to_metric_families

from bench import scale_book
from bench.support import percentile
from shared.auth import CALLER_HEADER, Caller, Role, sign_caller
from shared.config import DEV_INTERNAL_SECRET
from tests.support.processes import ServiceProcess

ROOT = Path(__file__).resolve().parent.parent
POLL = ("/v1/summary", "/v1/warnings?state=open&limit=10", "/v1/deadlines?limit=20")
ESCALATIONS = "/v1/escalations?limit=8"
POLL_S = 3.0


@dataclass
class Load:
    """What the dashboards saw: ms per poll, answers by status, error samples."""

    polls: list[float] = field(default_factory=list)
    started: list[float] = field(default_factory=list)  # each poll's start (perf_counter)
    by_path: dict[str, list[tuple[float, float]]] = field(default_factory=dict)  # (start, ms)
    statuses: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def dashboard_callers(n: int) -> list[Caller]:
    """A tenth at head office, three tenths at branches, the rest at sub-branches."""
    branches, subs = scale_book.branches(), scale_book.sub_branches()
    out = []
    for i in range(n):
        if i % 10 == 0:
            role, org = Role.HEAD_OFFICE, "HO"
        elif i % 10 <= 3:
            role, org = Role.BRANCH, branches[(i * 7) % len(branches)]
        else:
            role, org = Role.SUB_BRANCH, subs[(i * 37) % len(subs)]
        out.append(
            Caller(subject=f"dash-{i}", roles=frozenset({role}), org=org, credential_id=f"dash-{i}")
        )
    return out


async def dashboard(
    client: aiohttp.ClientSession,
    who: Caller,
    paths: tuple[str, ...],
    until: float,
    load: Load,
    rng: random.Random,
) -> None:
    """One dashboard: every POLL_S (+-10 %, after the last poll ended, as dashboard.js's
    setTimeout), all of `paths` at once, each with its last ETag."""
    etags: dict[str, str] = {}

    async def one(path: str) -> None:
        headers = {CALLER_HEADER: sign_caller(who, secret=DEV_INTERNAL_SECRET, now=time.time())}
        if path in etags:
            headers["If-None-Match"] = etags[path]
        t0 = time.perf_counter()
        try:
            async with client.get(path, headers=headers) as response:
                status, etag = response.status, response.headers.get("etag")
                body = await response.read()
            load.by_path.setdefault(path, []).append((t0, (time.perf_counter() - t0) * 1000))
        except (aiohttp.ClientError, TimeoutError) as exc:
            load.statuses["exception"] = load.statuses.get("exception", 0) + 1
            load.errors.append(f"{path}: {type(exc).__name__} {exc}")
            return
        key = str(status)
        load.statuses[key] = load.statuses.get(key, 0) + 1
        if status == 200:
            if etag:
                etags[path] = etag
        elif status != 304:
            load.errors.append(f"{path} as {who.org}: {key} {body[:200]!r}")

    await asyncio.sleep(rng.uniform(0, POLL_S))
    while time.perf_counter() < until:
        t0 = time.perf_counter()
        await asyncio.gather(*(one(p) for p in paths))
        load.polls.append((time.perf_counter() - t0) * 1000)
        load.started.append(t0)
        await asyncio.sleep(POLL_S * rng.uniform(0.9, 1.1))


async def start_producer(job: dict[str, Any]) -> tuple[asyncio.subprocess.Process, Path]:
    """The latency producer in its own process (its CPU stays out of the pollers' loop)."""
    fd, name = tempfile.mkstemp(prefix="bench-scale-", suffix=".json")
    os.write(fd, orjson.dumps(job))
    os.close(fd)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.scale_load",
        name,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    while (line := await proc.stdout.readline()) and not line.startswith(b"PRODUCING"):
        print(line.decode(), end="")
    return proc, Path(name)


async def finish_producer(proc: asyncio.subprocess.Process, job: Path) -> dict[str, Any]:
    assert proc.stdout is not None
    result: dict[str, Any] = {}
    async for line in proc.stdout:
        if line.startswith(b"PRODUCED "):
            result = orjson.loads(line[len(b"PRODUCED ") :])
        else:
            print(line.decode(), end="")
    await proc.wait()
    job.unlink(missing_ok=True)
    if proc.returncode != 0 or not result:
        raise SystemExit(f"the producer failed (exit {proc.returncode})")
    return result


async def produce(job_path: str) -> None:
    """`--produce JOB`: bench/warnings.py's latency producer on the job's loans."""
    import asyncpg

    from bench.warnings import latency

    job = orjson.loads(Path(job_path).read_bytes())
    db = await asyncpg.connect(job["dsn"])
    try:
        print("PRODUCING", flush=True)
        lat, sent, raised = await latency(
            job["bootstrap"],
            job["prefix"],
            db,
            tag=job["tag"],
            loans=[tuple(x) for x in job["loans"]],
            rate=job["rate"],
            seconds=job["seconds"],
            poll_s=job["poll_s"],
            group=job["group"],
        )
    finally:
        await db.close()
    out = {
        "sent": sent,
        "seen": len(lat),
        "raised": raised,
        "p50_ms": percentile(lat, 50) if lat else None,
        "p99_ms": percentile(lat, 99) if lat else None,
    }
    print("PRODUCED " + orjson.dumps(out).decode(), flush=True)


async def load_phase(
    apis: list[ServiceProcess],
    consumer: ServiceProcess,
    args: argparse.Namespace,
    *,
    has_escalations: bool,
    job: dict[str, Any],
) -> dict[str, Any]:
    """The dashboards poll the API-only `warnings` replicas `apis` (each dashboard one, in
    turn, as a load balancer spreads connections) while `consumer` (the same service in its
    consumer role, docs/operations.md) applies the events."""
    paths = POLL + ((ESCALATIONS,) if has_escalations else ())
    load, rng = Load(), random.Random(5)
    timeout = aiohttp.ClientTimeout(total=30)
    proc, job_path = await start_producer(job)
    pids = [p.proc.pid for p in (*apis, consumer) if p.proc is not None] + [os.getpid()]
    assert len(pids) == len(apis) + 2
    cpu0 = [cpu_seconds(pid) for pid in pids]
    t0 = time.perf_counter()
    measured_from = t0 + args.warmup
    async with AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(
                aiohttp.ClientSession(
                    base_url=api.url,
                    # Idle connections close before uvicorn's 5 s keep-alive does, so a poll
                    # never reuses one the server is closing (a client artefact).
                    connector=aiohttp.TCPConnector(limit=4 * args.dashboards, keepalive_timeout=4),
                    timeout=timeout,
                )
            )
            for api in apis
        ]
        until = measured_from + args.seconds
        callers = dashboard_callers(args.dashboards)
        at_start = [asyncio.create_task(served_after(c, measured_from)) for c in clients]
        await asyncio.gather(
            *(
                dashboard(clients[i % len(clients)], c, paths, until, load, rng)
                for i, c in enumerate(callers)
            )
        )
        served = diff_served(
            merged([await served_after(c, 0) for c in clients]),
            merged([await task for task in at_start]),
        )
    wall = time.perf_counter() - t0
    used = [(cpu_seconds(pid) - before) / wall for pid, before in zip(pids, cpu0, strict=True)]
    service_cpu, consumer_cpu, client_cpu = sum(used[: len(apis)]), used[-2], used[-1]
    produced = await finish_producer(proc, job_path)
    errors = sum(n for k, n in load.statuses.items() if k not in ("200", "304"))
    # The figures count the polls started after the warm-up (cold connections and caches of
    # the service's processes, the producer's start); the warm-up's slowest poll is reported.
    warm = [ms for at, ms in zip(load.started, load.polls, strict=True) if at < measured_from]
    polls = [ms for at, ms in zip(load.started, load.polls, strict=True) if at >= measured_from]
    by_path = {p: [ms for at, ms in xs if at >= measured_from] for p, xs in load.by_path.items()}
    for sample in load.errors[:5]:
        print(f"    error: {sample}")
    return {
        "dashboards": args.dashboards,
        "seconds": args.seconds,
        "warmup_s": args.warmup,
        "warmup_max_ms": max(warm, default=None),
        "rate": args.rate,
        "consumer_nice": args.consumer_nice,
        "paths": list(paths),
        "polls": len(polls),
        "statuses": load.statuses,
        "errors": errors,
        "poll_p50_ms": percentile(polls, 50) if polls else None,
        "poll_p99_ms": percentile(polls, 99) if polls else None,
        "poll_max_ms": max(polls, default=None),
        "poll_max_per_5s": timeline(load, t0),
        "per_path_ms": {
            p: {"p50": percentile(ms, 50), "p99": percentile(ms, 99), "n": len(ms)}
            for p, ms in by_path.items()
            if ms
        },
        "served_ms": served,
        "events": produced,
        "api_replicas": len(apis),
        "service_cpu": round(service_cpu, 2),
        "consumer_cpu": round(consumer_cpu, 2),
        "client_cpu": round(client_cpu, 2),
    }


async def served_after(
    client: aiohttp.ClientSession, at: float
) -> dict[str, list[tuple[float, float]]]:
    """The API's own request-duration histogram (its /metrics) at `at` (perf_counter): per
    polled route, each bucket's upper bound in seconds (`le`) and cumulative count."""
    await asyncio.sleep(max(0.0, at - time.perf_counter()))
    async with client.get("/metrics") as response:
        text = await response.text()
    out: dict[str, list[tuple[float, float]]] = {}
    for family in text_string_to_metric_families(text):
        if family.name != "http_request_duration_seconds":
            continue
        for sample in family.samples:
            route = sample.labels.get("route", "")
            if sample.name.endswith("_bucket") and route.startswith("/v1/"):
                le = float(sample.labels["le"])
                out.setdefault(route, []).append((le, sample.value))
    return out


def merged(
    histograms: list[dict[str, list[tuple[float, float]]]],
) -> dict[str, list[tuple[float, float]]]:
    """The replicas' histograms as one: per route and bucket bound, the counts added."""
    out: dict[str, dict[float, float]] = {}
    for histogram in histograms:
        for route, buckets in histogram.items():
            for le, n in buckets:
                out.setdefault(route, {})[le] = out.get(route, {}).get(le, 0.0) + n
    return {route: sorted(buckets.items()) for route, buckets in out.items()}


def diff_served(
    end: dict[str, list[tuple[float, float]]], start: dict[str, list[tuple[float, float]]]
) -> dict[str, Any]:
    """Per route, the upper bound of the bucket holding the p50 and the p99 of the requests
    served between the two histograms: the time inside the service (from the app being called
    to its answer), as against the poller's, which adds queueing before it and the client."""
    out: dict[str, Any] = {}
    for route, buckets in end.items():
        before = dict(start.get(route, []))
        served = [(le, n - before.get(le, 0.0)) for le, n in buckets]
        total = served[-1][1] if served else 0.0
        if total <= 0:
            continue

        def bound(
            q: float, served: list[tuple[float, float]] = served, total: float = total
        ) -> str:
            le = next(le for le, n in served if n >= q * total)
            return f"<= {le * 1000:g}" if le != float("inf") else f"> {served[-2][0] * 1000:g}"

        out[route] = {"n": int(total), "p50": bound(0.5), "p99": bound(0.99)}
    return out


def timeline(load: Load, t0: float, step_s: float = 5.0) -> list[int]:
    """The slowest poll started in each `step_s` of the load, warm-up included (where the
    tail comes from)."""
    out: list[int] = []
    for at, ms in zip(load.started, load.polls, strict=True):
        i = int((at - t0) // step_s)
        out.extend([0] * (i + 1 - len(out)))
        out[i] = max(out[i], round(ms))
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (/proc; 0 where there is none)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def print_load(r: dict[str, Any]) -> None:
    events = r["events"]
    print(
        f"    load: {r['dashboards']} dashboards x {len(r['paths'])} reads every {POLL_S:g} s for "
        f"{r['seconds']:g} s after {r.get('warmup_s', 0):g} s of warm-up (its slowest poll "
        f"{r.get('warmup_max_ms') or 0:.0f} ms) + {r['rate']:g} events/s: {r['polls']} polls, "
        "answers "
        f"{r['statuses']}, {r['errors']} errors; per poll p50 {r['poll_p50_ms']:.1f} ms, "
        f"p99 {r['poll_p99_ms']:.1f} ms, max {r['poll_max_ms']:.1f} ms; CPU (cores) of the "
        f"service's API processes ({r.get('api_replicas', 1)}) {r['service_cpu']}, of its "
        "consumer process "
        f"{r.get('consumer_cpu', '-')} (nice {r.get('consumer_nice', 0)}), of the pollers "
        f"{r['client_cpu']}; events "
        f"{events['seen']:,} of {events['sent']:,} committed, produce -> committed p50 "
        f"{events['p50_ms']:.0f} ms p99 {events['p99_ms']:.0f} ms",
        flush=True,
    )
    for path, t in r.get("per_path_ms", {}).items():
        print(f"      {path}: p50 {t['p50']:.1f} ms, p99 {t['p99']:.1f} ms (n={t['n']})")
    for route, t in r.get("served_ms", {}).items():
        print(f"      served by the API {route}: p50 {t['p50']} ms, p99 {t['p99']} ms (n={t['n']})")
    if slowest := r.get("poll_max_per_5s"):
        print(f"      slowest poll per 5 s (ms): {' '.join(map(str, slowest))}")


if __name__ == "__main__":
    asyncio.run(produce(sys.argv[1]))
