"""What a stored grading run is computed from, as pure functions (spec officers.md O7, O13-O15).

`resolve_inputs` turns the year's recorded figures into the run's graded officers and the O7
peer figures: county and class come from the officer's sub-branch in the organisation tree;
a qualitative count the figures leave blank is taken from the records. Peer averages cover
every officer with figures in the same county and class, inside the run's scope or not, so a
sub-branch's run and the county's run grade an officer alike. A run stores its graded inputs,
the peer totals and the policy; `grade_stored` re-derives every result from them and
`snapshot_fingerprint` identifies them (O15: same inputs, same results).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from services.officers.grading.figures import FiguresValues
from services.officers.grading.items import (
    BranchClass,
    OfficerFigures,
    PeerAverage,
    PeerGroup,
    peer_averages,
    peer_group_of,
)
from services.officers.grading.policy import GradingPolicy, Post
from services.officers.grading.rules import GradingResult, grade_officer, run_fingerprint
from shared.org import is_within

COUNT_NAMES = ("failed_exams", "fines", "criticisms", "serious_violations")


@dataclass(frozen=True)
class FiguresRow:
    """An officer's recorded figures for the year, with the officer's node and post."""

    officer_id: str
    org_id: str
    post: str
    values: FiguresValues


@dataclass(frozen=True)
class GradedInput:
    """One graded officer: the O7-O14 figures, node, where each count came from, pay input."""

    figures: OfficerFigures
    org_id: str
    count_sources: str
    performance_pay: Decimal | None


def sub_branch_of(org_id: str) -> str | None:
    """The sub-branch a node belongs to (itself, or an office's parent); None above them."""
    parts = org_id.split("/")
    return "/".join(parts[:3]) if len(parts) >= 3 else None


def resolve_inputs(
    rows: Iterable[FiguresRow],
    *,
    classes: Mapping[str, tuple[str, int]],
    scope_org: str,
    county: str | None,
    record_counts: Mapping[str, Mapping[str, int]],
) -> tuple[list[GradedInput], list[OfficerFigures], list[dict[str, str]]]:
    """O7/O11: (graded officers in scope, every officer's figures for the peer averages,
    officers in scope that cannot be graded with the reason). `classes` maps a sub-branch to
    its (county, class)."""
    graded: list[GradedInput] = []
    everyone: list[OfficerFigures] = []
    skipped: list[dict[str, str]] = []
    for row in sorted(rows, key=lambda r: r.officer_id):
        in_scope = is_within(row.org_id, scope_org)
        sub = sub_branch_of(row.org_id)
        if sub is None or sub not in classes:
            if in_scope and county is None:
                reason = f"O7: node {row.org_id} is not in a sub-branch with a county and class"
                skipped.append({"officer_id": row.officer_id, "reason": reason})
            continue
        group_county, group_class = classes[sub]
        counts, sources = _counts(row, record_counts.get(row.officer_id, {}))
        fig = OfficerFigures(
            officer_id=row.officer_id,
            county=group_county,
            branch_class=BranchClass(group_class),
            loans_issued=row.values.loans_issued,
            interest_income=row.values.interest_income,
            new_npl_balance=row.values.new_npl_balance,
            managed_balance=row.values.managed_balance,
            post=Post(row.post),
            **counts,
        )
        everyone.append(fig)
        if in_scope and (county is None or group_county == county):
            graded.append(GradedInput(fig, row.org_id, sources, row.values.performance_pay))
    return graded, everyone, skipped


def _counts(row: FiguresRow, recorded: Mapping[str, int]) -> tuple[dict[str, int], str]:
    counts: dict[str, int] = {}
    sources = ""
    for name in COUNT_NAMES:
        given = getattr(row.values, name)
        if given is None:
            counts[name], sources = recorded.get(name, 0), sources + "R"
        else:
            counts[name], sources = given, sources + "F"
    return counts, sources


def count_sources_dict(sources: str) -> dict[str, str]:
    """Where each qualitative count came from: `figures` or `records`."""
    names = {"F": "figures", "R": "records"}
    return {name: names[letter] for name, letter in zip(COUNT_NAMES, sources, strict=True)}


def run_peers(
    graded: Sequence[GradedInput], everyone: Sequence[OfficerFigures], policy: GradingPolicy
) -> dict[PeerGroup, PeerAverage]:
    """O7 averages of the groups the run grades, over everyone with figures in them."""
    groups = {peer_group_of(g.figures) for g in graded}
    return peer_averages([f for f in everyone if peer_group_of(f) in groups], policy)


def peers_to_json(peers: Mapping[PeerGroup, PeerAverage]) -> list[dict[str, Any]]:
    """The stored peer totals, sorted (exact: integers and decimal strings)."""
    return [
        {
            "county": p.group.county,
            "branch_class": int(p.group.branch_class),
            "officer_count": p.officer_count,
            "loans_issued_total": p.loans_issued_total,
            "interest_income_total": str(p.interest_income_total),
            "includes_managers": p.includes_managers,
        }
        for p in sorted(peers.values(), key=lambda p: (p.group.county, p.group.branch_class))
    ]


def peers_from_json(rows: Iterable[Mapping[str, Any]]) -> dict[PeerGroup, PeerAverage]:
    """Peer averages rebuilt from their stored totals."""
    out = {}
    for row in rows:
        group = PeerGroup(str(row["county"]), BranchClass(int(row["branch_class"])))
        out[group] = PeerAverage(
            group,
            int(row["officer_count"]),
            int(row["loans_issued_total"]),
            Decimal(str(row["interest_income_total"])),
            bool(row["includes_managers"]),
        )
    return out


def snapshot_fingerprint(
    figures: Sequence[OfficerFigures],
    peers: Mapping[PeerGroup, PeerAverage],
    policy: GradingPolicy,
) -> str:
    """O15: SHA-256 over the graded figures, the peer totals and the policy."""
    payload = json.dumps(
        {"run": run_fingerprint(figures, policy), "peers": peers_to_json(peers)}, sort_keys=True
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def grade_stored(
    figures: Sequence[OfficerFigures],
    peers: Mapping[PeerGroup, PeerAverage],
    policy: GradingPolicy,
) -> list[GradingResult]:
    """O7-O14 for each officer against the stored peer average of its group."""
    return [grade_officer(fig, peers[peer_group_of(fig)], policy) for fig in figures]


def result_columns(result: GradingResult) -> dict[str, Any]:
    """The outcome columns stored per officer (the breakdown is re-derived on read)."""
    return {
        "score": result.score,
        "grade": None if result.grade is None else int(result.grade),
        "salary_coefficient": result.salary_coefficient,
        "caps": ",".join(c.cap.value for c in result.caps),
    }
