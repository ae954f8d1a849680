"""Events in, warnings out, in the embedded mode (W1-W8, W18) on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.integration.warnings.conftest import SH, START, Bank


async def test_w1c_w4_arrears_raise_yellow_then_escalate_to_orange_on_the_same_warning(
    bank: Bank,
) -> None:
    await bank.post(bank.disbursed("L1", "B1", "2000000.00", "2027-06-30"))
    await bank.post(
        bank.event("interest.arrears", {"amount": "5000", "since": "2026-11-01"}, loan_id="L1")
    )
    warning = await bank.one()
    # 2026-11-01 .. 2026-11-10 is 10 days of arrears: yellow (W4 default 1-30).
    assert (warning["kind"], warning["level"], warning["state"]) == (
        "interest_arrears",
        "yellow",
        "raised",
    )
    assert warning["amount"] == "2000000.00"
    # W6: within 2 days of the arrears, i.e. from 2026-11-01 00:00 local: 11-03 00:00 local.
    assert datetime.fromisoformat(warning["branch_deadline"]) == datetime(
        2026, 11, 3, 0, 0, tzinfo=SH
    )
    # W7: 2,000,000 >= 1,000,000: head office 2 days after the branch deadline.
    assert warning["head_office_required"] is True
    assert datetime.fromisoformat(warning["head_office_deadline"]) == datetime(
        2026, 11, 5, 0, 0, tzinfo=SH
    )

    late = START + timedelta(days=35)
    await bank.post(
        bank.event(
            "interest.arrears", {"amount": "9000", "since": "2026-11-01"}, loan_id="L1", at=late
        )
    )
    escalated = await bank.one()
    assert escalated["id"] == warning["id"]
    assert escalated["level"] == "orange"  # 45 days: 31-90 orange
    detail = (await bank.client.get(f"/v1/warnings/{warning['id']}")).json()
    assert [h["action"] for h in detail["history"]] == ["raised", "escalated"]


async def test_w4_a_lower_signal_is_recorded_but_never_lowers(bank: Bank) -> None:
    await bank.post(bank.disbursed("L1", "B1", "300000", "2027-06-30"))
    await bank.post(
        bank.event("loan.classified", {"five_class": "doubtful", "predicted": True}, loan_id="L1")
    )
    await bank.post(
        bank.event(
            "loan.classified", {"five_class": "substandard", "predicted": True}, loan_id="L1"
        )
    )
    warning = await bank.one()
    assert (warning["kind"], warning["level"]) == ("classification", "red")
    # W6: classification by the end of the month in which it was predicted.
    assert datetime.fromisoformat(warning["branch_deadline"]) == datetime(
        2026, 11, 30, 23, 59, 59, tzinfo=SH
    )
    assert warning["head_office_required"] is False  # W7: below 1,000,000
    history = (await bank.client.get(f"/v1/warnings/{warning['id']}")).json()["history"]
    assert [h["action"] for h in history] == ["raised", "signal_recorded"]


async def test_w18_repayment_before_disbursement_is_parked_and_applied_when_the_loan_arrives(
    bank: Bank,
) -> None:
    check = bank.event("loan.maturity_checked", {"outcome": "expected_unpaid"}, loan_id="L9")
    repaid = bank.event("repayment.received", {"principal": "400000"}, loan_id="L9")
    await bank.post(check, repaid)
    assert await bank.warnings() == []  # nothing known of L9 yet: kept, not dropped

    await bank.post(bank.disbursed("L9", "B9", "1000000", "2026-12-05"))
    warning = await bank.one()
    assert (warning["kind"], warning["level"]) == ("pre_maturity", "orange")
    # Parked events replay in their order: the check came before the repayment, so the
    # warning carries the full balance, and W5/W7 use it (>= 1,000,000).
    assert warning["amount"] == "1000000.00"
    assert warning["head_office_required"] is True


async def test_w18_parked_events_in_the_same_batch_are_applied_in_order(bank: Bank) -> None:
    await bank.post(
        bank.event("repayment.received", {"principal": "100"}, loan_id="L5"),
        bank.disbursed("L5", "B5", "500", "2027-01-01"),
        bank.event("interest.arrears", {"amount": "1", "since": "2026-11-09"}, loan_id="L5"),
    )
    warning = await bank.one()
    assert warning["amount"] == "400.00"  # 500 disbursed, 100 repaid before the arrears


async def test_w1d_w1e_major_event_is_red_and_spreads_to_the_group(bank: Bank) -> None:
    await bank.post(
        bank.disbursed("L1", "B1", "800000", "2027-06-30", body={"group_id": "G1"}),
        bank.disbursed(
            "L2", "B2", "700000", "2027-06-30", body={"group_id": "G1"}, org="HO/GZ/CH01"
        ),
        bank.disbursed("L3", "B3", "100", "2027-06-30", body={"group_id": "G2"}),
    )
    await bank.post(bank.event("borrower.major_event", {"kind": "major_lawsuit"}, borrower_id="B1"))
    items = {w["borrower_id"]: w for w in await bank.warnings()}
    assert set(items) == {"B1", "B2"}
    assert (items["B1"]["kind"], items["B1"]["level"]) == ("major_event", "red")
    assert (items["B2"]["kind"], items["B2"]["level"]) == ("group_contagion", "red")
    assert items["B2"]["source_warning_id"] == items["B1"]["id"]
    assert items["B2"]["org"] == "HO/GZ/CH01"
    # W6: major event within 24 hours; contagion within 2 days.
    raised = datetime.fromisoformat(items["B1"]["discovered_at"])
    assert datetime.fromisoformat(items["B1"]["branch_deadline"]) == raised + timedelta(hours=24)


async def test_w2_w8_management_warning_goes_straight_to_head_office(bank: Bank) -> None:
    await bank.post(bank.disbursed("L1", "B1", "50000", "2027-06-30"))
    await bank.post(bank.event("lending.violation", {"kind": "beyond_authority"}, loan_id="L1"))
    warning = await bank.one()
    assert (warning["category"], warning["level"]) == ("management", "red")
    assert warning["branch_deadline"] is None
    assert datetime.fromisoformat(warning["head_office_deadline"]) == START + timedelta(hours=24)
    content = {"situation": "s", "cause": "c", "measures": "m"}
    refused = await bank.client.post(
        f"/v1/warnings/{warning['id']}/reports", json={"step": "branch", "content": content}
    )
    assert refused.status_code == 409
    assert "W8" in refused.json()["detail"]
    done = await bank.client.post(
        f"/v1/warnings/{warning['id']}/reports", json={"step": "head_office", "content": content}
    )
    assert done.json()["state"] == "reported_to_head_office"


async def test_events_without_a_warning_change_nothing_visible(bank: Bank) -> None:
    await bank.post(bank.disbursed("L1", "B1", "50000", "2027-06-30"))
    await bank.post(
        bank.event("loan.maturity_checked", {"outcome": "expected_repaid"}, loan_id="L1"),
        bank.event("loan.classified", {"five_class": "normal"}, loan_id="L1"),
        bank.event(
            "borrower.financial_anomaly",
            {"indicator": "revenue", "old": "100", "new": "95"},
            borrower_id="B1",
        ),
    )
    assert await bank.warnings() == []
