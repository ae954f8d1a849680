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
            "/v1/officers", params={"org": "HO/GZ", "limit": 3, "cursor": page1["next_cursor"]}
        )
    ).json()
    assert [o["id"] for o in page1["items"] + page2["items"]] == [f"OF-{i}" for i in range(5)]
    assert page2["next_cursor"] is None


async def test_o7_org_nodes_are_editable_and_only_sub_branches_have_a_class(
    client: httpx.AsyncClient,
) -> None:
    renamed = await client.patch("/v1/orgs/HO/GZ", json={"name": "Guangzhou"})
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "Guangzhou"
    moved = await client.patch(
        "/v1/orgs/HO/GZ/LS03", json={"county": "Yuexiu", "sub_branch_class": 2}
    )
    assert (moved.json()["county"], moved.json()["sub_branch_class"]) == ("Yuexiu", 2)
    branch = await client.patch("/v1/orgs/HO/GZ", json={"sub_branch_class": 1})
    assert branch.status_code == 422
    assert branch.json()["errors"][0] == {
        "pointer": "/sub_branch_class",
        "detail": "O7: only sub-branches have a sub_branch_class",
    }
    cleared = await client.patch("/v1/orgs/HO/GZ/LS03", json={"county": None})
    assert cleared.status_code == 422
    assert cleared.json()["errors"][0]["pointer"] == "/county"
    bad = await client.patch("/v1/orgs/HO/GZ/LS03", json={"sub_branch_class": 4})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["detail"].startswith("O7:")
    assert (await client.patch("/v1/orgs/HO/NOPE", json={"name": "x"})).status_code == 404


async def test_o16_post_and_node_changes_are_kept_as_post_history_with_dates(
    client: httpx.AsyncClient,
) -> None:
    await client.post("/v1/officers", json=officer())
    await client.post("/v1/orgs", json={"id": "HO/GZ/LS03/OF1", "name": "office"})
    edited = await client.patch("/v1/officers/OF-1", json={"name": "Li Wei (senior)"})
    assert edited.status_code == 200
    assert edited.json()["name"] == "Li Wei (senior)"
    moved = await client.patch(
        "/v1/officers/OF-1",
        json={
            "org_id": "HO/GZ/LS03/OF1",
            "post": "office_director",
            "effective_date": "2024-03-01",
            "reason": "promotion",
        },
    )
    assert moved.status_code == 200
    assert (moved.json()["org_id"], moved.json()["post"]) == ("HO/GZ/LS03/OF1", "office_director")
    history = (await client.get("/v1/officers/OF-1/posts")).json()
    assert [(p["org_id"], p["post"], p["start_date"], p["end_date"]) for p in history] == [
        ("HO/GZ/LS03", "officer", "2009-07-01", "2024-03-01"),
        ("HO/GZ/LS03/OF1", "office_director", "2024-03-01", None),
    ]
    assert history[1]["reason"].startswith("promotion")
    backwards = await client.patch(
        "/v1/officers/OF-1", json={"post": "officer", "effective_date": "2024-01-01"}
    )
    assert backwards.status_code == 422
    assert backwards.json()["errors"][0]["pointer"] == "/effective_date"
    assert (await client.get("/v1/officers/OF-1")).json()["post"] == "office_director"  # unchanged
    dossier = (await client.get("/v1/officers/OF-1/dossier")).json()
    assert [e["kind"] for e in dossier["items"]] == ["post"]
    assert (await client.patch("/v1/officers/OF-1", json={"name": None})).status_code == 422
    elsewhere = await client.patch("/v1/officers/OF-1", json={"org_id": "HO/GZX/A1"})
    assert elsewhere.status_code == 200  # admin sees the whole tree
