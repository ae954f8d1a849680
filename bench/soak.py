"""`make soak`: a steady mixed load through the gateway for SOAK_SECONDS (default 600).

    python -m bench.soak [--seconds 600] [--rate 50] [--store postgres|sqlite] [--out PATH]

The four services run as uvicorn processes (one worker each), each on a throwaway database of
the PostgreSQL server of TEST_POSTGRES_URL (scripts/soak.sh starts the test server when it is
not running), with no broker: events are applied in the request's transaction (embedded
mode). `--store sqlite` (SOAK_STORE=sqlite) is exactly the setup of `make run`: SQLite files
in var/soak/. The demo data of `make run` is loaded through the gateway, then an open-loop
load runs at a fixed total rate (requests are sent on schedule whether earlier ones have
answered or not; latency counts from the scheduled send time), mixing:

- rating: POST /scoring/v1/ratings with an Idempotency-Key (one in ten repeats an earlier key
  with its body: a replay);
- what_if: POST /officers/v1/grading/compute, 12 officers of two counties;
- events: POST /v1/events, a loan disbursed then interest arrears growing on it (warnings are
  raised and escalated as the run goes);
- warnings: GET /warnings/v1/warnings?state=open with If-None-Match (200 or 304);
- summary: GET /warnings/v1/summary.

It fails (exit status 1) on any error - a 5xx, a transport error or timeout, or a status the
request kind does not expect - or when a service's RSS at the end exceeds its RSS after the
warm-up (SOAK_WARMUP_SECONDS, default the first 60 s, or a quarter of a shorter run) by more
than 20 %. Prints a table and writes bench/soak.md (logs stay in var/soak/).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psutil

from bench.support import percentile, postgres_database
from bench.table import ROOT, machine
from scripts import demo
from shared.migrate import MIGRATED_SERVICES, upgrade
from tests.support.processes import ServiceProcess

ADMIN_KEY = "soak-admin-key"
RSS_GROWTH_LIMIT = 0.20
# Share of the total rate per kind (sums to 1).
MIX = {"rating": 0.25, "what_if": 0.25, "events": 0.2, "warnings": 0.15, "summary": 0.15}
EXPECTED = {
    "rating": {200, 201},
    "what_if": {200},
    "events": {202},
    "warnings": {200, 304},
    "summary": {200},
}
MAX_IN_FLIGHT = 500
WORK = ROOT / "var" / "soak"


@dataclass
class Kind:
    """Counts and latencies of one request kind."""

    sent: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)


@dataclass
class Load:
    """The request builders' state (ids, keys, ETag) and the results per kind."""

    model_id: str
    kinds: dict[str, Kind] = field(default_factory=lambda: {k: Kind() for k in MIX})
    ratings: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    etag: str | None = None
    in_flight: int = 0


Request = tuple[str, str, dict[str, str], Any]  # method, path, headers, JSON body


def rating_request(load: Load, n: int) -> Request:
    """S-rules through the gateway: a stored rating, keyed; every tenth replays a key."""
    if load.ratings and n % 10 == 0:
        key, body = load.ratings[n % len(load.ratings)]
    else:
        _enterprise, org, inputs = demo.DEMO_RATINGS[n % len(demo.DEMO_RATINGS)]
        key = f"soak-{n}"
        body = {
            "model_id": load.model_id,
            "enterprise_id": f"S-{n}",
            "org": org,
            "inputs": inputs,
        }
        if len(load.ratings) < 1000:
            load.ratings.append((key, body))
    return "POST", "/scoring/v1/ratings", {"Idempotency-Key": key}, body


def what_if_request(_load: Load, n: int) -> Request:
    officers = [
        {
            "officer_id": f"W-{i}",
            "county": ("Liwan", "Conghua")[i % 2],
            "branch_class": 1 + i % 2,
            "loans_issued": 60 + (n + 7 * i) % 120,
            "interest_income": f"{200000 + 13791 * ((n + i) % 40)}.50",
            "new_npl_balance": f"{(n * 37 + i * 1000) % 90000}.00",
            "managed_balance": f"{1500000 + 25000 * i}.00",
            "failed_exams": int(i % 3 == 0),
            "fines": (n + i) % 2,
            "criticisms": 0,
            "serious_violations": 0,
        }
        for i in range(12)
    ]
    return "POST", "/officers/v1/grading/compute", {}, {"year": 2025, "officers": officers}


