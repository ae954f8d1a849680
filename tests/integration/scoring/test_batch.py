"""POST /v1/ratings/batch: one vectorised pass, all or nothing, row-numbered errors (S7-S11)."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import func, select

from services.scoring.app import create_app
from services.scoring.models import Rating
from shared.auth import Role
from tests.integration.scoring.conftest import (
    DEFAULT_DOC,
    Scoring,
    inputs,
    rejected_inputs,
    settings_for,
)
from tests.support.apps import serve
from tests.support.auth import caller


def items(count: int, **override: Any) -> list[dict[str, Any]]:
    out = []
    for k in range(count):
        leaf_inputs = rejected_inputs() if k % 4 == 3 else inputs(value=0.3 + k / 100)
        out.append({"enterprise_id": f"E-{k}", "org": "HO/GZ/LS03", "inputs": leaf_inputs})
    for k, item in override.items():
        out[int(k.removeprefix("row"))] = item
    return out


async def count_ratings(scoring: Scoring) -> int:
    async with scoring.app.state.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(Rating)) or 0)


async def test_batch_rates_and_stores_every_row_like_single_ratings(scoring: Scoring) -> None:
    batch = items(30)
    response = await scoring.client.post(
        "/v1/ratings/batch", json={"model_id": scoring.model_id, "items": batch}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["count"] == 30
    assert body["model_version"]["id"] == scoring.model_id
    assert [r["enterprise_id"] for r in body["items"]] == [f"E-{k}" for k in range(30)]
    assert sum(1 for r in body["items"] if r["vetoed"]) == 7
    assert await count_ratings(scoring) == 30
    for k in (0, 3, 29):
        single = await scoring.client.post(
            "/v1/evaluate", json={"model_id": scoring.model_id, "inputs": batch[k]["inputs"]}
        )
        stored = (await scoring.client.get(f"/v1/ratings/{body['items'][k]['id']}")).json()
        assert body["items"][k]["score"] == single.json()["score"] == stored["score"]
        assert stored["nodes"] == single.json()["nodes"]
        assert stored["inputs"] == batch[k]["inputs"]


async def test_batch_one_bad_row_fails_the_batch_naming_the_row(scoring: Scoring) -> None:
    cases = [
        (items(20, row17={**items(20)[17], "inputs": inputs(U121={"value": "x"})}),
         "/items/17/inputs/U121/value"),
        (items(20, row5={**items(20)[5], "inputs": inputs(U111={"votes": [-1, 0, 0, 0, 1]})}),
         "/items/5/inputs/U111/votes/0"),
        (items(20, row2={**items(20)[2], "inputs": {k: v for k, v in inputs().items()
                                                    if k != "U121"}}),
         "/items/2/inputs/U121"),
        (items(20, row8={**items(20)[8], "inputs": inputs(U999={"value": 1})}),
         "/items/8/inputs/U999"),
        (items(20, row9={**items(20)[9], "inputs": inputs(U111={"votes": [1, 2]})}),
         "/items/9/inputs/U111/votes"),
        (items(20, row1={**items(20)[1], "org": "Shenzhen"}), "/items/1/org"),
        (items(20, row4={**items(20)[4], "enterprise_id": ""}), "/items/4/enterprise_id"),
        (items(20, row6={"enterprise_id": "E", "org": "HO"}), "/items/6"),
    ]  # fmt: skip
    for batch, where in cases:
        response = await scoring.client.post(
            "/v1/ratings/batch", json={"model_id": scoring.model_id, "items": batch}
        )
        assert response.status_code == 422, response.text
        assert where in [e["pointer"] for e in response.json()["errors"]], response.text
    assert await count_ratings(scoring) == 0


async def test_batch_envelope_errors(scoring: Scoring) -> None:
    for body, where in (
        ({"model_id": scoring.model_id, "items": []}, "/items"),
        ({"model_id": scoring.model_id, "items": {}}, "/items"),
        ({"model_id": scoring.model_id}, "/items"),
        ({"items": items(1)}, "/model_id"),
        ({"model_id": "m-unknown", "items": items(1)}, "/model_id"),
        ({"model_id": scoring.model_id, "items": items(1), "extra": 1}, "/extra"),
        ([], ""),
    ):
        response = await scoring.client.post("/v1/ratings/batch", json=body)
        assert response.status_code == 422, (body, response.text)
        assert where in [e["pointer"] for e in response.json()["errors"]]
    not_json = await scoring.client.post(
        "/v1/ratings/batch", content=b'{"items": [', headers={"content-type": "application/json"}
    )
    assert not_json.status_code == 422
    assert "JSON" in not_json.json()["detail"]


async def test_batch_size_cap_and_a_body_limit_raised_for_this_route_only(scoring_db: str) -> None:
    app = create_app(
        settings_for(
            scoring_db, max_body_bytes=50_000, batch_max_body_bytes=2_000_000, batch_max_items=300
        )
    )
    async with serve(app) as client:
        model_id = (await client.post("/v1/models", json=DEFAULT_DOC)).json()["id"]
        big = {"model_id": model_id, "items": items(200)}
        assert len(orjson.dumps(big)) > 100_000
        assert (await client.post("/v1/ratings/batch", json=big)).status_code == 201
        elsewhere = await client.post(
            "/v1/evaluate", json={"model_id": model_id, "inputs": inputs(), "pad": "x" * 60_000}
        )
        assert elsewhere.status_code == 413
        over = await client.post("/v1/ratings/batch", json={**big, "items": items(301)})
        assert over.status_code == 422
        assert over.json()["errors"][0]["pointer"] == "/items"
        huge = {"model_id": model_id, "items": items(300) * 20}
        assert len(orjson.dumps(huge)) > 2_000_000
        assert (await client.post("/v1/ratings/batch", json=huge)).status_code == 413


async def test_g4_batch_outside_the_callers_subtree_is_403_and_stores_nothing(
    scoring: Scoring,
) -> None:
    batch = items(3, row1={**items(3)[1], "org": "HO/SZ/BA02"})
    async with scoring.as_(caller(Role.BRANCH, org="HO/GZ")) as branch:
        response = await branch.post(
            "/v1/ratings/batch", json={"model_id": scoring.model_id, "items": batch}
        )
        assert response.status_code == 403
        assert "/items/1/org" in response.json()["detail"]
    async with scoring.as_(caller(Role.VIEWER)) as viewer:
        response = await viewer.post(
            "/v1/ratings/batch", json={"model_id": scoring.model_id, "items": items(1)}
        )
        assert response.status_code == 403
    assert await count_ratings(scoring) == 0


async def test_batch_idempotency_key(scoring: Scoring) -> None:
    body = {"model_id": scoring.model_id, "items": items(10)}
    key = {"Idempotency-Key": "nightly-2026-11-28"}
    first = await scoring.client.post("/v1/ratings/batch", json=body, headers=key)
    again = await scoring.client.post("/v1/ratings/batch", json=body, headers=key)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotency-replayed"] == "true"
    assert await count_ratings(scoring) == 10
    changed = await scoring.client.post(
        "/v1/ratings/batch", json={**body, "items": items(9)}, headers=key
    )
    assert changed.status_code == 409
