"""Yearly figures (CSV and records), run inputs, peers and fingerprints (O7, O11, O13, O15),
and the what-if body parser."""

from __future__ import annotations

from decimal import Decimal

import pytest

from services.officers.grading.compute_input import parse_compute
from services.officers.grading.figures import FiguresValues, clean_figures, read_figures_csv
from services.officers.grading.policy import GradingPolicy
from services.officers.grading.rules import grade_all
from services.officers.grading.run_inputs import (
    FiguresRow,
    grade_stored,
    peers_from_json,
    peers_to_json,
    resolve_inputs,
    run_peers,
    snapshot_fingerprint,
    sub_branch_of,
)

D = Decimal
POLICY = GradingPolicy.default()
CLASSES = {"HO/GZ/A": ("Liwan", 1), "HO/GZ/B": ("Liwan", 1), "HO/SZ/C": ("Bao'an", 3)}


def values(loans: int = 100, **kw: object) -> FiguresValues:
    base: dict[str, object] = {
        "loans_issued": loans,
        "interest_income": D("50000.00"),
        "new_npl_balance": D("1000.00"),
        "managed_balance": D("100000.00"),
    }
    return FiguresValues(**(base | kw))  # type: ignore[arg-type]


def test_o13_csv_rows_keep_their_line_numbers() -> None:
    text = (
        "officer_id,loans_issued,interest_income,new_npl_balance,managed_balance\n"
        'a,1,2,3,4\n\n"b",5,6,7,8\n'
    )
    rows, problems = read_figures_csv(text)
    assert problems == []
    assert [(r.line, r.cells["officer_id"]) for r in rows] == [(2, "a"), (4, "b")]


def test_o8_to_o11_clean_figures_names_each_field_and_rule() -> None:
    cells = {
        "loans_issued": "-1",
        "interest_income": "1.001",
        "new_npl_balance": "",
        "managed_balance": "1e3",
        "fines": "x",
    }
    value, problems = clean_figures(cells, text=True)
    assert value is None
    assert {(p.field, p.rule) for p in problems} == {
        ("loans_issued", "O8"),
        ("interest_income", "O9"),
        ("new_npl_balance", "O10"),
        ("fines", "O11"),
    }
    ok, none = clean_figures(
        {
            "loans_issued": 3,
            "interest_income": "10",
            "new_npl_balance": 0,
            "managed_balance": "5.5",
        },
        text=False,
    )
    assert none == []
    assert ok is not None
    assert (ok.interest_income, ok.managed_balance, ok.fines) == (D("10.00"), D("5.50"), None)


def test_o7_inputs_take_county_and_class_from_the_sub_branch_and_counts_from_records() -> None:
    rows = [
        FiguresRow("a1", "HO/GZ/A", "officer", values(120, fines=1)),
        FiguresRow("a2", "HO/GZ/A/OF1", "officer", values(80)),  # an office: its sub-branch's class
        FiguresRow("b1", "HO/GZ/B", "officer", values(100)),
        FiguresRow("c1", "HO/SZ/C", "officer", values(100)),
        FiguresRow("x1", "HO/GZ", "officer", values(100)),  # no sub-branch
    ]
    graded, everyone, skipped = resolve_inputs(
        rows,
        classes=CLASSES,
        scope_org="HO/GZ/A",
        county=None,
        record_counts={"a2": {"fines": 3, "failed_exams": 1}, "a1": {"fines": 9}},
    )
    assert [g.figures.officer_id for g in graded] == ["a1", "a2"]
    assert graded[0].figures.fines == 1
    assert graded[0].count_sources == "RFRR"
    assert (graded[1].figures.fines, graded[1].figures.failed_exams) == (3, 1)
    assert len(everyone) == 4
    assert skipped == []
    peers = run_peers(graded, everyone, POLICY)
    [liwan] = peers.values()
    assert (liwan.officer_count, liwan.loans_issued_total) == (3, 300)  # b1 counts as a peer
    _g, _e, skipped_all = resolve_inputs(
        rows, classes=CLASSES, scope_org="HO", county=None, record_counts={}
    )
    assert skipped_all[0]["officer_id"] == "x1"
    assert skipped_all[0]["reason"].startswith("O7:")
    assert sub_branch_of("HO/GZ") is None
    assert sub_branch_of("HO/GZ/A/OF1") == "HO/GZ/A"


def test_o15_stored_peers_round_trip_and_regrade_identically() -> None:
    rows = [FiguresRow(f"o{i}", "HO/GZ/A", "officer", values(90 + i)) for i in range(5)]
    graded, everyone, _s = resolve_inputs(
        rows, classes=CLASSES, scope_org="HO", county=None, record_counts={}
    )
    peers = run_peers(graded, everyone, POLICY)
    figures = [g.figures for g in graded]
    stored = peers_from_json(peers_to_json(peers))
    assert grade_stored(figures, stored, POLICY) == grade_all(figures, POLICY)
    fp = snapshot_fingerprint(figures, peers, POLICY)
    assert fp == snapshot_fingerprint(list(reversed(figures)), stored, POLICY)
    other = GradingPolicy.from_dict({"npl_tolerance_ratio": "2"})
    assert fp != snapshot_fingerprint(figures, peers, other)


def test_contract_parse_compute_collects_every_problem() -> None:
    parsed, problems = parse_compute(
        {
            "year": 2025,
            "officers": [
                {
                    "officer_id": "a",
                    "county": "c",
                    "branch_class": 1,
                    "loans_issued": True,
                    "interest_income": "1",
                    "new_npl_balance": "0",
                    "managed_balance": "0",
                    "x": 1,
                },
            ],
            "extra": 1,
        }
    )
    assert parsed is None
    assert {(p.pointer, p.rule) for p in problems} == {
        ("/extra", "O13"),
        ("/officers/0/x", "O13"),
        ("/officers/0/loans_issued", "O8"),
    }


@pytest.mark.parametrize("payload", [[], {"year": "2025", "officers": [{}]}, None])
def test_contract_parse_compute_refuses_non_objects(payload: object) -> None:
    parsed, problems = parse_compute(payload)
    assert parsed is None
    assert problems
