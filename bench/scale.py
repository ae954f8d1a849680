"""Benchmark of the polled dashboard reads as the book grows (issue 13; not a test).

    python -m bench.scale [--sizes 10000,100000,1000000] [--requests 200] [--budget 30]
                          [--dashboards 100] [--rate 1000] [--seconds 60] [--no-load] [--quick]

Needs TEST_POSTGRES_URL and (for the load phase) TEST_KAFKA_BOOTSTRAP: `make bench` starts
both (scripts/bench.sh). For each size, a fresh warnings and officers database (migrated)
gets a book of that many loans straight through COPY (bench/scale_book.py: a fifth of the
loans with an open warning, 200,000 at 1M, the officers' ledger of the same loans, one
officer per 100 loans), the services' kept state is rebuilt from it, and both services run
as uvicorn processes. Then, as head office, one request at a time (after a warm-up):

1. each polled read - summary, first deadlines page (20), first open-warnings page (10),
   county ranking - `--requests` times (or as many as `--budget` seconds allow): client-side
   p50 / p99 and the bytes answered;
2. the same with `If-None-Match` of the answered ETag: the 304 figures ("no ETag" if none).

At the largest size, the load phase, on the warnings service as deployed (deploy/
docker-compose.yml: `--api-replicas` API processes, 2, and a consumer process at a lower CPU
weight): `--dashboards` simulated dashboards (a tenth head office, three tenths branches, the
rest sub-branches, spread over the API replicas), each polling its subtree every 3 s (+-10 %)
as services/gateway/static/dashboard.js does, with ETags - summary, open warnings, deadlines
and escalations (when the route exists) at once - for `--seconds` after `--warmup` seconds of
the same load that the poll figures leave out (the slowest warm-up poll is reported), while a
producer process (bench/warnings.py's latency producer) sends `--rate` interest-arrears
events/s on the book's loans into Kafka for the warnings consumer. Errors (warm-up included)
and p50 / p99 per poll (all of its requests answered), and the events' produce -> committed
latency (all events; read off the consumer group's committed offsets).

Prints the figures, one `BENCH {...}` JSON line and, last, the rows of the bench table.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import time
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import scale_book  # noqa: E402
from bench.scale_load import ESCALATIONS, load_phase, print_load  # noqa: E402
from bench.support import percentile, postgres_database  # noqa: E402
from bench.table import Row, cpu_model, emit  # noqa: E402
from bench.warnings import CREATED, PARTITIONS, dsn, env  # noqa: E402
from shared.auth import CALLER_HEADER, Caller, Role, sign_caller  # noqa: E402
from shared.config import DEV_INTERNAL_SECRET  # noqa: E402
from shared.kafka_admin import ensure_topics  # noqa: E402
from shared.migrate import upgrade  # noqa: E402
from tests.support.processes import ServiceProcess  # noqa: E402

HEAD_OFFICE = Caller(
    subject="bench-ho", roles=frozenset({Role.HEAD_OFFICE}), org="HO", credential_id="bench-ho"
)
# (label, service, path): what the dashboard polls, first pages only.
ENDPOINTS = (
    ("summary", "warnings", "/v1/summary"),
    ("deadlines, first page (20)", "warnings", "/v1/deadlines?limit=20"),
    ("open warnings, first page (10)", "warnings", "/v1/warnings?state=open&limit=10"),
    ("county ranking", "officers", "/v1/liability/ranking"),
)
WARMUP = 10
FULL_SIZES = (10_000, 100_000, 1_000_000)
P50_TARGET_MS, GROWTH_TARGET, NOT_MODIFIED_TARGET_MS, POLL_P99_TARGET_MS = 10.0, 2.0, 2.0, 250.0
# The load phase's consumer process runs at this nice value: the CPU weight the deployment
# gives the consumer role beside the API role (deploy/docker-compose.yml `cpu_shares`).
CONSUMER_NICE = 10
# The warnings API replicas the load phase polls: as deploy/docker-compose.yml runs them
# (`deploy.replicas: 2`; a test checks the two agree).
API_REPLICAS = 2
# How often the producer asks for the newest committed event per partition: the resolution of
# the events' latency here (every 10 ms, as bench/warnings.py does, cost PostgreSQL 0.15 of a
# core under this load: the instrument competing with what it measures).
LATENCY_POLL_S = 0.05
WARMUP_S = 10.0  # load before the measured window: the processes' connections and caches warm


@dataclass
class Measured:
    """One endpoint at one size: client-side ms per request, bytes, and the 304 figures."""

    n: int
    p50: float
    p99: float
    bytes: int
    etag: bool
    n304: int = 0
    p50_304: float | None = None
    p99_304: float | None = None
    changed: int = 0  # answered 200 with a new ETag instead of 304


def signed(who: Caller) -> dict[str, str]:
    """The gateway's signed caller header, afresh (G4)."""
    return {CALLER_HEADER: sign_caller(who, secret=DEV_INTERNAL_SECRET, now=time.time())}


