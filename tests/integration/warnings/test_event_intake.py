"""POST /v1/events in the embedded mode (W19), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from services.warnings.app import create_app
from services.warnings.config import Settings
from tests.support.apps import serve


def disbursed(event_id: str = "ev-1", **overrides: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "event_id": event_id,
        "type": "loan.disbursed",
        "occurred_at": "2026-11-02T09:30:00+08:00",
        "loan_id": "L-1",
        "borrower_id": "B-1",
        "org": "HO/GZ/LS03",
        "body": {"amount": "1200000.50", "maturity_date": "2027-11-02"},
    }
    event.update(overrides)
    return event


@pytest.fixture
async def client(warnings_db: str) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(create_app(Settings(database_url=warnings_db))) as c:
        yield c


async def test_w19_embedded_event_is_applied_at_once(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/events", json=disbursed())
    assert response.status_code == 202
    assert response.json() == {"mode": "embedded", "accepted": 1, "event_ids": ["ev-1"]}

    stored = await client.get("/v1/events/ev-1")
    assert stored.status_code == 200
    body = stored.json()
    assert body["loan_id"] == "L-1"
    assert body["org"] == "HO/GZ/LS03"
    # Money stays a decimal string end to end; the time keeps its instant (stored as UTC).
    assert body["payload"]["body"]["amount"] == "1200000.50"
    assert body["occurred_at"] == "2026-11-02T01:30:00Z"


async def test_w18_repeated_event_id_is_applied_once(client: httpx.AsyncClient) -> None:
    first = await client.post("/v1/events", json=disbursed(loan_id="L-first"))
    again = await client.post("/v1/events", json=disbursed(loan_id="L-changed"))
    assert first.status_code == again.status_code == 202

    stored = (await client.get("/v1/events/ev-1")).json()
    assert stored["loan_id"] == "L-first"  # the repeat changed nothing


async def test_w19_batch_with_a_duplicate_inside_applies_each_event_once(
    client: httpx.AsyncClient,
) -> None:
    batch = [disbursed("ev-a"), disbursed("ev-b", loan_id="L-2"), disbursed("ev-a")]
    response = await client.post("/v1/events", json=batch)
    assert response.status_code == 202
    assert response.json()["accepted"] == 3
    for event_id in ("ev-a", "ev-b"):
        assert (await client.get(f"/v1/events/{event_id}")).status_code == 200


async def test_w17_bad_event_is_refused_with_pointers_and_nothing_written(
    client: httpx.AsyncClient,
) -> None:
    good = disbursed("ev-good")
    bad = disbursed("ev-bad", org="Guangzhou", body={"amount": "-5", "maturity_date": "x"})
    response = await client.post("/v1/events", json=[good, bad])

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    pointers = {e["pointer"] for e in response.json()["errors"]}
    assert pointers == {"/1/org", "/1/body/amount", "/1/body/maturity_date"}
    assert all(e["detail"].startswith("W17:") for e in response.json()["errors"])
    # All or nothing: the good event of the refused batch was not applied either.
    assert (await client.get("/v1/events/ev-good")).status_code == 404


@pytest.mark.parametrize(
    ("payload", "pointer"),
    [
        ({"type": "loan.disbursed"}, "/event_id"),
        ({**disbursed(), "type": "loan.exploded"}, ""),
        ({**disbursed(), "occurred_at": "2026-11-02T09:30:00"}, "/occurred_at"),
        ({**disbursed(), "loan_id": None}, ""),
        ({**disbursed(), "body": {"amount": "NaN", "maturity_date": "2027-01-01"}}, "/body/amount"),
        ({**disbursed(), "body": {"amount": 1e30, "maturity_date": "2027-01-01"}}, "/body/amount"),
        ({**disbursed(), "surprise": 1}, "/surprise"),
        ([], ""),
        ("just a string", ""),
    ],
)
async def test_w17_malformed_input_is_a_422_naming_the_field(
    client: httpx.AsyncClient, payload: Any, pointer: str
) -> None:
    response = await client.post("/v1/events", json=payload)
    assert response.status_code == 422
    problem = response.json()
    assert problem["status"] == 422
    assert pointer in {e["pointer"] for e in problem["errors"]}


async def test_unparseable_json_is_a_422(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/events", content=b'{"event_id": ', headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert "JSON" in response.json()["detail"]


async def test_oversized_body_is_refused_early_with_413(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/events",
        content=b"[" + b" " * 2_000_000 + b"]",
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["title"] == "Payload too large"


async def test_unknown_event_is_404_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/events/nope")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