def events_request(_load: Load, n: int) -> Request:
    """W1c: loan n is disbursed with 10 days of arrears (yellow); loans n-50 and n-100 (5 and
    10 s earlier at 10 posts/s) reach 45 (orange) and 120 days (red). One loan's events are
    never in two posts at once: concurrent posts about one loan race on PostgreSQL (README)."""
    now = datetime.now(UTC)
    batch: list[dict[str, Any]] = []
    for loan, days in ((n, 10), (n - 50, 45), (n - 100, 120)):
        if loan < 0:
            continue
        org = ("HO/GZ/LS03", "HO/GZ/CH01", "HO/SZ/BA02")[loan % 3]
        if loan == n:
            batch.append(
                {"event_id": f"soak-d-{n}", "type": "loan.disbursed",
                 "occurred_at": now.isoformat(), "loan_id": f"SL-{n}", "borrower_id": f"SB-{n}",
                 "org": org, "body": {"amount": "900000.00", "maturity_date": "2028-06-30",
                 "officers": {"first_responsible": "OF-1001",
                              "management_responsible": "OF-1001"}}}
            )  # fmt: skip
        batch.append(
            {"event_id": f"soak-a-{loan}-{days}", "type": "interest.arrears",
             "occurred_at": now.isoformat(), "loan_id": f"SL-{loan}", "org": org,
             "body": {"amount": "4200.00",
                      "since": (now - timedelta(days=days)).date().isoformat()}}
        )  # fmt: skip
    return "POST", "/v1/events", {}, batch


def warnings_request(load: Load, _n: int) -> Request:
    headers = {"If-None-Match": load.etag} if load.etag else {}
    return "GET", "/warnings/v1/warnings?state=open", headers, None


def summary_request(_load: Load, _n: int) -> Request:
    return "GET", "/warnings/v1/summary", {}, None


BUILDERS = {
    "rating": rating_request,
    "what_if": what_if_request,
    "events": events_request,
    "warnings": warnings_request,
    "summary": summary_request,
}


async def send(client: httpx.AsyncClient, load: Load, kind: str, due: float) -> None:
    stats = load.kinds[kind]
    method, path, headers, body = BUILDERS[kind](load, stats.sent)
    stats.sent += 1
    load.in_flight += 1
    try:
        response = await client.request(method, path, headers=headers, json=body)
    except httpx.HTTPError as exc:
        stats.errors.append(f"{method} {path}: {type(exc).__name__} {exc}")
        return
    finally:
        load.in_flight -= 1
    stats.latencies_ms.append((time.perf_counter() - due) * 1000)
    code = str(response.status_code)
    if response.headers.get("idempotency-replayed") == "true":
        code += " replayed"
    stats.by_status[code] = stats.by_status.get(code, 0) + 1
    if response.status_code not in EXPECTED[kind]:
        stats.errors.append(f"{method} {path}: {code} {response.text[:300]}")
    elif kind == "warnings" and "etag" in response.headers:
        load.etag = response.headers["etag"]


def schedule() -> list[str]:
    """One cycle of kinds in proportion to MIX (20 slots), each kind spread evenly."""
    spots = []
    for kind, share in MIX.items():
        count = round(share * 20)
        spots += [((j + 0.5) / count, kind) for j in range(count)]
    return [kind for _, kind in sorted(spots)]


def rss(procs: dict[str, psutil.Process]) -> dict[str, int]:
    return {name: p.memory_info().rss for name, p in procs.items()}


async def drive(
    gateway: str, model_id: str, procs: dict[str, psutil.Process], args: argparse.Namespace
) -> tuple[Load, dict[str, int], dict[str, int], dict[str, int], float]:
    """Open-loop load; (results, RSS after warm-up, RSS at the end, peak RSS, seconds)."""
    load = Load(model_id=model_id)
    cycle = schedule()
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
    warm: dict[str, int] = {}
    peak = rss(procs)
    async with httpx.AsyncClient(
        base_url=gateway, headers=headers, limits=limits, timeout=30
    ) as client:
        tasks: set[asyncio.Task[None]] = set()
        t0 = time.perf_counter()
        next_sample = t0 + 10
        k = 0
        while (due := t0 + k / args.rate) < t0 + args.seconds:
            if (wait := due - time.perf_counter()) > 0:
                await asyncio.sleep(wait)
            if not warm and due - t0 >= args.warmup:
                warm = rss(procs)
                print(f"  after the {args.warmup:.0f} s warm-up: {_mib(warm)}", flush=True)
            if time.perf_counter() >= next_sample:
                now_rss = rss(procs)
                peak = {n: max(peak[n], now_rss[n]) for n in procs}
                sent = sum(s.sent for s in load.kinds.values())
                errors = sum(len(s.errors) for s in load.kinds.values())
                print(f"  t={due - t0:5.0f} s sent {sent:6d} errors {errors} in flight "
                      f"{load.in_flight:3d} rss {_mib(now_rss)}", flush=True)  # fmt: skip
                next_sample += 10
            kind = cycle[k % len(cycle)]
            if load.in_flight >= MAX_IN_FLIGHT:
                load.kinds[kind].sent += 1
                load.kinds[kind].errors.append(f"{kind}: {MAX_IN_FLIGHT} requests in flight")
            else:
                task = asyncio.create_task(send(client, load, kind, due))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
            k += 1
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - t0
    end = rss(procs)
    peak = {n: max(peak[n], end[n]) for n in procs}
    return load, warm or end, end, peak, elapsed


