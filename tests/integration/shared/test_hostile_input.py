"""Hostile input on every service (on SQLite and PostgreSQL): oversized and chunked bodies,
deep nesting, huge numbers, NaN / Infinity, unicode edge cases, wrong types, negative money and
out-of-range dates are a 4xx problem document naming the field and the rule, never a 500; money
never passes through a float (shared/bodies.py, shared/events.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.officers.app import create_app as create_officers
from services.officers.config import Settings as OfficersSettings
from services.scoring.app import create_app as create_scoring
from services.scoring.config import Settings as ScoringSettings
from services.warnings.app import create_app as create_warnings
from services.warnings.config import Settings as WarningsSettings
from tests.support.apps import serve
from tests.support.databases import fresh_database
from tests.support.hostile import RAW_JSON, RAW_JSON_POINTER, Chunks, assert_invalid, assert_problem

LIMIT = 256 * 1024
# One JSON route per service, each reached past G3/G4 by the signed admin.
ROUTES = {"scoring": "/v1/evaluate", "officers": "/v1/orgs", "warnings": "/v1/events"}
JSON = {"content-type": "application/json"}


def _app(service: str, url: str) -> Any:
    if service == "scoring":
        return create_scoring(ScoringSettings(database_url=url, max_body_bytes=LIMIT))
    if service == "officers":
        return create_officers(OfficersSettings(database_url=url, max_body_bytes=LIMIT))
    return create_warnings(WarningsSettings(database_url=url, max_body_bytes=LIMIT))


@pytest.fixture(params=sorted(ROUTES))
async def service(
    request: pytest.FixtureRequest, backend: str, tmp_path: Path
) -> AsyncIterator[tuple[str, httpx.AsyncClient]]:
    name = str(request.param)
    url = await fresh_database(name, backend, tmp_path)
    async with serve(_app(name, url)) as client:
        yield name, client


async def test_oversized_body_with_content_length_is_413_before_the_route(
    service: tuple[str, httpx.AsyncClient],
) -> None:
    name, client = service
    response = await client.post(ROUTES[name], content=b"[" + b" " * LIMIT + b"]", headers=JSON)
    body = assert_problem(response, 413)
    assert str(LIMIT) in body["detail"]


async def test_chunked_upload_without_content_length_is_refused_early_with_413(
    service: tuple[str, httpx.AsyncClient],
) -> None:
    name, client = service
    upload = Chunks(total=50 * LIMIT, chunk=LIMIT // 4)
    response = await client.post(ROUTES[name], content=upload, headers=JSON)
    assert "content-length" not in response.request.headers
    assert_problem(response, 413)
    # Read up to the limit and one chunk more, not the 50 x limit sent.
    assert upload.sent <= LIMIT + 2 * upload.chunk


@pytest.mark.parametrize("case", sorted(RAW_JSON))
async def test_hostile_json_is_422_naming_the_json_rule(
    service: tuple[str, httpx.AsyncClient], case: str
) -> None:
    name, client = service
    response = await client.post(ROUTES[name], content=RAW_JSON[case], headers=JSON)
    body = assert_invalid(response, RAW_JSON_POINTER.get(case, ""), "JSON: ")
    assert "request_id" in body


async def test_nul_in_a_string_is_422_naming_its_pointer(
    service: tuple[str, httpx.AsyncClient],
) -> None:
    name, client = service
    document = {"name": "ok", "items": [{"note": "a\u0000b"}]}
    response = await client.post(ROUTES[name], json=document)
    assert_invalid(response, "/items/0/note", "JSON: ", "NUL")


# --- field rules, per service ----------------------------------------------------------------

EVENT: dict[str, Any] = {
    "event_id": "ev-hostile",
    "type": "interest.arrears",
    "occurred_at": "2026-11-28T10:00:00+08:00",
    "loan_id": "L-1",
    "org": "HO/GZ/LS03",
    "body": {"amount": "3200.50", "since": "2026-11-20"},
}


def event(**changes: Any) -> dict[str, Any]:
    body = {**EVENT["body"], **changes.pop("body", {})}
    return {**EVENT, **changes, "body": body}


@pytest.mark.parametrize(
    ("document", "pointer", "fragment"),
    [
        (event(body={"amount": "-0.01"}), "/body/amount", "W17: "),
        (event(body={"amount": 3200.5}), "/body/amount", "decimal string"),
        (event(body={"amount": "3200.505"}), "/body/amount", "decimal places"),
        (event(body={"amount": 10**30}), "/body/amount", "digits"),
        (event(body={"amount": [1]}), "/body/amount", "W17: "),
        (event(body={"since": "0000-01-01"}), "/body/since", "W17: "),
        (event(body={"since": "10000-01-01"}), "/body/since", "W17: "),
        (event(body={"since": "2025-02-30"}), "/body/since", "W17: "),
        (event(occurred_at="0001-01-01T00:00:00+14:00"), "/occurred_at", "in UTC"),
        (event(occurred_at="2026-11-28T10:00:00"), "/occurred_at", "W17: "),
        (event(loan_id="L-\U0001f600"), "/loan_id", "W17: "),
        (event(loan_id="L-\u202e1"), "/loan_id", "W17: "),
        (event(loan_id="L" * 10_000), "/loan_id", "W17: "),
        (event(org=12), "/org", "W17: "),
        ({**event(), "surprise": True}, "/surprise", "W17: "),
    ],
    ids=[
        "negative-money",
        "float-money",
        "three-decimals",
        "money-30-digits",
        "money-wrong-type",
        "year-0",
        "year-10000",
        "feb-30",
        "utc-overflow",
        "naive-timestamp",
        "emoji-id",
        "rtl-mark-id",
        "overlong-id",
        "org-wrong-type",
        "unknown-field",
    ],
)
async def test_warnings_event_field_rules(
    warnings_db: str, document: dict[str, Any], pointer: str, fragment: str
) -> None:
    async with serve(_app("warnings", warnings_db)) as client:
        response = await client.post("/v1/events", json=document)
        assert_invalid(response, pointer, fragment)
        # Nothing half-written: the event id is unknown afterwards.
        assert (await client.get("/v1/events/ev-hostile")).status_code == 404


async def test_warnings_money_is_decimal_end_to_end(warnings_db: str) -> None:
    async with serve(_app("warnings", warnings_db)) as client:
        amount = "9999999999999999.99"  # 18 digits: a float would round it
        accepted = await client.post("/v1/events", json=event(body={"amount": amount}))
        assert accepted.status_code == 202, accepted.text
        stored = await client.get("/v1/events/ev-hostile")
        assert stored.status_code == 200, stored.text
        assert amount in stored.text


@pytest.mark.parametrize(
    ("document", "pointer"),
    [
        ({"id": "HO", "name": "\U0001f600" * 2_000}, "/name"),
        ({"id": "HO\u200f", "name": "rtl"}, "/id"),
        ({"id": "HO", "name": 5}, "/name"),
        ({"id": ["HO"], "name": "x"}, "/id"),
    ],
    ids=["overlong-emoji-name", "rtl-mark-id", "name-wrong-type", "id-wrong-type"],
)
async def test_officers_org_field_rules(
    officers_db: str, document: dict[str, Any], pointer: str
) -> None:
    async with serve(_app("officers", officers_db)) as client:
        assert_invalid(await client.post("/v1/orgs", json=document), pointer)


@pytest.mark.parametrize(
    ("birth_date", "fragment"),
    [("0000-01-01", "O2: "), ("10000-01-01", "O2: "), ("2025-02-30", "O2: ")],
    ids=["year-0", "year-10000", "feb-30"],
)
async def test_officers_dates_out_of_range(
    officers_db: str, birth_date: str, fragment: str
) -> None:
    officer = {
        "id": "OF-1",
        "name": "Chen",
        "org_id": "HO",
        "gender": "male",
        "birth_date": birth_date,
        "hire_date": "2015-01-01",
        "financial_work_start_date": "2015-01-01",
    }
    async with serve(_app("officers", officers_db)) as client:
        assert_invalid(await client.post("/v1/officers", json=officer), "/birth_date", fragment)


@pytest.mark.parametrize(
    ("document", "pointer"),
    [
        ({"matrix": [[1, 1e308], [1e-308, 1]]}, ""),
        ({"matrix": [[1, "2"], [0.5, 1]]}, "/matrix/0/1"),
        ({"matrix": [[1, -2], [-0.5, 1]]}, "/matrix/0/1"),
        ({"matrix": [[1] * 100] * 100}, ""),
    ],
    ids=["extreme-floats", "string-entry", "negative-entry", "100x100"],
)
async def test_scoring_ahp_hostile_matrices(
    scoring_db: str, document: dict[str, Any], pointer: str
) -> None:
    async with serve(_app("scoring", scoring_db)) as client:
        response = await client.post("/v1/ahp/weights", json=document)
        assert 400 <= response.status_code < 500 or response.status_code == 200, response.text
        if response.status_code != 200:
            body = assert_problem(response, response.status_code)
            if pointer:
                assert pointer in {e["pointer"] for e in body.get("errors", [])}, body


async def test_nul_in_a_query_parameter_or_header_is_422_naming_it(
    service: tuple[str, httpx.AsyncClient],
) -> None:
    name, client = service
    response = await client.get(ROUTES[name], params={"org": "HO\u0000"})
    assert_invalid(response, "#query/org", "NUL")
    response = await client.post(ROUTES[name], json={}, headers={"Idempotency-Key": "k\u0000"})
    assert_invalid(response, "#header/idempotency-key", "NUL")
