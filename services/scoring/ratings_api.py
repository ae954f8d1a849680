"""HTTP routes of stored ratings: one, a batch, history, a rating and its sensitivity."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Header, Path, Query, Request, Response
from sqlalchemy import Table

from services.scoring import ratings, store
from services.scoring.batch import paused_gc
from services.scoring.deps import ClockDep, ModelsDep, OutboxDep, RaterDep, SettingsDep
from services.scoring.models import IdempotencyKey
from services.scoring.schemas import (
    BatchRead,
    RatingCreate,
    RatingPage,
    RatingRead,
    SensitivityRead,
)
from services.scoring.service import load_model
from shared.app import get_read_sessionmaker
from shared.auth import ReaderDep
from shared.db import SessionDep
from shared.errors import InvalidInput
from shared.events import Id
from shared.idempotency import HEADER, hash_json, replay_response, run_once
from shared.org import OrgPath
from shared.paging import Cursor, Limit

router = APIRouter(prefix="/v1", tags=["ratings"])

IDEMPOTENCY_TABLE: Table = IdempotencyKey.__table__  # type: ignore[assignment]
KeyHeader = Annotated[
    str | None,
    Header(
        alias=HEADER,
        description="Retries with the same key and body return the first response; "
        "the same key with another body is a 409",
    ),
]


@router.post("/ratings", status_code=201, response_model=RatingRead)
async def create_rating(
    data: RatingCreate,
    session: SessionDep,
    caller: RaterDep,
    cache: ModelsDep,
    outbox: OutboxDep,
    clock: ClockDep,
    idempotency_key: KeyHeader = None,
) -> Response:
    """Rate an enterprise and store the rating with its inputs and model version (S7-S12);
    publishes `rating.completed`. Idempotent on the `Idempotency-Key` header."""

    async def work() -> tuple[int, Any]:
        body = await ratings.create_rating(
            session, data, caller=caller, cache=cache, outbox=outbox, now=clock.now()
        )
        return 201, body

    outcome = await run_once(
        session,
        IDEMPOTENCY_TABLE,
        scope=f"POST /v1/ratings|{caller.credential_id}",
        key=idempotency_key,
        request_hash=hash_json(data.model_dump(mode="json")),
        work=work,
    )
    return replay_response(outcome)


def _parse(raw: bytes, *, max_items: int, with_hash: bool) -> tuple[ratings.BatchRequest, str]:
    with paused_gc():
        try:
            payload = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise InvalidInput(f"Request body is not valid JSON: {exc}", pointer="") from None
        req = ratings.parse_batch(payload, max_items=max_items)
        return req, hash_json(payload) if with_hash else ""


BATCH_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["model_id", "items"],
    "additionalProperties": False,
    "properties": {
        "model_id": {"type": "string", "description": "a stored model version"},
        "items": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["enterprise_id", "org", "inputs"],
                "additionalProperties": False,
                "properties": {
                    "enterprise_id": {"type": "string"},
                    "org": {"type": "string", "description": "organisation node, HO/..."},
                    "inputs": {"type": "object", "description": "as in POST /v1/ratings"},
                },
            },
        },
    },
}


@router.post(
    "/ratings/batch",
    status_code=201,
    response_model=BatchRead,
    openapi_extra={
        "requestBody": {"required": True, "content": {"application/json": {"schema": BATCH_SCHEMA}}}
    },
)
async def create_batch(
    request: Request,
    session: SessionDep,
    caller: RaterDep,
    cache: ModelsDep,
    outbox: OutboxDep,
    clock: ClockDep,
    settings: SettingsDep,
    idempotency_key: KeyHeader = None,
) -> Response:
    """Rate many enterprises on one model in one vectorised pass and store every rating
    (up to `SCORING_BATCH_MAX_ITEMS`, 100,000 by default). All or nothing: one bad row is a
    422 naming it (e.g. `/items/17/inputs/U121/value`) and nothing is stored. The response
    lists each rating's id and headline figures; GET /v1/ratings/{id} explains one.
    Idempotent on the `Idempotency-Key` header."""
    req, digest = await asyncio.to_thread(
        _parse,
        await request.body(),
        max_items=settings.batch_max_items,
        with_hash=idempotency_key is not None,
    )
    ratings.check_scope(req, caller)
    # The model is read in its own read-only transaction: on SQLite the request's transaction
    # holds the write lock, which should not wait for the computation below.
    async with get_read_sessionmaker(request)() as reader:
        version, model = await load_model(reader, req.model_id, cache)
    now = clock.now()

    def compute() -> tuple[list[dict[str, Any]], list[Any], dict[str, Any]]:
        with paused_gc():
            batch = ratings.compute_batch(model, req)
            rows = ratings.batch_rows(req, batch, version=version, rated_by=caller.subject, now=now)
            events = [ratings.completed_event(r) for r in rows] if outbox.wanted else []
            return rows, events, ratings.batch_body(rows, version, now)

    rows, events, body = await asyncio.to_thread(compute)

    async def work() -> tuple[int, Any]:
        await store.add_ratings(session, rows)
        await outbox.add(session, events)
        return 201, body

    outcome = await run_once(
        session,
        IDEMPOTENCY_TABLE,
        scope=f"POST /v1/ratings/batch|{caller.credential_id}",
        key=idempotency_key,
        request_hash=digest,
        work=work,
    )
    return replay_response(outcome)


@router.get("/ratings", response_model=RatingPage)
async def list_ratings(
    session: SessionDep,
    caller: ReaderDep,
    enterprise_id: Annotated[Id | None, Query(description="one enterprise's history")] = None,
    org: Annotated[OrgPath | None, Query(description="subtree root")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Rating history, newest first, in the caller's subtree; `next_cursor` pages on (issue
    13: at most 1000 a page)."""
    return await ratings.list_ratings(
        session, caller=caller, enterprise_id=enterprise_id, org=org, limit=limit, cursor=cursor
    )


@router.get("/ratings/{rating_id}", response_model=RatingRead)
async def get_rating(
    session: SessionDep, caller: ReaderDep, cache: ModelsDep, rating_id: Annotated[Id, Path()]
) -> dict[str, Any]:
    """A stored rating, its inputs and model version; the explanation (S12) is recomputed
    from the stored inputs and equals the original."""
    return await ratings.read_rating(session, rating_id, caller=caller, cache=cache)


@router.get("/ratings/{rating_id}/sensitivity", response_model=SensitivityRead)
async def get_sensitivity(
    session: SessionDep, caller: ReaderDep, cache: ModelsDep, rating_id: Annotated[Id, Path()]
) -> dict[str, Any]:
    """S14: for each main factor, how far its weight must move (siblings rescaled) to change
    the final grade (`grade_up` / `grade_down`) or the veto (`veto_up` / `veto_down`)."""
    return await ratings.rating_sensitivity(session, rating_id, caller=caller, cache=cache)
