"""Computing a stored grading run in the background, a chunk per transaction (O15, bulk).

The request that creates (or recomputes) a run snapshots its inputs and commits the run with
`compute_state = computing` and `total`; a task then grades every officer (in a worker thread:
the arithmetic is CPU-bound) and writes the results in chunks, each chunk committing the results
with the run's `done` counter, so `GET /v1/grading/runs/{id}` shows the progress. A run whose
task died (process restart) shows as failed once its progress is stale, and may be recomputed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI
from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.officers.grading.items import PeerAverage, PeerGroup
from services.officers.grading.policy import GradingPolicy
from services.officers.grading.run_inputs import GradedInput, grade_stored, result_columns
from services.officers.models.grading import GradingResultRow, GradingRunRow

log = logging.getLogger("officers.grading_jobs")

CHUNK = 2000
STALE_AFTER = timedelta(seconds=120)


@dataclass(frozen=True)
class Snapshot:
    """What a run is computed from (kept in memory between the request and its task)."""

    graded: Sequence[GradedInput]
    peers: dict[PeerGroup, PeerAverage]
    policy: GradingPolicy


def effective_state(run: GradingRunRow, now: datetime) -> str:
    """computing / done / failed; a computation without progress for 2 minutes has died."""
    if run.compute_state == "computing" and now - run.progress_at > STALE_AFTER:
        return "failed"
    return run.compute_state


def _rows(run_id: int, snap: Snapshot) -> list[dict[str, Any]]:
    results = grade_stored([g.figures for g in snap.graded], snap.peers, snap.policy)
    rows = []
    for g, r in zip(snap.graded, results, strict=True):
        f = g.figures
        rows.append(
            {
                "run_id": run_id,
                "officer_id": f.officer_id,
                "org_id": g.org_id,
                "post": str(f.post),
                "county": f.county,
                "branch_class": int(f.branch_class),
                "loans_issued": f.loans_issued,
                "interest_income": f.interest_income,
                "new_npl_balance": f.new_npl_balance,
                "managed_balance": f.managed_balance,
                "failed_exams": f.failed_exams,
                "fines": f.fines,
                "criticisms": f.criticisms,
                "serious_violations": f.serious_violations,
                "count_sources": g.count_sources,
                "performance_pay": g.performance_pay,
                **result_columns(r),
            }
        )
    return rows


async def compute(maker: async_sessionmaker[AsyncSession], run_id: int, snap: Snapshot) -> None:
    """Grade the snapshot and store the results chunk by chunk, updating the progress."""
    try:
        rows = await asyncio.to_thread(_rows, run_id, snap)
        if not rows:
            async with maker() as session, session.begin():
                await session.execute(
                    update(GradingRunRow)
                    .where(GradingRunRow.id == run_id)
                    .values(compute_state="done", progress_at=datetime.now(UTC))
                )
        done = 0
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            done += len(chunk)
            last = start + CHUNK >= len(rows)
            async with maker() as session, session.begin():
                await session.execute(insert(GradingResultRow), chunk)
                await session.execute(
                    update(GradingRunRow)
                    .where(GradingRunRow.id == run_id)
                    .values(
                        done=done,
                        progress_at=datetime.now(UTC),
                        compute_state="done" if last else "computing",
                    )
                )
    except Exception as exc:  # the run records the failure; the service keeps serving
        log.exception("grading run %s failed", run_id)
        async with maker() as session, session.begin():
            await session.execute(
                update(GradingRunRow)
                .where(GradingRunRow.id == run_id)
                .values(compute_state="failed", error=f"{type(exc).__name__}: {exc}"[:1000])
            )


class GradingJobs:
    """The app's running computations (one task per run)."""

    def __init__(self, maker: async_sessionmaker[AsyncSession]) -> None:
        self.maker = maker
        self.tasks: dict[int, asyncio.Task[None]] = {}

    def start(self, run_id: int, snap: Snapshot) -> asyncio.Task[None]:
        """Schedule the computation of a committed run."""
        task = asyncio.create_task(compute(self.maker, run_id, snap), name=f"grading-run-{run_id}")
        self.tasks[run_id] = task
        task.add_done_callback(lambda _t: self.tasks.pop(run_id, None))
        return task

    def running(self, run_id: int) -> bool:
        """A computation of this run is in progress in this process."""
        return run_id in self.tasks

    async def close(self) -> None:
        """Let running computations finish (shutdown)."""
        if self.tasks:
            await asyncio.gather(*self.tasks.values(), return_exceptions=True)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Officers app start/stop: the grading job runner."""
    jobs = GradingJobs(app.state.sessionmaker)
    app.state.grading_jobs = jobs
    try:
        yield
    finally:
        await jobs.close()