def _mib(values: dict[str, int]) -> str:
    return " ".join(f"{n} {v / 2**20:.0f}" for n, v in values.items()) + " MiB"


def start_services(
    store: str, work: Path, procs: dict[str, ServiceProcess], dropped: list[str]
) -> None:
    """Migrate and start the four services (gateway last) into `procs`; databases to drop."""
    urls = {s: f"sqlite+aiosqlite:///{work / (s + '.db')}" for s in MIGRATED_SERVICES}
    if store == "postgres":
        base = os.environ.get("TEST_POSTGRES_URL", "").strip().rstrip("/")
        if not base:
            raise SystemExit("--store postgres needs TEST_POSTGRES_URL (scripts/soak.sh sets it)")
        stamp = int(time.time())
        for service in MIGRATED_SERVICES:
            name = f"soak_{service}_{stamp}"
            asyncio.run(postgres_database(base, name))
            dropped.append(name)
            urls[service] = f"{base}/{name}"
    for service, url in urls.items():
        upgrade(service, url)
    for service in ("scoring", "officers", "warnings"):
        env = {f"{service.upper()}_DATABASE_URL": urls[service],
               f"{service.upper()}_KAFKA_BOOTSTRAP_SERVERS": ""}  # fmt: skip
        procs[service] = ServiceProcess(service, env, work / f"{service}.log")
    gateway_env = {
        "GATEWAY_DATABASE_URL": urls["gateway"],
        "GATEWAY_KAFKA_BOOTSTRAP_SERVERS": "",
        "GATEWAY_BOOTSTRAP_ADMIN_KEY": ADMIN_KEY,
        **{f"GATEWAY_{s.upper()}_URL": p.url for s, p in procs.items()},
    }
    procs["gateway"] = ServiceProcess("gateway", gateway_env, work / "gateway.log")
    for process in procs.values():
        process.start(wait_ready=True, timeout_s=60)


def log_problems(procs: dict[str, ServiceProcess]) -> dict[str, int]:
    """ERROR / CRITICAL lines and tracebacks in each service's log (evidence for the report)."""
    out = {}
    for name, process in procs.items():
        text = process.log_path.read_text(errors="replace") if process.log_path.exists() else ""
        out[name] = sum(
            1
            for line in text.splitlines()
            if '"levelname": "ERROR"' in line or '"level": "ERROR"' in line
            or "Traceback" in line or '"CRITICAL"' in line
        )  # fmt: skip
    return out


