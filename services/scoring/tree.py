"""The model tree and its compiler from a model document (scoring.md S1-S7, S10, S13).

A model document is the JSON shape of the HTTP contract:
`{"name", "grades": {"labels", "values", "bands"?, "risk_levels"?}, "root": <node>}`.
A node is `{"code", "name", "children", "weights" | "comparisons" | "expert_comparisons",
"order"?}` and a leaf `{"code", "name", "kind": "votes" | "measured", "breakpoints"?,
"higher_is_better"?}`. A comparison matrix whose entries include [l, m, u] triples is fuzzy
(S13). Every error is an AhpError whose pointer is into the document, e.g.
"/root/children/0/comparisons/1/2".

Labels: ratings use the model's own `grades.labels` and `grades.risk_levels`; the defaults are
the Chinese labels of S2 (优 良 中 较差 差; 低 较低 一般 较高 高). The English names are in
GRADE_LABELS_EN / RISK_LEVELS_EN for documentation only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from typing import Any, Literal

import numpy as np

from services.scoring.ahp import (
    DEFAULT_CR_THRESHOLD,
    AhpError,
    Judgment,
    check_order,
    is_fuzzy,
    judge,
    to_number,
    validate_fuzzy_matrix,
    validate_matrix,
    validate_weights,
)
from services.scoring.membership import GRADE_COUNT, validate_breakpoints

GRADE_LABELS: tuple[str, ...] = ("优", "良", "中", "较差", "差")
GRADE_LABELS_EN: tuple[str, ...] = ("excellent", "good", "medium", "poor", "bad")
GRADE_VALUES: tuple[float, ...] = (100.0, 85.0, 70.0, 55.0, 40.0)
GRADE_BANDS: tuple[float, ...] = (92.5, 77.5, 62.5, 47.5)
RISK_LEVELS: tuple[str, ...] = ("低", "较低", "一般", "较高", "高")
RISK_LEVELS_EN: tuple[str, ...] = ("low", "fairly low", "medium", "fairly high", "high")
#: S11: a U1 grade at this index or worse (较差, 差) rejects the application.
VETO_GRADE_INDEX = 3
MAX_DEPTH = 16
_CODE = re.compile(r"[A-Za-z0-9_.\-]{1,64}")
_WEIGHT_KEYS = ("weights", "comparisons", "expert_comparisons")


@dataclass(frozen=True)
class Grades:
    """Evaluation set V (S2) and score bands (S10), best grade first."""

    labels: tuple[str, ...] = GRADE_LABELS
    values: tuple[float, ...] = GRADE_VALUES
    bands: tuple[float, ...] = GRADE_BANDS
    risk_levels: tuple[str, ...] = RISK_LEVELS


@dataclass(frozen=True)
class Leaf:
    """A sub-factor rated by expert votes or by a measured value (S7)."""

    code: str
    name: str
    kind: Literal["votes", "measured"]
    breakpoints: tuple[float, ...] | None = None
    higher_is_better: bool | None = None


@dataclass(frozen=True)
class Node:
    """An internal node with resolved weights over its children (S1, S3)."""

    code: str
    name: str
    children: tuple[Node | Leaf, ...]
    weights: tuple[float, ...]
    order: tuple[str, ...] = ()
    judgment: Judgment | None = None


@dataclass(frozen=True)
class Model:
    """A compiled model: grades and the weighted tree."""

    name: str
    grades: Grades
    root: Node

    @cached_property
    def items(self) -> dict[str, Node | Leaf]:
        """Every node and leaf by code, pre-order."""
        return {x.code: x for x in iter_tree(self.root)}

    @cached_property
    def leaves(self) -> tuple[Leaf, ...]:
        return tuple(x for x in self.items.values() if isinstance(x, Leaf))

    @cached_property
    def parent(self) -> dict[str, str]:
        return {
            c.code: x.code for x in self.items.values() if isinstance(x, Node) for c in x.children
        }

    @cached_property
    def local_weight(self) -> dict[str, float]:
        """Each item's weight within its parent (root: 1)."""
        out = {self.root.code: 1.0}
        for x in self.items.values():
            if isinstance(x, Node):
                out.update({c.code: w for c, w in zip(x.children, x.weights, strict=True)})
        return out

    @cached_property
    def global_weight(self) -> dict[str, float]:
        """Product of the weights down the path from the root (S12)."""
        out = {self.root.code: 1.0}
        for x in self.items.values():  # pre-order: a parent comes before its children
            if isinstance(x, Node):
                out.update(
                    {c.code: out[x.code] * w for c, w in zip(x.children, x.weights, strict=True)}
                )
        return out

    @cached_property
    def veto(self) -> bool:
        """S11 applies only when the root's children are exactly U1 and U2."""
        return sorted(c.code for c in self.root.children) == ["U1", "U2"]

    def weight_within(self, code: str, top: str) -> float:
        """Product of local weights from `top` (exclusive) down to `code` (top: 1)."""
        path = []
        while code != top:
            if code not in self.parent:
                raise ValueError(f"{top} is not an ancestor")
            path.append(self.local_weight[code])
            code = self.parent[code]
        out = 1.0
        for w in reversed(path):
            out *= w
        return out

    def subtree(self, code: str) -> tuple[Node | Leaf, ...]:
        """The item `code` and its descendants, pre-order."""
        return tuple(iter_tree(self.items[code]))


