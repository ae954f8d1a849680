"""fast_stack_inputs (batch.py) is stack_inputs (S7), bit for bit, errors included."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.scoring.ahp import AhpError
from services.scoring.batch import fast_stack_inputs, paused_gc
from services.scoring.evaluate import BatchInputs, stack_inputs
from services.scoring.tree import compile_model, default_model_document

MODEL = compile_model(default_model_document())
LEAVES = [leaf.code for leaf in MODEL.leaves]

count = st.integers(min_value=0, max_value=9)
valid_votes = st.lists(count, min_size=5, max_size=5).map(lambda v: {"votes": v})
valid_value = st.floats(min_value=-10, max_value=10, allow_nan=False).map(lambda x: {"value": x})
junk = st.one_of(
    st.none(),
    st.booleans(),
    st.text(max_size=3),
    st.just({}),
    st.just({"votes": [1, 0, 0, 0, 0], "value": 1}),
    st.lists(count, max_size=6).map(lambda v: {"votes": v}),
    st.lists(
        st.one_of(count, st.booleans(), st.just("1"), st.floats()), min_size=5, max_size=5
    ).map(lambda v: {"votes": v}),
    st.one_of(st.text(max_size=2), st.booleans(), st.none(), st.just(10**400)).map(
        lambda x: {"value": x}
    ),
    st.just({"other": 1}),
)


def entry(rare_junk: bool) -> st.SearchStrategy[Any]:
    return st.one_of(valid_votes, valid_votes, valid_value, junk) if rare_junk else valid_votes


@st.composite
def batches(draw: st.DrawFn) -> list[Any]:
    rows = draw(st.integers(min_value=1, max_value=6))
    with_junk = draw(st.booleans())
    out: list[Any] = []
    for _ in range(rows):
        if with_junk and draw(st.integers(0, 20)) == 0:
            out.append(draw(st.one_of(st.none(), st.just([]), st.just({"U999": {}}))))
            continue
        codes = draw(st.lists(st.sampled_from(LEAVES), unique=True, min_size=15))
        out.append({c: draw(entry(with_junk)) for c in codes})
    return out


def same(a: BatchInputs, b: BatchInputs) -> None:
    assert a.size == b.size
    assert a.votes.keys() == b.votes.keys()
    assert a.values.keys() == b.values.keys()
    for code in a.votes:
        assert np.array_equal(a.votes[code], b.votes[code], equal_nan=True), code
    for code in a.values:
        assert np.array_equal(a.values[code], b.values[code], equal_nan=True), code


def outcome(fn: Any, items: list[Any]) -> BatchInputs | tuple[str, str, int | None, str]:
    try:
        result: BatchInputs = fn(MODEL, items)
        return result
    except AhpError as err:
        return (err.rule, err.pointer, err.row, err.detail)


@settings(max_examples=300)
@given(batches())
def test_s7_fast_stacking_equals_the_reference_parser(items: list[Any]) -> None:
    fast = outcome(fast_stack_inputs, items)
    reference = outcome(stack_inputs, items)
    if isinstance(reference, BatchInputs):
        assert isinstance(fast, BatchInputs)
        same(fast, reference)
    else:
        assert fast == reference


def test_s7_fast_stacking_of_a_typical_batch_with_gaps() -> None:
    items: list[dict[str, Any]] = []
    for k in range(50):
        row: dict[str, Any] = {c: {"votes": [k % 3, 1, 0, 2, 0]} for c in LEAVES}
        row["U121"] = {"value": k / 7} if k % 2 else {"votes": [1, 0, 0, 0, 0]}
        if k % 5 == 0:
            del row["U21"]
        items.append(row)
    with paused_gc(), paused_gc():
        same(fast_stack_inputs(MODEL, items), stack_inputs(MODEL, items))


def test_s7_fast_stacking_reports_the_row_like_the_reference() -> None:
    items = [{c: {"votes": [1, 0, 0, 0, 0]} for c in LEAVES} for _ in range(5)]
    items[3]["U122"] = {"value": "x"}
    with pytest.raises(AhpError) as err:
        fast_stack_inputs(MODEL, items)
    assert (err.value.row, err.value.pointer) == (3, "/inputs/U122/value")
