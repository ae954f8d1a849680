"""Stored ratings: one, a batch, history, recomputation and sensitivity (scoring.md S7-S14).

A rating row keeps the inputs, the model version and the headline figures; the explanation of
S12 is recomputed from the stored inputs on read, which gives the same numbers bit for bit
(the math is deterministic and a batch row equals a single evaluation). Every stored rating
emits `rating.completed` through the outbox in the same transaction.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring import store
from services.scoring.ahp import AhpError
from services.scoring.batch import fast_stack_inputs
from services.scoring.evaluate import (
    BatchRating,
    batch_memberships,
    batch_summary,
    evaluate,
    evaluate_batch,
    rating_to_dict,
)
from services.scoring.evaluate import Rating as Evaluation
from services.scoring.models import Rating
from services.scoring.schemas import RatingCreate, RatingRead
from services.scoring.sensitivity import sensitivity_for_inputs, sensitivity_to_dict
from services.scoring.service import (
    ModelCache,
    ModelVersion,
    check_integers,
    invalid,
    load_model,
    model_ref,
)
from services.scoring.tree import Model
from shared.auth import Caller, Forbidden, narrowest
from shared.errors import InvalidInput, NotFound
from shared.events import RatingCompleted, RatingCompletedBody
from shared.org import ORG_PATTERN
from shared.outbox import Outbox
from shared.paging import page_of

log = logging.getLogger("scoring.ratings")

_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,64}$")
_ORG = re.compile(ORG_PATTERN)
_ITEM_KEYS = frozenset({"enterprise_id", "org", "inputs"})
MAX_REPORTED = 20


def new_ids(count: int) -> list[str]:
    """Random 128-bit ids as 32 hex characters."""
    raw = os.urandom(16 * count).hex()
    return [raw[32 * i : 32 * i + 32] for i in range(count)]


def completed_event(row: dict[str, Any]) -> RatingCompleted:
    """`rating.completed` for a stored rating row (to topic rating-events, keyed by enterprise)."""
    return RatingCompleted(
        event_id=f"rating.completed:{row['id']}",
        occurred_at=row["created_at"],
        borrower_id=row["enterprise_id"],
        org=row["org"],
        body=RatingCompletedBody(
            rating_id=row["id"],
            enterprise_id=row["enterprise_id"],
            model_id=row["model_id"],
            score=row["score"],
            grade=row["grade"],
            risk_level=row["risk_level"],
            vetoed=bool(row["vetoed"]),
        ),
    )


def rating_body(row: dict[str, Any], version: ModelVersion, rating: Evaluation) -> dict[str, Any]:
    """RatingRead as JSON: the stored record with the full explanation (S12)."""
    body = rating_to_dict(rating, model_version=model_ref(version))
    keys = ("id", "enterprise_id", "org", "model_id", "inputs", "rated_by", "created_at")
    body.update({k: row[k] for k in keys})
    return RatingRead.model_validate(body).model_dump(mode="json")


async def create_rating(
    session: AsyncSession,
    data: RatingCreate,
    *,
    caller: Caller,
    cache: ModelCache,
    outbox: Outbox,
    now: datetime,
) -> dict[str, Any]:
    """Rate one enterprise and store it with its inputs and model version (S7-S12)."""
    if not caller.sees(data.org):
        raise Forbidden(f"G4: /org: {data.org} is outside your subtree {caller.org}")
    version, model = await load_model(session, data.model_id, cache)
    check_integers(data.inputs)
    try:
        rating = evaluate(model, data.inputs)
    except AhpError as err:
        raise invalid(err) from None
    row = {
        "id": new_ids(1)[0],
        "enterprise_id": data.enterprise_id,
        "org": data.org,
        "model_id": version.id,
        "inputs": data.inputs,
        "score": rating.score,
        "grade": rating.grade,
        "grade_by_max_membership": rating.grade_by_max_membership,
        "risk_level": rating.risk_level,
        "vetoed": None if rating.veto is None else rating.veto.vetoed,
        "membership": list(rating.membership),
        "rated_by": caller.subject,
        "created_at": now,
    }
    await store.add_ratings(session, [row])
    if outbox.wanted:
        await outbox.add(session, [completed_event(row)])
    return rating_body(row, version, rating)


async def _visible(session: AsyncSession, rating_id: str, caller: Caller) -> Rating:
    row = await store.get_rating(session, rating_id)
    if row is None or not caller.sees(row.org):
        raise NotFound(f"rating {rating_id} does not exist")
    return row


def recompute(model: Model, row: Rating) -> Evaluation:
    """The rating again from its stored inputs; it must equal what was stored (Model lifecycle)."""
    rating = evaluate(model, row.inputs)
    stored = (row.score, row.grade, row.grade_by_max_membership, row.risk_level, row.membership)
    again = (
        rating.score,
        rating.grade,
        rating.grade_by_max_membership,
        rating.risk_level,
        list(rating.membership),
    )
    if stored != again:
        log.error("rating %s recomputes differently: %r != %r", row.id, stored, again)
    return rating


async def read_rating(
    session: AsyncSession, rating_id: str, *, caller: Caller, cache: ModelCache
) -> dict[str, Any]:
    """A stored rating with its explanation recomputed from the stored inputs (S12)."""
    row = await _visible(session, rating_id, caller)
    version, model = await load_model(session, row.model_id, cache, pointer=None)
    fields = {c: getattr(row, c) for c in ("id", "enterprise_id", "org", "model_id", "inputs")}
    fields.update(rated_by=row.rated_by, created_at=row.created_at)
    return rating_body(fields, version, recompute(model, row))


async def rating_sensitivity(
    session: AsyncSession, rating_id: str, *, caller: Caller, cache: ModelCache
) -> dict[str, Any]:
    """S14 for a stored rating: per main factor, the weights that change grade or veto."""
    row = await _visible(session, rating_id, caller)
    version, model = await load_model(session, row.model_id, cache, pointer=None)
    factors = sensitivity_to_dict(sensitivity_for_inputs(model, row.inputs))
    return {
        "rating_id": row.id,
        "model_version": model_ref(version),
        "score": row.score,
        "grade": row.grade,
        "vetoed": row.vetoed,
        "factors": factors,
    }


async def list_ratings(
    session: AsyncSession,
    *,
    caller: Caller,
    enterprise_id: str | None,
    org: str | None,
    limit: int,
    cursor: str | None,
) -> dict[str, Any]:
    """Rating history (newest first) in the caller's subtree, a page at a time."""
    rows = await store.list_ratings(
        session,
        under=narrowest(caller, org),
        enterprise_id=enterprise_id,
        limit=limit,
        cursor=cursor,
    )
    page, after = page_of(rows, limit, lambda r: (r.created_at, r.id))
    return {
        "items": [
            {
                c: getattr(r, c)
                for c in (
                    "id",
                    "enterprise_id",
                    "org",
                    "model_id",
                    "score",
                    "grade",
                    "grade_by_max_membership",
                    "risk_level",
                    "vetoed",
                    "created_at",
                )
            }  # fmt: skip
            for r in page
        ],
        "next_cursor": after,
    }


