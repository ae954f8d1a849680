"""Issue 13: the scoring lists answer bounded pages `{items, next_cursor}` (at most 1000)."""

from __future__ import annotations

import copy
from typing import Any

from shared.paging import encode_cursor
from tests.integration.scoring.conftest import DEFAULT_DOC, Scoring


def version_two(name: str) -> dict[str, Any]:
    """A second version of the model `name` (U2 weighted directly instead of compared)."""
    doc = copy.deepcopy(DEFAULT_DOC)
    doc["name"] = name
    del doc["root"]["children"][1]["comparisons"]
    doc["root"]["children"][1]["weights"] = [0.3, 0.3, 0.2, 0.1, 0.1]
    return doc


async def test_issue13_models_are_paged_by_name_newest_version_first_each_once(
    scoring: Scoring,
) -> None:
    for name in ("B", "A"):
        assert (
            await scoring.client.post("/v1/models", json=DEFAULT_DOC | {"name": name})
        ).is_success
        assert (await scoring.client.post("/v1/models", json=version_two(name))).is_success
    seen, params = [], {"limit": 2}
    while True:
        page = (await scoring.client.get("/v1/models", params=params)).json()
        assert len(page["items"]) <= 2
        seen += [(m["name"], m["version"]) for m in page["items"]]
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    default = DEFAULT_DOC["name"]
    expected = sorted([("A", 2), ("A", 1), ("B", 2), ("B", 1), (default, 1)], key=lambda m: m[0])
    assert seen == expected


async def test_issue13_a_limit_over_1000_is_a_422_naming_query_limit(scoring: Scoring) -> None:
    for path in ("/v1/models", "/v1/ratings"):
        response = await scoring.client.get(path, params={"limit": 1001})
        assert response.status_code == 422, path
        assert [e["pointer"] for e in response.json()["errors"]] == ["#query/limit"]
        assert (await scoring.client.get(path, params={"limit": 1000})).status_code == 200


async def test_issue13_a_garbage_cursor_is_a_422_naming_query_cursor(scoring: Scoring) -> None:
    for path in ("/v1/models", "/v1/ratings"):
        for cursor in ("not a cursor!", encode_cursor(["x"]), encode_cursor(["x", "x", "x"])):
            response = await scoring.client.get(path, params={"cursor": cursor})
            assert response.status_code == 422, (path, cursor)
            assert [e["pointer"] for e in response.json()["errors"]] == ["#query/cursor"]
    # two keys, but the first is no timestamp / the second no version number
    for path, key in (("/v1/ratings", ["x", "y"]), ("/v1/models", ["A", "two"])):
        response = await scoring.client.get(path, params={"cursor": encode_cursor(key)})
        assert response.status_code == 422, (path, key)
        assert response.json()["errors"][0]["pointer"] == "#query/cursor"
