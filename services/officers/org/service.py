"""Load -> decide -> persist for the organisation tree, officers and their post history."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from services.officers.models.people import Officer, OfficerPostPeriod, OrgNode
from services.officers.org import store
from services.officers.org.schemas import (
    CREATE_FIELDS,
    KIND_BY_DEPTH,
    OfficerCreate,
    OfficerRead,
    OfficerUpdate,
    OrgKind,
    OrgNodeCreate,
    OrgNodeRead,
    OrgNodeUpdate,
)
from services.officers.records import dossier
from services.officers.records.dossier import EntryKind, NewEntry
from shared.errors import Conflict, InvalidInput
from shared.org import depth


async def create_org(session: AsyncSession, data: OrgNodeCreate) -> tuple[OrgNodeRead, bool]:
    """Create a node under an existing parent; repeating the same create is a no-op.

    Returns the node and whether it was created now."""
    parent_id = data.id.rsplit("/", 1)[0] if "/" in data.id else None
    existing = await store.get_org(session, data.id)
    if existing is not None:
        read = OrgNodeRead.model_validate(existing)
        same = (read.name, read.county, read.sub_branch_class) == (
            data.name,
            data.county,
            data.sub_branch_class,
        )
        if not same:
            raise Conflict(f"organisation node {data.id} already exists with other details")
        return read, False
    if parent_id is not None and await store.get_org(session, parent_id) is None:
        raise InvalidInput(f"parent node {parent_id} does not exist", pointer="/id")
    node = OrgNode(
        id=data.id,
        parent_id=parent_id,
        kind=KIND_BY_DEPTH[depth(data.id)].value,
        name=data.name,
        county=data.county,
        sub_branch_class=data.sub_branch_class,
    )
    session.add(node)
    await session.flush()
    return OrgNodeRead.model_validate(node), True


def update_org(node: OrgNode, data: OrgNodeUpdate) -> OrgNodeRead:
    """O7: rename any node; county and class belong to sub-branches only (they decide the peer
    group of future runs; stored runs keep the inputs they used)."""
    changes = data.model_dump(exclude_unset=True)
    if any(v is None for v in changes.values()):
        field = next(k for k, v in changes.items() if v is None)
        raise InvalidInput(f"{field} cannot be cleared", pointer=f"/{field}", rule="O7")
    if node.kind != OrgKind.SUB_BRANCH.value:
        for field in ("county", "sub_branch_class"):
            if field in changes:
                raise InvalidInput(
                    f"only sub-branches have a {field}", pointer=f"/{field}", rule="O7"
                )
    for field, value in changes.items():
        setattr(node, field, value)
    return OrgNodeRead.model_validate(node)


async def create_officer(
    session: AsyncSession, data: OfficerCreate, *, by: str
) -> tuple[OfficerRead, bool]:
    """Register an officer at an existing node; repeating the same create is a no-op.

    The post history starts on the hire date."""
    existing = await store.get_officer(session, data.id)
    if existing is not None:
        read = OfficerRead.model_validate(existing)
        if read.model_dump(include=CREATE_FIELDS) != data.model_dump():
            raise Conflict(f"officer {data.id} already exists with other details")
        return read, False
    if await store.get_org(session, data.org_id) is None:
        raise InvalidInput(f"organisation node {data.org_id} does not exist", pointer="/org_id")
    officer = Officer(**data.model_dump(), status="candidate", good_standing=True)
    session.add(officer)
    await session.flush()
    session.add(
        OfficerPostPeriod(
            officer_id=officer.id,
            org_id=officer.org_id,
            post=officer.post,
            status=officer.status,
            start_date=officer.hire_date,
            reason="registered",
            recorded_by=by,
        )
    )
    await session.flush()
    return OfficerRead.model_validate(officer), True


async def record_period(
    session: AsyncSession, officer: Officer, *, on: date, reason: str, by: str
) -> None:
    """Post history: close the open period on `on` (exclusive end) and open the officer's
    current node, post and status from `on`; the dossier records the change (O16)."""
    current = await store.open_period(session, officer.id)
    if current is not None:
        if on < current.start_date:
            raise InvalidInput(
                f"the change on {on} is before the current post period ({current.start_date})",
                pointer="/effective_date",
                rule="O16",
            )
        current.end_date = on
    period = OfficerPostPeriod(
        officer_id=officer.id,
        org_id=officer.org_id,
        post=officer.post,
        status=officer.status,
        start_date=on,
        reason=reason,
        recorded_by=by,
    )
    session.add(period)
    await session.flush()
    entry = NewEntry(
        f"post:{period.id}",
        officer.id,
        EntryKind.POST,
        reason,
        on,
        {"org_id": officer.org_id, "post": officer.post, "status": officer.status},
        subtype=officer.status,
    )
    await dossier.append(session, [entry], by=by, at=datetime.now(UTC))


async def close_periods_bulk(session: AsyncSession, officer_ids: list[str], on: date) -> None:
    """Close the open post periods of many officers on one date (grading approval, O5)."""
    for start in range(0, len(officer_ids), 500):
        chunk = officer_ids[start : start + 500]
        await session.execute(
            update(OfficerPostPeriod)
            .where(OfficerPostPeriod.officer_id.in_(chunk), OfficerPostPeriod.end_date.is_(None))
            .values(end_date=on)
        )


async def update_officer(
    session: AsyncSession, officer: Officer, data: OfficerUpdate, *, by: str, today: date
) -> tuple[OfficerRead, bool]:
    """Edit an officer; a post or node change is recorded in the post history with its date.

    Returns the officer and whether its post or node changed."""
    changes = data.model_dump(exclude_unset=True, exclude={"effective_date", "reason"})
    for field, value in changes.items():
        if value is None:
            raise InvalidInput(f"{field} cannot be cleared", pointer=f"/{field}", rule="O16")
    if "org_id" in changes and await store.get_org(session, changes["org_id"]) is None:
        raise InvalidInput(
            f"organisation node {changes['org_id']} does not exist", pointer="/org_id"
        )
    moved = any(
        field in changes and changes[field] != getattr(officer, field)
        for field in ("org_id", "post")
    )
    for field, value in changes.items():
        setattr(officer, field, value)
    _check_dates(officer)
    if moved:
        on = data.effective_date or today
        what = f"post {officer.post} at {officer.org_id}"
        reason = data.reason or "post change"
        await record_period(session, officer, on=on, reason=f"{reason}: {what}", by=by)
    await session.flush()
    return OfficerRead.model_validate(officer), moved


def _check_dates(officer: Officer) -> None:
    if officer.financial_work_start_date < officer.birth_date:
        raise InvalidInput(
            "financial_work_start_date is before birth_date",
            pointer="/financial_work_start_date",
            rule="O2",
        )
    if officer.hire_date < officer.birth_date:
        raise InvalidInput("hire_date is before birth_date", pointer="/hire_date", rule="O2")