def report(
    args: argparse.Namespace,
    load: Load,
    rss_rows: tuple[dict[str, int], dict[str, int], dict[str, int]],
    elapsed: float,
    logs: dict[str, int],
) -> tuple[str, bool]:
    """The Markdown report and whether the soak passed."""
    warm, end, peak = rss_rows
    errors = sum(len(k.errors) for k in load.kinds.values())
    lines = [
        "| kind | requests | statuses | errors | p50 ms | p99 ms | max ms |",
        "| ---- | -------: | -------- | -----: | -----: | -----: | -----: |",
    ]
    for name, k in load.kinds.items():
        lat = k.latencies_ms or [0.0]
        statuses = ", ".join(f"{c}: {n}" for c, n in sorted(k.by_status.items()))
        lines.append(
            f"| {name} | {k.sent} | {statuses} | {len(k.errors)} | "
            f"{statistics.median(lat):.1f} | {percentile(lat, 99):.1f} | {max(lat):.1f} |"
        )
    lines += [
        "",
        f"| process | RSS after warm-up ({args.warmup:.0f} s) | RSS at the end | growth | peak "
        f"| <= +{RSS_GROWTH_LIMIT:.0%} | error lines in its log |",
        "| ------- | ------: | ------: | -----: | ------: | -- | -----: |",
    ]
    rss_ok = True
    for name in warm:
        growth = end[name] / warm[name] - 1
        ok = growth <= RSS_GROWTH_LIMIT
        rss_ok &= ok
        lines.append(
            f"| {name} | {warm[name] / 2**20:.1f} MiB | {end[name] / 2**20:.1f} MiB | "
            f"{growth:+.1%} | {peak[name] / 2**20:.1f} MiB | {'yes' if ok else '**NO**'} | "
            f"{logs[name]} |"
        )
    passed = errors == 0 and rss_ok
    total = sum(k.sent for k in load.kinds.values())
    facts = machine()
    head = [
        "# Soak result" + ("" if passed else " (FAILED)"),
        "",
        f"Written by `make soak` (`python -m bench.soak`) on "
        f"{datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}: {elapsed:.0f} s at {args.rate:g} "
        f"requests/s open-loop ({total} requests, {total / elapsed:.1f}/s achieved) through the "
        f"gateway to the four services as uvicorn processes, "
        + ("SQLite files, no broker (the embedded setup of `make run`)."
           if args.store == "sqlite" else "PostgreSQL (one throwaway database each), no broker.")
        + f" {facts['cpu']}, {facts['cores']} cores, Python {facts['python']}; the machine is "
        "shared with other jobs, so latencies are noisy.",
        "",
        f"**{'PASSED' if passed else 'FAILED'}**: {errors} errors (5xx, transport errors and "
        f"unexpected statuses fail the soak); every process's RSS at the end within "
        f"+{RSS_GROWTH_LIMIT:.0%} of its RSS after the warm-up: {'yes' if rss_ok else 'NO'}. "
        "Latency counts from the scheduled send time.",
        "",
    ]  # fmt: skip
    seen = Counter(e[:140] for k in load.kinds.values() for e in k.errors).most_common(10)
    tail = (
        ["", "Errors (the most frequent):", "", *(f"- {n} x {e}" for e, n in seen)] if seen else []
    )
    return "\n".join([*head, *lines, *tail, ""]), passed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("SOAK_SECONDS", 600)))
    parser.add_argument("--rate", type=float, default=float(os.environ.get("SOAK_RATE", 50)))
    parser.add_argument("--warmup", type=float, default=None)
    parser.add_argument("--store", choices=("sqlite", "postgres"),
                        default=os.environ.get("SOAK_STORE", "postgres"))  # fmt: skip
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "soak.md")
    args = parser.parse_args()
    if args.warmup is None:
        env_warmup = os.environ.get("SOAK_WARMUP_SECONDS")
        args.warmup = float(env_warmup) if env_warmup else min(60.0, args.seconds / 4)
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    t0 = time.perf_counter()
    print(f"soak: {args.seconds:.0f} s at {args.rate:g} requests/s, {args.store}; logs in {WORK}")
    procs: dict[str, ServiceProcess] = {}
    dropped: list[str] = []
    try:
        start_services(args.store, WORK, procs, dropped)
        gateway = procs["gateway"].url
        demo.load(gateway=gateway, api_key=ADMIN_KEY)
        models = httpx.get(gateway + "/scoring/v1/models",
                           headers={"Authorization": f"Bearer {ADMIN_KEY}"}).json()  # fmt: skip
        models = models["items"]
        ps = {n: psutil.Process(p.proc.pid) for n, p in procs.items() if p.proc is not None}
        load, warm, end, peak, elapsed = asyncio.run(drive(gateway, models[0]["id"], ps, args))
        exited = [n for n, p in procs.items() if p.proc is None or p.proc.poll() is not None]
    finally:
        for process in reversed(list(procs.values())):
            process.stop()
        base = os.environ.get("TEST_POSTGRES_URL", "").strip().rstrip("/")
        for name in dropped:
            asyncio.run(postgres_database(base, name, drop=True))
    text, passed = report(args, load, (warm, end, peak), elapsed, log_problems(procs))
    if exited:
        text += f"\nServices that exited during the run: {', '.join(exited)}\n"
        passed = False
    print("\n" + text)
    args.out.write_text(text)
    print(f"written to {args.out}; whole soak {time.perf_counter() - t0:.0f} s")
    if not passed:
        sys.exit(1)


if __name__ == "__main__":
    main()