class Signed(httpx.Auth):
    """The same header on every request of an httpx client (set-up calls)."""

    def __init__(self, who: Caller) -> None:
        self.who = who

    def auth_flow(self, request: httpx.Request) -> Any:
        request.headers.update(signed(self.who))
        yield request


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    content: bytes


async def timed_get(
    client: aiohttp.ClientSession, path: str, who: Caller | None, **headers: str
) -> tuple[float, Answer]:
    """One GET, timed on the client from the call to the last byte. aiohttp, not httpx: on
    this machine httpx's own work per request (1.2 ms: /healthz p50 1.6 ms with it, 0.35 ms
    over a bare socket, 0.6 ms with aiohttp) would be most of what a 304 is timed at."""
    if who is not None:
        headers |= signed(who)
    t0 = time.perf_counter()
    async with client.get(path, headers=headers) as response:
        content = await response.read()
    ms = (time.perf_counter() - t0) * 1000
    return ms, Answer(response.status, {k.lower(): v for k, v in response.headers.items()}, content)


def expect(path: str, response: Answer, *codes: int) -> None:
    if response.status not in codes:
        raise SystemExit(f"{path}: {response.status} {response.content[:300]!r}")


async def measure(
    client: aiohttp.ClientSession, path: str, who: Caller, *, requests: int, budget_s: float
) -> Measured:
    """Warm-up, then up to `requests` sequential GETs (at least one, within `budget_s`), then
    as many with If-None-Match of the last ETag."""
    warm_until = time.perf_counter() + budget_s / 4
    for _ in range(WARMUP):
        _, response = await timed_get(client, path, who)
        expect(path, response, 200)
        if time.perf_counter() > warm_until:
            break
    times: list[float] = []
    until = time.perf_counter() + budget_s
    while len(times) < requests and (not times or time.perf_counter() < until):
        ms, response = await timed_get(client, path, who)
        expect(path, response, 200)
        times.append(ms)
    etag = response.headers.get("etag")
    m = Measured(
        len(times),
        percentile(times, 50),
        percentile(times, 99),
        len(response.content),
        etag is not None,
    )
    if etag is None:
        return m
    cached: list[float] = []
    for _ in range(requests):
        ms, response = await timed_get(client, path, who, **{"If-None-Match": etag})
        expect(path, response, 200, 304)
        if response.status == 304:
            cached.append(ms)
        else:
            m.changed += 1
            etag = response.headers.get("etag") or etag
    if cached:
        m.n304, m.p50_304, m.p99_304 = len(cached), percentile(cached, 50), percentile(cached, 99)
    return m


async def measure_floor(url: str, requests: int) -> tuple[float, float]:
    """GET /healthz (no auth, no database): what the client and uvicorn alone cost; (p50, p99)."""
    async with aiohttp.ClientSession(base_url=url) as client:
        times = []
        for i in range(WARMUP + requests):
            ms, response = await timed_get(client, "/healthz", None)
            expect("/healthz", response, 200)
            if i >= WARMUP:
                times.append(ms)
    return percentile(times, 50), percentile(times, 99)


# -- one size --------------------------------------------------------------------------------


def service_env(service: str, url: str, extra: dict[str, str]) -> dict[str, str]:
    prefix = service.upper()
    return {
        f"{prefix}_DATABASE_URL": url,
        f"{prefix}_LOG_LEVEL": "WARNING",
        "LOANRISK_INTERNAL_SECRET": DEV_INTERNAL_SECRET,
        **extra,
    }


