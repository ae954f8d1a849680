"""Benchmark of the gateway's overhead (G1-G5 on the hot path; not a test).

    python -m bench.gateway [--quick] [--seconds 5] [--concurrency 32] [--requests 1000]
                            [--rounds 2] [--store postgres|sqlite]

Starts the warnings service and the gateway as uvicorn processes (one worker each, no broker),
on a throwaway PostgreSQL database of the test server when TEST_POSTGRES_URL is set (else
SQLite files, where reads are deferred WAL transactions that take no write lock, so they run
concurrently as on PostgreSQL). It loads 300 loans with interest arrears (so the read counts
real warnings), creates an API key for a viewer at the head office (with a limit of its own
high enough not to throttle the run), then measures the same read, GET /v1/summary of the
warnings service:

- direct: straight to the service, with the X-Loanrisk-Caller header signed here, as the
  gateway would (re-signed every 20 s);
- gateway: GET /warnings/v1/summary with the API key, through the gateway (key lookup from
  its cache, rate limit, signing, proxying over its pooled connections, streamed answer).

Latency: one request at a time (`--requests` x `--rounds` each, direct and gateway
interleaved request by request), p50 and p99 of the client's round trip. Throughput:
`--concurrency` requests in flight for `--seconds`, alternating direct / gateway `--rounds`
times; requests per second (and the latency under that load). The client is httpx over
keep-alive connections, in this process.
Targets: the gateway adds at most 2 ms at p50 and keeps at least 70% of the direct
throughput. Beside it, the gateway's own cost on a trivial upstream: GET /healthz direct vs
GET /warnings/healthz through the gateway (same identity, limit, signing and proxy path).
Prints a table, one `BENCH {...}` JSON line and, last, the rows of the bench table.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.support import percentile, postgres_database  # noqa: E402
from bench.table import Row, emit  # noqa: E402
from shared.auth import CALLER_HEADER, Caller, Role, sign_caller  # noqa: E402
from shared.config import DEV_INTERNAL_SECRET  # noqa: E402
from shared.migrate import upgrade  # noqa: E402
from tests.support.processes import ServiceProcess  # noqa: E402

ADDED_P50_TARGET_MS, THROUGHPUT_RATIO_TARGET = 2.0, 0.70
ADMIN_KEY = "bench-admin-key"
READS = ("direct", "gateway")
SH = ZoneInfo("Asia/Shanghai")


def events(loans: int) -> list[dict[str, Any]]:
    now = datetime.now(SH)
    out: list[dict[str, Any]] = []
    for i in range(loans):
        org = ("HO/GZ/LS03", "HO/GZ/CH01", "HO/SZ/BA02")[i % 3]
        base = {"occurred_at": now.isoformat(), "loan_id": f"L-{i}", "org": org}
        since = (now - timedelta(days=5 + (i * 7) % 120)).date().isoformat()
        out.append(
            {
                **base,
                "event_id": f"d-{i}",
                "type": "loan.disbursed",
                "borrower_id": f"B-{i}",
                "body": {"amount": "1500000", "maturity_date": "2030-06-30"},
            }
        )
        out.append({**base, "event_id": f"a-{i}", "type": "interest.arrears",
                    "body": {"amount": "4200", "since": since}})  # fmt: skip
    return out


class Signer:
    """The caller header for the direct calls, re-signed well within its 60 s validity."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.caller = Caller("bench", frozenset({Role.VIEWER}), "HO", "bench-direct")
        self.value, self.at = "", 0.0

    def header(self) -> dict[str, str]:
        now = time.time()
        if now - self.at > 20:
            self.value, self.at = sign_caller(self.caller, secret=self.secret, now=now), now
        return {CALLER_HEADER: self.value}


