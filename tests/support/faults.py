"""Private PostgreSQL and Kafka servers for the fault tests, which crash and restart them.

The shared test servers (scripts/test.sh) are never touched: each of these runs on free ports
with its own state directory, through the same scripts (`start`, `kill` keeping the data,
`restart` on it, `stop`).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
from aiokafka import ConsumerRecord
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from services.officers.models.ledger import LedgerLoan, LedgerParkedEvent
from services.officers.models.ledger import ProcessedEvent as OfficersProcessed
from services.warnings.models import EventRecord
from services.warnings.service import PROCESSED_TABLE as WARNINGS_PROCESSED
from shared.db import make_engine, make_sessionmaker
from shared.migrate import upgrade
from tests.support.processes import ROOT, free_port

ADMIN_KEY = "faults-admin-key"
AUTH = {"Authorization": f"Bearer {ADMIN_KEY}"}


@dataclass
class PrivateServer:
    """One server run by scripts/<script> with its own ports and state directory."""

    script: str
    env: dict[str, str]
    state_dir: Path

    def run(self, command: str) -> str:
        result = subprocess.run(
            [str(ROOT / "scripts" / self.script), command],
            env={**os.environ, **self.env},
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        if result.returncode != 0:
            raise AssertionError(f"{self.script} {command} failed:\n{result.stderr[-3000:]}")
        return result.stdout

    def start(self) -> None:
        self.run("start")

    def kill(self) -> None:
        """A crash: the process dies at once, its data stays."""
        self.run("kill")

    def restart(self) -> None:
        """Up again on the same port and the same data."""
        self.run("restart")

    def stop(self) -> None:
        self.run("stop")
        shutil.rmtree(self.state_dir, ignore_errors=True)
        Path(f"{self.state_dir}.lock").unlink(missing_ok=True)


def _state_dir(kind: str) -> Path:
    # Under /tmp: the unprivileged postgres user must be able to reach it.
    path = Path(tempfile.gettempdir()) / f"loanrisk-faults-{kind}-{uuid.uuid4().hex[:8]}"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def private_postgres() -> tuple[PrivateServer, str]:
    """A started private PostgreSQL and its URL (no database name)."""
    port, state = free_port(), _state_dir("pg")
    # Commits acknowledged before a kill must survive it, as on a production server (the shared
    # test server trades that for speed; fsync stays off: the machine itself does not crash).
    env = {"PG_PORT": str(port), "PG_STATE_DIR": str(state), "PG_SYNCHRONOUS_COMMIT": "on"}
    server = PrivateServer("postgres.sh", env, state)
    server.start()
    return server, f"postgresql+asyncpg://loanrisk:loanrisk@127.0.0.1:{port}"


def private_kafka() -> tuple[PrivateServer, str]:
    """A started private single-node Kafka and its bootstrap address."""
    port, controller, state = free_port(), free_port(), _state_dir("kafka")
    env = {
        "KAFKA_PORT": str(port),
        "KAFKA_CONTROLLER_PORT": str(controller),
        "KAFKA_STATE_DIR": str(state),
    }
    server = PrivateServer("kafka.sh", env, state)
    server.start()
    return server, f"127.0.0.1:{port}"


@dataclass
class Databases:
    """Fresh migrated databases on the private server, copied from one template per service."""

    base_url: str
    templates: dict[str, str] = field(default_factory=dict)

    def _dsn(self, database: str) -> str:
        url = make_url(self.base_url).set(drivername="postgresql", database=database)
        return url.render_as_string(hide_password=False)

    async def _admin(self, sql: str) -> None:
        conn = await asyncpg.connect(self._dsn("postgres"))
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    async def fresh(self, service: str) -> str:
        template = self.templates.get(service)
        if template is None:
            template = f"tmpl_{service}_{uuid.uuid4().hex[:8]}"
            await self._admin(f'CREATE DATABASE "{template}"')
            await asyncio.to_thread(upgrade, service, f"{self.base_url}/{template}")
            self.templates[service] = template
        name = f"f_{service}_{uuid.uuid4().hex[:12]}"
        await self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return f"{self.base_url}/{name}"


def service_env(
    service: str, *, url: str, kafka: str, tag: str, max_records: int = 50
) -> dict[str, str]:
    """A backend service on the private servers, with topics and a consumer group of its own."""
    p = service.upper()
    env = {
        f"{p}_DATABASE_URL": url,
        f"{p}_KAFKA_BOOTSTRAP_SERVERS": kafka,
        f"{p}_KAFKA_TOPIC_PREFIX": f"f{tag}.",
    }
    if service in ("warnings", "officers"):
        env[f"{p}_CONSUMER_GROUP"] = f"{service}-{tag}"
        env[f"{p}_CONSUMER_MAX_RECORDS"] = str(max_records)
    if service == "warnings":
        env["WARNINGS_SWEEP_INTERVAL_S"] = "0"
    return env


def gateway_env(url: str, upstreams: dict[str, str]) -> dict[str, str]:
    return {
        **{f"GATEWAY_{name.upper()}_URL": base for name, base in upstreams.items()},
        "GATEWAY_BOOTSTRAP_ADMIN_KEY": ADMIN_KEY,
        "GATEWAY_DATABASE_URL": url,
    }


async def warnings_counts(url: str, prefix: str) -> tuple[int, int]:
    """(event records, processed-event claims) of the warnings service with ids like `prefix`."""
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            records = await session.scalar(
                select(func.count())
                .select_from(EventRecord)
                .where(EventRecord.event_id.startswith(prefix))
            )
            claims = await session.scalar(
                select(func.count())
                .select_from(WARNINGS_PROCESSED)
                .where(WARNINGS_PROCESSED.c.event_id.startswith(prefix))
            )
        return int(records or 0), int(claims or 0)
    finally:
        await engine.dispose()


async def ledger_state(url: str, prefix: str) -> dict[str, Any]:
    """The officers ledger of loans like `prefix`: every loan row, the parked events, and the
    processed-event claims per consumer group (what an uninterrupted run must equal)."""
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            loans = {
                row.loan_id: (
                    str(row.balance),
                    row.five_class,
                    row.overdue_since,
                    row.interest_arrears_since,
                    row.org_id,
                )
                for row in await session.scalars(
                    select(LedgerLoan).where(LedgerLoan.loan_id.startswith(prefix))
                )
            }
            parked = await session.scalar(
                select(func.count())
                .select_from(LedgerParkedEvent)
                .where(LedgerParkedEvent.loan_id.startswith(prefix))
            )
            claims = await session.scalar(
                select(func.count())
                .select_from(OfficersProcessed)
                .where(OfficersProcessed.event_id.startswith(prefix))
            )
        return {"loans": loans, "parked": int(parked or 0), "processed": int(claims or 0)}
    finally:
        await engine.dispose()


async def wait_until(check: Any, *, timeout_s: float, what: Any, every_s: float = 0.2) -> Any:
    """Poll an async `check()` until it returns something truthy (a wait, not a timing assert);
    `what` (text, or a function giving it at the time) says what did not happen."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    last: Any = None
    while loop.time() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(every_s)
    said = what() if callable(what) else what
    raise AssertionError(f"timed out after {timeout_s}s waiting for {said} (last: {last!r})")


