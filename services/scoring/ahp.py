"""Pairwise-comparison math of the fuzzy-AHP model (scoring.md S3-S6, S13).

Pure functions over numpy arrays and frozen dataclasses: no I/O, settings or clock.
Judgment matrices are float64 arrays of shape (n, n); triangular fuzzy matrices (S13) have
shape (n, n, 3) holding (l, m, u). Indices in reports (worst judgment) are 0-based.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import ArrayLike, NDArray

from services.scoring.completion import complete, unreachable, unreachable_message

FloatArray = NDArray[np.float64]
Completed = tuple[tuple[int, int, float], ...]  # (i, j, a_ij), i < j

#: Saaty's random index for n = 1..15, exactly as S4 gives it.
RANDOM_INDEX: tuple[float, ...] = (
    0.0, 0.0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49, 1.51, 1.48, 1.56, 1.57, 1.59,
)  # fmt: skip
MAX_ORDER = len(RANDOM_INDEX)
DEFAULT_CR_THRESHOLD = 0.10
#: Saaty's scale, ascending: 1/9 .. 1/2, 1, 2 .. 9. SAATY_SCALE[16 - k] == 1 / SAATY_SCALE[k].
SAATY_SCALE: tuple[float, ...] = tuple(
    [1.0 / d for d in range(9, 1, -1)] + [float(k) for k in range(1, 10)]
)
#: An entry within this absolute distance of a scale value is that value, so judgments written
#: to two decimals are accepted: 0.33 or 0.333 -> 1/3, 0.14 -> 1/7, 0.13 or 0.12 -> 1/8,
#: 0.11 -> 1/9. Half the smallest gap of the scale (1/8 - 1/9 = 0.0139) is larger, so the snap
#: is never ambiguous.
SCALE_ATOL = 0.006
#: Off-scale matrices (on_scale=False): a_ij * a_ji must be within this of 1.
RECIPROCAL_RTOL = 0.01
#: Ties in the worst-judgment search: deviations (in ln units) this close count as equal.
TIE_ATOL = 1e-9

_SCALE = np.array(SAATY_SCALE)
_ONE = SAATY_SCALE.index(1.0)
_MAX_SQUARINGS = 12
_STEP_TOL = 1e-15
_RESIDUAL_TOL = 1e-11


class AhpError(ValueError):
    """Bad model or judgment input: the rule broken, where (JSON pointer) and why."""

    def __init__(self, rule: str, pointer: str, detail: str, *, row: int | None = None) -> None:
        super().__init__(f"{rule} at {pointer or '/'}: {detail}")
        self.rule = rule
        self.pointer = pointer
        self.detail = detail
        self.row = row  # batch row (enterprise index) when the input was a batch


@dataclass(frozen=True)
class ConsistencyReport:
    """S4 figures of one crisp matrix; `weights` is its principal eigenvector (S3)."""

    weights: tuple[float, ...]
    lambda_max: float
    ci: float
    ri: float
    cr: float
    consistent: bool
    worst: tuple[int, int] | None


@dataclass(frozen=True, eq=False)
class BatchConsistency:
    """S3/S4 figures for a stack of m matrices of order n."""

    weights: FloatArray  # (m, n)
    lambda_max: FloatArray  # (m,)
    ci: FloatArray  # (m,)
    ri: float
    cr: FloatArray  # (m,)


@dataclass(frozen=True)
class Judgment:
    """Resolved weights of one node's judgments and their consistency (S3-S5, S13).

    `report` is on the matrix that is checked: the combined one for a group (S5), the m values
    for a fuzzy matrix (S13). `experts` holds one report per expert for a group, else ().
    """

    weights: tuple[float, ...]
    report: ConsistencyReport
    experts: tuple[ConsistencyReport, ...]
    fuzzy: bool
    # Per matrix (one, or one per expert): the pairs it left out, as completed (issue 17).
    completed: tuple[Completed, ...] = ()


def random_index(n: int) -> float:
    """Saaty's random index RI for order n (S4)."""
    if not 1 <= n <= MAX_ORDER:
        raise AhpError("S4", "", f"no random index for order {n} (1..{MAX_ORDER})")
    return RANDOM_INDEX[n - 1]


