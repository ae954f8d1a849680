"""Yearly figures of an officer: parsing and checking one record or a CSV file (O7-O11, O4).

Pure functions: a record comes in as a mapping (JSON values, or CSV cells as text) and comes out
as `FiguresValues` or a list of `FieldProblem`s naming the column and the rule. The CSV has one
row per officer and the columns of the grading contract; `county` and `branch_class` are
optional (the organisation tree is the authority; when given they must agree with it) and so are
the qualitative counts (blank: counted from the records) and `performance_pay` (for O4 pay).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

COUNT_FIELDS = {"loans_issued": "O8"}
OPTIONAL_COUNTS = {
    "failed_exams": "O11",
    "fines": "O11",
    "criticisms": "O11",
    "serious_violations": "O11",
}
MONEY_FIELDS = {"interest_income": "O9", "new_npl_balance": "O10", "managed_balance": "O10"}
OPTIONAL_MONEY = {"performance_pay": "O4"}
PEER_FIELDS = {"county": "O7", "branch_class": "O7"}
REQUIRED_COLUMNS = ("officer_id", *COUNT_FIELDS, *MONEY_FIELDS)
OPTIONAL_COLUMNS = (*PEER_FIELDS, *OPTIONAL_COUNTS, *OPTIONAL_MONEY)
ALL_COLUMNS = (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)
MAX_CSV_ROWS = 50_000
FEN = Decimal("0.01")
_INT = re.compile(r"^[+-]?\d{1,12}$")
_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,64}$")


@dataclass(frozen=True)
class FieldProblem:
    """A refused value: its field (column), the rule and why."""

    field: str
    rule: str
    detail: str


@dataclass(frozen=True)
class FiguresValues:
    """One officer-year as stored; a None count is taken from the records."""

    loans_issued: int
    interest_income: Decimal
    new_npl_balance: Decimal
    managed_balance: Decimal
    failed_exams: int | None = None
    fines: int | None = None
    criticisms: int | None = None
    serious_violations: int | None = None
    performance_pay: Decimal | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: money as strings."""
        return {k: str(v) if isinstance(v, Decimal) else v for k, v in asdict(self).items()}


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_count(value: object, *, text: bool) -> int:
    """A non-negative integer; CSV cells may spell it as text. Raises ValueError."""
    if isinstance(value, str) and text and _INT.match(value.strip()):
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("must be an integer")
    if value < 0:
        raise ValueError(f"must not be negative, got {value}")
    return value


def parse_money(value: object) -> Decimal:
    """Yuan as a decimal string or an integer, at most 2 decimals, not negative."""
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise ValueError('must be a decimal string in yuan (e.g. "1234.50") or an integer')
    try:
        amount = Decimal(value.strip()) if isinstance(value, str) else Decimal(value)
    except InvalidOperation:
        raise ValueError(f"is not a decimal number: {value!r}") from None
    if not amount.is_finite():
        raise ValueError("must be finite")
    if amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ValueError("has more than 2 decimals (yuan to the fen)")
    if amount < 0:
        raise ValueError(f"must not be negative, got {value}")
    if abs(amount) >= Decimal("1e16"):
        raise ValueError("is too large")
    return amount.quantize(FEN)


def clean_figures(
    raw: Mapping[str, object], *, text: bool
) -> tuple[FiguresValues | None, list[FieldProblem]]:
    """Check one record's figures; every problem names its field and rule."""
    problems: list[FieldProblem] = []
    out: dict[str, Any] = {}
    for name, rule in (*COUNT_FIELDS.items(), *OPTIONAL_COUNTS.items()):
        value = raw.get(name)
        if _blank(value) and name in OPTIONAL_COUNTS:
            out[name] = None
            continue
        try:
            out[name] = parse_count(value, text=text)
        except ValueError as exc:
            detail = "is required" if _blank(value) else str(exc)
            problems.append(FieldProblem(name, rule, f"{name} {detail}"))
    for name, rule in (*MONEY_FIELDS.items(), *OPTIONAL_MONEY.items()):
        value = raw.get(name)
        if _blank(value) and name in OPTIONAL_MONEY:
            out[name] = None
            continue
        try:
            out[name] = parse_money(value)
        except ValueError as exc:
            detail = "is required" if _blank(value) else str(exc)
            problems.append(FieldProblem(name, rule, f"{name} {detail}"))
    return (None if problems else FiguresValues(**out)), problems


def clean_peer_columns(
    raw: Mapping[str, object],
) -> tuple[str | None, int | None, list[FieldProblem]]:
    """The optional `county` and `branch_class` columns (O7), to compare with the tree."""
    county = raw.get("county")
    klass = raw.get("branch_class")
    problems = []
    county_out = None if _blank(county) else str(county).strip()
    class_out = None
    if not _blank(klass):
        text = str(klass).strip()
        if text not in ("1", "2", "3"):
            problems.append(FieldProblem("branch_class", "O7", "branch_class must be 1, 2 or 3"))
        else:
            class_out = int(text)
    return county_out, class_out, problems


@dataclass(frozen=True)
class CsvRow:
    """A data row with its line number in the file (the header is line 1)."""

    line: int
    cells: dict[str, str]


@dataclass(frozen=True)
class CsvProblem:
    """A refused row or header: line number, column, rule, why."""

    line: int
    column: str
    rule: str
    detail: str


def read_figures_csv(text: str) -> tuple[list[CsvRow], list[CsvProblem]]:
    """Split a figures CSV into rows keyed by column; header and officer-id problems."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        return [], [CsvProblem(1, "", "O13", "the file is empty: a header row is needed")]
    except csv.Error as exc:
        return [], [CsvProblem(1, "", "O13", f"not a CSV file: {exc}")]
    problems = [
        CsvProblem(1, name, "O13", f"unknown column {name!r}")
        for name in header
        if name not in ALL_COLUMNS
    ]
    problems += [
        CsvProblem(1, name, "O13", f"column {name!r} appears twice")
        for i, name in enumerate(header)
        if name in header[:i]
    ]
    problems += [
        CsvProblem(1, name, "O13", f"required column {name!r} is missing")
        for name in REQUIRED_COLUMNS
        if name not in header
    ]
    if problems:
        return [], problems
    return _rows(reader, header)


def _rows(reader: Any, header: list[str]) -> tuple[list[CsvRow], list[CsvProblem]]:
    rows: list[CsvRow] = []
    problems: list[CsvProblem] = []
    seen: dict[str, int] = {}
    try:
        for cells in reader:
            line = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if len(rows) >= MAX_CSV_ROWS:
                problems.append(CsvProblem(line, "", "O13", f"at most {MAX_CSV_ROWS} rows"))
                break
            if len(cells) != len(header):
                detail = f"{len(cells)} cells for {len(header)} columns"
                problems.append(CsvProblem(line, "", "O13", detail))
                continue
            row = dict(zip(header, (c.strip() for c in cells), strict=True))
            officer_id = row["officer_id"]
            if not _ID.match(officer_id):
                problems.append(CsvProblem(line, "officer_id", "O13", "officer_id is not an id"))
            elif officer_id in seen:
                detail = f"officer {officer_id} appears twice (also on line {seen[officer_id]})"
                problems.append(CsvProblem(line, "officer_id", "O13", detail))
            else:
                seen[officer_id] = line
                rows.append(CsvRow(line, row))
    except csv.Error as exc:
        problems.append(CsvProblem(reader.line_num, "", "O13", f"not a CSV file: {exc}"))
    if not rows and not problems:
        problems.append(CsvProblem(1, "", "O13", "the file has no data rows"))
    return rows, problems
