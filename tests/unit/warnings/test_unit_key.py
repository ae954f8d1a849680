"""Issue 13: `UnitKey` (the sub-branch leading the unit deadline indexes) computes, in SQL of
either dialect, what `unit_of` computes in Python for every depth of node (G4 paths)."""

from __future__ import annotations

import sqlite3

import pytest

from services.warnings.models import unit_key_sql, unit_of

NODES = ("HO", "HO/GZ", "HO/GZ/LS03", "HO/GZ/LS03/OF1", "HO/G-Z_9/L/O")


@pytest.mark.parametrize("node", NODES)
def test_issue13_unit_key_on_sqlite_is_unit_of(node: str) -> None:
    db = sqlite3.connect(":memory:")
    (value,) = db.execute(f"SELECT {unit_key_sql(':n', 'sqlite')}", {"n": node}).fetchone()
    expected = unit_of(node)
    if expected is None:  # above the sub-branches: a value no sub-branch has
        assert value.count("/") < 2
    else:
        assert value == expected


def test_issue13_unit_of_is_the_sub_branch_of_a_node_below_the_branches() -> None:
    assert [unit_of(n) for n in NODES] == [None, None, "HO/GZ/LS03", "HO/GZ/LS03", "HO/G-Z_9/L"]