def batch_principal_eigen(stack: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Principal eigenvectors (sum 1) and lambda_max of positive matrices, shape (m, n, n) (S3).

    Repeated squaring with renormalisation: M^(2^k) tends to a rank-one matrix whose row sums
    are the Perron vector, so ~6 batched products converge for Saaty matrices. A polishing
    product and a residual check follow; any matrix that does not pass goes to numpy's eig.
    """
    a = np.asarray(stack, dtype=np.float64)
    if a.ndim != 3 or a.shape[1] != a.shape[2] or a.shape[1] == 0:
        raise ValueError(f"expected a stack of square matrices, got shape {a.shape}")
    m, n = a.shape[0], a.shape[1]
    if m == 0 or n == 1:
        return np.ones((m, n)), np.ones(m)
    power = a / a.sum(axis=(1, 2), keepdims=True)
    w = power.sum(axis=2)
    for _ in range(_MAX_SQUARINGS):
        power = power @ power
        power /= power.sum(axis=(1, 2), keepdims=True)
        new = power.sum(axis=2)
        step = float(np.max(np.abs(new - w)))
        w = new
        if step <= _STEP_TOL:
            break
    aw = (a @ w[:, :, None])[:, :, 0]
    lam = aw.sum(axis=1) / w.sum(axis=1)
    w = aw / aw.sum(axis=1, keepdims=True)
    residual = np.max(np.abs((a @ w[:, :, None])[:, :, 0] - lam[:, None] * w), axis=1) / lam
    bad = np.flatnonzero(~(residual <= _RESIDUAL_TOL))
    if bad.size:
        w[bad], lam[bad] = _eig_fallback(a[bad])
    return w, lam


def _eig_fallback(a: FloatArray) -> tuple[FloatArray, FloatArray]:
    values, vectors = np.linalg.eig(a)
    top = np.argmax(values.real, axis=1)
    rows = np.arange(a.shape[0])
    vec = np.abs(vectors[rows, :, top].real)
    return vec / vec.sum(axis=1, keepdims=True), values[rows, top].real.copy()


def batch_consistency(stack: ArrayLike) -> BatchConsistency:
    """Weights, lambda_max, CI, RI and CR of a stack of positive reciprocal matrices (S3, S4)."""
    a = np.asarray(stack, dtype=np.float64)
    w, lam = batch_principal_eigen(a)
    n = a.shape[1]
    ri = random_index(n)
    if n <= 2:
        zeros = np.zeros(a.shape[0])
        return BatchConsistency(weights=w, lambda_max=lam, ci=zeros, ri=ri, cr=zeros.copy())
    # lambda_max >= n for positive reciprocal matrices; clamp rounding noise below n.
    ci = np.maximum((lam - n) / (n - 1), 0.0)
    return BatchConsistency(weights=w, lambda_max=lam, ci=ci, ri=ri, cr=ci / ri)


def consistency(matrix: ArrayLike, *, threshold: float = DEFAULT_CR_THRESHOLD) -> ConsistencyReport:
    """S3 weights and S4 lambda_max, CI, RI, CR and worst judgment of one crisp matrix."""
    a = np.ascontiguousarray(matrix, dtype=np.float64)
    batch = batch_consistency(a[None])
    w = batch.weights[0]
    cr = float(batch.cr[0])
    return ConsistencyReport(
        weights=tuple(float(x) for x in w),
        lambda_max=float(batch.lambda_max[0]),
        ci=float(batch.ci[0]),
        ri=batch.ri,
        cr=cr,
        consistent=cr < threshold,
        worst=worst_judgment(a, w),
    )


def worst_judgment(matrix: ArrayLike, weights: ArrayLike) -> tuple[int, int] | None:
    """Pair (i, j), i < j, maximising |ln a_ij - ln(w_i / w_j)| (S4); None when n < 2.
    Pairs left out (NaN, issue 17) are not candidates.

    Ties within TIE_ATOL go to the first pair in row-major order: for n = 3 all three
    deviations are equal in exact arithmetic, so the answer is (0, 1).
    """
    a = np.asarray(matrix, dtype=np.float64)
    lw = np.log(np.asarray(weights, dtype=np.float64))
    n = a.shape[0]
    if n < 2:
        return None
    i, j = np.triu_indices(n, 1)
    with np.errstate(invalid="ignore"):
        dev = np.abs(np.log(a[i, j]) - (lw[i] - lw[j]))
    dev = np.where(np.isnan(dev), -np.inf, dev)  # a pair left out is no one's judgment
    k = int(np.flatnonzero(dev >= dev.max() - TIE_ATOL)[0])
    return int(i[k]), int(j[k])


def to_number(x: object, pointer: str, rule: str) -> float:
    """A finite float from a JSON number (not a bool), else AhpError(rule, pointer)."""
    if isinstance(x, bool) or not isinstance(x, int | float | np.integer | np.floating):
        raise AhpError(rule, pointer, f"must be a number, got {type(x).__name__}")
    try:
        value = float(x)
    except OverflowError:
        value = float("inf")
    if not np.isfinite(value):
        raise AhpError(rule, pointer, "must be a finite number")
    return value


def _square_rows(raw: object, pointer: str) -> list[list[object]]:
    rows = raw.tolist() if isinstance(raw, np.ndarray) else raw
    if not isinstance(rows, list | tuple) or not rows:
        raise AhpError("S4", pointer, "must be a non-empty square matrix (list of rows)")
    n = len(rows)
    if n > MAX_ORDER:
        raise AhpError("S4", pointer, f"order {n} exceeds {MAX_ORDER} (no random index)")
    for i, row in enumerate(rows):
        if not isinstance(row, list | tuple) or len(row) != n:
            raise AhpError("S4", f"{pointer}/{i}", f"row must have {n} entries (square matrix)")
    return [list(row) for row in rows]


def _scale_index(x: object, pointer: str) -> int:
    value = to_number(x, pointer, "S4")
    if value <= 0:
        raise AhpError("S4", pointer, f"judgment must be positive, got {value}")
    k = int(np.argmin(np.abs(_SCALE - value)))
    if abs(_SCALE[k] - value) > SCALE_ATOL:
        raise AhpError("S4", pointer, f"{value} is not on Saaty's scale 1..9 or 1/2..1/9")
    return k


def validate_matrix(raw: object, *, pointer: str = "/matrix", on_scale: bool = True) -> FloatArray:
    """Check a crisp judgment matrix and return it as an exactly reciprocal float array (S4).

    Entries must be numbers, finite and positive. With on_scale (the default), each entry must
    be within SCALE_ATOL of Saaty's scale and is snapped to it, the diagonal must be 1 and
    a_ji must be the reciprocal scale value of a_ij. Without it, a_ij * a_ji must be within
    RECIPROCAL_RTOL of 1. Either way the result keeps the upper triangle and sets
    a_ji = 1 / a_ij. A pair may be left out, null at (i, j) and (j, i): NaN in the result
    (issue 17). Errors point at the entry, e.g. "/matrix/2/1".
    """
    rows = _square_rows(raw, pointer)
    n = len(rows)
    out = np.ones((n, n))
    for i in range(n):
        for j in range(n):
            at = f"{pointer}/{i}/{j}"
            if rows[i][j] is None and i != j:
                # A pair left out (issue 17): null on both sides, completed by `judge`.
                if rows[j][i] is not None:
                    raise AhpError("S4", at, f"null here needs null at ({j}, {i}) too")
                out[i, j] = np.nan
            elif on_scale:
                out[i, j] = _SCALE[_scale_index(rows[i][j], at)]
            else:
                out[i, j] = to_number(rows[i][j], at, "S4")
                if out[i, j] <= 0:
                    raise AhpError("S4", at, f"judgment must be positive, got {out[i, j]}")
    for i in range(n):
        if abs(out[i, i] - 1.0) > (0.0 if on_scale else RECIPROCAL_RTOL):
            raise AhpError("S4", f"{pointer}/{i}/{i}", "diagonal entries must be 1")
        for j in range(i):
            if np.isnan(out[j, i]):
                continue
            if abs(out[i, j] * out[j, i] - 1.0) > (1e-12 if on_scale else RECIPROCAL_RTOL):
                raise AhpError(
                    "S4", f"{pointer}/{i}/{j}", f"must be the reciprocal of entry ({j}, {i})"
                )
            out[i, j] = 1.0 / out[j, i]
        out[i, i] = 1.0
    return out


def validate_fuzzy_matrix(raw: object, *, pointer: str = "/matrix") -> FloatArray:
    """Check a triangular fuzzy judgment matrix, shape (n, n, 3), as (l, m, u) triples (S13).

    Each entry is a triple [l, m, u] of Saaty-scale values with l <= m <= u, or a plain number
    x standing for (x, x, x); the diagonal is (1, 1, 1) and a_ji = (1/u, 1/m, 1/l).
    """
    rows = _square_rows(raw, pointer)
    n = len(rows)
    idx = np.full((n, n, 3), _ONE)
    for i in range(n):
        for j in range(n):
            at = f"{pointer}/{i}/{j}"
            entry = rows[i][j]
            if isinstance(entry, list | tuple):
                if len(entry) != 3:
                    raise AhpError("S13", at, "a fuzzy judgment is a triple [l, m, u]")
                idx[i, j] = [_scale_index(x, f"{at}/{c}") for c, x in enumerate(entry)]
            else:
                idx[i, j] = _scale_index(entry, at)
            if not idx[i, j, 0] <= idx[i, j, 1] <= idx[i, j, 2]:
                raise AhpError("S13", at, "a fuzzy judgment needs l <= m <= u")
    for i in range(n):
        if np.any(idx[i, i] != _ONE):
            raise AhpError("S13", f"{pointer}/{i}/{i}", "diagonal entries must be (1, 1, 1)")
        for j in range(i):
            if np.any(idx[i, j] != 2 * _ONE - idx[j, i][::-1]):
                raise AhpError(
                    "S13", f"{pointer}/{i}/{j}", f"must be (1/u, 1/m, 1/l) of entry ({j}, {i})"
                )
    out: FloatArray = _SCALE[idx]
    return out


def is_fuzzy(raw: object) -> bool:
    """True when any entry of a raw matrix is a triple (S13)."""
    rows = raw.tolist() if isinstance(raw, np.ndarray) else raw
    if not isinstance(rows, list | tuple):
        return False
    return any(
        isinstance(row, list | tuple) and any(isinstance(x, list | tuple) for x in row)
        for row in rows
    )


def aggregate_judgments(stack: ArrayLike) -> FloatArray:
    """Element-wise geometric mean of k experts' matrices, shape (k, n, n[, 3]) (S5).

    The lower triangle is reset to exact reciprocals (for fuzzy triples, (1/u, 1/m, 1/l)).
    """
    a = np.asarray(stack, dtype=np.float64)
    out: FloatArray = np.exp(np.log(a).mean(axis=0))
    n = out.shape[0]
    for i in range(n):
        out[i, i] = 1.0
        for j in range(i):
            out[i, j] = 1.0 / (out[j, i][::-1] if out.ndim == 3 else out[j, i])
    return out


def fuzzy_weights(tfn: ArrayLike) -> FloatArray:
    """Buckley's geometric-mean fuzzy weights, centroid-defuzzified and normalised (S13).

    r_i = (prod_j a_ij)^(1/n) per component; w_i = (r_i^l / sum r^u, r_i^m / sum r^m,
    r_i^u / sum r^l); crisp weight = (l + m + u) / 3, then scaled to sum 1.
    """
    a = np.asarray(tfn, dtype=np.float64)
    r = np.exp(np.log(a).mean(axis=1))  # (n, 3)
    total = r.sum(axis=0)
    crisp = (r[:, 0] / total[2] + r[:, 1] / total[1] + r[:, 2] / total[0]) / 3.0
    out: FloatArray = crisp / crisp.sum()
    return out


def judge(
    raw: object,
    *,
    group: bool = False,
    pointer: str = "/matrix",
    threshold: float = DEFAULT_CR_THRESHOLD,
    names: Sequence[str] | None = None,
) -> Judgment:
    """Validate and resolve one node's judgments into weights and consistency (S3-S5, S13).

    `raw` is one matrix, or with group=True a list of experts' matrices (S5). Crisp matrices
    give the principal eigenvector; if any entry anywhere is a triple, all matrices are read as
    fuzzy and the weights come from Buckley's method on the (aggregated) triples, while
    consistency is computed on the matrix of m values. A crisp matrix may leave pairs out:
    each (each expert's own) is completed first, optimally (`completion.complete`), its
    comparison graph connected or an error naming the criteria (`names`) it cannot reach.
    """
    mats = raw if group else [raw]
    if not isinstance(mats, list | tuple) or not mats:
        raise AhpError("S5", pointer, "expected a non-empty list of experts' matrices")
    at = [f"{pointer}/{e}" for e in range(len(mats))] if group else [pointer]
    fuzzy = any(is_fuzzy(x) for x in mats)
    if fuzzy:
        checked = [validate_fuzzy_matrix(x, pointer=p) for x, p in zip(mats, at, strict=True)]
    else:
        checked = [validate_matrix(x, pointer=p) for x, p in zip(mats, at, strict=True)]
    if len({c.shape for c in checked}) > 1:
        raise AhpError("S5", pointer, "all experts' matrices must have the same order")
    completed: tuple[Completed, ...] = ()
    given = checked
    if not fuzzy and any(np.isnan(c).any() for c in checked):
        done = [completed_matrix(c, p, names) for c, p in zip(checked, at, strict=True)]
        checked, completed = [m for m, _ in done], tuple(v for _, v in done)
    combined = aggregate_judgments(np.stack(checked)) if group else checked[0]
    crisp = combined[:, :, 1] if fuzzy else combined
    report = consistency(crisp, threshold=threshold)
    if completed and not group:  # the worst judgment is one the expert gave
        report = replace(report, worst=worst_judgment(given[0], report.weights))
    experts: tuple[ConsistencyReport, ...] = ()
    if group:
        experts = tuple(
            consistency(c[:, :, 1] if fuzzy else c, threshold=threshold) for c in checked
        )
    weights = tuple(float(x) for x in fuzzy_weights(combined)) if fuzzy else report.weights
    return Judgment(weights, report, experts, fuzzy, completed)


def completed_matrix(
    a: FloatArray, pointer: str, names: Sequence[str] | None = None
) -> tuple[FloatArray, Completed]:
    """An incomplete matrix's optimal completion and its completed pairs (S3, issue 17); an
    AhpError at `pointer` naming the criteria its comparisons do not reach."""
    if missing := unreachable(a):
        named = names if names is not None and len(names) == a.shape[0] else None
        raise AhpError("S3", pointer, unreachable_message(missing, named))
    return complete(a)


def validate_weights(raw: object, n: int, *, pointer: str = "/weights") -> tuple[float, ...]:
    """Directly given weights: n numbers, each >= 0, summing to 1 within 1e-9 (S3)."""
    if not isinstance(raw, list | tuple) or len(raw) != n:
        raise AhpError("S3", pointer, f"must be a list of {n} weights, one per child")
    out = tuple(to_number(x, f"{pointer}/{i}", "S3") for i, x in enumerate(raw))
    for i, x in enumerate(out):
        if x < 0:
            raise AhpError("S3", f"{pointer}/{i}", f"weight must be >= 0, got {x}")
    if abs(sum(out) - 1.0) > 1e-9:
        raise AhpError("S3", pointer, f"weights must sum to 1 within 1e-9, got {sum(out)!r}")
    return out


def find_order_violation(
    codes: tuple[str, ...], weights: tuple[float, ...], order: tuple[str, ...]
) -> tuple[int, str, str] | None:
    """First (k, order[k], order[k+1]) whose weights are not strictly decreasing (S6)."""
    pos = {c: i for i, c in enumerate(codes)}
    for k in range(len(order) - 1):
        if not weights[pos[order[k]]] > weights[pos[order[k + 1]]]:
            return k, order[k], order[k + 1]
    return None


def check_order(
    codes: tuple[str, ...], weights: tuple[float, ...], order: tuple[str, ...], *, pointer: str
) -> None:
    """Raise AhpError (S6) naming the offending pair if weights break the declared order."""
    hit = find_order_violation(codes, weights, order)
    if hit is not None:
        k, first, second = hit
        pos = {c: i for i, c in enumerate(codes)}
        raise AhpError(
            "S6",
            f"{pointer}/{k + 1}",
            f"{first} must weigh more than {second} "
            f"({weights[pos[first]]:.6g} <= {weights[pos[second]]:.6g})",
        )


def judgment_to_dict(judgment: Judgment) -> dict[str, object]:
    """The body of POST /v1/ahp/weights (scoring.md HTTP contract)."""
    r = judgment.report
    out: dict[str, object] = {
        "weights": list(judgment.weights),
        "lambda_max": r.lambda_max,
        "ci": r.ci,
        "ri": r.ri,
        "cr": r.cr,
        "consistent": r.consistent,
        "worst_judgment": None
        if r.consistent or r.worst is None
        else {"i": r.worst[0], "j": r.worst[1]},
    }
    filled = [[{"i": i, "j": j, "value": v} for i, j, v in c] for c in judgment.completed]
    if judgment.experts:
        experts: list[dict[str, object]] = []
        for k, e in enumerate(judgment.experts):
            entry: dict[str, object] = {
                "weights": list(e.weights), "lambda_max": e.lambda_max, "ci": e.ci,
                "cr": e.cr, "consistent": e.consistent,
            }  # fmt: skip
            if filled:
                entry["completed"] = filled[k]  # each expert's own gaps (issue 17)
            experts.append(entry)
        out["experts"] = experts
    elif filled:
        out["completed"] = filled[0]
    return out
