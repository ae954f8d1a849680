"""Monthly ranking over the API (O36): scores, bottom-3 retraining paired with the top 3,
the pair bonus, elimination flags."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from shared.auth import Role
from tests.support.auth import caller
from tests.support.officers import client_as, ok, seed

IDS = [f"R{i:02d}" for i in range(1, 15)]  # 14 officers in HO/GZ


@pytest.fixture
async def client(admin: httpx.AsyncClient) -> httpx.AsyncClient:
    await seed(admin, dict.fromkeys(IDS, "HO/GZ/LS03") | {"SZ-1": "HO/SZ/BA02"})
    return admin


def scores(order: list[str]) -> dict[str, list[dict[str, str]]]:
    """Best first: the first officer scores 100, the next 99, ..."""
    return {"scores": [{"officer_id": o, "score": str(100 - i)} for i, o in enumerate(order)]}


async def test_o36_bottom_three_retrain_with_the_top_three_and_earn_a_bonus(
    client: httpx.AsyncClient,
) -> None:
    january = IDS  # R12, R13, R14 are the bottom three
    recorded = await ok(client.put("/v1/rankings/2025/1/scores", json=scores(january)))
    assert (recorded["recorded"], recorded["changed"]) == (14, 0)
    again = await ok(client.put("/v1/rankings/2025/1/scores", json=scores(january)))
    assert (again["recorded"], again["changed"]) == (0, 0)
    jan = await ok(client.get("/v1/rankings/2025/1", params={"org": "HO/GZ"}))
    assert jan["retraining"] == ["R14", "R13", "R12"]
    assert [(p["mentor_id"], p["trainee_id"]) for p in jan["pairs"]] == [
        ("R01", "R14"),
        ("R02", "R13"),
        ("R03", "R12"),
    ]
    # February: R14 climbs into the top 10, R13 stays low
    february = ["R14", *[o for o in IDS if o not in ("R14", "R13")], "R13"]
    await ok(client.put("/v1/rankings/2025/2/scores", json=scores(february)))
    feb = await ok(client.get("/v1/rankings/2025/2", params={"org": "HO/GZ"}))
    awarded = {
        b["pair"]["trainee_id"]: (b["awarded"], b["trainee_rank"], b["officer_ids"])
        for b in feb["bonuses"]
    }
    assert awarded["R14"] == (True, 1, ["R01", "R14"])
    assert awarded["R13"][0] is False
    flags = {e["officer_id"]: e for e in feb["eliminations"]}
    assert flags["R13"]["flagged"]
    assert flags["R13"]["reasons"] == ["O36 bottom 2 months in a row"]
    assert not flags["R14"]["flagged"]


async def test_o36_three_times_a_year_flags_elimination_at_year_end(
    client: httpx.AsyncClient,
) -> None:
    low_then_high = list(reversed(IDS))
    for month, order in ((3, IDS), (4, low_then_high), (6, IDS), (8, low_then_high), (10, IDS)):
        await ok(client.put(f"/v1/rankings/2025/{month}/scores", json=scores(order)))
    year = await ok(client.get("/v1/rankings/2025"))
    assert year["months"] == ["2025-03", "2025-04", "2025-06", "2025-08", "2025-10"]
    assert year["flagged"] == ["R12", "R13", "R14"]
    r14 = next(e for e in year["eliminations"] if e["officer_id"] == "R14")
    assert (r14["bottom_months"], r14["longest_run"]) == (["2025-03", "2025-06", "2025-10"], 1)


async def test_o36_the_ranking_group_is_the_subtree_asked_for(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await ok(client.put("/v1/rankings/2025/5/scores", json=scores([*IDS, "SZ-1"])))
    everyone = await ok(client.get("/v1/rankings/2025/5"))
    assert len(everyone["officers"]) == 15
    assert everyone["retraining"] == ["SZ-1", "R14", "R13"]
    async with client_as(app, caller(Role.BRANCH, org="HO/GZ")) as gz:
        mine = await ok(gz.get("/v1/rankings/2025/5"))
        assert len(mine["officers"]) == 14
        assert mine["retraining"] == ["R14", "R13", "R12"]
        hidden = await gz.put("/v1/rankings/2025/5/scores", json=scores(["SZ-1"]))
        assert hidden.status_code == 422
        assert hidden.json()["errors"][0]["detail"] == "O36: officer SZ-1 does not exist"


@pytest.mark.parametrize(
    ("path", "body", "pointer"),
    [
        ("/v1/rankings/2025/13/scores", scores(["R01"]), "#path/month"),
        (
            "/v1/rankings/2025/1/scores",
            {"scores": [{"officer_id": "R01", "score": "x"}]},
            "/scores/0/score",
        ),
        ("/v1/rankings/2025/1/scores", scores(["R01", "R01"]), "/scores/1/officer_id"),
    ],
)
async def test_o36_bad_scores_are_refused_naming_field_and_rule(
    client: httpx.AsyncClient, path: str, body: dict[str, object], pointer: str
) -> None:
    response = await client.put(path, json=body)
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert (error["pointer"], error["detail"][:4]) == (pointer, "O36:")
