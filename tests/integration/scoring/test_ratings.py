"""Stored ratings: POST/GET, recomputation, history, scope and roles, idempotency, S14."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from services.scoring import store
from services.scoring.evaluate import evaluate
from services.scoring.models import Rating
from services.scoring.tree import compile_model
from shared.auth import Role
from tests.integration.scoring.conftest import Scoring, inputs, rejected_inputs
from tests.support.auth import caller


async def count_ratings(scoring: Scoring) -> int:
    async with scoring.app.state.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(Rating)) or 0)


async def test_s12_stored_rating_is_read_back_identically(scoring: Scoring) -> None:
    created = await scoring.rate("E-1", inputs=inputs(value=0.51))
    assert created["enterprise_id"] == "E-1"
    assert created["org"] == "HO/GZ/LS03"
    assert created["model_version"]["version"] == 1
    assert created["inputs"] == inputs(value=0.51)
    assert created["rated_by"] == "tester"
    read = await scoring.client.get(f"/v1/ratings/{created['id']}")
    assert read.status_code == 200
    assert read.json() == created


async def test_model_lifecycle_stored_rating_recomputes_bit_for_bit(scoring: Scoring) -> None:
    """A stored rating, recomputed from its stored inputs and stored model document (both read
    back from the database, compiled afresh), gives exactly the stored numbers."""
    posted = [
        await scoring.rate("E-1", inputs=inputs(votes=[5, 1, 1, 0, 0], value=0.3333333333333333)),
        await scoring.rate("E-2", inputs=rejected_inputs()),
        await scoring.rate("E-3", inputs=inputs(votes=[0, 2, 3, 1, 1], value=0.6180339887)),
    ]
    async with scoring.app.state.sessionmaker() as session:
        for body in posted:
            row = await store.get_rating(session, body["id"])
            assert row is not None
            model_row = await store.get_model(session, row.model_id)
            assert model_row is not None
            again = evaluate(compile_model(model_row.document), row.inputs)
            assert (row.score, row.grade, row.risk_level, row.vetoed) == (
                again.score,
                again.grade,
                again.risk_level,
                again.veto.vetoed if again.veto else None,
            )
            assert row.membership == list(again.membership)
            assert body["score"] == again.score
            assert body["nodes"]["U1"]["score"] == again.nodes["U1"].score
            assert [v["contribution"] for v in body["leaves"].values()] == [
                x.contribution for x in again.leaves.values()
            ]
    assert posted[1]["veto"]["vetoed"] is True


async def pages(scoring: Scoring, enterprise_id: str, limit: int) -> list[list[str]]:
    """Every page of one enterprise's history, following next_cursor."""
    out: list[list[str]] = []
    params: dict[str, Any] = {"enterprise_id": enterprise_id, "limit": limit}
    while True:
        page = (await scoring.client.get("/v1/ratings", params=params)).json()
        out.append([item["id"] for item in page["items"]])
        if page["next_cursor"] is None:
            return out
        params["cursor"] = page["next_cursor"]


async def test_history_newest_first_with_cursor_pages(scoring: Scoring) -> None:
    start = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
    ids = []
    for k in range(5):
        scoring.app.state.clock.freeze(start + timedelta(days=k))
        ids.append((await scoring.rate("E-1"))["id"])
    await scoring.rate("E-2")
    assert await pages(scoring, "E-1", 2) == [ids[4:2:-1], ids[2:0:-1], ids[:1]]
    everything = (await scoring.client.get("/v1/ratings")).json()["items"]
    assert len(everything) == 6
    bad = await scoring.client.get("/v1/ratings", params={"cursor": "not-a-cursor"})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["pointer"] == "#query/cursor"


async def test_history_pages_through_ratings_with_the_same_timestamp(scoring: Scoring) -> None:
    items = [{"enterprise_id": "E-9", "org": "HO/GZ", "inputs": inputs()} for _ in range(5)]
    batch = await scoring.client.post(
        "/v1/ratings/batch", json={"model_id": scoring.model_id, "items": items}
    )
    assert batch.status_code == 201
    seen = [rid for page in await pages(scoring, "E-9", 2) for rid in page]
    assert sorted(seen) == sorted(item["id"] for item in batch.json()["items"])
    assert len(seen) == 5