async def one_size(
    args: argparse.Namespace, size: int, *, tag: str, pg: str, kafka: str | None, load_here: bool
) -> dict[str, Any]:
    """Build the book of `size` loans, start the services on it and measure."""
    book = scale_book.Book.of(size)
    now = scale_book.utc_now()
    names = {s: f"bench_{tag}_{s[0]}{size}" for s in ("warnings", "officers")}
    prefix = f"{tag}-{size}."
    topics = [prefix + t for t in CREATED]
    procs: list[ServiceProcess] = []
    out: dict[str, Any] = {"loans": size, **asdict(book)}
    try:
        t0 = time.perf_counter()
        urls = {s: await postgres_database(pg, name) for s, name in names.items()}
        for service, url in urls.items():
            await asyncio.to_thread(upgrade, service, url)
        counts = await scale_book.load_warnings(dsn(pg, names["warnings"]), book, now)
        counts |= await scale_book.load_officers(dsn(pg, names["officers"]), book, now.date())
        out["load_s"] = round(time.perf_counter() - t0, 1)
        t0 = time.perf_counter()
        out["kept_state"] = {s: await scale_book.rebuild(s, urls[s], now) for s in urls}
        out["rebuild_s"] = round(time.perf_counter() - t0, 1)
        print(
            f"  {size:>9,} loans: loaded {counts} in {out['load_s']} s; kept state "
            f"{out['kept_state']} rebuilt in {out['rebuild_s']} s",
            flush=True,
        )
        extra: dict[str, dict[str, str]] = {
            "warnings": {"WARNINGS_SWEEP_INTERVAL_S": "0"},
            "officers": {},
        }
        if kafka is not None and load_here:
            await ensure_topics(kafka, topics, partitions=PARTITIONS, replication=1)
            # As deployed (deploy/docker-compose.yml): the polled process is an API replica
            # (no consumer); the consumer role is a process of its own, started below.
            extra["warnings"] |= {
                "WARNINGS_KAFKA_BOOTSTRAP_SERVERS": kafka,
                "WARNINGS_KAFKA_TOPIC_PREFIX": prefix,
                "WARNINGS_CONSUMER_GROUP": f"{prefix}warnings",
                "WARNINGS_KAFKA_CONSUME": "false",
            }
        services = {}
        for service, url in urls.items():
            log = ROOT / "var" / f"{tag}-{service}-{size}.log"
            log.parent.mkdir(exist_ok=True)
            proc = ServiceProcess(service, service_env(service, url, extra[service]), log)
            procs.append(proc)
            services[service] = await asyncio.to_thread(proc.start, timeout_s=120)
        # The load polls the warnings API replicas of the deployment (deploy/docker-compose.yml
        # `deploy.replicas`); the figures one request at a time above are the first one's.
        apis = [services["warnings"]]
        if load_here and kafka is not None:
            for n in range(1, args.api_replicas):
                log = ROOT / "var" / f"{tag}-warnings-{size}-api{n}.log"
                env = service_env("warnings", urls["warnings"], extra["warnings"])
                replica = ServiceProcess("warnings", env, log)
                procs.append(replica)
                apis.append(await asyncio.to_thread(replica.start, timeout_s=120))
        floor, _ = await measure_floor(services["warnings"].url, args.requests)
        out["healthz_p50"] = floor
        print(f"    {'GET /healthz (the floor)':<32} p50 {floor:9.2f} ms", flush=True)
        out["endpoints"] = {}
        for label, service, path in ENDPOINTS:
            async with aiohttp.ClientSession(
                base_url=services[service].url, timeout=aiohttp.ClientTimeout(total=600)
            ) as client:
                m = await measure(
                    client, path, HEAD_OFFICE, requests=args.requests, budget_s=args.budget
                )
            out["endpoints"][label] = asdict(m)
            cached = (
                f"304 p50 {m.p50_304:.2f} ms p99 {m.p99_304:.2f} ms"
                if m.n304
                else "no ETag"
                if not m.etag
                else "no 304"
            )
            print(
                f"    {label:<32} p50 {m.p50:9.2f} ms  p99 {m.p99:9.2f} ms  "
                f"{m.bytes:>10,} B  (n={m.n}); {cached}",
                flush=True,
            )
        if load_here and kafka is not None:
            async with httpx.AsyncClient(
                base_url=services["warnings"].url, auth=Signed(HEAD_OFFICE)
            ) as client:
                has_escalations = (await client.get(ESCALATIONS)).status_code == 200
            rng = random.Random(3)
            loans = [
                (scale_book.loan_id(n), scale_book.officer_of_loan(n, book)[0])
                for n in rng.sample(range(size), min(size, 30_000))
            ]
            job = {
                "bootstrap": kafka,
                "prefix": prefix,
                "dsn": dsn(pg, names["warnings"]),
                "tag": f"{tag}-{size}",
                "loans": loans,
                "rate": args.rate,
                "seconds": args.warmup + args.seconds,
                "poll_s": LATENCY_POLL_S,
                # The probe reads the consumer's committed offsets, not the database under test.
                "group": f"{prefix}warnings",
            }
            consuming = {**extra["warnings"], "WARNINGS_KAFKA_CONSUME": "true"}
            log = ROOT / "var" / f"{tag}-warnings-consumer-{size}.log"
            # As deployed (docs/operations.md "CPU weights"): the consumer role's batches yield
            # the CPU to the API role's reads where the two share a host.
            consumer = ServiceProcess(
                "warnings",
                service_env("warnings", urls["warnings"], consuming),
                log,
                nice=args.consumer_nice,
            )
            procs.append(consumer)
            await asyncio.to_thread(consumer.start, timeout_s=120)
            out["load"] = await load_phase(
                apis, consumer, args, has_escalations=has_escalations, job=job
            )
            print_load(out["load"])
        for proc in procs:
            if not args.keep:
                proc.log_path.unlink(missing_ok=True)
    except BaseException:
        print(f"failed; the services' logs are in {ROOT / 'var'} ({tag}-*.log)", file=sys.stderr)
        raise
    finally:
        for proc in procs:
            proc.stop()
        if not args.keep:
            await cleanup(pg, list(names.values()), kafka, topics if load_here else [])
    return out


