"""Issue 13: what the dashboard polls is paged with a bounded limit and answers ETag / 304
(W13 deadlines, the warnings list, W4 escalations, the summary tiles)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.integration.warnings.conftest import START, Bank

POLLED = (
    ("/v1/summary", {}),
    ("/v1/deadlines", {}),
    ("/v1/warnings", {"state": "open", "limit": 10}),
    ("/v1/escalations", {}),
)


async def book(bank: Bank, loans: int) -> None:
    orgs = ("HO/GZ/LS03", "HO/SZ/BA02")
    events = [
        bank.disbursed(f"L{i}", f"B{i}", "2000000", "2027-06-30", org=orgs[i % 2])
        for i in range(loans)
    ]
    await bank.post(*events)
    arrears = [
        bank.event("interest.arrears", {"amount": "1", "since": "2026-11-08"}, loan_id=f"L{i}")
        for i in range(loans)
    ]
    await bank.post(*arrears)


async def walk(bank: Bank, path: str, limit: int, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {"limit": limit, **params, **({"cursor": cursor} if cursor else {})}
        response = await bank.client.get(path, params=query)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= limit
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


async def test_issue13_w13_deadlines_first_page_is_bounded_and_cursors_walk_all_once(
    bank: Bank,
) -> None:
    await book(bank, 60)  # 60 warnings, a branch and a head-office report each pending
    first = (await bank.client.get("/v1/deadlines")).json()
    assert len(first["items"]) == 100
    assert first["next_cursor"]
    everything = await walk(bank, "/v1/deadlines", 7)
    keys = [(d["deadline"], d["warning_id"], d["step"]) for d in everything]
    assert len(keys) == len(set(keys)) == 120
    assert keys == sorted(keys, key=lambda k: (datetime.fromisoformat(k[0]), k[1], k[2]))
    assert first["items"] == everything[:100]
    gz = await walk(bank, "/v1/deadlines", 9, org="HO/GZ")
    assert {d["org"] for d in gz} == {"HO/GZ/LS03"}
    assert len(gz) == 60
    cut = START + timedelta(hours=30)
    due = await walk(bank, "/v1/deadlines", 11, due_before=cut.isoformat())
    assert due
    assert all(datetime.fromisoformat(d["deadline"]) <= cut for d in due)


@pytest.mark.parametrize("path", ["/v1/deadlines", "/v1/warnings"])
async def test_issue13_an_unbounded_limit_is_a_422_naming_the_field(bank: Bank, path: str) -> None:
    response = await bank.client.get(path, params={"limit": 1001})
    assert response.status_code == 422
    problem = response.json()
    assert "limit" in str(problem)
    assert (await bank.client.get(path, params={"limit": 1000})).status_code == 200


@pytest.mark.parametrize("path", ["/v1/deadlines", "/v1/warnings", "/v1/escalations"])
async def test_issue13_a_cursor_not_issued_here_is_a_422(bank: Bank, path: str) -> None:
    for bad in ("nonsense", "W10", "WyJ4Il0"):  # the last: a valid cursor of the wrong shape
        response = await bank.client.get(path, params={"cursor": bad})
        assert response.status_code == 422, (bad, response.text)
        assert "cursor" in response.text


@pytest.mark.parametrize(("path", "params"), POLLED)
async def test_issue13_polled_reads_answer_304_until_a_warning_changes(
    bank: Bank, path: str, params: dict[str, Any]
) -> None:
    await book(bank, 4)
    await bank.post(bank.event("loan.classified", {"five_class": "doubtful"}, loan_id="L0"))
    first = await bank.client.get(path, params=params)
    assert first.status_code == 200
    tag = first.headers["ETag"]
    again = await bank.client.get(path, params=params, headers={"If-None-Match": tag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["ETag"] == tag
    # a change to a warning of the subtree changes every tag of it
    await bank.post(bank.event("borrower.major_event", {"kind": "major_lawsuit"}, borrower_id="B1"))
    changed = await bank.client.get(path, params=params, headers={"If-None-Match": tag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != tag


async def test_issue13_a_deadline_passing_changes_the_deadlines_tag(bank: Bank) -> None:
    await book(bank, 2)
    first = await bank.client.get("/v1/deadlines")
    ahead = [d for d in first.json()["items"] if not d["overdue"]]
    assert ahead
    key = (ahead[0]["warning_id"], ahead[0]["step"])
    bank.at(datetime.fromisoformat(ahead[0]["deadline"]) + timedelta(minutes=1))
    later = await bank.client.get("/v1/deadlines", headers={"If-None-Match": first.headers["ETag"]})
    assert later.status_code == 200
    assert [d["overdue"] for d in later.json()["items"] if (d["warning_id"], d["step"]) == key] == [
        True
    ]


async def test_issue13_another_subtree_changing_keeps_the_tag(bank: Bank) -> None:
    await book(bank, 4)
    first = await bank.client.get("/v1/deadlines", params={"org": "HO/SZ"})
    tag = first.headers["ETag"]
    await bank.post(bank.event("loan.classified", {"five_class": "doubtful"}, loan_id="L0"))
    same = await bank.client.get(
        "/v1/deadlines", params={"org": "HO/SZ"}, headers={"If-None-Match": tag}
    )
    assert same.status_code == 304  # L0 is in HO/GZ


async def test_issue13_w4_escalations_list_the_latest_first(bank: Bank) -> None:
    await book(bank, 3)
    for loan in ("L0", "L2", "L1"):
        body = {"amount": "1", "since": "2026-07-01"}  # arrears for months: higher level
        await bank.post(bank.event("interest.arrears", body, loan_id=loan))
    page = (await bank.client.get("/v1/escalations", params={"limit": 2})).json()
    assert [e["loan_id"] for e in page["items"]] == ["L1", "L2"]
    rest = await walk(bank, "/v1/escalations", 2)
    assert [e["loan_id"] for e in rest] == ["L1", "L2", "L0"]
    assert all(e["from_level"] and e["level"] != e["from_level"] for e in rest)
    gz = (await bank.client.get("/v1/escalations", params={"org": "HO/GZ"})).json()
    assert {e["org"] for e in gz["items"]} == {"HO/GZ/LS03"}