async def test_g4_ratings_are_scoped_by_org(scoring: Scoring) -> None:
    sz = await scoring.rate("E-SZ", org="HO/SZ/BA02")
    gz = await scoring.rate("E-GZ", org="HO/GZ/LS03")
    await scoring.rate("E-GZX", org="HO/GZX")  # a sibling whose name starts like HO/GZ
    async with scoring.as_(caller(Role.BRANCH, org="HO/GZ")) as branch:
        assert (await branch.get(f"/v1/ratings/{sz['id']}")).status_code == 404
        assert (await branch.get(f"/v1/ratings/{sz['id']}/sensitivity")).status_code == 404
        assert (await branch.get(f"/v1/ratings/{gz['id']}")).status_code == 200
        listed = (await branch.get("/v1/ratings")).json()["items"]
        assert [r["id"] for r in listed] == [gz["id"]]
        assert (await branch.get("/v1/ratings", params={"org": "HO/SZ"})).status_code == 404
        outside = await branch.post(
            "/v1/ratings",
            json={"model_id": scoring.model_id, "enterprise_id": "X", "org": "HO/SZ",
                  "inputs": inputs()},
        )  # fmt: skip
        assert outside.status_code == 403
        assert "/org" in outside.json()["detail"]
    async with scoring.as_(caller(Role.BRANCH, org="HO/G_")) as wildcard:
        assert (await wildcard.get("/v1/ratings")).json()["items"] == []


async def test_g3_roles_per_route(scoring: Scoring) -> None:
    body = {"model_id": scoring.model_id, "enterprise_id": "E-1", "org": "HO", "inputs": inputs()}
    rating = await scoring.rate("E-1")
    for role in (Role.VIEWER, Role.COMMITTEE, Role.PRODUCER):
        async with scoring.as_(caller(role)) as client:
            assert (await client.post("/v1/ratings", json=body)).status_code == 403
    for role in (Role.VIEWER, Role.COMMITTEE, Role.OFFICER):
        async with scoring.as_(caller(role)) as client:
            assert (await client.get(f"/v1/ratings/{rating['id']}")).status_code == 200
            assert (await client.post("/v1/evaluate", json=body)).status_code == 422  # reads ok
    for role in (Role.OFFICER, Role.SUB_BRANCH, Role.BRANCH, Role.HEAD_OFFICE, Role.RISK):
        async with scoring.as_(caller(role)) as client:
            assert (await client.post("/v1/ratings", json=body)).status_code == 201
    async with scoring.as_(caller(Role.PRODUCER)) as producer:
        assert (await producer.get(f"/v1/ratings/{rating['id']}")).status_code == 403
        assert (await producer.post("/v1/evaluate", json={})).status_code == 403


async def test_idempotency_key_replays_the_first_result(scoring: Scoring) -> None:
    body = {"model_id": scoring.model_id, "enterprise_id": "E-1", "org": "HO", "inputs": inputs()}
    key = {"Idempotency-Key": "rate-E-1-2026-11-28"}
    first = await scoring.client.post("/v1/ratings", json=body, headers=key)
    again = await scoring.client.post("/v1/ratings", json=dict(reversed(body.items())), headers=key)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotency-replayed"] == "true"
    assert "idempotency-replayed" not in first.headers
    assert await count_ratings(scoring) == 1

    other = await scoring.client.post(
        "/v1/ratings", json={**body, "enterprise_id": "E-2"}, headers=key
    )
    assert other.status_code == 409
    assert "Idempotency-Key" in other.json()["detail"]
    async with scoring.as_(caller(Role.OFFICER, subject="someone-else")) as officer:
        theirs = await officer.post("/v1/ratings", json=body, headers=key)
        assert theirs.status_code == 201  # keys are per client
        assert theirs.json()["id"] != first.json()["id"]
    assert await count_ratings(scoring) == 2


async def test_idempotency_a_failed_request_stores_nothing_under_its_key(scoring: Scoring) -> None:
    key = {"Idempotency-Key": "k-bad-then-good"}
    bad = {"model_id": scoring.model_id, "enterprise_id": "E-1", "org": "HO",
           "inputs": inputs(U111={"votes": [1]})}  # fmt: skip
    assert (await scoring.client.post("/v1/ratings", json=bad, headers=key)).status_code == 422
    good = {**bad, "inputs": inputs()}
    assert (await scoring.client.post("/v1/ratings", json=good, headers=key)).status_code == 201
    too_long = {"Idempotency-Key": "k" * 256}
    response = await scoring.client.post("/v1/ratings", json=good, headers=too_long)
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "#header/Idempotency-Key"


