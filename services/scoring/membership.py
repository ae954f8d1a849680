"""Leaf membership vectors over the evaluation set V (scoring.md S7), vectorised.

A membership is a row of 5 numbers over the grades in model order (best grade first).
Functions take one enterprise (shape (5,) votes, a scalar value) or m enterprises (shape
(m, 5) votes, (m,) values) and return (5,) or (m, 5). With allow_missing, rows that are all
NaN are "not given" and come back as NaN rows; every other row is checked.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from services.scoring.ahp import AhpError, FloatArray, to_number

GRADE_COUNT = 5


def _row_of(index: int, batch: bool) -> int | None:
    return index if batch else None


def votes_membership(
    votes: ArrayLike, *, pointer: str = "/votes", allow_missing: bool = False
) -> FloatArray:
    """r_h = v_h / n for expert votes v (non-negative integers summing to n >= 1) (S7)."""
    v = np.asarray(votes, dtype=np.float64)
    batch = v.ndim == 2
    v2 = v if batch else v[None]
    if v2.ndim != 2 or v2.shape[1] != GRADE_COUNT:
        raise AhpError("S7", pointer, f"votes must be {GRADE_COUNT} counts, one per grade")
    missing = np.isnan(v2).all(axis=1) if allow_missing else np.zeros(v2.shape[0], dtype=bool)
    given = v2[~missing]
    bad = ~np.isfinite(given) | (given < 0) | (given != np.floor(given))
    if bad.any():
        r, c = (int(x[0]) for x in np.nonzero(bad))
        row = int(np.flatnonzero(~missing)[r])
        raise AhpError(
            "S7", f"{pointer}/{c}", "votes must be non-negative integers", row=_row_of(row, batch)
        )
    with np.errstate(over="ignore"):
        n = v2.sum(axis=1)
    empty = ~missing & (n < 1)
    if empty.any():
        row = int(np.flatnonzero(empty)[0])
        raise AhpError("S7", pointer, "at least one expert must vote", row=_row_of(row, batch))
    huge = ~missing & ~np.isfinite(n)  # a total beyond float range would make r_h all 0
    if huge.any():
        row = int(np.flatnonzero(huge)[0])
        raise AhpError("S7", pointer, "too many votes to count", row=_row_of(row, batch))
    out: FloatArray = v2 / n[:, None]
    return out if batch else out[0]


def validate_breakpoints(
    raw: object, higher_is_better: object, *, pointer: str = "/breakpoints"
) -> tuple[tuple[float, ...], bool]:
    """Five finite, strictly monotone breakpoints in grade order, best grade first (S7).

    Decreasing breakpoints mean higher is better. `higher_is_better`, when given (not None),
    must agree. Returns the breakpoints and the direction.
    """
    if not isinstance(raw, list | tuple) or len(raw) != GRADE_COUNT:
        raise AhpError("S7", pointer, f"a measured leaf needs {GRADE_COUNT} breakpoints")
    out = [to_number(x, f"{pointer}/{i}", "S7") for i, x in enumerate(raw)]
    steps = np.diff(out)
    if not (np.all(steps < 0) or np.all(steps > 0)):
        raise AhpError("S7", pointer, "breakpoints must be strictly monotone, best grade first")
    higher = bool(steps[0] < 0)
    if higher_is_better is not None and higher_is_better is not higher:
        raise AhpError(
            "S7",
            pointer,
            f"breakpoints {'decrease' if higher else 'increase'} from the best grade, "
            f"so higher_is_better must be {str(higher).lower()}",
        )
    return tuple(out), higher


def measured_membership(
    values: ArrayLike,
    breakpoints: tuple[float, ...],
    *,
    pointer: str = "/value",
    allow_missing: bool = False,
) -> FloatArray:
    """Trapezoidal/triangular membership of measured values between adjacent breakpoints (S7).

    A value at breakpoint h is fully grade h; between breakpoints h and h+1 it splits linearly;
    beyond the outer breakpoints it is fully the outer grade. Rows sum to 1.
    """
    x = np.asarray(values, dtype=np.float64)
    batch = x.ndim == 1
    x1 = x if batch else x[None]
    if x1.ndim != 1:
        raise AhpError("S7", pointer, "a measured input is one number per enterprise")
    missing = np.isnan(x1) if allow_missing else np.zeros(x1.shape[0], dtype=bool)
    bad = ~missing & ~np.isfinite(x1)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise AhpError("S7", pointer, "value must be a finite number", row=_row_of(row, batch))
    b = np.asarray(breakpoints, dtype=np.float64)
    if b[0] > b[-1]:  # higher is better: mirror so breakpoints increase
        x1, b = -x1, -b
    idx = np.clip(np.searchsorted(b, x1, side="right") - 1, 0, GRADE_COUNT - 2)
    lo, hi = b[idx], b[idx + 1]
    frac = np.clip((x1 - lo) / (hi - lo), 0.0, 1.0)
    out = np.zeros((x1.shape[0], GRADE_COUNT))
    rows = np.arange(x1.shape[0])
    out[rows, idx] = 1.0 - frac
    out[rows, idx + 1] = frac
    out[missing] = np.nan
    return out if batch else out[0]