def iter_tree(item: Node | Leaf) -> Iterator[Node | Leaf]:
    """Pre-order walk."""
    yield item
    if isinstance(item, Node):
        for child in item.children:
            yield from iter_tree(child)


def main_factors(model: Model) -> tuple[str, ...]:
    """Codes of the main factors U_ij: the root's grandchildren, else its children (S14)."""
    grand = tuple(g.code for c in model.root.children if isinstance(c, Node) for g in c.children)
    return grand or tuple(c.code for c in model.root.children)


def default_model_document() -> dict[str, Any]:
    """The shipped default model document (package data default_model.json)."""
    text = resources.files("services.scoring").joinpath("default_model.json").read_text("utf-8")
    doc: dict[str, Any] = json.loads(text)
    return doc


def compile_model(doc: object, *, cr_threshold: float = DEFAULT_CR_THRESHOLD) -> Model:
    """Validate a model document and resolve every node's weights (S1-S7, S10, S13)."""
    if not isinstance(doc, Mapping):
        raise AhpError("S1", "", "a model document is a JSON object")
    name = doc.get("name")
    if not isinstance(name, str) or not name.strip():
        raise AhpError("S1", "/name", "a model needs a non-empty name")
    grades = _compile_grades(doc.get("grades"))
    root = _compile_item(doc.get("root"), "/root", set(), 0, cr_threshold)
    if not isinstance(root, Node):
        raise AhpError("S1", "/root", "the root must be a node with children")
    return Model(name=name, grades=grades, root=root)


