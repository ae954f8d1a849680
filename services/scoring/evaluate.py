"""Vectorised multi-level fuzzy comprehensive evaluation (scoring.md S7-S12).

One numpy pass rates m enterprises: leaf memberships (m, 5) go up the tree by B = A . R (S8),
every node gets a score C = B . V (S9), the root's score is graded by bands and by maximum
membership (S10), the S11 veto applies when the root's children are U1 and U2, and each leaf's
global weight and contribution explain the result (S12).

Only element-wise numpy operations run along the enterprise axis (no reductions over it), so a
row of a batch is bit-for-bit the rating of that enterprise alone.

Vetoed ratings (S11): the final membership and score are U1's; U2's subtree is not evaluated
and is left out of `nodes` and `leaves`; U1's leaves then contribute with their weight within
U1 (global weight / weight of U1), so contributions still sum to the score. Errors carry
`row`, the enterprise's index in the batch (0 for a single evaluation).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from services.scoring.ahp import AhpError, FloatArray, to_number
from services.scoring.membership import GRADE_COUNT, measured_membership, votes_membership
from services.scoring.tree import VETO_GRADE_INDEX, Model, Node


@dataclass(frozen=True, eq=False)
class BatchInputs:
    """Raw inputs of m enterprises: NaN rows (votes) or NaN entries (values) are not given."""

    size: int
    votes: Mapping[str, FloatArray]  # leaf code -> (m, 5)
    values: Mapping[str, FloatArray]  # leaf code -> (m,)


@dataclass(frozen=True, eq=False)
class BatchRating:
    """Evaluation of m enterprises; NaN marks what was not evaluated (vetoed U2)."""

    model: Model
    membership: Mapping[str, FloatArray]  # every node and leaf -> (m, 5); root = final
    score: Mapping[str, FloatArray]  # every node and leaf -> (m,)
    contribution: Mapping[str, FloatArray]  # leaf -> (m,)
    grade_index: NDArray[np.intp]  # (m,) final grade by bands (S10)
    max_membership_index: NDArray[np.intp]  # (m,) grade by maximum membership (S10)
    vetoed: NDArray[np.bool_] | None  # (m,) S11; None when the model has no veto

    @property
    def size(self) -> int:
        return int(self.grade_index.shape[0])


class NodeResult(NamedTuple):
    """B, score, local weight and global weight of one node or leaf (S12)."""

    membership: tuple[float, ...]
    score: float
    weight: float
    global_weight: float


class LeafResult(NamedTuple):
    """A leaf's global weight and its contribution to the final score (S12)."""

    global_weight: float
    contribution: float


@dataclass(frozen=True)
class VetoReason:
    code: str
    name: str
    score: float
    grade: str


@dataclass(frozen=True)
class Veto:
    vetoed: bool
    u1_score: float
    reasons: tuple[VetoReason, ...]


@dataclass(frozen=True)
class Rating:
    """One enterprise's rating in the shape of the HTTP contract (S12)."""

    score: float
    grade: str
    grade_by_max_membership: str
    risk_level: str
    membership: tuple[float, ...]
    veto: Veto | None
    nodes: dict[str, NodeResult]
    leaves: dict[str, LeafResult]


def stack_inputs(model: Model, items: Sequence[object], *, pointer: str = "/inputs") -> BatchInputs:
    """Parse m HTTP input objects `{code: {"votes": [5]} | {"value": x}}` into arrays (S7).

    Votes may be given for any leaf, a value only for a measured leaf.
    """
    m = len(items)
    votes = {leaf.code: np.full((m, GRADE_COUNT), np.nan) for leaf in model.leaves}
    values = {leaf.code: np.full(m, np.nan) for leaf in model.leaves if leaf.kind == "measured"}
    for row, item in enumerate(items):
        try:
            _parse_item(item, pointer, row, votes, values)
        except AhpError as err:
            err.row = row
            raise
    return BatchInputs(size=m, votes=votes, values=values)


def _parse_item(
    item: object,
    pointer: str,
    row: int,
    votes: dict[str, FloatArray],
    values: dict[str, FloatArray],
) -> None:
    if not isinstance(item, Mapping):
        raise AhpError("S7", pointer, "inputs is an object keyed by leaf code")
    for code, entry in item.items():
        at = f"{pointer}/{code}"
        if code not in votes:
            raise AhpError("S7", at, f"{code!r} is not a leaf of the model")
        if not isinstance(entry, Mapping) or len(entry) != 1:
            raise AhpError("S7", at, 'give exactly one of {"votes": [...]} or {"value": x}')
        if "votes" in entry:
            raw = entry["votes"]
            if not isinstance(raw, list) or len(raw) != GRADE_COUNT:
                raise AhpError("S7", f"{at}/votes", f"votes must be {GRADE_COUNT} counts")
            votes[code][row] = [to_number(x, f"{at}/votes/{h}", "S7") for h, x in enumerate(raw)]
        elif "value" in entry and code in values:
            values[code][row] = to_number(entry["value"], f"{at}/value", "S7")
        else:
            raise AhpError("S7", at, f'leaf {code} takes "votes" or a measured "value"')


