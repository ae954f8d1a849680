"""Issue 13: the gateway's credential listing answers bounded pages `{items, next_cursor}`."""

from __future__ import annotations

from typing import Any

from shared.paging import encode_cursor

from .conftest import ADMIN, Stack


async def test_issue13_credentials_are_paged_oldest_first_each_once(stack: Stack) -> None:
    made = [(await stack.credential("viewer", name=f"key {n}"))["id"] for n in range(5)]
    whole = await stack.client.get("/v1/credentials", params={"limit": 1000}, headers=ADMIN)
    everything = [c["id"] for c in whole.json()["items"]]
    assert everything[-5:] == made
    seen: list[str] = []
    params: dict[str, Any] = {"limit": 2}
    while True:
        page = (await stack.client.get("/v1/credentials", params=params, headers=ADMIN)).json()
        assert len(page["items"]) <= 2
        seen += [c["id"] for c in page["items"]]
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert seen == everything


async def test_issue13_a_limit_over_1000_is_a_422_naming_query_limit(stack: Stack) -> None:
    response = await stack.client.get("/v1/credentials", params={"limit": 1001}, headers=ADMIN)
    assert response.status_code == 422
    assert [e["pointer"] for e in response.json()["errors"]] == ["#query/limit"]


async def test_issue13_a_garbage_cursor_is_a_422_naming_query_cursor(stack: Stack) -> None:
    for cursor in ("not a cursor!", encode_cursor(["x"]), encode_cursor(["not a time", "c-1"])):
        response = await stack.client.get(
            "/v1/credentials", params={"cursor": cursor}, headers=ADMIN
        )
        assert response.status_code == 422, cursor
        assert [e["pointer"] for e in response.json()["errors"]] == ["#query/cursor"]
