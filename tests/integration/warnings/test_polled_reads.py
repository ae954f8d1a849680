"""Issue 13: what the dashboard polls is paged with a bounded limit and answers ETag / 304
(W13 deadlines, the warnings list, W4 escalations, the summary tiles)."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

import pytest

from services.warnings import tiles_store
from shared.auth import CALLER_HEADER, Role, sign_caller
from shared.config import DEV_INTERNAL_SECRET
from shared.etag import PolledRead
from tests.integration.warnings.conftest import START, Bank
from tests.integration.warnings.test_tiles_recount import CONTENT as REPORT
from tests.integration.warnings.test_tiles_recount import Mix
from tests.support.auth import ADMIN, CallerAuth, caller

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


async def spread_book(bank: Bank, prefix: str, n: int) -> None:
    """`n` loans in arrears, each with an open warning, spread over a branch, two
    sub-branches, an office and a prefix sibling (`HO/GZ/LS030` beside `HO/GZ/LS03`)."""
    orgs = ("HO/GZ/LS03", "HO/GZ/LS03/OF1", "HO/GZ/LS030", "HO/GZ/LS04", "HO/GZ")
    loans = [f"{prefix}{i}" for i in range(n)]
    await bank.post(
        *(
            bank.disbursed(loan, f"{loan}B", "2000000", "2027-06-30", org=orgs[i % len(orgs)])
            for i, loan in enumerate(loans)
        )
    )
    arrears = {"amount": "1", "since": "2026-11-08"}
    await bank.post(*(bank.event("interest.arrears", arrears, loan_id=loan) for loan in loans))


async def test_issue13_w13_a_sub_branch_or_office_deadlines_page_is_its_own_subtree(
    bank: Bank,
) -> None:
    """Below the branches the page reads the unit index (`models.UnitKey`): the same pages,
    cursors and order as the head office's list cut down to the subtree."""
    await spread_book(bank, "U", 40)
    everything = await walk(bank, "/v1/deadlines", 50)
    for node in ("HO/GZ/LS03", "HO/GZ/LS03/OF1", "HO/GZ/LS030"):
        expected = [d for d in everything if d["org"] == node or d["org"].startswith(node + "/")]
        assert expected
        assert await walk(bank, "/v1/deadlines", 3, org=node) == expected
        first = (await bank.client.get("/v1/deadlines", params={"org": node})).json()
        assert first["items"] == expected[:100]


async def test_issue13_w10_a_warnings_page_of_any_state_is_its_subtree_cut_from_the_book(
    bank: Bank,
) -> None:
    """Any state, one state, closed states: each node's pages (off the whole-book, unit and
    closed-warning indexes) are the head office's list of that filter cut to the subtree,
    with the same cursors and order."""
    await spread_book(bank, "A", 36)
    raised = await walk(bank, "/v1/warnings", 50)
    for n, w in enumerate(raised):
        if n % 3 == 0:
            path = f"/v1/warnings/{w['id']}"
            for step in ("branch", "head_office")[: 1 + w["head_office_required"]]:
                report = {"step": step, "content": REPORT}
                assert (await bank.client.post(f"{path}/reports", json=report)).status_code == 200
            reason = "written_off" if n % 2 else "repaid"
            if reason == "written_off":  # W10: a write-off follows mitigation
                team = {"leader": "Li", "leader_post": "sub_branch_head", "branch_principal": "Wu"}
                assert (await bank.client.post(f"{path}/mitigation", json=team)).status_code == 200
            resolved = await bank.client.post(f"{path}/resolve", json={"reason": reason})
            assert resolved.status_code == 200, resolved.text
    states = {w["state"] for w in await walk(bank, "/v1/warnings", 50)}
    assert {"raised", "resolved", "written_off"} <= states
    for state in (None, "open", "raised", "resolved", "written_off"):
        query = {"state": state} if state else {}
        everything = await walk(bank, "/v1/warnings", 50, **query)
        assert everything
        for node in ("HO/GZ", "HO/GZ/LS03", "HO/GZ/LS03/OF1", "HO/GZ/LS030"):
            below = node + "/"
            expected = [w for w in everything if w["org"] == node or w["org"].startswith(below)]
            assert await walk(bank, "/v1/warnings", 2, org=node, **query) == expected


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


# -- a 304 exactly when the answer is unchanged (issue 13: the validators are one statement) --

SOON = timedelta(hours=24)  # the app's default WARNINGS_DUE_SOON_HOURS
WATCHED = (
    *POLLED,
    ("/v1/summary", {"org": "HO/GZ"}),
    ("/v1/deadlines", {"limit": 3}),
    ("/v1/warnings", {"limit": 5}),
    ("/v1/warnings", {"state": "open", "overdue": "true"}),
)
Seen = dict[tuple[str, str], tuple[str, bytes]]