def batch_memberships(model: Model, inputs: BatchInputs) -> dict[str, FloatArray]:
    """Leaf memberships (m, 5) from votes or measured values; NaN rows where not given (S7)."""
    out: dict[str, FloatArray] = {}
    for leaf in model.leaves:
        code = leaf.code
        mem = np.full((inputs.size, GRADE_COUNT), np.nan)
        if code in inputs.votes:
            mem = votes_membership(
                inputs.votes[code], pointer=f"/inputs/{code}/votes", allow_missing=True
            )
        if code in inputs.values and leaf.breakpoints is not None:
            measured = measured_membership(
                inputs.values[code],
                leaf.breakpoints,
                pointer=f"/inputs/{code}/value",
                allow_missing=True,
            )
            mem = np.where(np.isnan(mem), measured, mem)
        out[code] = mem
    return out


def node_memberships(
    model: Model, leaf_memberships: Mapping[str, FloatArray]
) -> dict[str, FloatArray]:
    """B = A . R bottom-up for every node (S8), without the veto; NaN where inputs are missing."""
    out = dict(leaf_memberships)
    _fill(model.root, out)
    return out


def _fill(node: Node, out: dict[str, FloatArray]) -> FloatArray:
    parts = [_fill(c, out) if isinstance(c, Node) else out[c.code] for c in node.children]
    acc = node.weights[0] * parts[0]
    for w, part in zip(node.weights[1:], parts[1:], strict=True):
        acc = acc + w * part
    out[node.code] = acc
    return acc


def scores(model: Model, membership: FloatArray) -> FloatArray:
    """C = B . V (S9), summed grade by grade and clipped to [min V, max V] against rounding."""
    v = model.grades.values
    acc = membership[:, 0] * v[0]
    for h in range(1, GRADE_COUNT):
        acc = acc + membership[:, h] * v[h]
    out: FloatArray = np.clip(acc, min(v), max(v))
    return out


def grade_index(model: Model, score: FloatArray) -> NDArray[np.intp]:
    """Index of the grade whose band holds each score (S10): the count of bands above it."""
    bands = np.asarray(model.grades.bands)
    out: NDArray[np.intp] = (score[:, None] < bands[None, :]).sum(axis=1).astype(np.intp)
    return out


def _require(mem: Mapping[str, FloatArray], codes: Sequence[str], need: Any, rule: str) -> None:
    for code in codes:
        gap = np.flatnonzero(np.isnan(mem[code]).any(axis=1) & need)
        if gap.size:
            raise AhpError(
                rule, f"/inputs/{code}", f"an input for leaf {code} is required", row=int(gap[0])
            )


def evaluate_batch(model: Model, leaf_memberships: Mapping[str, FloatArray]) -> BatchRating:
    """Rate m enterprises from leaf memberships (m, 5) in one vectorised pass (S8-S12)."""
    if not leaf_memberships:
        raise AhpError("S7", "/inputs", "no inputs")
    m = next(iter(leaf_memberships.values())).shape[0]
    mem = {
        leaf.code: leaf_memberships.get(leaf.code, np.full((m, GRADE_COUNT), np.nan))
        for leaf in model.leaves
    }
    root = model.root.code
    u2 = {x.code for x in model.subtree("U2")} if model.veto else set()
    _require(mem, [x.code for x in model.leaves if x.code not in u2], True, "S7")
    b = node_memberships(model, mem)
    vetoed: NDArray[np.bool_] | None = None
    weight = dict(model.global_weight)
    if model.veto:
        vetoed = grade_index(model, scores(model, b["U1"])) >= VETO_GRADE_INDEX
        _require(mem, [x.code for x in model.leaves if x.code in u2], ~vetoed, "S11")
        for code in u2:
            b[code] = np.where(vetoed[:, None], np.nan, b[code])
        b[root] = np.where(vetoed[:, None], b["U1"], b[root])
    score = {code: scores(model, arr) for code, arr in b.items()}
    contribution: dict[str, FloatArray] = {}
    for leaf in model.leaves:
        w: Any = weight[leaf.code]
        if vetoed is not None and leaf.code not in u2:
            w = np.where(vetoed, model.weight_within(leaf.code, "U1"), w)
        contribution[leaf.code] = score[leaf.code] * w
    return BatchRating(
        model=model,
        membership=b,
        score=score,
        contribution=contribution,
        grade_index=grade_index(model, score[root]),
        max_membership_index=np.argmax(b[root], axis=1),
        vetoed=vetoed,
    )


