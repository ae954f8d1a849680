"""POST /v1/evaluate: the full rating of S12 without storing it, and its bad input (S7, S11)."""

from __future__ import annotations

import copy
import random
from typing import Any

import pytest

from services.scoring.evaluate import evaluate, rating_to_dict
from tests.integration.scoring.conftest import (
    DEFAULT,
    DEFAULT_DOC,
    Scoring,
    inputs,
    rejected_inputs,
)


async def post(scoring: Scoring, body: Any) -> Any:
    return await scoring.client.post("/v1/evaluate", json=body)


async def test_s12_evaluate_answers_the_contract_shape(scoring: Scoring) -> None:
    response = await post(scoring, {"model": DEFAULT_DOC, "inputs": inputs()})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "score", "grade", "grade_by_max_membership", "risk_level", "membership", "veto",
        "nodes", "leaves", "model_version",
    }  # fmt: skip
    assert body["model_version"] is None
    assert set(body["nodes"]) == set(DEFAULT.items)
    assert set(body["nodes"]["U1"]) == {"membership", "score", "weight", "global_weight"}
    assert set(body["leaves"]) == {leaf.code for leaf in DEFAULT.leaves}
    assert sum(x["contribution"] for x in body["leaves"].values()) == pytest.approx(
        body["score"], abs=1e-9
    )
    assert sum(body["membership"]) == pytest.approx(1.0, abs=1e-12)
    assert body["veto"]["vetoed"] is False
    # Full double precision: the same numbers as the math module, to the last bit.
    assert body == rating_to_dict(evaluate(DEFAULT, inputs()))
    assert "app;dur=" in response.headers["server-timing"]


async def test_s12_a_stored_model_id_gives_the_same_numbers_and_names_the_version(
    scoring: Scoring,
) -> None:
    by_doc = (await post(scoring, {"model": DEFAULT_DOC, "inputs": inputs()})).json()
    by_id = (await post(scoring, {"model_id": scoring.model_id, "inputs": inputs()})).json()
    assert by_id["model_version"]["id"] == scoring.model_id
    assert {**by_id, "model_version": None} == by_doc


async def test_s11_veto_needs_no_u2_inputs_and_names_the_factors(scoring: Scoring) -> None:
    body = (await post(scoring, {"model": DEFAULT_DOC, "inputs": rejected_inputs()})).json()
    assert body["veto"]["vetoed"] is True
    assert body["grade"] in ("较差", "差")
    assert body["score"] == body["veto"]["u1_score"]
    assert {r["code"] for r in body["veto"]["reasons"]} <= {"U11", "U12", "U13", "U14"}
    assert body["veto"]["reasons"]
    assert "U2" not in body["nodes"]
    assert not any(code.startswith("U2") for code in body["leaves"])


@pytest.mark.parametrize(
    ("override", "where", "rule"),
    [
        ({"U111": {"votes": [1, 2, 3]}}, "/inputs/U111/votes", "S7"),
        ({"U111": {"votes": [-1, 2, 0, 0, 0]}}, "/inputs/U111/votes/0", "S7"),
        ({"U111": {"votes": [1, 1.5, 0, 0, 0]}}, "/inputs/U111/votes/1", "S7"),
        ({"U111": {"votes": [0, 0, 0, 0, 0]}}, "/inputs/U111/votes", "S7"),
        ({"U111": {"votes": [1, 2, "3", 0, 0]}}, "/inputs/U111/votes/2", "S7"),
        ({"U111": {"votes": [True, 2, 0, 0, 0]}}, "/inputs/U111/votes/0", "S7"),
        ({"U111": {"votes": None}}, "/inputs/U111/votes", "S7"),
        ({"U111": {"votes": [1e308] * 5}}, "/inputs/U111/votes", "S7"),  # total overflows
        ({"U111": {"value": 0.4}}, "/inputs/U111", "S7"),
        ({"U111": {"votes": [1, 0, 0, 0, 0], "value": 1}}, "/inputs/U111", "S7"),
        ({"U111": {}}, "/inputs/U111", "S7"),
        ({"U111": [1, 0, 0, 0, 0]}, "/inputs/U111", "S7"),
        ({"U999": {"votes": [1, 0, 0, 0, 0]}}, "/inputs/U999", "S7"),
        ({"U121": {"value": "0.4"}}, "/inputs/U121/value", "S7"),
        ({"U121": {"value": None}}, "/inputs/U121/value", "S7"),
        ({"U121": {"value": False}}, "/inputs/U121/value", "S7"),
        ({"U121": None}, "/inputs/U121", "S7"),
    ],
)
async def test_s7_bad_leaf_input_is_422_naming_the_field(
    scoring: Scoring, override: dict[str, Any], where: str, rule: str
) -> None:
    response = await post(scoring, {"model": DEFAULT_DOC, "inputs": inputs(**override)})
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["pointer"] == where
    assert response.json()["detail"].startswith(f"{rule}:")