@dataclass(frozen=True)
class BatchRequest:
    """A parsed POST /v1/ratings/batch body: one model, m enterprises."""

    model_id: str
    enterprise_ids: list[str]
    orgs: list[str]
    inputs: list[Any]


def parse_batch(payload: object, *, max_items: int) -> BatchRequest:
    """Check the batch envelope; every bad field is named, up to MAX_REPORTED of them."""
    if not isinstance(payload, dict):
        raise InvalidInput("the body is an object {model_id, items}", pointer="")
    errors: list[dict[str, str]] = []
    for key in payload.keys() - {"model_id", "items"}:
        errors.append({"pointer": f"/{key}", "detail": "unknown field"})
    model_id, items = payload.get("model_id"), payload.get("items")
    if not isinstance(model_id, str) or not _ID.match(model_id):
        errors.append({"pointer": "/model_id", "detail": "a model version id is required"})
    if not isinstance(items, list) or not items:
        errors.append({"pointer": "/items", "detail": "items must be a non-empty list"})
        items = []
    elif len(items) > max_items:
        errors.append({"pointer": "/items", "detail": f"at most {max_items} items per batch"})
        items = []
    for k, item in enumerate(items):
        if len(errors) >= MAX_REPORTED:
            break
        if type(item) is not dict or item.keys() != _ITEM_KEYS:
            errors.append(
                {"pointer": f"/items/{k}", "detail": "an item is {enterprise_id, org, inputs}"}
            )
            continue
        eid, org = item["enterprise_id"], item["org"]
        if type(eid) is not str or not _ID.match(eid):
            errors.append(
                {"pointer": f"/items/{k}/enterprise_id", "detail": "1-64 of A-Za-z0-9._:-"}
            )
        if type(org) is not str or len(org) > 140 or not _ORG.match(org):
            errors.append({"pointer": f"/items/{k}/org", "detail": "an organisation path HO/..."})
    if errors:
        detail = "; ".join(f"{e['pointer'] or '/'}: {e['detail']}" for e in errors[:5])
        raise InvalidInput(detail, errors=errors)
    return BatchRequest(
        model_id=str(model_id),
        enterprise_ids=[it["enterprise_id"] for it in items],
        orgs=[it["org"] for it in items],
        inputs=[it["inputs"] for it in items],
    )


def check_scope(req: BatchRequest, caller: Caller) -> None:
    """G4: every enterprise's node lies in the caller's subtree (403 naming the first)."""
    for k, org in enumerate(req.orgs):
        if not caller.sees(org):
            raise Forbidden(f"G4: /items/{k}/org: {org} is outside your subtree {caller.org}")


def compute_batch(model: Model, req: BatchRequest) -> BatchRating:
    """One vectorised pass over the batch (S7-S11); a bad row fails it, named by its index."""
    try:
        inputs = fast_stack_inputs(model, req.inputs)
        return evaluate_batch(model, batch_memberships(model, inputs))
    except AhpError as err:
        raise invalid(err, prefix="" if err.row is None else f"/items/{err.row}") from None


def batch_rows(
    req: BatchRequest, batch: BatchRating, *, version: ModelVersion, rated_by: str, now: datetime
) -> list[dict[str, Any]]:
    """The rating rows of a computed batch (CPU only; run it off the event loop)."""
    heads = batch_summary(batch)
    membership = batch.membership[batch.model.root.code].tolist()
    ids = new_ids(batch.size)
    return [
        {
            "id": rid,
            "enterprise_id": eid,
            "org": org,
            "model_id": version.id,
            "inputs": inputs,
            **head,
            "membership": mem,
            "rated_by": rated_by,
            "created_at": now,
        }
        for rid, eid, org, inputs, head, mem in zip(
            ids, req.enterprise_ids, req.orgs, req.inputs, heads, membership, strict=True
        )
    ]


def batch_body(rows: list[dict[str, Any]], version: ModelVersion, now: datetime) -> dict[str, Any]:
    """BatchRead as JSON: each enterprise's headline figures and rating id."""
    keys = ("id", "enterprise_id", "org", "score", "grade", "grade_by_max_membership")
    return {
        "model_version": model_ref(version),
        "count": len(rows),
        "created_at": now.isoformat().replace("+00:00", "Z"),
        "items": [
            {**{k: r[k] for k in keys}, "risk_level": r["risk_level"], "vetoed": r["vetoed"]}
            for r in rows
        ],
    }
