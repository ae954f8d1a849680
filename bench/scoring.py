"""Benchmark of the scoring service over HTTP (not a test): python -m bench.scoring [--quick].

Starts the scoring app as a real uvicorn process in embedded mode (a fresh SQLite file, no
broker, so no outbox rows: see shared/outbox.py), stores the default model, then measures

(c) 100,000 enterprises on the default model through POST /v1/ratings/batch: wall time seen by
    the client (upload, parse, one vectorised pass, 100,000 rows stored, response) and the
    server-side time (Server-Timing header), as ratings per second; next to the in-process
    batch on arrays (the math alone) and from the same JSON body (parse + check + math).
(d) a single POST /v1/evaluate, sequentially over keep-alive: server-side p50 / p90 / p99
    from the Server-Timing header (request arrival to response headers, inside the process),
    with the model document in the body (compiled once, then cached by content hash) and with
    a stored model_id; the client round trip is printed beside it, and the anchor is the same
    inputs through the same code in-process (`evaluate`, the math without HTTP or storage).
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.scoring_math import as_items, random_inputs  # noqa: E402
from bench.table import Row, emit  # noqa: E402
from services.scoring.batch import fast_stack_inputs, paused_gc  # noqa: E402
from services.scoring.evaluate import batch_memberships, evaluate, evaluate_batch  # noqa: E402
from services.scoring.ratings import parse_batch  # noqa: E402
from services.scoring.tree import compile_model, default_model_document  # noqa: E402
from shared.auth import CALLER_HEADER, Caller, Role, sign_caller  # noqa: E402
from shared.config import DEV_INTERNAL_SECRET  # noqa: E402
from shared.migrate import upgrade  # noqa: E402

EVALUATE_P50_TARGET_MS = 5.0
ADMIN = Caller(subject="bench", roles=frozenset({Role.ADMIN}), org="HO", credential_id="bench")


def _headers() -> dict[str, str]:
    signed = sign_caller(ADMIN, secret=DEV_INTERNAL_SECRET, now=time.time())
    return {CALLER_HEADER: signed, "content-type": "application/json"}


def _server_ms(response: httpx.Response) -> float:
    return float(response.headers["server-timing"].split("dur=")[1])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(db_url: str, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SCORING_DATABASE_URL": db_url, "SCORING_LOG_LEVEL": "WARNING"}
    env.pop("SCORING_KAFKA_BOOTSTRAP_SERVERS", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "services.scoring.app:app", "--host", "127.0.0.1",
         "--port", str(port), "--no-access-log", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit("the scoring server did not start")


def batch_body(model_id: str, m: int) -> tuple[bytes, Any]:
    model = compile_model(default_model_document())
    inputs = random_inputs(model, np.random.default_rng(11), m)
    items = [
        {"enterprise_id": f"E-{k:06d}", "org": "HO/GZ/LS03", "inputs": leaf_inputs}
        for k, leaf_inputs in enumerate(as_items(model, inputs, range(m)))
    ]
    return orjson.dumps({"model_id": model_id, "items": items}), inputs


def in_process(body: bytes, arrays: Any) -> tuple[float, float]:
    """Best of 3: the math on arrays; parse + envelope + fast stacking + math from JSON."""
    model = compile_model(default_model_document())

    def math_only() -> None:
        evaluate_batch(model, batch_memberships(model, arrays))

    def from_json() -> None:
        with paused_gc():  # as the route does
            req = parse_batch(orjson.loads(body), max_items=1_000_000)
            evaluate_batch(model, batch_memberships(model, fast_stack_inputs(model, req.inputs)))

    return min(_timed(math_only) for _ in range(3)), min(_timed(from_json) for _ in range(3))


def _timed(fn: Any) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def bench_batch(client: httpx.Client, model_id: str, m: int) -> list[Row]:
    body, arrays = batch_body(model_id, m)
    t0 = time.perf_counter()
    response = client.post("/v1/ratings/batch", content=body, headers=_headers(), timeout=900)
    wall = time.perf_counter() - t0
    if response.status_code != 201:
        raise SystemExit(f"batch answered {response.status_code}: {response.text[:500]}")
    count = response.json()["count"]
    server = _server_ms(response) / 1000
    math_s, json_s = in_process(body, arrays)
    print(f"(c) {count} enterprises, POST /v1/ratings/batch ({len(body) / 1e6:.0f} MB body, "
          "uvicorn, SQLite embedded)")  # fmt: skip
    print(f"    over HTTP, client wall time: {wall:6.2f} s = {count / wall:8.0f} ratings/s")
    print(f"    server side (Server-Timing): {server:6.2f} s = {count / server:8.0f} ratings/s")
    print(f"    in-process, math on arrays:  {math_s:6.2f} s = {count / math_s:8.0f} ratings/s")
    print(f"    in-process, from the JSON:   {json_s:6.2f} s = {count / json_s:8.0f} ratings/s")
    print(f"    (the HTTP figure also stores {count:,} rating rows with their inputs in SQLite)")
    return [
        Row(
            bench="scoring",
            name=f"{count:,} enterprises through POST /v1/ratings/batch (SQLite, stored), "
            "client wall time",
            figure=wall,
            unit="s",
            anchor="in-process batch from the same JSON (parse + check + math)",
            anchor_figure=json_s,
            ratio=json_s / wall,
        ),
        Row(
            bench="scoring",
            name="  the same batch, ratings per second over HTTP",
            figure=count / wall,
            unit="ratings/s",
            anchor="in-process math on arrays",
            anchor_figure=count / math_s,
            ratio=(count / wall) / (count / math_s),
            ratio_unit="%",
        ),
    ]


def bench_evaluate(client: httpx.Client, model_id: str, n: int) -> list[Row]:
    model = compile_model(default_model_document())
    arrays = random_inputs(model, np.random.default_rng(5), n)
    items = as_items(model, arrays, range(n))
    doc = default_model_document()
    print(f"(d) single POST /v1/evaluate, {n} sequential requests each (target p50 < 5 ms)")
    local = []
    for item in items:
        t0 = time.perf_counter()
        evaluate(model, item)
        local.append((time.perf_counter() - t0) * 1000)
    local_p50 = statistics.median(local)
    local_p99 = statistics.quantiles(local, n=100)[98]
    print(f"    in-process evaluate (no HTTP): p50 {local_p50:5.2f} ms, p99 {local_p99:5.2f} ms")
    rows: list[Row] = []
    for label, key, value in (("model document", "model", doc), ("model_id", "model_id", model_id)):
        server, client_ms = [], []
        for item in items:
            body = orjson.dumps({key: value, "inputs": item})
            t0 = time.perf_counter()
            response = client.post("/v1/evaluate", content=body, headers=_headers())
            client_ms.append((time.perf_counter() - t0) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"evaluate answered {response.status_code}: {response.text}")
            server.append(_server_ms(response))
        q = statistics.quantiles(server, n=100)
        print(f"    with {label:<14} server p50 {statistics.median(server):5.2f} ms, "
              f"p90 {q[89]:5.2f}, p99 {q[98]:5.2f}; client round trip p50 "
              f"{statistics.median(client_ms):5.2f} ms")  # fmt: skip
        p50 = statistics.median(server)
        anchor = "in-process `evaluate`, same inputs"
        rows.append(
            Row(
                bench="scoring",
                unit="ms",
                anchor=anchor,
                name=f"single POST /v1/evaluate with {label}, server-side p50",
                figure=p50,
                anchor_figure=local_p50,
                ratio=p50 - local_p50,
                ratio_unit="ms",
                target=f"p50 < {EVALUATE_P50_TARGET_MS:g} ms",
                met=p50 < EVALUATE_P50_TARGET_MS,
            )
        )
        rows.append(
            Row(
                bench="scoring",
                unit="ms",
                anchor=anchor,
                name=f"single POST /v1/evaluate with {label}, server-side p99",
                figure=q[98],
                anchor_figure=local_p99,
                ratio=q[98] - local_p99,
                ratio_unit="ms",
            )
        )
    return rows


def run(quick: bool) -> list[Row]:
    """Start the server, measure (d) then (c); the rows of the bench table."""
    m, n = (10_000, 300) if quick else (100_000, 2_000)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/scoring.db"
        upgrade("scoring", url)
        port = _free_port()
        server = start_server(url, port)
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
                created = client.post(
                    "/v1/models", content=orjson.dumps(default_model_document()),
                    headers=_headers(),
                )  # fmt: skip
                model_id = created.json()["id"]
                rows += bench_evaluate(client, model_id, n)
                rows += bench_batch(client, model_id, m)
        finally:
            server.terminate()
            server.wait(timeout=30)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes")
    emit(run(parser.parse_args().quick))


if __name__ == "__main__":
    main()
