"""Model versions (scoring.md "Model lifecycle"): validation naming the node and the rule,
a new version per edit, the same document found again, used versions never change."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from shared.auth import Role
from tests.integration.scoring.conftest import DEFAULT_DOC, Scoring
from tests.support.auth import caller

U1 = ("root", "children", 0)
U11 = (*U1, "children", 0)
U12 = (*U1, "children", 1)
U121 = (*U12, "children", 0)
U2 = ("root", "children", 1)


def edited(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    """The default document with one field replaced (None deletes it)."""
    doc = copy.deepcopy(DEFAULT_DOC)
    target = doc
    for part in path[:-1]:
        target = target[part]
    if value is None:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return doc


def pointer(path: tuple[Any, ...]) -> str:
    return "/" + "/".join(str(p) for p in path)


async def test_model_versions_same_document_is_found_edit_is_a_new_version(
    scoring: Scoring,
) -> None:
    again = await scoring.client.post("/v1/models", json=DEFAULT_DOC)
    assert again.status_code == 200
    assert again.json()["id"] == scoring.model_id
    assert again.json()["version"] == 1

    doc = edited((*U2, "comparisons"), None)
    doc["root"]["children"][1]["weights"] = [0.3, 0.3, 0.2, 0.1, 0.1]
    second = await scoring.client.post("/v1/models", json=doc)
    assert second.status_code == 201
    assert second.json()["version"] == 2
    assert second.json()["id"] != scoring.model_id
    assert second.json()["nodes"]["U2"]["weights"] == [0.3, 0.3, 0.2, 0.1, 0.1]

    listed = (await scoring.client.get("/v1/models")).json()["items"]
    assert [(m["version"], m["id"]) for m in listed] == [
        (2, second.json()["id"]),
        (1, scoring.model_id),
    ]
    other = (await scoring.client.get("/v1/models", params={"name": "nope"})).json()
    assert other == {"items": [], "next_cursor": None}


async def test_model_read_has_document_weights_and_consistency(scoring: Scoring) -> None:
    body = (await scoring.client.get(f"/v1/models/{scoring.model_id}")).json()
    assert body["document"] == DEFAULT_DOC
    assert body["in_use"] is False
    u1 = body["nodes"]["U1"]
    assert u1["children"] == ["U11", "U12", "U13", "U14"]
    assert sum(u1["weights"]) == pytest.approx(1.0, abs=1e-12)
    assert u1["consistency"]["consistent"] is True
    assert u1["consistency"]["ri"] == 0.90
    # S6: management quality weighs most, then finance, market, sustainable development.
    assert u1["weights"] == sorted(u1["weights"], reverse=True)
    assert (await scoring.client.get("/v1/models/m-nope")).status_code == 404


async def test_model_used_version_is_immutable_an_edit_is_a_new_version(scoring: Scoring) -> None:
    rating = await scoring.rate()
    assert (await scoring.client.get(f"/v1/models/{scoring.model_id}")).json()["in_use"] is True

    doc = edited((*U1, "comparisons", 0, 1), 3)  # U11 vs U12 from 2 to 3
    doc["root"]["children"][0]["comparisons"][1][0] = 1 / 3
    response = await scoring.client.post("/v1/models", json=doc)
    assert response.status_code == 201
    assert response.json()["version"] == 2

    old = (await scoring.client.get(f"/v1/models/{scoring.model_id}")).json()
    assert old["document"] == DEFAULT_DOC
    again = (await scoring.client.get(f"/v1/ratings/{rating['id']}")).json()
    assert again == rating
    assert again["model_version"] == {
        "id": scoring.model_id,
        "name": DEFAULT_DOC["name"],
        "version": 1,
    }


INCONSISTENT = [[1, 9, 1 / 9, 1], [1 / 9, 1, 9, 1], [9, 1 / 9, 1, 1], [1, 1, 1, 1]]


@pytest.mark.parametrize(
    ("doc", "where", "rule", "words"),
    [
        (edited((*U11, "comparisons"), INCONSISTENT), pointer((*U11, "comparisons")), "S4", "U11"),
        (
            edited((*U1, "order"), ["U12", "U11", "U13", "U14"]),
            pointer((*U1, "order", 1)),
            "S6",
            "U11",
        ),
        (
            edited((*U121, "breakpoints"), [0.3, 0.2, 0.6, 0.7, 0.85]),
            pointer((*U121, "breakpoints")),
            "S7",
            "monotone",
        ),
        (
            edited((*U121, "breakpoints"), [0.3, 0.45, 0.6]),
            pointer((*U121, "breakpoints")),
            "S7",
            "5 breakpoints",
        ),
        (
            edited((*U121, "higher_is_better"), True),
            pointer((*U121, "breakpoints")),
            "S7",
            "higher_is_better",
        ),
        (edited((*U121, "kind"), "guess"), pointer((*U121, "kind")), "S7", "kind"),
        (
            edited((*U2, "comparisons"), [[1, 2, 3, 4, 5]]),
            pointer((*U2, "comparisons", 0)),
            "S4",
            "square",
        ),
        (edited(("name",), None), "/name", "S1", "name"),
        (edited((*U12, "code"), "U11"), pointer((*U12, "code")), "S1", "duplicate"),
        (edited(("grades", "values"), [100, 85, 70, 55]), "/grades/values", "S2", "5"),
        (
            edited(("grades", "labels"), ["x" * 65, "b", "c", "d", "e"]),
            "/grades/labels/0",
            "S2",
            "64",
        ),
        (edited(("grades", "bands"), [92.5, 77.5, 80, 47.5]), "/grades/bands", "S10", "decreas"),
        (edited(("cr_threshold",), 2), "/cr_threshold", "S4", "(0, 1)"),
        (edited(("root",), "U"), "/root", "S1", "object"),
        (
            edited((*U121, "breakpoints"), [10**26, 10**27, 10**28, 10**29, 10**30]),
            pointer((*U121, "breakpoints", 0)),
            "S1",
            "64-bit",
        ),
    ],
)
async def test_s1_s7_bad_model_documents_are_422_naming_node_and_rule(
    scoring: Scoring, doc: dict[str, Any], where: str, rule: str, words: str
) -> None:
    response = await scoring.client.post("/v1/models", json=doc)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["errors"][0]["pointer"].startswith(where)
    assert problem["detail"].startswith(f"{rule}:")
    assert words in problem["detail"]


async def test_s4_direct_weights_must_sum_to_one(scoring: Scoring) -> None:
    doc = edited((*U2, "comparisons"), None)
    doc["root"]["children"][1]["weights"] = [0.5, 0.5, 0.5, 0.1, 0.1]
    response = await scoring.client.post("/v1/models", json=doc)
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == pointer((*U2, "weights"))
    assert response.json()["detail"].startswith("S3:")


async def test_models_not_an_object_is_422(scoring: Scoring) -> None:
    response = await scoring.client.post("/v1/models", json=[DEFAULT_DOC])
    assert response.status_code == 422


async def test_g3_only_risk_and_head_office_publish_models(scoring: Scoring) -> None:
    doc = edited(("name",), "risk's model")
    for role, status in ((Role.VIEWER, 403), (Role.BRANCH, 403), (Role.OFFICER, 403)):
        async with scoring.as_(caller(role)) as client:
            assert (await client.post("/v1/models", json=doc)).status_code == status
            assert (await client.get("/v1/models")).status_code == 200
            assert (await client.get(f"/v1/models/{scoring.model_id}")).status_code == 200
    async with scoring.as_(caller(Role.RISK)) as risk:
        created = await risk.post("/v1/models", json=doc)
        assert created.status_code == 201
        assert created.json()["created_by"] == "tester"
    async with scoring.as_(caller(Role.PRODUCER)) as producer:
        assert (await producer.get("/v1/models")).status_code == 403