def batch_ratings(batch: BatchRating, rows: Sequence[int] | None = None) -> list[Rating]:
    """Per-enterprise ratings (HTTP shape) of the given rows of a batch, default all."""
    sel = np.arange(batch.size) if rows is None else np.asarray(rows, dtype=np.intp)
    model, g = batch.model, batch.model.grades
    root = model.root.code
    sc = {c: a[sel].tolist() for c, a in batch.score.items()}
    nodes_meta = [
        (c, batch.membership[c][sel].tolist(), sc[c], model.local_weight[c], model.global_weight[c])
        for c in model.items
    ]
    leaves_meta = [
        (x.code, batch.contribution[x.code][sel].tolist(), model.global_weight[x.code])
        for x in model.leaves
    ]
    u2 = {x.code for x in model.subtree("U2")} if model.veto else set()
    shown = (
        (nodes_meta, leaves_meta),  # evaluated in full
        ([x for x in nodes_meta if x[0] not in u2], [x for x in leaves_meta if x[0] not in u2]),
    )
    root_mem = batch.membership[root][sel].tolist()
    grade = batch.grade_index[sel].tolist()
    top = batch.max_membership_index[sel].tolist()
    vetoed = [False] * sel.shape[0] if batch.vetoed is None else batch.vetoed[sel].tolist()
    out = []
    for k, cut in enumerate(vetoed):
        node_list, leaf_list = shown[int(cut)]
        out.append(
            Rating(
                score=sc[root][k],
                grade=g.labels[grade[k]],
                grade_by_max_membership=g.labels[top[k]],
                risk_level=g.risk_levels[grade[k]],
                membership=tuple(root_mem[k]),
                veto=_veto(model, cut, {c: sc[c][k] for c in ("U1", *_u1_children(model))})
                if model.veto
                else None,
                nodes={c: NodeResult(tuple(m[k]), s[k], lw, gw) for c, m, s, lw, gw in node_list},
                leaves={c: LeafResult(gw, con[k]) for c, con, gw in leaf_list},
            )
        )
    return out


def _u1_children(model: Model) -> tuple[str, ...]:
    u1 = model.items["U1"]
    return tuple(c.code for c in u1.children) if isinstance(u1, Node) else ()


def _veto(model: Model, vetoed: bool, score: Mapping[str, float]) -> Veto:
    """S11 outcome; reasons are U1's main factors graded below 中, lowest score first."""
    reasons: list[VetoReason] = []
    bands = model.grades.bands
    if vetoed:
        for code in _u1_children(model):
            idx = sum(1 for b in bands if score[code] < b)
            if idx >= VETO_GRADE_INDEX:
                name = model.items[code].name
                reasons.append(VetoReason(code, name, score[code], model.grades.labels[idx]))
        reasons.sort(key=lambda r: r.score)
    return Veto(vetoed=vetoed, u1_score=score["U1"], reasons=tuple(reasons))


def batch_summary(batch: BatchRating) -> list[dict[str, object]]:
    """Headline figures per enterprise (score, grades, risk, veto), cheap for big batches."""
    g = batch.model.grades
    score = batch.score[batch.model.root.code].tolist()
    grade = batch.grade_index.tolist()
    top = batch.max_membership_index.tolist()
    vetoed = [None] * batch.size if batch.vetoed is None else batch.vetoed.tolist()
    return [
        {
            "score": s,
            "grade": g.labels[h],
            "grade_by_max_membership": g.labels[t],
            "risk_level": g.risk_levels[h],
            "vetoed": v,
        }
        for s, h, t, v in zip(score, grade, top, vetoed, strict=True)
    ]


def evaluate_items(model: Model, items: Sequence[object]) -> BatchRating:
    """Rate m enterprises given as HTTP input objects (S7-S12)."""
    return evaluate_batch(model, batch_memberships(model, stack_inputs(model, items)))


def evaluate(model: Model, inputs: object) -> Rating:
    """Rate one enterprise from its HTTP input object; same code path as a batch of one."""
    return batch_ratings(evaluate_items(model, [inputs]))[0]


def rating_to_dict(rating: Rating, *, model_version: object = None) -> dict[str, object]:
    """The rating body of the HTTP contract (labels are the model's, S2/S12)."""
    veto = rating.veto
    return {
        "score": rating.score,
        "grade": rating.grade,
        "grade_by_max_membership": rating.grade_by_max_membership,
        "risk_level": rating.risk_level,
        "membership": list(rating.membership),
        "veto": None
        if veto is None
        else {
            "vetoed": veto.vetoed,
            "u1_score": veto.u1_score,
            "reasons": [
                {"code": r.code, "name": r.name, "score": r.score, "grade": r.grade}
                for r in veto.reasons
            ],
        },
        "nodes": {
            code: {
                "membership": list(n.membership),
                "score": n.score,
                "weight": n.weight,
                "global_weight": n.global_weight,
            }
            for code, n in rating.nodes.items()
        },
        "leaves": {
            code: {"global_weight": x.global_weight, "contribution": x.contribution}
            for code, x in rating.leaves.items()
        },
        "model_version": model_version,
    }
