"""O24: the per-condition listing (with rule texts) agrees with `evaluate_exit`."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from services.officers.exit.service import exit_conditions
from services.officers.kernel.vocabulary import Gender
from services.officers.liability.policy import LiabilityPolicy
from services.officers.liability.rules import ExitFacts, evaluate_exit

POLICY = LiabilityPolicy.default()


@given(
    score=st.none() | st.integers(0, 100).map(Decimal),
    failed=st.integers(0, 4),
    flags=st.tuples(*[st.booleans()] * 5),
    gender=st.sampled_from(list(Gender)),
    birth=st.dates(date(1950, 1, 1), date(2000, 12, 31)),
    on=st.dates(date(2000, 1, 1), date(2040, 12, 31)),
)
def test_o24_conditions_agree_with_evaluate_exit(
    score: Decimal | None,
    failed: int,
    flags: tuple[bool, bool, bool, bool, bool],
    gender: Gender,
    birth: date,
    on: date,
) -> None:
    facts = ExitFacts(score, failed, flags[0], flags[1], gender, birth, *flags[2:])
    listed = exit_conditions(facts, on, POLICY)
    assert len(listed) == 7
    assert sum(c.holds for c in listed) == len(evaluate_exit(facts, on, POLICY))
    assert all(c.rule.startswith("O24: ") for c in listed)


def test_o24_women_exit_after_45_men_after_55() -> None:
    woman = ExitFacts(None, 0, False, False, Gender.FEMALE, date(1980, 5, 1))
    held = {c.condition for c in exit_conditions(woman, date(2025, 5, 2), POLICY) if c.holds}
    assert held == {"age"}
    assert not any(c.holds for c in exit_conditions(woman, date(2025, 5, 1), POLICY))
