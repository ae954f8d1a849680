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


def partition_of(key: str, partitions: int) -> int:
    """The partition the producer's default partitioner (murmur2) picks for `key`."""
    from aiokafka.partitioner import DefaultPartitioner

    every = list(range(partitions))
    return int(DefaultPartitioner()(key.encode(), every, every))


def replica_stream(
    tag: str,
    loans: int,
    *,
    partitions: int = 6,
    repayments: tuple[int, ...] = (0, 1, 1, 2),
    seed: int = 5,
) -> list[list[dict[str, Any]]]:
    """Three phases of a mixed stream for replicas of one consumer group (issue 14), each to be
    produced once the previous one is applied, whose end state (warnings with their levels,
    deadlines and histories) is the same whatever order the partitions and topics are read in.

    Kafka orders one key's events within one topic only, and replicas read partitions side by
    side, so a stream whose outcome depends on that order has no one right answer. Hence:
    1. repayments of loans not disbursed yet (parked, W18);
    2. disbursements - groups of 4 borrowers whose loans lie on 4 different partitions, a few
       late group links - and repayments: no warning yet, so the balances end the phase final;
    3. the signals: interest-arrears chains (yellow, orange, red: one key, one topic), predicted
       classifications, pre-maturity checks, financial anomalies and violations. In a group one
       member signals (its contagion history follows that member's order), except in the hot
       groups, where three members' major events at one moment raise red everywhere in
       whatever order (the replicas contend for the same contagion warnings). Borrower events
       of borrowers without a loan and repayments of loans never disbursed stay parked.
    About 3 % of each phase's events are sent again later in the phase (redeliveries). Each
    loan gets a number of repayments drawn from `repayments` in phase 2.
    """
    rng = random.Random(seed)
    phases: list[list[dict[str, Any]]] = [[], [], []]
    n = 0

    def ev(phase: int, type_: str, body: dict[str, Any], at: datetime, **subject: Any) -> None:
        nonlocal n
        n += 1
        phases[phase].append(
            {
                "event_id": f"{tag}-e{n}",
                "type": type_,
                "occurred_at": at.isoformat(),
                "org": subject.pop("org"),
                "body": body,
                **subject,
            }
        )

    # Groups of 4 loans on 4 different partitions: deal the loans out by partition.
    by_partition: dict[int, list[int]] = {}
    for i in range(loans):
        by_partition.setdefault(partition_of(f"{tag}-L{i}", partitions), []).append(i)
    group_of: dict[int, int] = {}
    queues = sorted(by_partition.values(), key=len, reverse=True)
    g = 0
    while sum(1 for q in queues if q) >= 4 and g < loans // 6:  # about 2/3 of loans in groups
        queues.sort(key=len, reverse=True)
        for q in queues[:4]:
            group_of[q.pop()] = g
        g += 1
    groups = g
    members: dict[int, list[int]] = {}
    for i, gid in sorted(group_of.items()):
        members.setdefault(gid, []).append(i)

    for i in range(loans):
        loan, borrower, org = f"{tag}-L{i}", f"{tag}-B{i}", ORGS[i % len(ORGS)]
        at = BASE + timedelta(minutes=i)
        ids = {"loan_id": loan, "org": org}
        if i % 5 == 0:  # ahead of its disbursement, on another topic
            ev(0, "repayment.received", {"principal": "1000", "interest": "12.50"}, at, **ids)
        amount = rng.choice(["80000", "999999.99", "1000000", "2500000", "5000000", "7200000"])
        body: dict[str, Any] = {
            "amount": amount,
            "maturity_date": (
                date(2026, 12, 1) + timedelta(days=rng.randrange(0, 400))
            ).isoformat(),
        }
        if i in group_of:
            body["group_id"] = f"{tag}-G{group_of[i]}"
        ev(1, "loan.disbursed", body, at, borrower_id=borrower, **ids)
        for _ in range(rng.choice(repayments)):
            principal = {"principal": str(rng.randrange(100, 5000)), "interest": "35.50"}
            ev(1, "repayment.received", principal, at + timedelta(days=1), **ids)
    linked: set[int] = set()
    for k in range(loans // 50):  # late group links of borrowers outside any group
        i = rng.randrange(loans)
        if i not in group_of and groups:
            linked.add(i)  # a member now: no signals of its own (one source per group)
            link = {"group_id": f"{tag}-G{rng.randrange(groups)}"}
            ev(1, "borrower.group_linked", link, BASE, borrower_id=f"{tag}-B{i}", org=ORGS[k % 3])

    hot = set(range(0, groups, 10))
    for i in range(loans):
        loan, borrower, org = f"{tag}-L{i}", f"{tag}-B{i}", ORGS[i % len(ORGS)]
        at = BASE + timedelta(days=30, minutes=i)
        ids = {"loan_id": loan, "org": org}
        grp = group_of.get(i)
        if i in linked:
            continue
        if grp is not None:
            if grp in hot:
                if i in members[grp][:3]:  # three members, one moment: red all round
                    moment = BASE + timedelta(days=20, minutes=grp)
                    ev(2, "borrower.major_event", {"kind": "major_lawsuit"}, moment,
                       borrower_id=borrower, org=org)  # fmt: skip
                continue
            if i != members[grp][0]:
                continue  # the others only get the source member's contagion
            choice = grp % 3
        else:
            choice = rng.randrange(6)
        if choice == 0:  # W1c chain on one key and topic: yellow, orange, red
            since = (at - timedelta(days=100)).date()
            for days in (5, 40, 100)[: rng.choice((1, 2, 3))]:
                seen = datetime.combine(since, datetime.min.time(), SH) + timedelta(days=days - 1)
                arrears = {"amount": "800", "since": since.isoformat()}
                ev(2, "interest.arrears", arrears, seen + timedelta(hours=12), **ids)
        elif choice == 1:
            five = rng.choice(["special_mention", "substandard", "doubtful", "loss"])
            ev(2, "loan.classified", {"five_class": five, "tier": 3, "predicted": True}, at, **ids)
        elif choice == 2:
            outcome = rng.choice(["cannot_confirm", "expected_unpaid"])
            ev(2, "loan.maturity_checked", {"outcome": outcome}, at, **ids)
        elif choice == 3:
            anomaly = {"indicator": "revenue", "old": "1000", "new": str(rng.choice([800, 400]))}
            ev(2, "borrower.financial_anomaly", anomaly, at, borrower_id=borrower, org=org)
        elif choice == 4 and grp is None:
            ev(2, "lending.violation", {"kind": "rule_breaking"}, at, **ids)
    for k in range(loans // 100):  # parked for good: no such borrower or loan here
        org = ORGS[k % 3]
        ghost = {"borrower_id": f"{tag}-GB{k}", "org": org}
        ev(2, "borrower.major_event", {"kind": "major_lawsuit"}, BASE, **ghost)
        ev(2, "repayment.received", {"principal": "10"}, BASE, loan_id=f"{tag}-GL{k}", org=org)

    for phase in phases:
        for _ in range(len(phase) * 3 // 100):  # redeliveries: later in the same phase
            first = rng.randrange(len(phase))
            phase.insert(rng.randrange(first, len(phase)) + 1, dict(phase[first]))
    return phases