async def assert_exact(bank: Bank, seen: Seen) -> list[int]:
    """Each watched read asked with the tag it last answered: a 304 only if its answer now is
    the same bytes, a 200 with another tag whenever it differs. Returns the statuses."""
    statuses = []
    for path, params in WATCHED:
        key = (path, str(sorted(params.items())))
        fresh = await bank.client.get(path, params=params)
        assert fresh.status_code == 200, fresh.text
        if key in seen:
            tag, body = seen[key]
            asked = await bank.client.get(path, params=params, headers={"If-None-Match": tag})
            if asked.status_code == 304:
                assert asked.headers["ETag"] == fresh.headers["ETag"] == tag, key
                assert fresh.content == body, key  # the 200 now would be the same answer
            else:
                assert asked.status_code == 200, asked.text
                assert asked.headers["ETag"] != tag, key
            if fresh.content != body:
                assert asked.status_code == 200, key
            statuses.append(asked.status_code)
        seen[key] = (fresh.headers["ETag"], fresh.content)
    return statuses


class Polls(Mix):
    """The tiles' random mix, with moves of the clock by seconds and onto deadlines (time
    alone turning a report due soon or overdue) between its events, lifecycle actions and
    sweeps."""

    async def step(self) -> None:
        roll = self.rng.random()
        if roll < 0.2:
            self.now += timedelta(seconds=self.rng.choice([1, 7, 30]))
        elif roll < 0.35:
            page = (await self.bank.client.get("/v1/deadlines", params={"limit": 50})).json()
            ahead = [
                datetime.fromisoformat(d["deadline"])
                for d in page["items"]
                if datetime.fromisoformat(d["deadline"]) > self.now
            ]
            if not ahead:
                return
            edge = self.rng.choice(ahead) - self.rng.choice([timedelta(0), SOON])
            self.now = max(self.now, edge + timedelta(seconds=self.rng.choice([-1, 0, 1])))
        else:
            await super().step()
            return
        self.bank.at(self.now)


@pytest.mark.parametrize("seed", [4, 11])
async def test_issue13_polled_reads_answer_304_exactly_when_unchanged(
    bank: Bank, seed: int
) -> None:
    mix = Polls(bank, seed)
    await mix.setup()
    seen: Seen = {}
    statuses: list[int] = []
    for _ in range(60):
        await mix.step()
        statuses += await assert_exact(bank, seen)
    assert statuses.count(304) > 20, statuses
    assert statuses.count(200) > 20, statuses


