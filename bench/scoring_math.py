"""Benchmark of the scoring math (not a test): python -m bench.scoring_math [--quick].

(a) weights + lambda_max + CR of 10,000 random 9x9 Saaty matrices: batched code vs a loop
    over AHPy (precision=12, Saaty's random index) on the same matrices; AHPy's input dicts are
    built before timing.
(b) 100,000 enterprises on the default model: one vectorised batch (inputs -> memberships ->
    rating arrays) vs the same code one enterprise at a time (`evaluate`, which returns the
    full rating); the one-by-one time is measured on a subset and extrapolated.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

from bench.table import Row, emit
from services.scoring.ahp import SAATY_SCALE, batch_consistency
from services.scoring.evaluate import (
    BatchInputs,
    batch_memberships,
    batch_ratings,
    evaluate,
    evaluate_batch,
)
from services.scoring.tree import Model, compile_model, default_model_document


def random_matrices(rng: np.random.Generator, m: int, n: int) -> np.ndarray:
    scale = np.array(SAATY_SCALE)
    a = np.ones((m, n, n))
    i, j = np.triu_indices(n, 1)
    pick = scale[rng.integers(0, len(scale), size=(m, i.size))]
    a[:, i, j] = pick
    a[:, j, i] = 1.0 / pick
    return a


MATRIX_RATIO_TARGET = 30.0
BATCH_SECONDS_TARGET, BATCH_RATIO_TARGET = 0.5, 50.0


def bench_matrices(m: int, n: int) -> Row:
    import ahpy

    rng = np.random.default_rng(7)
    a = random_matrices(rng, m, n)
    names = [f"c{k}" for k in range(n)]
    i, j = np.triu_indices(n, 1)
    dicts = [
        {(names[p], names[q]): float(a[k, p, q]) for p, q in zip(i, j, strict=True)}
        for k in range(m)
    ]
    best = min(_timed(lambda: batch_consistency(a)) for _ in range(5))
    ours = batch_consistency(a)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        theirs = [ahpy.Compare("x", d, precision=12, random_index="saaty") for d in dicts]
        loop = time.perf_counter() - t0
    w = np.array([[c.local_weights[nm] for nm in names] for c in theirs])
    print(f"(a) {m} random {n}x{n} matrices: weights + lambda_max + CR")
    print(f"    batched: {best * 1e3:8.1f} ms ({best / m * 1e6:.2f} us/matrix)")
    print(f"    AHPy loop: {loop * 1e3:8.1f} ms ({loop / m * 1e3:.3f} ms/matrix)")
    print(f"    ratio: {loop / best:.1f}x")
    gap = np.nanmax(np.abs(w - ours.weights))
    print(f"    max |w - w_AHPy| = {gap:.2e} (AHPy rounds to 1e-12)")
    print(f"    mean CR = {ours.cr.mean():.3f}")
    ratio = loop / best
    return Row(
        bench="scoring_math",
        name=f"weights + lambda_max + CR, {m:,} random {n}x{n} matrices, batched",
        figure=best * 1e3,
        unit="ms",
        anchor="loop over AHPy, same matrices",
        anchor_figure=loop * 1e3,
        ratio=ratio,
        target=f">= {MATRIX_RATIO_TARGET:g}x",
        met=ratio >= MATRIX_RATIO_TARGET if m >= 10_000 else None,
    )


def random_inputs(model: Model, rng: np.random.Generator, m: int) -> BatchInputs:
    votes, values = {}, {}
    for leaf in model.leaves:
        if leaf.kind == "votes":
            votes[leaf.code] = _votes(rng, m)
        else:
            b = np.asarray(leaf.breakpoints)
            lo, hi = min(b[0], b[-1]), max(b[0], b[-1])
            span = hi - lo
            values[leaf.code] = rng.uniform(lo - 0.3 * span, hi + 0.3 * span, size=m)
    return BatchInputs(size=m, votes=votes, values=values)


def _votes(rng: np.random.Generator, m: int) -> np.ndarray:
    # 7 experts, each leaning to a per-enterprise grade so some enterprises are vetoed.
    centre = rng.integers(0, 5, size=m)
    spread = rng.integers(-1, 2, size=(m, 7))
    grades = np.clip(centre[:, None] + spread, 0, 4)
    out = np.zeros((m, 5))
    for h in range(5):
        out[:, h] = (grades == h).sum(axis=1)
    return out


def as_items(model: Model, inputs: BatchInputs, rows: range) -> list[dict[str, object]]:
    items = []
    for r in rows:
        item: dict[str, object] = {}
        for leaf in model.leaves:
            if leaf.code in inputs.votes:
                item[leaf.code] = {"votes": [int(v) for v in inputs.votes[leaf.code][r]]}
            else:
                item[leaf.code] = {"value": float(inputs.values[leaf.code][r])}
        items.append(item)
    return items


def bench_batch(m: int, subset: int) -> Row:
    model = compile_model(default_model_document())
    rng = np.random.default_rng(11)
    inputs = random_inputs(model, rng, m)

    def run() -> None:
        evaluate_batch(model, batch_memberships(model, inputs))

    best = min(_timed(run) for _ in range(3))
    batch = evaluate_batch(model, batch_memberships(model, inputs))
    items = as_items(model, inputs, range(subset))
    t0 = time.perf_counter()
    singles = [evaluate(model, item) for item in items]
    one = (time.perf_counter() - t0) / subset
    assert singles == batch_ratings(batch, range(subset)), "batch and single ratings differ"
    t0 = time.perf_counter()
    batch_ratings(batch)
    objs = time.perf_counter() - t0
    vetoed = 0 if batch.vetoed is None else int(batch.vetoed.sum())
    print(f"(b) {m} enterprises on the default model ({vetoed} vetoed)")
    print(f"    batch (memberships + evaluation arrays): {best * 1e3:8.1f} ms")
    print(f"    one by one (evaluate, {subset} timed): {one * 1e6:.0f} us each,")
    print(f"      extrapolated to {m}: {one * m:.1f} s")
    print(f"    ratio: {one * m / best:.0f}x")
    print(f"    (turning the batch into {m} Rating objects adds {objs:.2f} s)")
    ratio = one * m / best
    return Row(
        bench="scoring_math",
        name=f"{m:,} enterprises on the default model, one batch in-process",
        figure=best,
        unit="s",
        anchor=f"one by one (`evaluate`, {subset:,} timed, extrapolated)",
        anchor_figure=one * m,
        ratio=ratio,
        target=f"< {BATCH_SECONDS_TARGET:g} s and >= {BATCH_RATIO_TARGET:g}x",
        met=best < BATCH_SECONDS_TARGET and ratio >= BATCH_RATIO_TARGET if m >= 100_000 else None,
    )


def _timed(fn: object) -> float:
    assert callable(fn)
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def run(quick: bool) -> list[Row]:
    """Both measurements; the rows of the bench table."""
    m, enterprises, subset = (1_000, 10_000, 200) if quick else (10_000, 100_000, 2_000)
    return [bench_matrices(m, 9), bench_batch(enterprises, subset)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes")
    args = parser.parse_args()
    emit(run(args.quick))


if __name__ == "__main__":
    main()
