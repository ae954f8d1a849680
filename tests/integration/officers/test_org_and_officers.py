"""Organisation tree and officer records over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from services.officers.app import create_app
from services.officers.config import Settings
from tests.support.apps import serve

TREE = [
    {"id": "HO", "name": "Head office"},
    {"id": "HO/GZ", "name": "Guangzhou branch"},
    {"id": "HO/GZ/LS03", "name": "Liwan", "county": "Liwan", "sub_branch_class": 1},
    {"id": "HO/GZX", "name": "Another branch"},
    {"id": "HO/GZX/A1", "name": "A1", "county": "Huadu", "sub_branch_class": 3},
]


def officer(officer_id: str = "OF-1", **overrides: Any) -> dict[str, Any]:
    body = {
        "id": officer_id,
        "name": "Li Wei",
        "org_id": "HO/GZ/LS03",
        "gender": "male",
        "birth_date": "1985-03-02",
        "hire_date": "2009-07-01",
        "financial_work_start_date": "2009-07-01",
    }
    return body | overrides


@pytest.fixture
async def client(officers_db: str) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(create_app(Settings(database_url=officers_db))) as c:
        for node in TREE:
            assert (await c.post("/v1/orgs", json=node)).status_code == 201
        yield c


async def test_tree_nodes_know_their_kind_and_parent(client: httpx.AsyncClient) -> None:
    node = (await client.get("/v1/orgs/HO/GZ/LS03")).json()
    assert node == {
        "id": "HO/GZ/LS03",
        "parent_id": "HO/GZ",
        "kind": "sub_branch",
        "name": "Liwan",
        "county": "Liwan",
        "sub_branch_class": 1,
    }
    subtree = [n["id"] for n in (await client.get("/v1/orgs", params={"under": "HO/GZ"})).json()]
    assert subtree == ["HO/GZ", "HO/GZ/LS03"]  # HO/GZX is not under HO/GZ


async def test_repeated_create_is_idempotent_and_a_different_one_conflicts(
    client: httpx.AsyncClient,
) -> None:
    assert (await client.post("/v1/orgs", json=TREE[1])).status_code == 200
    clash = await client.post("/v1/orgs", json={**TREE[1], "name": "Renamed"})
    assert clash.status_code == 409
    assert (await client.post("/v1/officers", json=officer())).status_code == 201
    assert (await client.post("/v1/officers", json=officer())).status_code == 200
    assert (await client.post("/v1/officers", json=officer(name="Other"))).status_code == 409


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"id": "HO/NOPE/X1", "name": "orphan", "county": "c", "sub_branch_class": 2}, "/id"),
        ({"id": "HO/GZ/LS09", "name": "no class", "county": "Liwan"}, ""),
        ({"id": "HO/GZ", "name": "class on a branch", "sub_branch_class": 1}, ""),
        ({"id": "GZ", "name": "not from head office"}, "/id"),
    ],
)
async def test_o7_bad_nodes_are_refused_naming_the_field(
    client: httpx.AsyncClient, body: dict[str, Any], pointer: str
) -> None:
    response = await client.post("/v1/orgs", json=body)
    assert response.status_code == 422
    assert pointer in {e["pointer"] for e in response.json()["errors"]}


@pytest.mark.parametrize(
    ("overrides", "pointer"),
    [
        ({"org_id": "HO/GZ/NOPE"}, "/org_id"),
        ({"gender": "x"}, "/gender"),
        ({"birth_date": "1985-02-30"}, "/birth_date"),
        ({"name": "x" * 101}, "/name"),
        ({"financial_work_start_date": "1970-01-01"}, ""),
    ],
)
async def test_bad_officers_are_refused_naming_the_field(
    client: httpx.AsyncClient, overrides: dict[str, Any], pointer: str
) -> None:
    response = await client.post("/v1/officers", json=officer(**overrides))
    assert response.status_code == 422
    assert pointer in {e["pointer"] for e in response.json()["errors"]}
    assert (await client.get("/v1/officers/OF-1")).status_code == 404


async def test_officers_are_listed_by_subtree_a_page_at_a_time(client: httpx.AsyncClient) -> None:
    for i in range(5):
        await client.post("/v1/officers", json=officer(f"OF-{i}"))
    await client.post("/v1/officers", json=officer("OF-X", org_id="HO/GZX/A1"))
    page1 = (await client.get("/v1/officers", params={"org": "HO/GZ", "limit": 3})).json()
    page2 = (
        await client.get(
            "/v1/officers", params={"org": "HO/GZ", "limit": 3, "after": page1[-1]["id"]}
        )
    ).json()
    assert [o["id"] for o in page1 + page2] == [f"OF-{i}" for i in range(5)]