async def one(client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> float:
    t0 = time.perf_counter()
    response = await client.get(url, headers=headers)
    elapsed = (time.perf_counter() - t0) * 1000
    if response.status_code != 200:
        raise SystemExit(f"GET {url} answered {response.status_code}: {response.text[:300]}")
    return elapsed


async def sequential(client: httpx.AsyncClient, url: str, headers: Any, n: int) -> list[float]:
    return [await one(client, url, headers()) for _ in range(n)]


async def loaded(
    client: httpx.AsyncClient, url: str, headers: Any, *, concurrency: int, seconds: float
) -> tuple[int, float, list[float]]:
    """`concurrency` workers for `seconds`: (requests, elapsed s, latencies ms)."""
    latencies: list[float] = []
    stop = time.perf_counter() + seconds

    async def worker() -> None:
        while time.perf_counter() < stop:
            latencies.append(await one(client, url, headers()))

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return len(latencies), time.perf_counter() - t0, latencies


async def measure(args: argparse.Namespace, warnings_url: str, gateway_url: str) -> dict[str, Any]:
    limits = httpx.Limits(
        max_connections=args.concurrency, max_keepalive_connections=args.concurrency
    )
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        loaded_events = events(300)
        admin = {"Authorization": f"Bearer {ADMIN_KEY}"}
        posted = await client.post(gateway_url + "/v1/events", json=loaded_events, headers=admin)
        if posted.status_code != 202:
            raise SystemExit(f"loading events: {posted.status_code} {posted.text[:300]}")
        issued = await client.post(
            gateway_url + "/v1/credentials",
            json={"name": "bench viewer", "roles": ["viewer"], "org": "HO",
                  "rate_limit": {"rate_per_s": 100000, "burst": 1000000}},
            headers=admin,
        )  # fmt: skip
        if issued.status_code != 201:
            raise SystemExit(f"creating the key: {issued.status_code} {issued.text[:300]}")
        key_header = {"Authorization": f"Bearer {issued.json()['key']}"}
        signer = Signer(os.environ.get("LOANRISK_INTERNAL_SECRET", DEV_INTERNAL_SECRET))
        targets = {
            "direct": (warnings_url + "/v1/summary", signer.header),
            "gateway": (gateway_url + "/warnings/v1/summary", lambda: key_header),
            "direct_health": (warnings_url + "/healthz", signer.header),
            "gateway_health": (gateway_url + "/warnings/healthz", lambda: key_header),
        }
        for url, headers in targets.values():  # warm up: connections, caches
            await sequential(client, url, headers, 200)
        # One at a time, direct and gateway interleaved request by request, so that both
        # see the same moments of a machine that other jobs share.
        seq: dict[str, list[float]] = {name: [] for name in targets}
        for _ in range(args.rounds * args.requests):
            for name, (url, headers) in targets.items():
                seq[name].append(await one(client, url, headers()))
        load: dict[str, dict[str, Any]] = {n: {"n": 0, "s": 0.0, "lat": []} for n in READS}
        for _ in range(args.rounds):
            for name in READS:
                url, headers = targets[name]
                n, s, lat = await loaded(
                    client, url, headers, concurrency=args.concurrency, seconds=args.seconds
                )
                load[name]["n"] += n
                load[name]["s"] += s
                load[name]["lat"] += lat
    out: dict[str, Any] = {"concurrency": args.concurrency, "warnings": len(loaded_events) // 2}
    for name in targets:
        out[f"{name}_p50_ms"] = round(statistics.median(seq[name]), 3)
        out[f"{name}_p99_ms"] = round(percentile(seq[name], 99), 3)
    for name in READS:
        out[f"{name}_rps"] = round(load[name]["n"] / load[name]["s"], 1)
        out[f"{name}_loaded_p50_ms"] = round(statistics.median(load[name]["lat"]), 2)
        out[f"{name}_loaded_p99_ms"] = round(percentile(load[name]["lat"], 99), 2)
    out["added_p50_ms"] = round(out["gateway_p50_ms"] - out["direct_p50_ms"], 3)
    out["added_p99_ms"] = round(out["gateway_p99_ms"] - out["direct_p99_ms"], 3)
    out["added_health_p50_ms"] = round(
        out["gateway_health_p50_ms"] - out["direct_health_p50_ms"], 3
    )
    out["throughput_ratio"] = round(out["gateway_rps"] / out["direct_rps"], 3)
    return out


def report(r: dict[str, Any]) -> list[Row]:
    def ok(met: bool) -> str:
        return "met" if met else "NOT MET"

    added_ok = r["added_p50_ms"] <= ADDED_P50_TARGET_MS
    ratio_ok = r["throughput_ratio"] >= THROUGHPUT_RATIO_TARGET
    rows = [
        ("", "direct", "gateway", ""),
        ("p50, one at a time (ms)", r["direct_p50_ms"], r["gateway_p50_ms"],
         f"added {r['added_p50_ms']:.2f} ms, <= {ADDED_P50_TARGET_MS:g}: {ok(added_ok)}"),
        ("p99, one at a time (ms)", r["direct_p99_ms"], r["gateway_p99_ms"],
         f"added {r['added_p99_ms']:.2f} ms"),
        ("/healthz p50, one at a time (ms)", r["direct_health_p50_ms"],
         r["gateway_health_p50_ms"], f"added {r['added_health_p50_ms']:.2f} ms (no work behind)"),
        (f"requests/s, {r['concurrency']} in flight", r["direct_rps"], r["gateway_rps"],
         f"{r['throughput_ratio']:.0%}, >= {THROUGHPUT_RATIO_TARGET:.0%}: {ok(ratio_ok)}"),
        (f"p50 at {r['concurrency']} in flight (ms)", r["direct_loaded_p50_ms"],
         r["gateway_loaded_p50_ms"], ""),
        (f"p99 at {r['concurrency']} in flight (ms)", r["direct_loaded_p99_ms"],
         r["gateway_loaded_p99_ms"], ""),
    ]  # fmt: skip
    print(
        f"\nGET /v1/summary over {r['warnings']} loans in arrears; uvicorn, one worker each, "
        f"{r['store']}; {r['cores']} cores, {r['date']}"
    )
    for label, direct, gateway, target in rows:
        print(f"  {label:<30} {direct!s:>10} {gateway!s:>10}   {target}")
    print("BENCH " + orjson.dumps({"bench": "gateway", **r}).decode(), flush=True)
    read = f"GET /warnings/v1/summary through the gateway ({r['store']})"
    direct = "GET /v1/summary straight to the service"
    return [
        Row(bench="gateway", name=f"{read}, p50 one at a time", figure=r["gateway_p50_ms"],
            unit="ms", anchor=direct, anchor_figure=r["direct_p50_ms"],
            ratio=r["added_p50_ms"], ratio_unit="ms",
            target=f"<= +{ADDED_P50_TARGET_MS:g} ms", met=added_ok),
        Row(bench="gateway", name="  the same, p99 one at a time", figure=r["gateway_p99_ms"],
            unit="ms", anchor=direct, anchor_figure=r["direct_p99_ms"],
            ratio=r["added_p99_ms"], ratio_unit="ms"),
        Row(bench="gateway", name=f"  the same, throughput at {r['concurrency']} in flight",
            figure=r["gateway_rps"], unit="req/s", anchor=direct, anchor_figure=r["direct_rps"],
            ratio=r["throughput_ratio"], ratio_unit="%",
            target=f">= {THROUGHPUT_RATIO_TARGET:.0%} of direct", met=ratio_ok),
        Row(bench="gateway", name="GET /warnings/healthz through the gateway, p50 (no work)",
            figure=r["gateway_health_p50_ms"], unit="ms", anchor="GET /healthz direct",
            anchor_figure=r["direct_health_p50_ms"], ratio=r["added_health_p50_ms"],
            ratio_unit="ms"),
    ]  # fmt: skip


def parser() -> argparse.ArgumentParser:
    out = argparse.ArgumentParser(description=__doc__)
    out.add_argument("--quick", action="store_true", help="2 s, 300 requests, 1 round")
    out.add_argument("--seconds", type=float, default=5)
    out.add_argument("--concurrency", type=int, default=32)
    out.add_argument("--requests", type=int, default=1000)
    out.add_argument("--rounds", type=int, default=2)
    pg = os.environ.get("TEST_POSTGRES_URL", "").strip()
    out.add_argument(
        "--store", choices=("postgres", "sqlite"), default="postgres" if pg else "sqlite"
    )
    return out


def run_bench(args: argparse.Namespace) -> list[Row]:
    """Databases, processes, measurement and report; the rows of the bench table."""
    pg = os.environ.get("TEST_POSTGRES_URL", "").strip()
    if args.quick:
        args.seconds, args.requests, args.rounds = 2.0, 300, 1
    if args.store == "postgres" and not pg:
        raise SystemExit("--store postgres needs TEST_POSTGRES_URL (scripts/postgres.sh start)")
    database = f"bench_gateway_{int(time.time())}"
    with tempfile.TemporaryDirectory(prefix="bench-gateway-") as tmp:
        work = Path(tmp)
        urls = {s: f"sqlite+aiosqlite:///{work / (s + '.db')}" for s in ("warnings", "gateway")}
        if args.store == "postgres":
            urls["warnings"] = asyncio.run(postgres_database(pg, database))
        try:
            for service, url in urls.items():
                upgrade(service, url)
            result = run_processes(args, work, urls)
        finally:
            if args.store == "postgres":
                asyncio.run(postgres_database(pg, database, drop=True))
    result["store"] = "PostgreSQL" if args.store == "postgres" else "SQLite"
    result["cores"] = os.cpu_count()
    result["date"] = datetime.now().strftime("%Y-%m-%d %H:%M")
    result["python"] = platform.python_version()
    return report(result)


def run(quick: bool) -> list[Row]:
    """The bench table's entry point."""
    return run_bench(parser().parse_args(["--quick"] if quick else []))


def main() -> None:
    emit(run_bench(parser().parse_args()))


def run_processes(args: argparse.Namespace, work: Path, urls: dict[str, str]) -> dict[str, Any]:
    """Start both processes, measure, stop them."""
    embedded = {"WARNINGS_KAFKA_BOOTSTRAP_SERVERS": "", "GATEWAY_KAFKA_BOOTSTRAP_SERVERS": ""}
    # Access lines off for both (as uvicorn's own): the figures are about the request path.
    quiet = {"WARNINGS_LOG_LEVEL": "WARNING", "GATEWAY_LOG_LEVEL": "WARNING"}
    warnings = ServiceProcess(
        "warnings",
        {"WARNINGS_DATABASE_URL": urls["warnings"], "WARNINGS_SWEEP_INTERVAL_S": "0",
         **embedded, **quiet},
        work / "warnings.log",
    )  # fmt: skip
    gateway = ServiceProcess(
        "gateway",
        {"GATEWAY_DATABASE_URL": urls["gateway"], "GATEWAY_WARNINGS_URL": warnings.url,
         "GATEWAY_BOOTSTRAP_ADMIN_KEY": ADMIN_KEY, **embedded, **quiet},
        work / "gateway.log",
    )  # fmt: skip
    try:
        warnings.start(wait_ready=False)
        gateway.start(wait_ready=False)
        return asyncio.run(measure(args, warnings.url, gateway.url))
    except SystemExit:
        for process in (warnings, gateway):
            print(f"-- {process.name} log --\n{process.log_tail(20)}", file=sys.stderr)
        raise
    finally:
        gateway.stop()
        warnings.stop()


if __name__ == "__main__":
    main()