async def cleanup(pg: str, databases: list[str], kafka: str | None, topics: list[str]) -> None:
    """Leave the shared servers as we found them."""
    for name in databases:
        await postgres_database(pg, name, drop=True)
    if kafka is not None and topics:
        from aiokafka.admin import AIOKafkaAdminClient

        admin = AIOKafkaAdminClient(bootstrap_servers=kafka)
        await admin.start()
        try:
            existing = set(await admin.list_topics())
            if mine := [t for t in topics if t in existing]:
                await admin.delete_topics(mine)
        finally:
            await admin.close()


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    pg = env("TEST_POSTGRES_URL").rstrip("/")
    kafka = os.environ.get("TEST_KAFKA_BOOTSTRAP", "").strip() or None
    if kafka is None and not args.no_load:
        raise SystemExit("TEST_KAFKA_BOOTSTRAP is not set (or pass --no-load)")
    tag = f"scale{int(time.time())}"
    load_start = os.getloadavg()[0]
    print(
        f"machine: {os.cpu_count()} cores ({cpu_model()}), {datetime.now().isoformat()[:19]}, "
        f"load average {load_start:.2f} (other work on the machine skews every figure)"
    )
    sizes = sorted(args.sizes)
    results = []
    for size in sizes:
        load_here = size == sizes[-1] and not args.no_load
        results.append(await one_size(args, size, tag=tag, pg=pg, kafka=kafka, load_here=load_here))
    return {
        "date": datetime.now().isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
        "loadavg_start": round(load_start, 2),
        "loadavg_end": round(os.getloadavg()[0], 2),
        "requests": args.requests,
        "sizes": results,
    }


# -- the table -------------------------------------------------------------------------------


def short(n: int) -> str:
    return f"{n // 1_000_000}M" if n >= 1_000_000 and n % 1_000_000 == 0 else f"{n // 1000}k"


