"""The book bench/scale.py reads: loans, open warnings and the officers' ledger, generated
with a fixed seed and loaded straight into PostgreSQL with COPY (no events, no ORM), then
the services' kept state rebuilt from it.

The tree is the officers' format: `HO`, 20 branches `HO/Bnn`, 200 sub-branches
`HO/Bnn/Smmm` (10 per branch, 4 to a county). One officer per ~100 loans (at least one per
sub-branch, its head); each sub-branch has an office head (O17), who bears the loans
without a management officer.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from services.warnings import store as warnings_store
from shared.db import make_engine

BRANCHES, SUB_BRANCHES, PER_COUNTY = 20, 200, 4
LOANS_PER_OFFICER = 100
CHUNK = 50_000  # rows per COPY (bounds the generator's memory at 1M loans)
DUE_SOON = timedelta(hours=24)  # the warnings service's default 'due soon' window

# A realistic mix of the open warnings (weights): levels, states, kinds.
LEVELS = (("yellow", 60), ("orange", 28), ("red", 12))
STATES = (
    ("raised", 40),
    ("reported_to_branch", 30),
    ("reported_to_head_office", 15),
    ("under_mitigation", 15),
)
KINDS = (
    ("interest_arrears", 40),
    ("classification", 20),
    ("pre_maturity", 20),
    ("major_event", 8),
    ("financial_anomaly", 7),
    ("rule_breaking", 5),
)
MANAGEMENT = {"rule_breaking"}
FIVE_CLASS = (
    ("normal", 920),
    ("special_mention", 40),
    ("substandard", 20),
    ("doubtful", 15),
    ("loss", 5),
)


@dataclass(frozen=True)
class Book:
    """The sizes of one generated book."""

    loans: int
    open_warnings: int
    closed_warnings: int
    officers: int

    @classmethod
    def of(cls, loans: int) -> Book:
        """200,000 open warnings at 1,000,000 loans (a fifth of the loans), a quarter as many
        closed ones, one officer per 100 loans (at least one per sub-branch)."""
        return cls(loans, loans // 5, loans // 20, max(SUB_BRANCHES, loans // LOANS_PER_OFFICER))


@functools.cache
def sub_branches() -> list[str]:
    return [f"HO/B{i // 10 + 1:02d}/S{i + 1:03d}" for i in range(SUB_BRANCHES)]


def branches() -> list[str]:
    return [f"HO/B{b + 1:02d}" for b in range(BRANCHES)]


def county_of(i: int) -> str:
    return f"County {i // PER_COUNTY + 1:02d}"


def loan_id(n: int) -> str:
    return f"L{n:07d}"


def officer_id(n: int) -> str:
    return f"OF{n:05d}"


def weighted(rng: random.Random, table: tuple[tuple[str, int], ...], k: int) -> list[str]:
    names, weights = zip(*table, strict=True)
    return rng.choices(names, weights=weights, k=k)


def officer_of_loan(n: int, book: Book) -> tuple[str, str]:
    """(loan's sub-branch, its management officer): loans and officers dealt round-robin over
    the sub-branches, so each officer's loans are in its own sub-branch."""
    orgs = sub_branches()
    sub = n % SUB_BRANCHES
    per_sub = book.officers // SUB_BRANCHES
    officer = sub + SUB_BRANCHES * ((n // SUB_BRANCHES) % per_sub)
    return orgs[sub], officer_id(officer)


async def copy(
    conn: asyncpg.Connection, table: str, rows: Iterator[tuple[Any, ...]], columns: tuple[str, ...]
) -> int:
    """COPY `rows` into `table` in chunks; how many."""
    total, batch = 0, []
    for row in rows:
        batch.append(row)
        if len(batch) == CHUNK:
            await conn.copy_records_to_table(table, records=batch, columns=columns)
            total, batch = total + len(batch), []
    if batch:
        await conn.copy_records_to_table(table, records=batch, columns=columns)
    return total + len(batch)


# -- warnings service ------------------------------------------------------------------------

# The store's own column lists (the applier's plain rows), in the order the rows are built.
LOAN_COLUMNS = warnings_store.LOAN_COLUMNS
WARNING_COLUMNS = warnings_store.WARNING_COLUMNS
HISTORY_COLUMNS = ("warning_id", "at", "actor", "action", "level", "state", "detail")


def warning_loans(book: Book, now: datetime) -> Iterator[tuple[Any, ...]]:
    rng = random.Random(11)
    classes = weighted(rng, FIVE_CLASS, book.loans)
    for n in range(book.loans):
        org, _ = officer_of_loan(n, book)
        amount = Decimal(rng.randrange(50_000, 5_000_000))
        disbursed = now - timedelta(days=rng.randrange(30, 1500))
        maturity = (now + timedelta(days=rng.randrange(-60, 900))).date()
        yield (
            loan_id(n),
            f"BR{n:07d}",
            org,
            amount,
            amount * Decimal("0.8"),
            "CNY",
            maturity,
            classes[n],
            None,
            "active",
            disbursed,
            disbursed,
        )


def open_warning(
    rng: random.Random, n: int, level: str, state: str, kind: str, book: Book, now: datetime
) -> tuple[Any, ...]:
    """One open warning on loan `n`: deadlines spread from 4 days ago to 4 days ahead; the
    steps before the state reported, the next one pending (overdue once its deadline passed)."""
    org, _ = officer_of_loan(n, book)
    raised = now - timedelta(hours=rng.uniform(2, 24 * 60))
    ho_required = level != "yellow" or state == "reported_to_head_office" or rng.random() < 0.2
    branch_deadline = now + timedelta(hours=rng.uniform(-96, 96))
    ho_deadline = branch_deadline + timedelta(hours=rng.uniform(4, 48)) if ho_required else None
    branch_reported = ho_reported = None
    if state != "raised":
        early = timedelta(hours=rng.uniform(0, 12))
        branch_reported = max(raised, min(now, branch_deadline) - early)
    if ho_required and state in ("reported_to_head_office", "under_mitigation"):
        early = timedelta(hours=rng.uniform(0, 6))
        ho_reported = max(branch_reported or raised, min(now, ho_deadline or now) - early)
    branch_overdue = branch_reported is None and branch_deadline < now - timedelta(minutes=5)
    ho_overdue = ho_reported is None and ho_deadline is not None and ho_deadline < now
    updates_missing = state == "under_mitigation" and rng.random() < 0.3
    updated = max(t for t in (raised, branch_reported, ho_reported) if t is not None)
    return (
        uuid.UUID(int=rng.getrandbits(128)).hex,
        kind,
        "management" if kind in MANAGEMENT else "business",
        level,
        state,
        loan_id(n),
        loan_id(n),
        f"BR{n:07d}",
        org,
        Decimal(rng.randrange(50_000, 5_000_000)),
        f"{kind} on {loan_id(n)}",
        "event",
        None,
        None,
        raised - timedelta(hours=1),
        raised,
        ho_required,
        branch_deadline,
        ho_deadline,
        branch_reported,
        ho_reported,
        branch_overdue,
        ho_overdue,
        updates_missing,
        None,
        None,
        None,
        updated,
        1 + (state != "raised"),
    )


def warnings_rows(
    book: Book, now: datetime, escalated: list[tuple[str, str, datetime]]
) -> Iterator[tuple[Any, ...]]:
    """The open warnings on every fifth loan, then the closed ones; collects the orange and
    red ones (escalated from yellow) into `escalated` for their history."""
    rng = random.Random(13)
    levels = weighted(rng, LEVELS, book.open_warnings)
    states = weighted(rng, STATES, book.open_warnings)
    kinds = weighted(rng, KINDS, book.open_warnings)
    for i in range(book.open_warnings):
        row = open_warning(rng, 5 * i, levels[i], states[i], kinds[i], book, now)
        if levels[i] != "yellow":
            escalated.append((row[0], levels[i], row[15]))
        yield row
    for i in range(book.closed_warnings):
        n = (5 * i + 1) % book.loans
        closed = list(open_warning(rng, n, "yellow", "raised", "interest_arrears", book, now))
        closed[4] = "resolved"  # state
        closed[19], closed[21] = closed[15], False  # branch reported, not overdue
        closed[25], closed[26] = closed[15] + timedelta(days=3), "repaid"
        yield tuple(closed)


def history_rows(escalated: list[tuple[str, str, datetime]]) -> Iterator[tuple[Any, ...]]:
    for warning_id, level, raised in sorted(escalated, key=lambda e: e[2]):
        detail = orjson.dumps({"from": "yellow", "detail": "arrears grew"}).decode()
        yield (
            warning_id,
            raised + timedelta(minutes=30),
            "system",
            "escalated",
            level,
            "raised",
            detail,
        )


async def load_warnings(dsn: str, book: Book, now: datetime) -> dict[str, int]:
    """COPY the loans, warnings and escalations into a migrated warnings database."""
    conn = await asyncpg.connect(dsn)
    try:
        loans = await copy(conn, "loan", warning_loans(book, now), LOAN_COLUMNS)
        escalated: list[tuple[str, str, datetime]] = []
        warnings = await copy(
            conn, "early_warning", warnings_rows(book, now, escalated), WARNING_COLUMNS
        )
        history = await copy(conn, "warning_history", history_rows(escalated), HISTORY_COLUMNS)
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return {"loans": loans, "warnings": warnings, "history": history}


# -- officers service ------------------------------------------------------------------------

NODE_COLUMNS = ("id", "parent_id", "kind", "name", "county", "sub_branch_class")
OFFICER_COLUMNS = (
    "id",
    "name",
    "org_id",
    "gender",
    "birth_date",
    "hire_date",
    "financial_work_start_date",
    "post",
    "status",
    "good_standing",
    "first_appointment_date",
    "pre_appointment_coefficient",
    "pre_appointment_performance_pay",
)
HEAD_COLUMNS = ("org_id", "officer_id", "since", "set_by")
LEDGER_COLUMNS = (
    "loan_id",
    "org_id",
    "borrower_id",
    "amount",
    "balance",
    "five_class",
    "collateral",
    "collateral_kind",
    "loan_date",
    "maturity_date",
    "overdue_since",
    "interest_arrears_since",
    "in_disposal",
    "first_responsible",
    "management_responsible",
)
COLLATERAL = (("unsecured", 30), ("guaranteed", 30), ("mortgage", 30), ("pledge", 10))


def nodes() -> Iterator[tuple[Any, ...]]:
    yield ("HO", None, "head_office", "Head office", None, None)
    for b in branches():
        yield (b, "HO", "branch", f"Branch {b[-2:]}", None, None)
    for i, s in enumerate(sub_branches()):
        yield (
            s,
            s.rsplit("/", 1)[0],
            "sub_branch",
            f"Sub-branch {s[-3:]}",
            county_of(i),
            i % 3 + 1,
        )


def officers(book: Book) -> Iterator[tuple[Any, ...]]:
    orgs = sub_branches()
    for n in range(book.officers):
        post = "sub_branch_head" if n < SUB_BRANCHES else "officer"
        appointed = date(2015 + n % 9, 1 + n % 12, 1)
        yield (
            officer_id(n),
            f"Officer {n}",
            orgs[n % SUB_BRANCHES],
            "female",
            date(1985, 1, 1),
            date(2010, 1, 1),
            date(2010, 1, 1),
            post,
            "on_post",
            True,
            appointed,
            Decimal("1.5"),
            Decimal(30_000),
        )


def heads() -> Iterator[tuple[Any, ...]]:
    for i, s in enumerate(sub_branches()):
        yield (s, officer_id(i), date(2024, 1, 1), "bench")


def ledger(book: Book, today: date) -> Iterator[tuple[Any, ...]]:
    """The same loans as the warnings service's: ~4 % overdue (some long enough to count as
    NPL), the five-class mix above, 3 % without a management officer (the office head's)."""
    rng = random.Random(17)
    classes = weighted(rng, FIVE_CLASS, book.loans)
    collateral = weighted(rng, COLLATERAL, book.loans)
    for n in range(book.loans):
        org, officer = officer_of_loan(n, book)
        amount = Decimal(rng.randrange(50_000, 5_000_000))
        loan_date = today - timedelta(days=rng.randrange(30, 1500))
        overdue = today - timedelta(days=rng.randrange(1, 400)) if rng.random() < 0.04 else None
        manager = None if rng.random() < 0.03 else officer
        yield (
            loan_id(n),
            org,
            f"BR{n:07d}",
            amount,
            amount * Decimal("0.8"),
            classes[n],
            collateral[n],
            None,
            loan_date,
            loan_date + timedelta(days=730),
            overdue,
            overdue,
            False,
            officer,
            manager,
        )


async def load_officers(dsn: str, book: Book, today: date) -> dict[str, int]:
    """COPY the tree, officers, office heads and ledger into a migrated officers database."""
    conn = await asyncpg.connect(dsn)
    try:
        await copy(conn, "org_node", nodes(), NODE_COLUMNS)
        people = await copy(conn, "officer", officers(book), OFFICER_COLUMNS)
        await copy(conn, "org_head", heads(), HEAD_COLUMNS)
        loans = await copy(conn, "ledger_loan", ledger(book, today), LEDGER_COLUMNS)
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return {"officers": people, "ledger_loans": loans}


# -- kept state ------------------------------------------------------------------------------

# Aggregates the services keep up to date on every write; after a raw COPY they are rebuilt
# from the tables. Each entry is a choice of alternatives tried in turn (the first that
# imports; a missing one means the service computes those figures on request, as the code
# before issue 13's kept state did); an alternative may name several functions ("a+b").
KEPT_STATE = {
    "warnings": (
        (
            "services.warnings.tiles_store:rebuild+services.warnings.escalation_feed:rebuild",
            "services.warnings.tiles_store:rebuild",
            "services.warnings.tiles:rebuild",
        ),
    ),
    "officers": (
        (
            "services.officers.liability.ranking_state:rebuild",
            "services.officers.liability.ranking:rebuild",
            "services.officers.npl_state:rebuild",
        ),
    ),
}


def find_rebuild(service: str) -> list[Any]:
    """The rebuild functions of `service`'s kept state this code has."""
    found = []
    for alternatives in KEPT_STATE[service]:
        for spec in alternatives:
            functions = [_function(part) for part in spec.split("+")]
            if all(f is not None for f in functions):
                found += functions
                break
    return found


def _function(spec: str) -> Any | None:
    module, _, name = spec.partition(":")
    try:
        return getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None


async def rebuild(service: str, url: str, now: datetime) -> str | None:
    """Rebuild `service`'s kept state from its tables; the functions' names, None if none."""
    functions = find_rebuild(service)
    if not functions:
        return None
    engine = make_engine(url)
    try:
        async with AsyncSession(engine) as session, session.begin():
            for function in functions:
                params = inspect.signature(function).parameters
                kwargs: dict[str, Any] = {"now": now} if "now" in params else {}
                if "soon" in params:
                    kwargs["soon"] = DUE_SOON
                if "on" in params:
                    kwargs["on"] = now.date()
                await function(session, **kwargs)
    finally:
        await engine.dispose()
    return " + ".join(f"{f.__module__}.{f.__name__}" for f in functions)


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)
