"""HTTP routes of the warnings service."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Request
from pydantic import TypeAdapter, ValidationError

from services.warnings import store
from services.warnings.schemas import EventRecordRead, EventsAccepted
from shared.app import SinkDep
from shared.auth import Caller, Forbidden, ReaderDep, Role, allow
from shared.db import SessionDep
from shared.errors import InvalidInput, NotFound, invalid_from_pydantic
from shared.events import INCOMING_TYPES, EventId, IncomingEvent, incoming_adapter
from shared.transport import KafkaSink

router = APIRouter(prefix="/v1", tags=["events"])


_batch_adapter: TypeAdapter[list[IncomingEvent]] = TypeAdapter(list[IncomingEvent])


@router.post(
    "/events",
    status_code=202,
    response_model=EventsAccepted,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": ["object", "array"]}}},
        }
    },
)
async def post_events(
    request: Request,
    session: SessionDep,
    sink: SinkDep,
    caller: Annotated[Caller, Depends(allow(Role.PRODUCER))],
    payload: Annotated[Any, Body()],
) -> EventsAccepted:
    """Accept one event or a batch (W19): publish to Kafka, or apply at once when embedded."""
    max_batch: int = request.app.state.settings.events_max_batch
    if not isinstance(payload, dict | list):
        raise InvalidInput("W19: the body must be a JSON event object or an array of events")
    try:
        if isinstance(payload, list):
            if not payload:
                raise InvalidInput("W19: a batch needs at least one event", pointer="")
            if len(payload) > max_batch:
                raise InvalidInput(f"W19: at most {max_batch} events per call", pointer="")
            events = _batch_adapter.validate_python(payload)
        else:
            events = [incoming_adapter.validate_python(payload)]
    except ValidationError as exc:
        raise invalid_from_pydantic(exc, rule="W17", drop=INCOMING_TYPES) from None
    for index, event in enumerate(events):
        if not caller.sees(event.org):
            where = f"/{index}/org" if isinstance(payload, list) else "/org"
            raise Forbidden(f"G4: {where}: {event.org} is outside your subtree {caller.org}")
    await sink.submit(session, events)
    mode = "kafka" if isinstance(sink, KafkaSink) else "embedded"
    return EventsAccepted(mode=mode, accepted=len(events), event_ids=[e.event_id for e in events])


@router.get("/events/{event_id}", response_model=EventRecordRead)
async def get_event(
    session: SessionDep, caller: ReaderDep, event_id: Annotated[EventId, Path()]
) -> EventRecordRead:
    """An event as this service recorded it (404 until the consumer has applied it)."""
    record = await store.get_event_record(session, event_id)
    if record is None or not caller.sees(record.org):
        raise NotFound(f"event {event_id} has not been applied")
    return EventRecordRead.model_validate(record, from_attributes=True)