async def test_issue13_time_alone_changes_exactly_the_answers_it_changes(
    bank: Bank, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the validators' anchor held (so only the crossed-deadline counts can tell), a
    report turning overdue changes every tag (the summary and the deadlines change; the lists
    share the validator, whose `overdue` filter changes too); one coming within the 'due
    soon' window changes the summary's only; a moment with nothing crossed changes none."""
    monkeypatch.setattr(tiles_store, "validator_anchor", lambda _now: START)
    await book(bank, 2)
    pending = sorted(
        {datetime.fromisoformat(d["deadline"]) for d in (await walk(bank, "/v1/deadlines", 100))}
    )
    overdue_at = next(d for d in pending if d > START)
    soon_at = next(d for d in pending if d - SOON > START) - SOON
    seen: Seen = {}
    for moment, changed in (
        (overdue_at, set()),
        (overdue_at + timedelta(microseconds=1), {path for path, _params in WATCHED}),
        (soon_at - timedelta(microseconds=1), None),
        (soon_at, {"/v1/summary"}),
        (soon_at + timedelta(seconds=5), set()),
    ):
        bank.at(moment)
        before = dict(seen)
        statuses = await assert_exact(bank, seen)
        if changed is not None and before:
            got = {p for (p, _params), s in zip(WATCHED, statuses, strict=True) if s == 200}
            assert got == changed, moment


async def test_issue13_a_sweep_that_changes_nothing_keeps_every_tag(bank: Bank) -> None:
    await book(bank, 3)
    assert (await bank.client.post("/v1/sweeps/run")).status_code == 200  # marks, moves
    seen: Seen = {}
    await assert_exact(bank, seen)
    bank.at(START + timedelta(seconds=20))  # the same minute: the validators' anchor
    assert (await bank.client.post("/v1/sweeps/run")).status_code == 200
    assert set(await assert_exact(bank, seen)) == {304}


async def test_issue13_overdue_over_closed_warnings_has_no_etag(bank: Bank) -> None:
    """Closed warnings' unreported deadlines still pass, uncounted by the validator."""
    await book(bank, 1)
    for state in (None, "resolved"):
        params = {"overdue": "true", **({"state": state} if state else {})}
        response = await bank.client.get("/v1/warnings", params=params)
        assert response.status_code == 200
        assert "ETag" not in response.headers
    kept = await bank.client.get("/v1/warnings", params={"overdue": "true", "state": "open"})
    assert "ETag" in kept.headers


# -- a repeat revalidated before routing (shared/etag.py RevalidateMiddleware) --------------


@pytest.mark.parametrize(("path", "params"), POLLED)
async def test_issue13_a_repeated_poll_is_revalidated_before_routing(
    bank: Bank, path: str, params: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The 304 of a repeat comes from the route's kept recipe (the revalidator counts it),
    with the route named in the metrics; a change to the subtree still answers the new page
    through the route; another caller, a stale signature or another query keep nothing."""
    await book(bank, 4)
    revalidator = bank.app.state.revalidator
    first = await bank.client.get(path, params=params)
    tag = first.headers["ETag"]
    hits = revalidator.hits
    again = await bank.client.get(path, params=params, headers={"If-None-Match": tag})
    assert (again.status_code, again.headers["ETag"], again.content) == (304, tag, b"")
    assert revalidator.hits == hits + 1
    assert f'route="{path}",status="304"' in (await bank.client.get("/metrics")).text
    # another caller (a sub-branch) has a recipe of its own, after a first answer of its own
    sub = CallerAuth(caller(Role.SUB_BRANCH, org="HO/GZ/LS03", subject="ls03"))
    theirs = await bank.client.get(path, params=params, headers={"If-None-Match": tag}, auth=sub)
    assert theirs.status_code == 200
    assert revalidator.hits == hits + 1
    # a stale signature is refused by the route, not answered from the recipe
    old = sign_caller(ADMIN, secret=DEV_INTERNAL_SECRET, now=time.time() - 3600)
    stale = await bank.client.get(
        path, params=params, headers={"If-None-Match": tag, CALLER_HEADER: old}, auth=None
    )
    assert stale.status_code == 401
    # a change to the subtree: the recipe's tag no longer matches, the route answers 200
    # with the tag the middleware read (the validator read once, not again by the route)
    await bank.post(bank.event("loan.classified", {"five_class": "doubtful"}, loan_id="L0"))
    reads: list[object] = []
    validator = PolledRead.validator

    async def counted(self: PolledRead, *args: Any) -> Any:
        reads.append(args)
        return await validator(self, *args)

    monkeypatch.setattr(PolledRead, "validator", counted)
    changed = await bank.client.get(path, params=params, headers={"If-None-Match": tag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != tag
    assert revalidator.hits == hits + 1
    assert len(reads) == 1
    fresh = await bank.client.get(path, params=params)
    assert fresh.headers["ETag"] == changed.headers["ETag"]
    # time moving is read by the recipe too (the clock, not the first answer's instant)
    bank.at(START + timedelta(days=30))  # every pending report overdue
    later = await bank.client.get(
        path, params=params, headers={"If-None-Match": changed.headers["ETag"]}
    )
    assert later.status_code == 200


async def test_w13_the_overdue_tile_and_the_lists_agree_at_every_moment(bank: Bank) -> None:
    """One definition of 'overdue now' (issue 18 item 5): a warning whose branch deadline had
    passed before it was raised counts as overdue in the summary at once, as the deadlines
    page and the overdue list show it, with no sweep run; so do deadlines passing later."""
    await bank.post(bank.disbursed("L1", "B1", "2000000", "2027-06-30"))
    await bank.post(
        bank.event("interest.arrears", {"amount": "1", "since": "2026-11-01"}, loan_id="L1")
    )
    for i in range(2, 5):  # three more, in arrears since today: their reports not yet due
        await bank.post(bank.disbursed(f"L{i}", f"B{i}", "2000000", "2027-06-30"))
        arrears = {"amount": "1", "since": START.date().isoformat()}
        await bank.post(bank.event("interest.arrears", arrears, loan_id=f"L{i}"))

    async def agree() -> list[dict[str, Any]]:
        tiles = (await bank.client.get("/v1/summary")).json()["overdue"]
        listed = await walk(bank, "/v1/warnings", 50, state="open", overdue="true")
        late = {d["warning_id"] for d in await walk(bank, "/v1/deadlines", 50) if d["overdue"]}
        assert tiles == len(listed) == len(late)
        assert {w["id"] for w in listed} == late
        return listed

    (first,) = await agree()
    assert first["loan_id"] == "L1"
    assert first["branch_overdue"] is False  # not marked by a sweep: overdue by its deadline
    pending = sorted(
        datetime.fromisoformat(d["deadline"])
        for d in await walk(bank, "/v1/deadlines", 50)
        if not d["overdue"]
    )
    bank.at(pending[0] + timedelta(seconds=1))
    assert len(await agree()) > 1
    bank.at(pending[-1] + timedelta(seconds=1))
    assert len(await agree()) == 4
