"""The dashboard tiles (W13) are counted in the database: they equal a brute-force count over
every warning, past deadlines included."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.integration.warnings.conftest import START, Bank
from tests.support.warnings import summary_by_brute_force

CONTENT = {"situation": "sales collapsed", "cause": "lost main customer", "measures": "collect"}
OPEN = ("raised", "reported_to_branch", "reported_to_head_office", "under_mitigation")


async def test_w13_summary_counts_equal_a_brute_force_count(bank: Bank) -> None:
    since = ["2026-11-01", "2026-11-07", "2026-11-08", "2026-11-09", "2026-11-10", "2026-09-01"]
    amounts = ["100", "2000000", "6000000"]
    events = []
    for i in range(len(since) * 2):
        loan = f"L{i}"
        org = ("HO/GZ/LS03", "HO/SZ/BA02")[i % 2]
        events.append(bank.disbursed(loan, f"B{i}", amounts[i % 3], "2027-06-30", org=org))
    await bank.post(*events)
    for i, day in enumerate(since * 2):
        bank.at(START + timedelta(hours=3 * i))
        body = {"amount": "1", "since": day}
        await bank.post(bank.event("interest.arrears", body, loan_id=f"L{i}"))
    warnings = await bank.warnings(limit=500)
    for w in warnings[:3]:  # some reported to the branch: their branch step no longer counts
        response = await bank.client.post(
            f"/v1/warnings/{w['id']}/reports", json={"step": "branch", "content": CONTENT}
        )
        assert response.status_code == 200, response.text
    now = START + timedelta(hours=30)
    bank.at(now)
    items = await bank.warnings(limit=500)
    summary = (await bank.client.get("/v1/summary")).json()
    full = summary_by_brute_force(items, "HO", now, timedelta(hours=24))
    expected = {k: full[k] for k in ("due_soon", "overdue")}
    assert 0 < expected["due_soon"] < sum(w["branch_deadline"] is not None for w in items)
    assert expected["overdue"] > 0
    assert {k: summary[k] for k in expected} == expected
    levels = {lvl: sum(w["level"] == lvl for w in items) for lvl in ("yellow", "orange", "red")}
    assert summary["open_by_level"] == levels
    deadlines = (await bank.client.get("/v1/deadlines")).json()["items"]
    assert summary["due_soon"] == sum(
        now <= datetime.fromisoformat(d["deadline"]) <= now + timedelta(hours=24) for d in deadlines
    )