def header(record: ConsumerRecord[bytes, bytes], name: str) -> str:
    """A dead letter's header as text."""
    for key, value in record.headers:
        if key == name:
            return value.decode()
    raise AssertionError(f"no {name} header in {record.headers}")


def ledger_events(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events of a stream the officers ledger consumes (loan and repayment topics)."""
    return [e for e in events if not e["type"].startswith(("borrower.", "lending."))]


async def ledger_reference(
    events: list[dict[str, Any]], tmp_path: Path, prefix: str
) -> dict[str, Any]:
    """The ledger an uninterrupted, in-order application of the same events gives."""
    from services.officers.app import create_app
    from services.officers.config import Settings
    from tests.support.apps import serve
    from tests.support.databases import fresh_database

    url = await fresh_database("officers", "sqlite", tmp_path)
    async with serve(create_app(Settings(database_url=url))) as client:
        mine = ledger_events(events)
        for start in range(0, len(mine), 1000):
            response = await client.post("/v1/ledger/events", json=mine[start : start + 1000])
            assert response.status_code == 200, response.text
    return await ledger_state(url, prefix)


def not_running(processes: dict[str, Any]) -> list[str]:
    """The names of the service processes that exited (none, when nothing was restarted)."""
    return [n for n, p in processes.items() if p.proc is None or p.proc.poll() is not None]
