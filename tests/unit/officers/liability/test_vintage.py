"""O32 vintage buy-out: year Y buys out vintage Y-11 at the rate of its age (policy table),
full buy-out with consent, relatives' loans in full, the introducer's loans (1999-2007 assessed
on the introducer, from 2008-01-01 100 %)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from services.officers.kernel.rules import RuleError
from services.officers.liability.policy import LiabilityPolicy
from services.officers.liability.vintage import (
    Payer,
    Status,
    VintageLoan,
    age_rate,
    decide,
    due_vintage,
    vintage_buyout,
)

D = Decimal
POLICY = LiabilityPolicy.default()

L1 = VintageLoan("L1", D("100000"), date(2000, 5, 1), 2001, "FR1")
L2 = VintageLoan("L2", D("50000.55"), date(1998, 3, 1), 1999, "FR1")
L3 = VintageLoan("L3", D("40000"), date(2004, 1, 1), 2005, "FR1")
L4 = VintageLoan("L4", D("8000"), date(2008, 2, 1), 2009, "FR1", relative_of_employee=True)
L5 = VintageLoan("L5", D("12345.67"), date(2008, 3, 1), 2010, "FR1", introduced_by="EMP9")
L6 = VintageLoan("L6", D("20000"), date(2000, 6, 1), 2001, "FR1", introduced_by="EMP9")
L7 = VintageLoan("L7", D("9000"), date(1997, 1, 1), 1998, "FR1")
L8 = VintageLoan("L8", D("7000"), date(2003, 1, 1), 2006, "FR1", introduced_by="EMP9")
BOOK = [L1, L2, L3, L4, L5, L6, L7, L8]


def test_o32_year_y_buys_out_vintage_y_minus_11_by_default() -> None:
    assert due_vintage(2012, POLICY) == 2001
    assert due_vintage(2012, LiabilityPolicy.from_dict({"vintage_offset_years": 12})) == 2000


@pytest.mark.parametrize(
    ("age", "rate"), [(11, "0.30"), (12, "0.35"), (13, "0.40"), (15, "0.50"), (30, "0.50")]
)
def test_o32_rate_rises_with_age_from_the_policy_table(age: int, rate: str) -> None:
    assert age_rate(age, POLICY) == D(rate)


def test_o32_worked_example_2012_who_pays_what() -> None:
    """2012: L1 (2001, age 11) 30 % = 30,000.00; L2 (1999, age 13) 40 % of 50,000.55 =
    20,000.22; L3 (2005) due only in 2016; L4 relative: 8,000.00 in full; L5 introduced in
    2008: the introducer 100 % = 12,345.67; L6 introduced in 2000: due, on the introducer, 30 %
    = 6,000.00; L7 formed 1998: outside O32; L8 introduced 2003, formed 2006: not yet due."""
    result = vintage_buyout(BOOK, year=2012, full_buyout=False, policy=POLICY)
    got = {d.loan_id: (d.status, d.payer_id, d.rate, d.amount) for d in result.loans}
    assert got == {
        "L1": (Status.DUE, "FR1", D("0.30"), D("30000.00")),
        "L2": (Status.DUE, "FR1", D("0.40"), D("20000.22")),
        "L3": (Status.NOT_YET_DUE, None, D(0), D("0.00")),
        "L4": (Status.FULL_COMPENSATION, "FR1", D(1), D("8000.00")),
        "L5": (Status.FULL_COMPENSATION, "EMP9", D(1), D("12345.67")),
        "L6": (Status.DUE, "EMP9", D("0.30"), D("6000.00")),
        "L7": (Status.NOT_COVERED, None, D(0), D("0.00")),
        "L8": (Status.NOT_YET_DUE, None, D(0), D("0.00")),
    }
    assert result.total == D("76345.89")
    assert result.by_payer == (("EMP9", D("18345.67")), ("FR1", D("58000.22")))
    assert result.loans[2].due_year == 2016
    assert "becomes buy-out-able in 2016" in result.loans[2].rule
    assert all(d.rule.startswith("O32: ") for d in result.loans)
    assert all(d.recoveries_to == "bank" for d in result.loans)


def test_o32_introducer_assessed_1999_2007_instead_of_the_first_responsible() -> None:
    d = decide(L6, year=2012, full_buyout=False, policy=POLICY)
    assert (d.payer, d.payer_id) == (Payer.INTRODUCER, "EMP9")
    assert "not the first responsible" in d.rule
    # 2007-12-31 is still the old regime; 2008-01-01 is 100 %.
    old = VintageLoan("X", D("1000"), date(2007, 12, 31), 2008, "FR1", introduced_by="E")
    new = VintageLoan("Y", D("1000"), date(2008, 1, 1), 2008, "FR1", introduced_by="E")
    assert decide(old, year=2019, full_buyout=False, policy=POLICY).amount == D("300.00")
    assert decide(new, year=2019, full_buyout=False, policy=POLICY).amount == D("1000.00")


def test_o32_full_buyout_with_consent_every_own_npl_at_100_and_recoveries_to_the_officer() -> None:
    result = vintage_buyout(BOOK, year=2012, full_buyout=True, policy=POLICY)
    by_id = {d.loan_id: d for d in result.loans}
    for loan_id in ("L1", "L2", "L3"):
        assert by_id[loan_id].status is Status.FULL_BUYOUT
        assert by_id[loan_id].rate == D(1)
        assert by_id[loan_id].recoveries_to == "FR1"
    assert by_id["L3"].amount == D("40000.00")
    # A relative's loan cannot be bought out; the introducer's loans stay the introducer's.
    assert by_id["L4"].status is Status.FULL_COMPENSATION
    assert by_id["L4"].recoveries_to == "bank"
    assert by_id["L6"].status is Status.DUE
    assert by_id["L8"].status is Status.NOT_YET_DUE
    assert by_id["L7"].status is Status.NOT_COVERED


def test_o32_already_bought_out_pays_nothing_and_rounding_is_once_half_up() -> None:
    done = VintageLoan("Z", D("5000"), date(2000, 1, 1), 2001, "FR1", already_bought_out=True)
    assert decide(done, year=2013, full_buyout=False, policy=POLICY).amount == D("0.00")
    odd = VintageLoan("Q", D("33333.33"), date(2000, 1, 1), 2000, "FR1")
    # age 12: 33,333.33 x 0.35 = 11,666.6655 -> 11,666.67
    assert decide(odd, year=2012, full_buyout=False, policy=POLICY).amount == D("11666.67")


def test_o32_policy_table_is_stored_as_json_and_validated() -> None:
    p = LiabilityPolicy.from_dict({"vintage_rates": {"11": "0.2", "14": 0.6}})
    assert p.vintage_rates == ((11, D("0.2")), (14, D("0.6")))
    assert p.to_dict()["vintage_rates"] == {"11": "0.2", "14": "0.6"}
    assert LiabilityPolicy.from_dict(p.to_dict()) == p
    with pytest.raises(RuleError, match="rise with age") as falling:
        LiabilityPolicy.from_dict({"vintage_rates": {"11": "0.5", "12": "0.4"}})
    assert falling.value.field == "/vintage_rates/12"
    with pytest.raises(RuleError, match="vintage_offset_years"):
        LiabilityPolicy.from_dict({"vintage_rates": {"12": "0.5"}})
    with pytest.raises(RuleError, match=r"\[0, 1\]"):
        LiabilityPolicy.from_dict({"vintage_rates": {"11": "1.5"}})
    with pytest.raises(RuleError, match="age"):
        LiabilityPolicy.from_dict({"vintage_rates": {"x": "0.5"}})
    with pytest.raises(RuleError, match="age"):
        LiabilityPolicy.from_dict({"vintage_rates": {"9" * 5000: "0.5"}})
    with pytest.raises(RuleError, match="not a number"):
        LiabilityPolicy.from_dict({"vintage_rates": {"11": "abc"}})
    with pytest.raises(RuleError):
        LiabilityPolicy.from_dict({"vintage_rates": "0.3"})
