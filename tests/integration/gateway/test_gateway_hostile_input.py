"""Hostile input through the gateway (G1): refused by the gateway itself before any service is
called (413 early, even chunked; 422 for hostile JSON), field rules relayed from the service as
problem documents, and the findings of fuzzing the merged OpenAPI document."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest

from tests.support.hostile import RAW_JSON, RAW_JSON_POINTER, Chunks, assert_invalid, assert_problem

from .conftest import ADMIN, Stack, gateway_stack

LIMIT = 64 * 1024
ROUTES = ["/scoring/v1/evaluate", "/officers/v1/orgs", "/warnings/v1/events", "/v1/events"]
JSON = {**ADMIN, "content-type": "application/json"}


@pytest.fixture
async def small(urls: dict[str, str]) -> AsyncIterator[Stack]:
    async with gateway_stack(urls, max_body_bytes=LIMIT) as running:
        yield running


def access_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """Every access line: the gateway's, and those of any service a call reached."""
    return [r for r in caplog.records if r.name == "access"]


@pytest.mark.parametrize("route", ROUTES)
async def test_g1_oversized_bodies_are_413_at_the_gateway_even_chunked(
    small: Stack, route: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="access"):
        sized = await small.client.post(route, content=b" " * (LIMIT + 1), headers=JSON)
        upload = Chunks(total=50 * LIMIT, chunk=LIMIT // 4)
        chunked = await small.client.post(route, content=upload, headers=JSON)
    assert_problem(sized, 413)
    assert_problem(chunked, 413)
    assert upload.sent <= LIMIT + 2 * upload.chunk  # refused early, not read to its end
    assert len(access_lines(caplog)) == 2  # the gateway's own two: no service saw either


@pytest.mark.parametrize("case", sorted(RAW_JSON))
async def test_g1_hostile_json_is_422_at_the_gateway(
    stack: Stack, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.clear()
    for route in ROUTES:
        with caplog.at_level(logging.INFO, logger="access"):
            response = await stack.client.post(route, content=RAW_JSON[case], headers=JSON)
        assert_invalid(response, RAW_JSON_POINTER.get(case, ""), "JSON: ")
    assert len(access_lines(caplog)) == len(ROUTES)  # the gateway's only


async def test_g1_field_rules_of_a_service_come_back_as_its_problem_document(stack: Stack) -> None:
    event = {
        "event_id": "ev-neg",
        "type": "interest.arrears",
        "occurred_at": "2026-11-28T10:00:00+08:00",
        "loan_id": "L-1",
        "org": "HO/GZ/LS03",
        "body": {"amount": "-1.00", "since": "2026-11-20"},
    }
    response = await stack.client.post("/v1/events", json=event, headers=ADMIN)
    assert_invalid(response, "/body/amount", "W17: ")
    event["body"] = {"amount": 1.5, "since": "2026-11-20"}
    response = await stack.client.post("/v1/events", json=event, headers=ADMIN)
    assert_invalid(response, "/body/amount", "decimal string")
    response = await stack.client.post(
        "/v1/events", json={**event, "loan_id": "L\u0000"}, headers=ADMIN
    )
    assert_invalid(response, "/loan_id", "NUL")


@pytest.mark.parametrize(
    ("path", "pointer"),
    [
        ("/scoring/v1/ratings/%0D", "#path/rating_id"),
        ("/officers/v1/officers/%C3%8AD%10%C2%88/appointments", "#path/officer_id"),
        ("/warnings/v1/warnings/a%23b%3Fc", "#path/warning_id"),
        ("/warnings/v1/events/%F4%87%90%BE%00", "#path"),  # NUL: refused at the gateway
    ],
    ids=["cr", "control-and-latin1", "hash-and-question-mark", "nul"],
)
async def test_fuzz_g1_ids_with_control_characters_are_forwarded_encoded_not_500(
    stack: Stack, path: str, pointer: str
) -> None:
    """Fuzzing found a 500: the proxy rebuilt the URL from the decoded path, which no URL can
    carry; it now forwards the client's own percent-encoding, and the service names the id."""
    response = await stack.client.get(path, headers=ADMIN)
    assert_invalid(response, pointer)


async def test_fuzz_g1_an_encoded_id_reaches_the_service_unchanged(stack: Stack) -> None:
    node = {"id": "HO", "name": "head office"}
    assert (await stack.client.post("/officers/v1/orgs", json=node, headers=ADMIN)).is_success
    response = await stack.client.get("/officers/v1/orgs/HO%2FGZ", headers=ADMIN)
    assert_problem(response, 404)
    assert (await stack.client.get("/officers/v1/orgs/HO", headers=ADMIN)).status_code == 200


async def test_fuzz_g7_the_merged_document_lists_what_the_gateway_answers(stack: Stack) -> None:
    """Fuzzing found a 401 the merged document did not list for a route it secured."""
    merged = (await stack.client.get("/v1/openapi.json")).json()
    health = merged["paths"]["/scoring/healthz"]["get"]
    assert health["security"] == [{"credential": []}]
    for status in ("401", "413", "429", "502", "504"):
        response = health["responses"][status]
        ref = response["content"]["application/problem+json"]["schema"]["$ref"]
        assert ref == "#/components/schemas/scoring.Problem"
    own = merged["paths"]["/v1/credentials"]["post"]["responses"]
    assert {"401", "403", "422", "429"} <= set(own)
    assert "502" not in own
    assert "/healthz" in merged["paths"]
    assert "401" not in merged["paths"]["/healthz"]["get"]["responses"]
