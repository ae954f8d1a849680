"""Reports, updates, mitigation, resolution, sweeps and the dashboard reads (W9-W15)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.auth import Role
from tests.integration.warnings.conftest import SH, START, Bank
from tests.support.apps import serve
from tests.support.auth import caller

CONTENT = {"situation": "sales collapsed", "cause": "lost main customer", "measures": "collect"}


async def arrears_warning(
    bank: Bank, amount: str = "2000000", since: str = "2026-11-09"
) -> dict[str, Any]:
    await bank.post(bank.disbursed("L1", "B1", amount, "2027-06-30"))
    await bank.post(bank.event("interest.arrears", {"amount": "10", "since": since}, loan_id="L1"))
    return await bank.one()


async def report(bank: Bank, warning_id: str, step: str, **extra: Any) -> Any:
    return await bank.client.post(
        f"/v1/warnings/{warning_id}/reports", json={"step": step, "content": CONTENT, **extra}
    )


async def test_w10_full_lifecycle_with_who_and_when(bank: Bank) -> None:
    w = await arrears_warning(bank)
    assert (await report(bank, w["id"], "branch")).json()["state"] == "reported_to_branch"
    bank.at(START + timedelta(hours=5))
    after = (await report(bank, w["id"], "head_office")).json()
    assert after["state"] == "reported_to_head_office"
    team = {"leader": "Head Li", "leader_post": "sub_branch_head", "members": ["Wang"]}
    mitigating = await bank.client.post(f"/v1/warnings/{w['id']}/mitigation", json=team)
    assert mitigating.json()["state"] == "under_mitigation"
    resolved = await bank.client.post(f"/v1/warnings/{w['id']}/resolve", json={"reason": "repaid"})
    assert resolved.json()["state"] == "resolved"
    assert resolved.json()["resolution"] == "repaid"
    detail = (await bank.client.get(f"/v1/warnings/{w['id']}")).json()
    assert [h["action"] for h in detail["history"]] == [
        "raised",
        "reported_to_branch",
        "reported_to_head_office",
        "mitigation_started",
        "resolved",
    ]
    assert all(h["actor"] for h in detail["history"])
    assert [r["step"] for r in detail["reports"]] == ["branch", "head_office"]


async def test_w7_head_office_deadline_counts_from_the_branch_report(bank: Bank) -> None:
    w = await arrears_warning(bank, amount="6000000")
    reported_at = START + timedelta(hours=3)
    bank.at(reported_at + timedelta(minutes=1))
    after = (await report(bank, w["id"], "branch", reported_at=reported_at.isoformat())).json()
    # >= 5,000,000: within 24 hours of the sub-branch report.
    assert datetime.fromisoformat(after["head_office_deadline"]) == reported_at + timedelta(
        hours=24
    )


async def test_w12_phone_report_first_counts_and_written_one_completes_it(bank: Bank) -> None:
    w = await arrears_warning(bank)
    phone = await report(bank, w["id"], "branch", channel="phone", content={"situation": "urgent"})
    assert phone.json()["state"] == "reported_to_branch"
    first_at = phone.json()["branch_reported_at"]
    bank.at(START + timedelta(days=3))
    written = await report(bank, w["id"], "branch", channel="written")
    assert written.status_code == 200
    assert written.json()["branch_reported_at"] == first_at  # the deadline counted from the call
    again = await report(bank, w["id"], "branch")
    assert again.status_code == 409


async def test_w12_written_report_needs_cause_and_measures(bank: Bank) -> None:
    w = await arrears_warning(bank)
    response = await report(bank, w["id"], "branch", content={"situation": "only this"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/content"


async def test_w10_refused_transitions_name_the_rule(bank: Bank) -> None:
    w = await arrears_warning(bank)
    early = await bank.client.post(f"/v1/warnings/{w['id']}/resolve", json={"reason": "repaid"})
    assert early.status_code == 409
    assert early.json()["detail"].startswith("W10")
    skip = await report(bank, w["id"], "head_office")
    assert skip.status_code == 409


async def test_w13_a_late_report_stays_late(bank: Bank) -> None:
    w = await arrears_warning(bank, since="2026-11-09")  # branch due 11-11 00:00 local
    bank.at(datetime(2026, 11, 12, 10, 0, tzinfo=SH))
    after = (await report(bank, w["id"], "branch")).json()
    assert after["branch_overdue"] is True
    assert (await bank.warnings(overdue="true"))[0]["id"] == w["id"]
    detail = (await bank.client.get(f"/v1/warnings/{w['id']}")).json()
    assert detail["reports"][0]["late"] is True


async def test_w11_red_warning_mitigation_needs_the_branch_principal(bank: Bank) -> None:
    await bank.post(bank.disbursed("L1", "B1", "50000", "2027-06-30"))
    await bank.post(bank.event("borrower.major_event", {"kind": "cross_default"}, borrower_id="B1"))
    w = await bank.one()
    await report(bank, w["id"], "branch")
    team = {"leader": "Deputy Zhao", "leader_post": "deputy_head_lending"}
    refused = await bank.client.post(f"/v1/warnings/{w['id']}/mitigation", json=team)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["pointer"] == "/branch_principal"
    ok = await bank.client.post(
        f"/v1/warnings/{w['id']}/mitigation", json={**team, "branch_principal": "President Sun"}
    )
    assert ok.json()["team"]["branch_principal"] == "President Sun"


async def test_w14_sweep_marks_overdue_creates_check_tasks_and_flags_missing_updates(
    bank: Bank,
) -> None:
    await bank.post(bank.disbursed("L7", "B7", "10000", "2026-12-05"))  # matures in 25 days
    w = await arrears_warning(bank, since="2026-11-09")
    swept = (await bank.client.post("/v1/sweeps/run")).json()
    assert swept["check_tasks_created"] == 1
    tasks = (await bank.client.get("/v1/check-tasks")).json()
    assert [t["loan_id"] for t in tasks] == ["L7"]

    bank.at(datetime(2026, 12, 2, 9, 0, tzinfo=SH))  # deadlines passed, a new month began
    swept = (await bank.client.post("/v1/sweeps/run")).json()
    assert swept["overdue_marked"] == 2  # branch and head-office steps of the arrears warning
    assert swept["updates_missing"] == 1
    marked = (await bank.client.get(f"/v1/warnings/{w['id']}")).json()
    assert (marked["branch_overdue"], marked["head_office_overdue"]) == (True, True)
    assert marked["updates_missing"] is True
    # A December update clears the flag; the overdue marks stay (W13).
    update = await bank.client.post(f"/v1/warnings/{w['id']}/updates", json={"text": "talks"})
    assert update.json()["updates_missing"] is False
    assert update.json()["branch_overdue"] is True

    await bank.post(
        bank.event("loan.maturity_checked", {"outcome": "expected_repaid"}, loan_id="L7")
    )
    assert (await bank.client.get("/v1/check-tasks")).json() == []


async def test_deadlines_list_soonest_first_and_summary_tiles(bank: Bank) -> None:
    await bank.post(
        bank.disbursed("L1", "B1", "2000000", "2027-06-30"),
        bank.disbursed("L2", "B2", "100", "2027-06-30", org="HO/SZ/BA02"),
    )
    await bank.post(
        bank.event("interest.arrears", {"amount": "1", "since": "2026-11-10"}, loan_id="L1"),
        bank.event("loan.classified", {"five_class": "loss", "predicted": True}, loan_id="L2"),
    )
    deadlines = (await bank.client.get("/v1/deadlines")).json()["items"]
    assert [(d["loan_id"], d["step"]) for d in deadlines] == [
        ("L1", "branch"),
        ("L1", "head_office"),
        ("L2", "branch"),
    ]
    assert [d["deadline"] for d in deadlines] == sorted(d["deadline"] for d in deadlines)
    summary = (await bank.client.get("/v1/summary")).json()
    assert summary["open_by_level"] == {"yellow": 1, "orange": 0, "red": 1}
    assert summary["by_branch"] == {"HO/GZ": 1, "HO/SZ": 1}
    async with serve(bank.app, who=caller(Role.BRANCH, org="HO/SZ")) as sz:
        assert (await sz.get("/v1/summary")).json()["by_branch"] == {"HO/SZ": 1}
        assert [d["loan_id"] for d in (await sz.get("/v1/deadlines")).json()["items"]] == ["L2"]
        gz_warning = next(d["warning_id"] for d in deadlines if d["loan_id"] == "L1")
        assert (await sz.get(f"/v1/warnings/{gz_warning}")).status_code == 404


async def test_list_etag_gives_304_until_something_changes(bank: Bank) -> None:
    w = await arrears_warning(bank)
    first = await bank.client.get("/v1/warnings", params={"state": "open"})
    tag = first.headers["etag"]
    same = await bank.client.get(
        "/v1/warnings", params={"state": "open"}, headers={"If-None-Match": tag}
    )
    assert same.status_code == 304
    await report(bank, w["id"], "branch")
    changed = await bank.client.get(
        "/v1/warnings", params={"state": "open"}, headers={"If-None-Match": tag}
    )
    assert changed.status_code == 200
    assert changed.headers["etag"] != tag


async def test_list_cursor_pages_newest_first(bank: Bank) -> None:
    for i in range(5):
        bank.at(START + timedelta(minutes=i))
        await bank.post(bank.disbursed(f"L{i}", f"B{i}", "100", "2027-06-30"))
        await bank.post(bank.event("lending.violation", {"kind": "rule_breaking"}, loan_id=f"L{i}"))
    page = (await bank.client.get("/v1/warnings", params={"limit": 2})).json()
    seen = [w["loan_id"] for w in page["items"]]
    while page["next_cursor"]:
        page = (
            await bank.client.get(
                "/v1/warnings", params={"limit": 2, "cursor": page["next_cursor"]}
            )
        ).json()
        seen += [w["loan_id"] for w in page["items"]]
    assert seen == ["L4", "L3", "L2", "L1", "L0"]
    bad = await bank.client.get("/v1/warnings", params={"cursor": "!!!"})
    assert bad.status_code == 422


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            {
                "kind": "pre_maturity",
                "amount": "999999.99",
                "discovered_at": "2026-11-10T09:00:00+08:00",
                "maturity_date": "2027-01-31",
            },
            {
                "branch_deadline": "2027-01-06T23:59:59+08:00",
                "head_office_required": False,
                "head_office_deadline": None,
            },
        ),
        (
            {
                "kind": "pre_maturity",
                "amount": "1000000",
                "discovered_at": "2026-11-10T09:00:00+08:00",
                "maturity_date": "2027-01-31",
            },
            {
                "branch_deadline": "2026-11-12T09:00:00+08:00",
                "head_office_required": True,
                "head_office_deadline": "2026-11-14T09:00:00+08:00",
            },
        ),
        (
            {"kind": "rule_breaking", "amount": "10", "discovered_at": "2026-11-10T01:00:00Z"},
            {
                "branch_deadline": None,
                "head_office_required": True,
                "head_office_deadline": "2026-11-11T09:00:00+08:00",
            },
        ),
    ],
)
async def test_w5_w8_deadlines_compute_is_a_what_if(
    bank: Bank, body: dict[str, Any], expected: dict[str, Any]
) -> None:
    response = await bank.client.post("/v1/deadlines/compute", json=body)
    assert response.status_code == 200, response.text
    got = {
        k: (datetime.fromisoformat(v) if isinstance(v, str) else v)
        for k, v in response.json().items()
    }
    want = {
        k: (datetime.fromisoformat(v) if isinstance(v, str) else v) for k, v in expected.items()
    }
    assert got == want
    assert await bank.warnings() == []


async def test_w5_pre_maturity_without_maturity_is_a_422_naming_the_field(bank: Bank) -> None:
    response = await bank.client.post(
        "/v1/deadlines/compute",
        json={"kind": "pre_maturity", "amount": "1", "discovered_at": "2026-11-10T09:00:00+08:00"},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/maturity_date"


async def test_w4_level_policy_is_stored_and_applies_to_new_signals(bank: Bank) -> None:
    policy = (await bank.client.get("/v1/policies/levels")).json()
    assert policy["version"] == 0
    policy["document"]["interest_arrears"] = [
        {"from_days": 1, "level": "orange"},
        {"from_days": 5, "level": "red"},
    ]
    saved = await bank.client.put("/v1/policies/levels", json=policy["document"])
    assert saved.json()["version"] == 1
    w = await arrears_warning(bank, since="2026-11-01")
    assert w["level"] == "red"
    bad = await bank.client.put(
        "/v1/policies/levels", json={"interest_arrears": [{"from_days": 0, "level": "red"}]}
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["pointer"].startswith("/interest_arrears/0")


async def test_w9_head_office_raises_a_warning_by_hand(bank: Bank) -> None:
    await bank.post(bank.disbursed("L1", "B1", "100", "2027-06-30"))
    response = await bank.client.post(
        "/v1/warnings",
        json={
            "kind": "financial_anomaly",
            "level": "orange",
            "org": "HO/GZ/LS03",
            "borrower_id": "B1",
            "detail": "inspection",
        },
    )
    assert response.status_code == 201, response.text
    assert response.json()["source"] == "head_office"
    missing = await bank.client.post(
        "/v1/warnings",
        json={"kind": "interest_arrears", "level": "red", "org": "HO/GZ", "loan_id": "NOPE"},
    )
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["pointer"] == "/loan_id"


async def test_w15_notice_is_acknowledged_by_each_branch(bank: Bank) -> None:
    notice = await bank.client.post(
        "/v1/notices",
        json={
            "scope": "industry",
            "title": "Steel",
            "body": "Overcapacity risk",
            "branches": ["HO/GZ", "HO/SZ"],
        },
    )
    assert notice.status_code == 201
    notice_id = notice.json()["id"]
    async with serve(bank.app, who=caller(Role.BRANCH, org="HO/GZ")) as gz:
        mine = (await gz.get("/v1/notices")).json()
        assert [r["branch"] for r in mine[0]["recipients"]] == ["HO/GZ"]
        acked = (await gz.post(f"/v1/notices/{notice_id}/ack")).json()
        assert acked["recipients"][0]["acknowledged_at"] is not None
    everyone = (await bank.client.get("/v1/notices")).json()[0]["recipients"]
    assert [(r["branch"], r["acknowledged_at"] is not None) for r in everyone] == [
        ("HO/GZ", True),
        ("HO/SZ", False),
    ]


def _sh(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=SH)  # type: ignore[misc]


def _utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("raised", "updates", "now", "missing"),
    [
        (_sh(2026, 1, 15), [], _sh(2026, 1, 31, 23, 59, 59), False),  # raised this month
        (_sh(2026, 1, 15), [], _sh(2026, 2, 1), True),
        (_sh(2026, 1, 15), [_sh(2026, 2, 10)], _sh(2026, 2, 20), False),
        (
            _sh(2026, 1, 15),
            [_sh(2026, 1, 20)],
            _sh(2026, 2, 5),
            True,
        ),  # January's is not February's
        (_utc(2026, 1, 31, 16, 30), [], _sh(2026, 2, 20), False),  # raised on 1 February, local
        (_sh(2026, 1, 10), [_utc(2026, 2, 28, 16, 30)], _sh(2026, 3, 5), False),  # March's, local
    ],
)
async def test_w11_w14c_the_sweep_flags_a_missing_monthly_update_by_the_bank_calendar(
    bank: Bank, raised: datetime, updates: list[datetime], now: datetime, missing: bool
) -> None:
    """W11/W14c: an update is due in every month after the month the warning was raised, by
    the bank's calendar (Asia/Shanghai); the sweep flags an open warning without this month's."""
    bank.at(raised)
    since = (raised.astimezone(SH) - timedelta(days=10)).date().isoformat()
    await bank.post(bank.disbursed("L1", "B1", "2000000", "2027-06-30", at=raised))
    await bank.post(
        bank.event("interest.arrears", {"amount": "10", "since": since}, loan_id="L1", at=raised)
    )
    w = await bank.one()
    for moment in updates:
        bank.at(moment)
        posted = await bank.client.post(f"/v1/warnings/{w['id']}/updates", json={"text": "talks"})
        assert posted.status_code == 200, posted.text
    bank.at(now)
    swept = (await bank.client.post("/v1/sweeps/run")).json()
    assert swept["updates_missing"] == int(missing)
    assert (await bank.client.get(f"/v1/warnings/{w['id']}")).json()["updates_missing"] is missing
