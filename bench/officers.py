"""Benchmark of the yearly grading of a county of 10,000 officers (not a test):
python -m bench.officers [--officers N] [--postgres URL] [--quick].

Against a real database (a SQLite file by default; PostgreSQL too when `--postgres` or
TEST_POSTGRES_URL gives a server URL, a throwaway database is created on it), through the
officers app in-process over HTTP (httpx ASGI transport, a signed admin caller):
(a) the year's figures as one CSV import (dry run, then for real);
(b) `POST /v1/grading/runs?wait=true` for the county: snapshot, grade, store the results
    (the run reports done / total while it works);
(c) `GET .../verify` (re-grade everything from the stored inputs), propose and approve (freeze
    grades, write pay sheets and dossier entries), and read the pay sheet.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import tempfile
import time
import uuid
from collections.abc import Generator
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import insert

from bench.support import postgres_database
from bench.table import Row, emit
from services.officers.app import create_app
from services.officers.config import Settings
from services.officers.models.people import Officer, OfficerPostPeriod, OrgNode
from shared.auth import CALLER_HEADER, Caller, Role, sign_caller
from shared.config import DEV_INTERNAL_SECRET
from shared.db import make_engine
from shared.migrate import upgrade

SUB_BRANCHES = 30
RUN_TARGET_S = 10.0
ADMIN = Caller(subject="bench", roles=frozenset({Role.ADMIN}), org="HO", credential_id="bench")


class Signed(httpx.Auth):
    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers[CALLER_HEADER] = sign_caller(
            ADMIN, secret=DEV_INTERNAL_SECRET, now=time.time()
        )
        yield request


async def seed(url: str, n: int) -> None:
    """The tree (one county, 30 sub-branches of classes 1-3) and n officers, in bulk."""
    engine = make_engine(url)
    nodes: list[dict[str, Any]] = [
        {
            "id": "HO",
            "parent_id": None,
            "kind": "head_office",
            "name": "HO",
            "county": None,
            "sub_branch_class": None,
        },
        {
            "id": "HO/BR",
            "parent_id": "HO",
            "kind": "branch",
            "name": "Branch",
            "county": None,
            "sub_branch_class": None,
        },
    ]
    nodes += [
        {
            "id": f"HO/BR/S{i:02d}",
            "parent_id": "HO/BR",
            "kind": "sub_branch",
            "name": f"S{i}",
            "county": "Bench",
            "sub_branch_class": i % 3 + 1,
        }
        for i in range(SUB_BRANCHES)
    ]
    officers, periods = [], []
    for i in range(n):
        org = f"HO/BR/S{i % SUB_BRANCHES:02d}"
        post = "sub_branch_head" if i < SUB_BRANCHES else "officer"
        appointed = date(2018 + i % 7, 1 + i % 12, 1)
        officers.append(
            {
                "id": f"OF-{i:05d}",
                "name": f"Officer {i}",
                "org_id": org,
                "gender": "female",
                "birth_date": date(1985, 1, 1),
                "hire_date": date(2010, 1, 1),
                "financial_work_start_date": date(2010, 1, 1),
                "post": post,
                "status": "on_post",
                "good_standing": True,
                "first_appointment_date": appointed,
                "pre_appointment_coefficient": 1.5,
                "pre_appointment_performance_pay": 30000,
            }
        )
        periods.append(
            {
                "officer_id": f"OF-{i:05d}",
                "org_id": org,
                "post": post,
                "status": "on_post",
                "start_date": appointed,
                "end_date": None,
                "reason": "bench",
                "recorded_by": "bench",
            }
        )
    async with engine.begin() as conn:
        await conn.execute(insert(OrgNode), nodes)
        for start in range(0, n, 2000):
            await conn.execute(insert(Officer), officers[start : start + 2000])
            await conn.execute(insert(OfficerPostPeriod), periods[start : start + 2000])
    await engine.dispose()


def figures_csv(n: int) -> str:
    rng = random.Random(7)
    lines = [
        "officer_id,loans_issued,interest_income,new_npl_balance,managed_balance,"
        "failed_exams,fines,criticisms,serious_violations,performance_pay"
    ]
    for i in range(n):
        managed = rng.randint(500_000, 5_000_000)
        income = f"{rng.randint(20_000, 200_000)}.{rng.randint(0, 99):02d}"
        lines.append(
            f"OF-{i:05d},{rng.randint(20, 200)},{income},"
            f"{managed * rng.randint(0, 30) // 1000},{managed},{rng.choice([0, 0, 0, 1])},"
            f"{rng.choice([0, 0, 1])},{rng.choice([0, 0, 0, 0, 1])},{rng.choice([0] * 30 + [1])},"
            f"{rng.randint(20_000, 90_000)}.00"
        )
    return "\n".join(lines) + "\n"


async def timed(label: str, call: Any, rows: list[tuple[str, float, str]]) -> Any:
    t0 = time.perf_counter()
    response = await call
    elapsed = time.perf_counter() - t0
    assert response.status_code < 300, (label, response.status_code, response.text[:500])
    rows.append((label, elapsed, ""))
    return response.json()


async def bench(backend: str, url: str, n: int) -> list[Row]:
    t0 = time.perf_counter()
    await asyncio.to_thread(upgrade, "officers", url)
    await seed(url, n)
    print(f"[{backend}] migrated and seeded {n} officers in {time.perf_counter() - t0:.1f} s")
    app = create_app(Settings(database_url=url, log_level="WARNING"))
    rows: list[tuple[str, float, str]] = []
    text = figures_csv(n).encode()
    csv_type = {"content-type": "text/csv"}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://b", auth=Signed(), timeout=600
        ) as c:
            post = c.post
            dry = await timed(
                "CSV import, dry run",
                post("/v1/figures/2025/import?dry_run=true", content=text, headers=csv_type),
                rows,
            )
            await timed(
                "CSV import", post("/v1/figures/2025/import", content=text, headers=csv_type), rows
            )
            body = {"year": 2025, "org": "HO/BR", "county": "Bench"}
            started = await timed(
                "run, answer without waiting (202)", post("/v1/grading/runs", json=body), rows
            )
            seen = await poll(c, started["id"])
            rows.append(("  progress seen while polling", 0.0, seen))
            run = await timed(
                "run for the county, wait=true", post("/v1/grading/runs?wait=true", json=body), rows
            )
            rid = run["id"]
            verify = await timed(
                "verify (re-grade from stored inputs)",
                c.get(f"/v1/grading/runs/{rid}/verify"),
                rows,
            )
            await timed("propose", post(f"/v1/grading/runs/{rid}/propose"), rows)
            # O15: approval on or after the proposal, which is dated today in the bank's zone.
            today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
            await timed(
                "approve (freeze, pay sheets, O5/O6, dossier)",
                post(f"/v1/grading/runs/{rid}/approve", json={"on": today}),
                rows,
            )
            sheet = await timed(
                "pay sheet, a page of 1,000 lines", c.get("/v1/pay-sheets/2025?limit=1000"), rows
            )
    print(
        f"[{backend}] {dry['created']} rows; run total {run['progress']['total']}, "
        f"grades {run['summary']}; verify identical={verify['identical']}; "
        f"pay-sheet page {len(sheet['items'])} lines"
    )
    print(f"[{backend}] {'step':<48} {'seconds':>8}")
    for label, seconds, note in rows:
        print(
            f"[{backend}] {label:<48} {seconds:8.2f} {note}"
            if not note
            else f"[{backend}] {label:<48} {'':>8} {note}"
        )
    took = {label: seconds for label, seconds, _ in rows}
    run_s = took["run for the county, wait=true"]
    verify_s = took["verify (re-grade from stored inputs)"]
    approve_s = took["approve (freeze, pay sheets, O5/O6, dossier)"]
    return [
        Row(
            bench="officers",
            name=f"grading run of a county of {n:,} officers, wait=true ({backend})",
            figure=run_s,
            unit="s",
            anchor="verify: re-grade from the stored inputs, no writes",
            anchor_figure=verify_s,
            ratio=verify_s / run_s,
            target=f"seconds (< {RUN_TARGET_S:g} s)",
            met=run_s < RUN_TARGET_S if n >= 10_000 else None,
        ),
        Row(
            bench="officers",
            name=f"  approve it: freeze, pay sheets, dossier ({backend})",
            figure=approve_s,
            unit="s",
            anchor="the run above",
            anchor_figure=run_s,
            ratio=run_s / approve_s,
        ),
    ]


async def poll(c: httpx.AsyncClient, run_id: int) -> str:
    """The distinct progress values a client sees while the run computes."""
    seen: list[str] = []
    while True:
        p = (await c.get(f"/v1/grading/runs/{run_id}")).json()["progress"]
        mark = f"{p['done']}/{p['total']}"
        if not seen or seen[-1] != mark:
            seen.append(mark)
        if p["state"] != "computing":
            return " -> ".join(seen)
        await asyncio.sleep(0.05)


async def measure(officers: int, postgres: str | None) -> list[Row]:
    """SQLite, then PostgreSQL when a server URL is given; the rows of the bench table."""
    with tempfile.TemporaryDirectory() as tmp:
        rows = await bench("sqlite", f"sqlite+aiosqlite:///{Path(tmp) / 'officers.db'}", officers)
    if postgres:
        name = f"bench_officers_{uuid.uuid4().hex[:8]}"
        url = await postgres_database(postgres, name)
        try:
            rows += await bench("postgresql", url, officers)
        finally:
            await postgres_database(postgres, name, drop=True)
    else:
        print("(PostgreSQL skipped: pass --postgres URL or set TEST_POSTGRES_URL)")
    return rows


def run(quick: bool) -> list[Row]:
    """The bench table's entry point (2,000 officers when quick)."""
    return asyncio.run(measure(2_000 if quick else 10_000, os.environ.get("TEST_POSTGRES_URL")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--officers", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true", help="2,000 officers")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("TEST_POSTGRES_URL"),
        help="a PostgreSQL server URL (postgresql+asyncpg://user:pw@host:port)",
    )
    args = parser.parse_args()
    emit(asyncio.run(measure(2_000 if args.quick else args.officers, args.postgres)))


if __name__ == "__main__":
    main()