async def test_idempotency_concurrent_duplicates_store_one_rating(scoring: Scoring) -> None:
    body = {"model_id": scoring.model_id, "enterprise_id": "E-1", "org": "HO", "inputs": inputs()}
    key = {"Idempotency-Key": "k-concurrent"}
    responses = await asyncio.gather(
        *(scoring.client.post("/v1/ratings", json=body, headers=key) for _ in range(6))
    )
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1
    assert await count_ratings(scoring) == 1


async def test_ratings_bad_bodies_are_422_naming_the_field(scoring: Scoring) -> None:
    base = {"model_id": scoring.model_id, "enterprise_id": "E-1", "org": "HO", "inputs": inputs()}
    cases = [
        ({**base, "model_id": "m-unknown"}, "/model_id"),
        ({**base, "org": "Guangzhou"}, "/org"),
        ({**base, "enterprise_id": "has space"}, "/enterprise_id"),
        ({**base, "inputs": inputs(U121={"value": "high"})}, "/inputs/U121/value"),
        ({**base, "inputs": rejected_inputs() | {"U111": {"votes": [0, 0, 0, 0, 0]}}},
         "/inputs/U111/votes"),
        ({**base, "extra": 1}, "/extra"),
    ]  # fmt: skip
    for body, where in cases:
        response = await scoring.client.post("/v1/ratings", json=body)
        assert response.status_code == 422, (body, response.text)
        assert where in [e["pointer"] for e in response.json()["errors"]]
    assert await count_ratings(scoring) == 0
    assert (await scoring.client.get("/v1/ratings/nope")).status_code == 404


async def test_s14_sensitivity_of_a_stored_rating(scoring: Scoring) -> None:
    weak_market = {"votes": [0, 0, 1, 2, 4]}
    rating = await scoring.rate(
        "E-1",
        inputs=inputs(
            votes=[4, 2, 1, 0, 0], value=0.55, U131=weak_market, U132=weak_market, U133=weak_market
        ),
    )
    response = await scoring.client.get(f"/v1/ratings/{rating['id']}/sensitivity")
    assert response.status_code == 200
    body = response.json()
    assert body["rating_id"] == rating["id"]
    assert body["grade"] == rating["grade"]
    codes = [f["code"] for f in body["factors"]]
    assert codes == ["U11", "U12", "U13", "U14", "U21", "U22", "U23", "U24", "U25"]
    for factor in body["factors"]:
        assert factor["weight"] == rating["nodes"][factor["code"]]["weight"]
        for shift in ("grade_up", "grade_down", "veto_up", "veto_down"):
            moved = factor[shift]
            assert moved is None or 0.0 <= moved["weight"] <= 1.0
    market = body["factors"][2]
    # Market condition (U13) is poor: weighting it up to ~0.394 of U1 pulls the grade to 中, and
    # further up it triggers the S11 veto.
    assert market["grade_up"]["grade"] == "中"
    assert market["grade_up"]["weight"] > market["weight"]
    assert market["veto_up"]["vetoed"] is True
    assert market["veto_up"]["weight"] > market["grade_up"]["weight"]


async def test_s7_integers_beyond_64_bits_are_422_others_are_kept_exactly(
    scoring: Scoring,
) -> None:
    """JSON allows any integer; storage and replays keep 64 bits, so larger ones are refused."""
    body = {
        "model_id": scoring.model_id,
        "enterprise_id": "E-big",
        "org": "HO",
        "inputs": inputs(U111={"votes": [10**30, 10**29, 0, 0, 0]}),
    }
    evaluate = {"model_id": scoring.model_id, "inputs": body["inputs"]}
    for path, payload in (("/v1/ratings", body), ("/v1/evaluate", evaluate)):
        refused = await scoring.client.post(path, json=payload)
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["pointer"] == "/inputs/U111/votes/0"
    body["inputs"] = inputs(U111={"votes": [2**62, 3, 0, 0, 0]})
    key = {"Idempotency-Key": "k-big"}
    first = await scoring.client.post("/v1/ratings", json=body, headers=key)
    assert first.status_code == 201, first.text
    assert first.json()["inputs"]["U111"]["votes"][0] == 2**62
    again = await scoring.client.post("/v1/ratings", json=body, headers=key)
    assert again.json() == first.json()
    read = await scoring.client.get(f"/v1/ratings/{first.json()['id']}")
    assert read.json() == first.json()
