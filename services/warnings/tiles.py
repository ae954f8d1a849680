"""The dashboard tiles as kept counts (W13, issue 13): pure functions over plain rows.

A warning contributes a vector of counts to the tiles of its node: open, by level, by state,
overdue, reports due soon, updates missing. Most of it changes only when the warning does;
"overdue" and "due soon" also change with time, at the warning's pending deadlines (and
`soon` before them). So the kept counts are the sum of every warning's contribution *at one
instant T* (the tiles' clock); a read at `now` adds, for the few warnings with a pending
deadline between T and now (or between T + soon and now + soon), the difference of their
contribution at now and at T. Writers add the difference of a warning's contribution after
and before their change, at T; the sweep moves T forward (`flip_ranges` bounds its work).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

OPEN_STATES = ("raised", "reported_to_branch", "reported_to_head_office", "under_mitigation")
LEVELS = ("yellow", "orange", "red")
# The kept counts, in this order (a column each in `warning_tile`).
COUNTS = ("open", *LEVELS, *OPEN_STATES, "overdue", "due_soon", "updates_missing")
ZERO: tuple[int, ...] = (0,) * len(COUNTS)
_AT = {name: i for i, name in enumerate(COUNTS)}
_OVERDUE, _DUE_SOON = _AT["overdue"], _AT["due_soon"]
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
VALIDATOR_PERIOD = timedelta(minutes=1)
# What a contribution depends on, as `early_warning` columns.
TILE_COLUMNS = (
    "org",
    "state",
    "level",
    "branch_deadline",
    "head_office_deadline",
    "branch_reported_at",
    "head_office_reported_at",
    "branch_overdue",
    "head_office_overdue",
    "updates_missing",
)


@dataclass(frozen=True, slots=True)
class TileRow:
    """What the tiles need of a warning (the `TILE_COLUMNS`, in order)."""

    org: str
    state: str
    level: str
    branch_deadline: datetime | None
    head_office_deadline: datetime | None
    branch_reported_at: datetime | None
    head_office_reported_at: datetime | None
    branch_overdue: bool
    head_office_overdue: bool
    updates_missing: bool


def pending_deadlines(row: TileRow) -> tuple[datetime, ...]:
    """W13: the deadlines of the reports still to make."""
    out = []
    if row.branch_reported_at is None and row.branch_deadline is not None:
        out.append(row.branch_deadline)
    if row.head_office_reported_at is None and row.head_office_deadline is not None:
        out.append(row.head_office_deadline)
    return tuple(out)


def is_overdue(row: TileRow, at: datetime) -> bool:
    """W13: a deadline was missed (marked by the sweep) or has passed, report still missing."""
    if row.branch_overdue or row.head_office_overdue:
        return True
    return any(d < at for d in pending_deadlines(row))


def contribution(row: TileRow | None, at: datetime, soon: timedelta) -> tuple[int, ...]:
    """The counts one warning adds to its node's tiles at instant `at` (closed: nothing)."""
    if row is None or row.state not in OPEN_STATES:
        return ZERO
    counts = [0] * len(COUNTS)
    counts[_AT["open"]] = 1
    counts[_AT[row.level]] = 1
    counts[_AT[row.state]] = 1
    counts[_OVERDUE] = int(is_overdue(row, at))
    counts[_DUE_SOON] = sum(1 for d in pending_deadlines(row) if at <= d <= at + soon)
    counts[_AT["updates_missing"]] = int(row.updates_missing)
    return tuple(counts)


def add(a: Iterable[int], b: Iterable[int]) -> tuple[int, ...]:
    return tuple(x + y for x, y in zip(a, b, strict=True))


def sub(a: Iterable[int], b: Iterable[int]) -> tuple[int, ...]:
    return tuple(x - y for x, y in zip(a, b, strict=True))


def change(
    before: TileRow | None, after: TileRow | None, at: datetime, soon: timedelta
) -> tuple[int, ...]:
    """What a write adds to the kept counts (at the tiles' instant `at`)."""
    return sub(contribution(after, at, soon), contribution(before, at, soon))


def moved(row: TileRow, since: datetime, now: datetime, soon: timedelta) -> tuple[int, ...]:
    """How a warning's contribution moved between the instants `since` and `now`."""
    return sub(contribution(row, now, soon), contribution(row, since, soon))


def flip_ranges(
    since: datetime, now: datetime, soon: timedelta
) -> tuple[tuple[datetime, datetime], ...]:
    """The closed ranges of pending deadlines whose warnings' contribution can differ between
    `since` and `now` (either way round): every other warning's `moved` is zero."""
    lo, hi = min(since, now), max(since, now)
    return ((lo, hi), (lo + soon, hi + soon))


def validator_anchor(now: datetime, period: timedelta = VALIDATOR_PERIOD) -> datetime:
    """The instant a polled read's validator counts crossed deadlines from (issue 13): `now`
    floored to the period, the same for every read of the period on every replica. The
    validator then changes at least once a period, and counts at most a period's deadlines."""
    return EPOCH + (now - EPOCH) // period * period


def recount(rows: Iterable[TileRow], at: datetime, soon: timedelta) -> dict[str, tuple[int, ...]]:
    """The counts per node from scratch: what the kept counts must equal (tests, rebuild)."""
    out: dict[str, tuple[int, ...]] = {}
    for row in rows:
        c = contribution(row, at, soon)
        if c != ZERO:
            out[row.org] = add(out.get(row.org, ZERO), c)
    return out


def branch_of(org: str) -> str:
    """The branch a node belongs to (`HO/<branch>`), the head office for itself."""
    return "/".join(org.split("/")[:2])


def as_summary(org: str, per_node: dict[str, tuple[int, ...]]) -> dict[str, object]:
    """The `GET /v1/summary` document from counts per node."""
    total = ZERO
    by_branch: dict[str, int] = {}
    for node, counts in per_node.items():
        total = add(total, counts)
        if counts[_AT["open"]]:
            branch = branch_of(node)
            by_branch[branch] = by_branch.get(branch, 0) + counts[_AT["open"]]
    named = dict(zip(COUNTS, total, strict=True))
    return {
        "org": org,
        "open_by_level": {lvl: named[lvl] for lvl in LEVELS},
        "open_by_state": {s: named[s] for s in OPEN_STATES},
        "overdue": named["overdue"],
        "due_soon": named["due_soon"],
        "updates_missing": named["updates_missing"],
        "by_branch": dict(sorted((b, n) for b, n in by_branch.items() if n)),
    }