def _strings(raw: object, pointer: str, rule: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or len(raw) != GRADE_COUNT:
        raise AhpError(rule, pointer, f"must be a list of {GRADE_COUNT} labels")
    for i, x in enumerate(raw):
        if not isinstance(x, str) or not x.strip():
            raise AhpError(rule, f"{pointer}/{i}", "label must be a non-empty string")
    if len(set(raw)) != GRADE_COUNT:
        raise AhpError(rule, pointer, "labels must be distinct")
    return tuple(raw)


def _numbers(raw: object, count: int, pointer: str, rule: str) -> tuple[float, ...]:
    if not isinstance(raw, list) or len(raw) != count:
        raise AhpError(rule, pointer, f"must be a list of {count} numbers")
    out = tuple(to_number(x, f"{pointer}/{i}", rule) for i, x in enumerate(raw))
    if any(a <= b for a, b in zip(out, out[1:], strict=False)):
        raise AhpError(rule, pointer, "must be strictly decreasing, best grade first")
    return out


def _compile_grades(raw: object) -> Grades:
    if raw is None:
        return Grades()
    if not isinstance(raw, Mapping):
        raise AhpError(
            "S2", "/grades", "grades is an object {labels, values, bands?, risk_levels?}"
        )
    labels = _strings(raw.get("labels", list(GRADE_LABELS)), "/grades/labels", "S2")
    values = _numbers(raw.get("values", list(GRADE_VALUES)), GRADE_COUNT, "/grades/values", "S2")
    if raw.get("bands") is None:  # S10 default: nearest value, i.e. midpoints
        bands = tuple((a + b) / 2 for a, b in zip(values, values[1:], strict=False))
    else:
        bands = _numbers(raw["bands"], GRADE_COUNT - 1, "/grades/bands", "S10")
        for h, band in enumerate(bands):
            if not values[h + 1] < band <= values[h]:
                raise AhpError(
                    "S10", f"/grades/bands/{h}", f"band must lie in ({values[h + 1]}, {values[h]}]"
                )
    risk = _strings(raw.get("risk_levels", list(RISK_LEVELS)), "/grades/risk_levels", "S2")
    return Grades(labels=labels, values=values, bands=bands, risk_levels=risk)


def _compile_item(
    raw: object, pointer: str, seen: set[str], depth: int, threshold: float
) -> Node | Leaf:
    if not isinstance(raw, Mapping):
        raise AhpError("S1", pointer, "a node or leaf is a JSON object")
    code, name = raw.get("code"), raw.get("name")
    if not isinstance(code, str) or not _CODE.fullmatch(code):
        raise AhpError("S1", f"{pointer}/code", "code must be 1-64 characters A-Z a-z 0-9 _ . -")
    if code in seen:
        raise AhpError("S1", f"{pointer}/code", f"duplicate code {code}")
    seen.add(code)
    if not isinstance(name, str) or not name.strip():
        raise AhpError("S1", f"{pointer}/name", "name must be a non-empty string")
    if "children" not in raw:
        return _compile_leaf(raw, code, name, pointer)
    if depth >= MAX_DEPTH:
        raise AhpError("S1", pointer, f"the tree is deeper than {MAX_DEPTH} levels")
    kids = raw["children"]
    if not isinstance(kids, list) or not kids:
        raise AhpError("S1", f"{pointer}/children", "a node needs a non-empty list of children")
    children = tuple(
        _compile_item(c, f"{pointer}/children/{i}", seen, depth + 1, threshold)
        for i, c in enumerate(kids)
    )
    codes = tuple(c.code for c in children)
    weights, judgment = _resolve_weights(raw, code, codes, pointer, threshold)
    order = _compile_order(raw.get("order"), codes, f"{pointer}/order")
    check_order(codes, weights, order, pointer=f"{pointer}/order")
    return Node(
        code=code, name=name, children=children, weights=weights, order=order, judgment=judgment
    )


def _compile_leaf(raw: Mapping[str, Any], code: str, name: str, pointer: str) -> Leaf:
    kind = raw.get("kind")
    if kind == "votes":
        if raw.get("breakpoints") is not None:
            raise AhpError("S7", f"{pointer}/breakpoints", "a votes leaf has no breakpoints")
        return Leaf(code=code, name=name, kind="votes")
    if kind != "measured":
        raise AhpError("S7", f"{pointer}/kind", 'kind must be "votes" or "measured"')
    hib = raw.get("higher_is_better")
    if hib is not None and not isinstance(hib, bool):
        raise AhpError("S7", f"{pointer}/higher_is_better", "must be true or false")
    points, higher = validate_breakpoints(
        raw.get("breakpoints"), hib, pointer=f"{pointer}/breakpoints"
    )
    return Leaf(code=code, name=name, kind="measured", breakpoints=points, higher_is_better=higher)


def _resolve_weights(
    raw: Mapping[str, Any], code: str, codes: tuple[str, ...], pointer: str, threshold: float
) -> tuple[tuple[float, ...], Judgment | None]:
    given = [k for k in _WEIGHT_KEYS if raw.get(k) is not None]
    if len(given) > 1:
        raise AhpError("S3", f"{pointer}/{given[1]}", f"give only one of {', '.join(given)}")
    if not given:
        if len(codes) == 1:
            return (1.0,), None
        raise AhpError(
            "S3", pointer, f"node {code} needs weights, comparisons or expert_comparisons"
        )
    key = given[0]
    at = f"{pointer}/{key}"
    if key == "weights":
        return validate_weights(raw[key], len(codes), pointer=at), None
    group = key == "expert_comparisons"
    judgment = judge(raw[key], group=group, pointer=at, threshold=threshold, names=codes)
    if len(judgment.weights) != len(codes):
        raise AhpError("S4", at, f"matrix order {len(judgment.weights)} != {len(codes)} children")
    report = judgment.report
    if not report.consistent and report.worst is not None:
        i, j = report.worst
        where = f"{at}/{_worst_expert(raw[key], i, j, report.weights)}" if group else at
        raise AhpError(
            "S4",
            f"{where}/{i}/{j}",
            f"node {code}: CR = {report.cr:.4f} >= {threshold}; the judgment {codes[i]} vs "
            f"{codes[j]} departs most from the derived weights, revisit it",
        )
    return judgment.weights, judgment


def _worst_expert(raw: list[Any], i: int, j: int, weights: tuple[float, ...]) -> int:
    """The expert whose judgment (i, j) departs most from the combined weights (S5)."""
    target = np.log(weights[i] / weights[j])
    fuzzy = any(is_fuzzy(x) for x in raw)
    devs = []
    for x in raw:
        a = validate_fuzzy_matrix(x)[:, :, 1] if fuzzy else validate_matrix(x)
        # An expert who left the pair out (issue 17) did not make that judgment.
        devs.append(-np.inf if np.isnan(a[i, j]) else abs(np.log(a[i, j]) - target))
    return int(np.argmax(devs))


def _compile_order(raw: object, codes: tuple[str, ...], pointer: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise AhpError("S6", pointer, "order is a list of child codes, most important first")
    for k, c in enumerate(raw):
        if c not in codes or raw.index(c) != k:
            raise AhpError("S6", f"{pointer}/{k}", f"{c!r} is not a distinct child code")
    return tuple(raw)