def report(r: dict[str, Any]) -> list[Row]:
    print("BENCH " + orjson.dumps({"bench": "scale", **r}).decode(), flush=True)
    sizes = r["sizes"]
    low, top = sizes[0], sizes[-1]
    full = tuple(s["loans"] for s in sizes) == FULL_SIZES
    rows = []
    for label, _service, _path in ENDPOINTS:
        a, b = low["endpoints"][label], top["endpoints"][label]
        growth = b["p50"] / a["p50"]
        middle = "; ".join(
            f"{short(s['loans'])} {s['endpoints'][label]['p50']:.1f} ms" for s in sizes[1:-1]
        )
        ok = b["p50"] <= P50_TARGET_MS and growth <= GROWTH_TARGET
        rows.append(
            Row(
                bench="scale",
                name=f"{label} at {top['loans']:,} loans, p50 (p99 {b['p99']:.1f} ms, "
                f"{b['bytes']:,} B, n={b['n']}{'; ' + middle if middle else ''})",
                figure=b["p50"],
                unit="ms",
                anchor=f"p50 at {low['loans']:,} loans",
                anchor_figure=a["p50"],
                ratio=a["p50"] / b["p50"],
                target=f"<= {P50_TARGET_MS:g} ms, growth <= {GROWTH_TARGET:g}x (ratio >= 0.5x)",
                met=ok if full else None,
            )
        )
        cached = b["p50_304"]
        rows.append(
            Row(
                bench="scale",
                name="  the same with If-None-Match, 304 p50"
                + (
                    f" (p99 {b['p99_304']:.2f} ms)"
                    if cached is not None
                    else " (no ETag)"
                    if not b["etag"]
                    else " (never 304)"
                ),
                figure=cached,
                unit="ms",
                anchor="the 200 answer above",
                anchor_figure=b["p50"],
                ratio=b["p50"] / cached if cached else None,
                target=f"<= {NOT_MODIFIED_TARGET_MS:g} ms",
                met=(cached is not None and cached <= NOT_MODIFIED_TARGET_MS) if full else None,
            )
        )
    rows.append(
        Row(
            bench="scale",
            name=f"  GET /healthz at {top['loans']:,} loans, p50 (no database: the client and "
            "uvicorn alone, in every figure above)",
            figure=top["healthz_p50"],
            unit="ms",
        )
    )
    if (load := top.get("load")) is not None:
        events = load["events"]
        ok = load["errors"] == 0 and load["poll_p99_ms"] < POLL_P99_TARGET_MS
        quick_load = load["dashboards"] < 100 or load["rate"] < 1000
        rows.append(
            Row(
                bench="scale",
                name=f"{load['dashboards']} dashboards polling every 3 s "
                f"({len(load['paths'])} reads, "
                f"ETags) of {load.get('api_replicas', 1)} API replicas + {load['rate']:,.0f} "
                f"events/s at {top['loans']:,} loans (consumer at "
                f"nice {load.get('consumer_nice', 0)}; after {load.get('warmup_s', 0):g} s of "
                f"warm-up, its slowest poll {load.get('warmup_max_ms') or 0:,.0f} ms), p99 per "
                f"poll ({load['polls']:,} polls, {load['errors']} errors)",
                figure=load["poll_p99_ms"],
                unit="ms",
                anchor="p50 per poll",
                anchor_figure=load["poll_p50_ms"],
                target=f"< {POLL_P99_TARGET_MS:g} ms, 0 errors",
                met=None if quick_load else ok,
            )
        )
        rows.append(
            Row(
                bench="scale",
                name=f"  meanwhile produce -> warning committed, p99 ({events['seen']:,} of "
                f"{events['sent']:,} events seen)",
                figure=events["p99_ms"],
                unit="ms",
                anchor="p50 of the same events",
                anchor_figure=events["p50_ms"],
            )
        )
    return rows


def run(quick: bool) -> list[Row]:
    """The bench table's entry point (1,000 and 10,000 loans, a short load phase when quick)."""
    return report(asyncio.run(bench(arguments([] if not quick else ["--quick"]))))


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default=",".join(map(str, FULL_SIZES)))
    parser.add_argument("--requests", type=int, default=200, help="per endpoint and size")
    parser.add_argument("--budget", type=float, default=30, help="seconds per endpoint at most")
    parser.add_argument("--dashboards", type=int, default=100)
    parser.add_argument("--rate", type=float, default=1000, help="events/s during the load")
    parser.add_argument("--seconds", type=float, default=60, help="load phase duration")
    parser.add_argument(
        "--warmup",
        type=float,
        default=WARMUP_S,
        help="seconds of load before the measured --seconds (not in the poll figures)",
    )
    parser.add_argument(
        "--api-replicas",
        type=int,
        default=API_REPLICAS,
        help="warnings API processes the load polls (deploy/docker-compose.yml's replicas)",
    )
    parser.add_argument("--no-load", action="store_true", help="skip the load phase")
    parser.add_argument(
        "--consumer-nice",
        type=int,
        default=CONSUMER_NICE,
        help="the consumer process's nice value in the load phase (0: the API's priority)",
    )
    parser.add_argument("--keep", action="store_true", help="keep databases, topics and logs")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="1,000 and 10,000 loans, 50 requests, 20 dashboards for 10 s",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.requests, args.budget = "1000,10000", 50, 10
        args.dashboards, args.rate, args.seconds, args.warmup = 20, 200, 10, 2
    args.sizes = [int(s) for s in str(args.sizes).split(",") if s]
    return args


def main() -> None:
    args = arguments()
    emit(report(asyncio.run(bench(args))))


if __name__ == "__main__":
    main()
