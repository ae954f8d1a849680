"""A deterministic mixed stream of loan, repayment and risk events, for tests and benchmarks.

Per loan: disbursement, sometimes a repayment that arrives before it (out of order), interest
arrears that grow, a predicted classification, a pre-maturity check; per borrower sometimes a
group link and a major event or a financial anomaly. Keys keep a loan's events in order.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

SH = ZoneInfo("Asia/Shanghai")
BASE = datetime(2026, 11, 2, 9, 0, tzinfo=SH)
ORGS = ("HO/GZ/LS03", "HO/GZ/CH01", "HO/SZ/BA02")

TOPIC_OF = {
    "loan": "loan-events",
    "repayment": "repayment-events",
    "interest": "repayment-events",
    "borrower": "risk-events",
    "lending": "risk-events",
}


def topic_of(event: dict[str, Any]) -> str:
    return TOPIC_OF[event["type"].split(".")[0]]


def key_of(event: dict[str, Any]) -> str:
    return str(event.get("loan_id") or event["borrower_id"])


def mixed_stream(tag: str, loans: int, *, seed: int = 7) -> list[dict[str, Any]]:
    """Events for `loans` loans (one borrower each, groups of 4), ids prefixed with `tag`."""
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    n = 0

    def ev(type_: str, body: dict[str, Any], at: datetime, **subject: Any) -> dict[str, Any]:
        nonlocal n
        n += 1
        return {
            "event_id": f"{tag}-e{n}",
            "type": type_,
            "occurred_at": at.isoformat(),
            "org": subject.pop("org"),
            "body": body,
            **subject,
        }

    for i in range(loans):
        loan, borrower, org = f"{tag}-L{i}", f"{tag}-B{i}", ORGS[i % len(ORGS)]
        amount = rng.choice(["80000", "999999.99", "1000000", "2500000", "5000000", "7200000"])
        maturity = date(2026, 11, 20) + timedelta(days=rng.randrange(0, 400))
        at = BASE + timedelta(minutes=i)
        disbursed = ev(
            "loan.disbursed",
            {
                "amount": amount,
                "maturity_date": maturity.isoformat(),
                "group_id": f"{tag}-G{i // 4}",
            },
            at,
            loan_id=loan,
            borrower_id=borrower,
            org=org,
        )
        early_repayment = i % 5 == 0
        if early_repayment:  # a repayment that arrives before its disbursement (W18)
            out.append(ev("repayment.received", {"principal": "1000"}, at, loan_id=loan, org=org))
        out.append(disbursed)
        if i % 3 == 0:
            since = (at - timedelta(days=rng.choice([3, 20, 45, 100]))).date().isoformat()
            out.append(
                ev("interest.arrears", {"amount": "800", "since": since}, at, loan_id=loan, org=org)
            )
        if i % 4 == 1:
            five = rng.choice(["special_mention", "substandard", "doubtful", "loss"])
            body = {"five_class": five, "tier": 3, "predicted": True}
            out.append(ev("loan.classified", body, at, loan_id=loan, org=org))
        if i % 6 == 2:
            outcome = rng.choice(["expected_repaid", "cannot_confirm", "expected_unpaid"])
            out.append(ev("loan.maturity_checked", {"outcome": outcome}, at, loan_id=loan, org=org))
        if i % 7 == 3:
            out.append(
                ev(
                    "borrower.major_event",
                    {"kind": "major_lawsuit"},
                    at,
                    borrower_id=borrower,
                    org=org,
                )
            )
        if i % 9 == 4:
            body = {"indicator": "revenue", "old": "1000", "new": str(rng.choice([900, 700, 400]))}
            out.append(ev("borrower.financial_anomaly", body, at, borrower_id=borrower, org=org))
        if i % 11 == 5:
            out.append(
                ev("lending.violation", {"kind": "rule_breaking"}, at, loan_id=loan, org=org)
            )
    return out


def bench_stream(tag: str, loans: int, total: int, *, seed: int = 11) -> list[dict[str, Any]]:
    """Exactly `total` events over `loans` loans in time order, for bench/warnings.py.

    Per loan a disbursement, growing interest arrears on ~30 % of loans (since a day 30 days
    after disbursement, seen at 5, 40 and 100 days: yellow, orange, red), a classification on
    half of them, a pre-maturity check on ~30 %; per borrower (4 of every 5 loans have their own
    borrower; every third block of 5 borrowers is a group) sometimes a major event, a financial
    anomaly or a late group link; the rest is `repayment.received`. One loan in 20 has its first
    repayment ahead of its disbursement (out of order, W18).
    """
    rng = random.Random(seed)
    timed: list[tuple[datetime, int, dict[str, Any]]] = []
    start = datetime(2026, 1, 5, 9, 0, tzinfo=SH)

    def add(at: datetime, type_: str, body: dict[str, Any], **subject: Any) -> None:
        event = {"type": type_, "occurred_at": at.isoformat(), "body": body, **subject}
        timed.append((at, len(timed), event))

    disbursed_at: list[datetime] = []
    for i in range(loans):
        loan, b = f"{tag}-L{i}", i * 4 // 5
        borrower, org = f"{tag}-B{b}", ORGS[i % len(ORGS)]
        at = start + timedelta(seconds=rng.randrange(0, 60 * 86400))
        disbursed_at.append(at)
        body: dict[str, Any] = {
            "amount": rng.choice(["80000", "600000", "1000000", "2500000", "5000000", "7200000"]),
            "maturity_date": (at + timedelta(days=rng.randrange(180, 720))).date().isoformat(),
        }
        if (b // 5) % 3 == 0:
            body["group_id"] = f"{tag}-G{b // 5}"
        add(at, "loan.disbursed", body, loan_id=loan, borrower_id=borrower, org=org)
        ids = {"loan_id": loan, "org": org}
        if rng.random() < 0.3:
            since = at + timedelta(days=30)
            for days in (5, 40, 100)[: rng.choice((1, 2, 3))]:
                arrears = {"amount": "800", "since": since.date().isoformat()}
                add(since + timedelta(days=days - 1, hours=12), "interest.arrears", arrears, **ids)
        if rng.random() < 0.5:
            five = rng.choices(
                ["normal", "special_mention", "substandard", "doubtful", "loss"],
                weights=[50, 30, 12, 6, 2],
            )[0]
            tier = rng.choice([1, 2, 3]) if five != "normal" else None
            classified = {"five_class": five, "tier": tier, "predicted": rng.random() < 0.3}
            add(at + timedelta(days=rng.randrange(20, 150)), "loan.classified", classified, **ids)
        if rng.random() < 0.3:
            outcome = rng.choices(
                ["expected_repaid", "cannot_confirm", "expected_unpaid"], weights=[80, 15, 5]
            )[0]
            checked = {"outcome": outcome}
            add(
                at + timedelta(days=rng.randrange(150, 175)),
                "loan.maturity_checked",
                checked,
                **ids,
            )
        who = {"borrower_id": borrower, "org": org}
        later = at + timedelta(days=rng.randrange(10, 200))
        if rng.random() < 0.02:
            add(later, "borrower.major_event", {"kind": "major_lawsuit"}, **who)
        if rng.random() < 0.05:
            new = str(rng.choice([950, 800, 600, 300]))
            anomaly = {"indicator": "revenue", "old": "1000", "new": new}
            add(later, "borrower.financial_anomaly", anomaly, **who)
        if rng.random() < 0.02:
            link = {"group_id": f"{tag}-G{rng.randrange(0, loans // 5)}"}
            add(later, "borrower.group_linked", link, **who)
    for _ in range(total - len(timed)):
        i = rng.randrange(loans)
        org = ORGS[i % len(ORGS)]
        at = disbursed_at[i] + timedelta(days=rng.randrange(1, 300), seconds=rng.randrange(86400))
        if i % 20 == 7 and rng.random() < 0.3:
            at = disbursed_at[i] - timedelta(seconds=1)  # arrives ahead of its disbursement
        principal = {"principal": str(rng.randrange(100, 5000)), "interest": "35.50"}
        add(at, "repayment.received", principal, loan_id=f"{tag}-L{i}", org=org)
    timed.sort(key=lambda item: (item[0], item[1]))
    return [{"event_id": f"{tag}-e{n}", **event} for n, (_, _, event) in enumerate(timed)]
