"""Weight sensitivity of one rating (scoring.md S14), in closed form.

Moving the local weight of factor k (parent p) from w to x, with its siblings rescaled
proportionally, gives S_p(x) = x s_k + (1 - x) R where R = (S_p - w s_k) / (1 - w) is the
siblings' average: linear in x. Every ancestor's score is linear in S_p, so the root's plain
score is F(x) = F + G_p (S_p(x) - S_p) with G_p the global weight of p, and U1's score moves by
its own path weight to p. With the S11 veto, the final score is U1's score while U1 grades
below 中 and F(x) otherwise, so the outcome is piecewise linear. The candidate crossing points
(each band, on each line) are solved exactly, and the outcome is probed once between them.

Results are target weights x in [0, 1] (None when no change is reachable): `grade_*` where the
final grade first changes, `veto_*` where the veto outcome first flips, moving up or down. A
target is the boundary itself: the grade at x differs, or differs for any weight beyond x.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from services.scoring.ahp import FloatArray
from services.scoring.evaluate import (
    batch_memberships,
    evaluate_batch,
    node_memberships,
    scores,
    stack_inputs,
)
from services.scoring.tree import VETO_GRADE_INDEX, Model, main_factors

Outcome = tuple[bool, int | None]  # (vetoed, final grade index; None when U2 is unknown)


@dataclass(frozen=True)
class Shift:
    """A weight at which the outcome changes, and the outcome just past it."""

    weight: float
    delta: float
    grade: str | None  # None: U2 would be evaluated but its inputs are not known
    vetoed: bool


@dataclass(frozen=True)
class FactorSensitivity:
    code: str
    parent: str
    weight: float
    grade_up: Shift | None
    grade_down: Shift | None
    veto_up: Shift | None
    veto_down: Shift | None


def sensitivity(
    model: Model, leaf_memberships: Mapping[str, FloatArray], *, codes: Sequence[str] | None = None
) -> tuple[FactorSensitivity, ...]:
    """For each main factor, the weights at which the final grade or the veto changes (S14).

    `leaf_memberships` are one enterprise's leaf rows, shape (1, 5) (U2 leaves may be NaN when
    the rating is vetoed). `codes` defaults to the main factors (children of U1 and U2).
    """
    mem = {c: np.atleast_2d(a) for c, a in leaf_memberships.items()}
    evaluate_batch(model, mem)  # validates the inputs (S7, S11)
    raw = node_memberships(model, {leaf.code: mem[leaf.code] for leaf in model.leaves})
    score = {c: float(scores(model, a)[0]) for c, a in raw.items()}
    return tuple(_factor(model, score, code) for code in (codes or main_factors(model)))


def sensitivity_for_inputs(model: Model, inputs: object) -> tuple[FactorSensitivity, ...]:
    """S14 for one enterprise given as an HTTP input object (as stored with a rating)."""
    return sensitivity(model, batch_memberships(model, stack_inputs(model, [inputs])))


def _factor(model: Model, score: Mapping[str, float], code: str) -> FactorSensitivity:
    parent = model.parent[code]
    w = model.local_weight[code]
    none = FactorSensitivity(code, parent, w, None, None, None, None)
    if w >= 1.0 or math.isnan(score[code]) or math.isnan(score[parent]):
        return none
    slope = score[code] - (score[parent] - w * score[code]) / (1.0 - w)
    bands = model.grades.bands
    in_u1 = model.veto and _under(model, parent, "U1")
    u1_rate = slope * model.weight_within(parent, "U1") if in_u1 else 0.0
    f_rate = slope * model.global_weight[parent]
    u1, f0 = score.get("U1", math.nan), score[model.root.code]

    def outcome(x: float) -> Outcome:
        if model.veto:
            s1 = u1 + u1_rate * (x - w)
            if s1 < bands[VETO_GRADE_INDEX - 1]:
                return True, _grade(bands, s1)
        f = f0 + f_rate * (x - w)
        return False, None if math.isnan(f) else _grade(bands, f)

    cands = set()
    for t in bands:
        for base, rate in ((u1, u1_rate), (f0, f_rate)):
            if rate != 0.0 and math.isfinite(base):
                x = w + (t - base) / rate
                if 0.0 <= x <= 1.0:
                    cands.add(x)
    now = outcome(w)
    shifts = [
        _first(model, w, sorted(cands), up, outcome, now, k) for k in (1, 0) for up in (True, False)
    ]
    return FactorSensitivity(code, parent, w, *shifts)


def _first(
    model: Model,
    w: float,
    cands: list[float],
    up: bool,
    outcome: Callable[[float], Outcome],
    now: Outcome,
    part: int,
) -> Shift | None:
    """The first candidate past w (in the direction) where outcome[part] changes."""
    pts = [c for c in cands if c > w] if up else [c for c in reversed(cands) if c < w]
    end = 1.0 if up else 0.0
    for i, c in enumerate(pts):
        nxt = pts[i + 1] if i + 1 < len(pts) else end
        probe = (c + nxt) / 2 if c != end else end
        after = outcome(probe)
        if after[part] != now[part]:
            grade = None if after[1] is None else model.grades.labels[after[1]]
            return Shift(weight=c, delta=c - w, grade=grade, vetoed=after[0])
    return None


def _grade(bands: tuple[float, ...], s: float) -> int:
    return sum(1 for b in bands if s < b)


def _under(model: Model, code: str, top: str) -> bool:
    while code != top:
        if code == model.root.code:
            return False
        code = model.parent[code]
    return True


def sensitivity_to_dict(items: Sequence[FactorSensitivity]) -> list[dict[str, object]]:
    """JSON shape for GET /v1/ratings/{id}/sensitivity."""

    def shift(s: Shift | None) -> dict[str, object] | None:
        if s is None:
            return None
        return {"weight": s.weight, "delta": s.delta, "grade": s.grade, "vetoed": s.vetoed}

    return [
        {
            "code": f.code,
            "parent": f.parent,
            "weight": f.weight,
            "grade_up": shift(f.grade_up),
            "grade_down": shift(f.grade_down),
            "veto_up": shift(f.veto_up),
            "veto_down": shift(f.veto_down),
        }
        for f in items
    ]
