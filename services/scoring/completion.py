"""Incomplete judgment matrices (S3-S5, issue 17): the optimal completion of the missing pairs.

A judgment matrix may leave pairs out (`null` in the document, NaN here). Its weights come
from the completion that minimises lambda_max (Bozóki, Fülöp and Rónyai, "On optimal
completion of incomplete pairwise comparison matrices", Mathematical and Computer Modelling
52, 2010): with each missing a_ij = exp(t_ij) and a_ji = exp(-t_ij), lambda_max is a convex
function of the t's, with one minimum exactly when the graph of the given comparisons is
connected. It is found by BFGS on the t's with the gradient of the Perron root,
d lambda / d a_ij = v_i w_j / (v . w) for the right and left Perron vectors w and v.
Pure functions over arrays; the caller validates the entries and names the field.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize

FloatArray = NDArray[np.float64]
GTOL = 1e-12  # gradient norm at the optimum: the completed values to about 1e-9


def missing_pairs(a: FloatArray) -> list[tuple[int, int]]:
    """The (i, j), i < j, left out of a matrix (NaN above the diagonal)."""
    n = a.shape[0]
    return [(i, j) for i in range(n) for j in range(i + 1, n) if np.isnan(a[i, j])]


def unreachable(a: FloatArray) -> list[int]:
    """The criteria no chain of given comparisons links to the first one (empty: connected)."""
    n = a.shape[0]
    known = ~np.isnan(a)
    seen, todo = {0}, [0]
    while todo:
        i = todo.pop()
        for j in range(n):
            if known[i, j] and j not in seen:
                seen.add(j)
                todo.append(j)
    return [i for i in range(n) if i not in seen]


def _perron(a: FloatArray) -> tuple[float, FloatArray]:
    values, vectors = np.linalg.eig(a)
    k = int(np.argmax(values.real))
    vector = np.abs(vectors[:, k].real)
    return float(values[k].real), vector


def complete(a: FloatArray) -> tuple[FloatArray, tuple[tuple[int, int, float], ...]]:
    """The optimal completion of `a` (NaN: missing pairs, connected graph) and the completed
    values (i, j, a_ij) for i < j; a complete matrix is returned as it is."""
    pairs = missing_pairs(a)
    if not pairs:
        return a, ()
    rows = np.array([i for i, _ in pairs])
    cols = np.array([j for _, j in pairs])

    def filled(t: FloatArray) -> FloatArray:
        out = a.copy()
        out[rows, cols] = np.exp(t)
        out[cols, rows] = np.exp(-t)
        return out

    def objective(t: FloatArray) -> tuple[float, FloatArray]:
        m = filled(t)
        lam, w = _perron(m)
        _, v = _perron(m.T)
        scale = float(v @ w)
        grad = (v[rows] * w[cols] * m[rows, cols] - v[cols] * w[rows] * m[cols, rows]) / scale
        return lam, grad

    start = np.zeros(len(pairs))
    found = minimize(objective, start, jac=True, method="BFGS", options={"gtol": GTOL})
    best = filled(np.asarray(found.x, dtype=np.float64))
    values = tuple((int(i), int(j), float(best[i, j])) for i, j in pairs)
    return best, values


def unreachable_message(missing: Sequence[int], names: Sequence[str] | None) -> str:
    """The 422 detail naming the criteria that no comparison chain reaches."""
    named = [names[i] if names is not None else str(i) for i in missing]
    first = names[0] if names is not None else "0"
    return (
        f"criteria {', '.join(named)} cannot be reached from {first} by the comparisons given: "
        "an incomplete matrix needs a connected comparison graph"
    )