async def test_s7_missing_decisive_leaf_and_s11_missing_reference_leaf(scoring: Scoring) -> None:
    no_u121 = inputs()
    del no_u121["U121"]
    response = await post(scoring, {"model": DEFAULT_DOC, "inputs": no_u121})
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/inputs/U121"
    no_u21 = inputs()
    del no_u21["U21"]  # U1 passes, so U2 is evaluated and needs every input
    response = await post(scoring, {"model": DEFAULT_DOC, "inputs": no_u21})
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/inputs/U21"
    assert response.json()["detail"].startswith("S11:")


async def test_s7_non_finite_measured_value_is_422(scoring: Scoring) -> None:
    for literal in ("Infinity", "NaN", "1e400"):
        raw = '{"model_id": "%s", "inputs": {"U121": {"value": %s}}}' % (  # noqa: UP031
            scoring.model_id,
            literal,
        )
        response = await scoring.client.post(
            "/v1/evaluate", content=raw, headers={"content-type": "application/json"}
        )
        assert response.status_code == 422, literal
        assert response.json()["errors"][0]["pointer"] == "/inputs/U121/value"


async def test_s1_model_errors_are_prefixed_with_model(scoring: Scoring) -> None:
    doc = copy.deepcopy(DEFAULT_DOC)
    doc["root"]["children"][0]["children"][1]["children"][0]["breakpoints"] = [1, 2]
    response = await post(scoring, {"model": doc, "inputs": inputs()})
    assert response.status_code == 422
    assert (
        response.json()["errors"][0]["pointer"]
        == "/model/root/children/0/children/1/children/0/breakpoints"
    )
    both = await post(scoring, {"model": DEFAULT_DOC, "model_id": scoring.model_id, "inputs": {}})
    assert both.status_code == 422
    unknown = await post(scoring, {"model_id": "m-unknown", "inputs": inputs()})
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["pointer"] == "/model_id"
    not_object = await post(scoring, {"model": DEFAULT_DOC, "inputs": [1]})
    assert not_object.status_code == 422
    assert not_object.json()["errors"][0]["pointer"] == "/inputs"


JUNK: list[Any] = [
    None, True, 0, -1, 1e308, "", "x" * 100, [], {}, [[1, 2]], {"votes": []}, {"value": {}},
    {"votes": [[1], [2], [3], [4], [5]]}, {"votes": [1e308] * 5}, {"votes": [10**30] * 5},
    {"value": [0.5]}, {"value": 10**400}, {"votes": [1, 0, 0, 0, 0], "extra": 1},
]  # fmt: skip


async def test_s7_no_malformed_input_yields_a_500(scoring: Scoring) -> None:
    rng = random.Random(7)
    codes = [leaf.code for leaf in DEFAULT.leaves] + ["U1", "U", "", "../x"]
    for _ in range(150):
        body: dict[str, Any] = {"model_id": scoring.model_id, "inputs": inputs()}
        for _ in range(rng.randint(1, 3)):
            body["inputs"][rng.choice(codes)] = rng.choice(JUNK)
        response = await post(scoring, body)
        assert response.status_code in (200, 422), (body, response.text)
    for whole in (None, [], "x", 1, {"model": 1}, {"model": {}, "inputs": {}}, {"inputs": {}}):
        response = await post(scoring, whole)
        assert response.status_code == 422, (whole, response.text)
