"""The analyst command line: rate a portfolio CSV on a stored model (scoring.md S7-S12).

    python -m services.scoring rate --model ID portfolio.csv -o ratings.csv
    python -m services.scoring load-default-model

Input: one row per enterprise, an `enterprise_id` column and one column per leaf code; a cell
is expert votes `v1/v2/v3/v4/v5` or a measured value, and an empty cell is "not given" (e.g. U2
of a rejected application). Rows are rated in vectorised chunks by the same code as the API, so
the numbers agree to the last digit (floats are written in shortest round-trip form). A bad
row is reported with its line number on stderr and in the errors file, and the others go on.
Exit status: 0 all rows rated, 2 some rows failed, 1 nothing could be done.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import math
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy.exc import SQLAlchemyError
from tqdm import tqdm  # type: ignore[import-untyped]

from services.scoring import store
from services.scoring.ahp import AhpError
from services.scoring.batch import fast_stack_inputs
from services.scoring.config import Settings
from services.scoring.evaluate import BatchRating, batch_memberships, evaluate_batch
from services.scoring.service import ModelCache, compile_document, create_model
from services.scoring.tree import Model, Node, default_model_document
from shared.db import make_engine, make_sessionmaker

ID_COLUMN = "enterprise_id"
CHUNK = 5_000
_INT = re.compile(r"^[+-]?\d+$")


class Fatal(Exception):
    """Nothing can be rated (no model, bad header, unreadable file)."""


@dataclass(frozen=True)
class RowError:
    line: int
    enterprise_id: str
    column: str
    rule: str
    detail: str


def _number(text: str) -> int | float:
    try:
        value: int | float = int(text) if _INT.match(text) else float(text)
    except ValueError:
        raise ValueError("not a number (a measured value, or votes v1/v2/v3/v4/v5)") from None
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("not a finite number")
    return value


def parse_cell(text: str) -> dict[str, Any] | None:
    """A CSV cell as an HTTP leaf input: `v1/v2/v3/v4/v5` votes or a measured value (S7)."""
    text = text.strip()
    if not text:
        return None
    if "/" in text:
        parts = text.split("/")
        if len(parts) != 5:
            raise ValueError("votes are five counts v1/v2/v3/v4/v5")
        return {"votes": [_number(p.strip()) for p in parts]}
    return {"value": _number(text)}


def read_portfolio(
    handle: TextIO, leaves: Sequence[str]
) -> tuple[list[tuple[int, str, dict[str, Any]]], list[RowError]]:
    """(line, enterprise id, inputs) per good row, and the rows whose cells do not parse."""
    reader = csv.reader(handle)
    header = [h.strip() for h in next(reader, [])]
    if ID_COLUMN not in header:
        raise Fatal(f"the header has no {ID_COLUMN} column")
    unknown = [h for h in header if h != ID_COLUMN and h not in leaves]
    if unknown or len(set(header)) != len(header):
        raise Fatal(
            f"columns {unknown or 'repeated'} are not the model's leaves ({', '.join(leaves)})"
        )
    rows: list[tuple[int, str, dict[str, Any]]] = []
    errors: list[RowError] = []
    for cells in reader:
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        record = dict(zip(header, cells, strict=False))
        eid = record.get(ID_COLUMN, "").strip()
        if not eid or len(cells) != len(header):
            why = (
                "enterprise_id is empty" if not eid else f"{len(cells)} cells, {len(header)} wanted"
            )
            errors.append(RowError(line, eid, ID_COLUMN if not eid else "", "CSV", why))
            continue
        inputs: dict[str, Any] = {}
        for code, text in record.items():
            if code == ID_COLUMN:
                continue
            try:
                cell = parse_cell(text)
            except ValueError as exc:
                errors.append(RowError(line, eid, code, "S7", f"{text!r}: {exc}"))
                break
            if cell is not None:
                inputs[code] = cell
        else:
            rows.append((line, eid, inputs))
    return rows, errors


def rate_chunk(
    model: Model, rows: list[tuple[int, str, dict[str, Any]]]
) -> tuple[BatchRating | None, list[tuple[int, str, dict[str, Any]]], list[RowError]]:
    """Rate a chunk in one pass; a bad row is taken out (and reported) and the rest re-rated."""
    keep = list(rows)
    errors: list[RowError] = []
    while keep:
        try:
            inputs = fast_stack_inputs(model, [r[2] for r in keep])
            return evaluate_batch(model, batch_memberships(model, inputs)), keep, errors
        except AhpError as err:
            if err.row is None:
                raise
            line, eid, _ = keep.pop(err.row)
            parts = err.pointer.split("/")
            column = parts[2] if len(parts) > 2 else ""
            errors.append(RowError(line, eid, column, err.rule, err.detail))
    return None, keep, errors


def _cell(value: float) -> str:
    return "" if math.isnan(value) else repr(value)


def output_rows(
    batch: BatchRating, rows: list[tuple[int, str, dict[str, Any]]], nodes: Sequence[str]
) -> Iterator[list[str]]:
    """One CSV row per rated enterprise: headline figures, then every node's score (S9)."""
    g = batch.model.grades
    root = batch.model.root.code
    score = batch.score[root].tolist()
    grade = batch.grade_index.tolist()
    top = batch.max_membership_index.tolist()
    vetoed = [None] * batch.size if batch.vetoed is None else batch.vetoed.tolist()
    per_node = [batch.score[c].tolist() for c in nodes]
    for k, (_, eid, _) in enumerate(rows):
        yield [
            eid,
            repr(score[k]),
            g.labels[grade[k]],
            g.labels[top[k]],
            g.risk_levels[grade[k]],
            "" if vetoed[k] is None else str(vetoed[k]).lower(),
            *(_cell(col[k]) for col in per_node),
        ]


def rate_file(
    model: Model, source: Path, output: Path, errors_path: Path, *, chunk: int = CHUNK
) -> tuple[int, int]:
    """Rate every row of `source` into `output`; bad rows go to stderr and `errors_path`.
    Returns (rated, failed)."""
    leaves = [leaf.code for leaf in model.leaves]
    nodes = [code for code, item in model.items.items() if isinstance(item, Node)]
    with source.open(newline="", encoding="utf-8-sig") as handle:
        rows, errors = read_portfolio(handle, leaves)
    rated = 0
    with output.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(
            [ID_COLUMN, "score", "grade", "grade_by_max_membership", "risk_level", "vetoed"]
            + [f"score_{c}" for c in nodes]
        )
        bar = tqdm(
            total=len(rows) + len(errors),
            unit="row",
            file=sys.stderr,
            disable=True if len(rows) <= chunk else None,
        )
        bar.update(len(errors))
        for start in range(0, len(rows), chunk):
            part = rows[start : start + chunk]
            batch, kept, bad = rate_chunk(model, part)
            errors.extend(bad)
            if batch is not None:
                writer.writerows(output_rows(batch, kept, nodes))
                rated += len(kept)
            bar.update(len(part))
        bar.close()
    errors.sort(key=lambda e: e.line)
    with errors_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["line", ID_COLUMN, "column", "rule", "detail"])
        for e in errors:
            writer.writerow([e.line, e.enterprise_id, e.column, e.rule, e.detail])
            where = f", column {e.column}" if e.column else ""
            _say(f"line {e.line} ({e.enterprise_id or '?'}){where}: {e.rule}: {e.detail}")
    return rated, len(errors)


async def _load_model(url: str, model_id: str) -> Model:
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            row = await store.get_model(session, model_id)
    except SQLAlchemyError as exc:
        raise _db_error(exc) from exc
    finally:
        await engine.dispose()
    if row is None:
        raise Fatal(f"model {model_id} does not exist in {url}")
    return compile_document(row.document)


async def load_default_model(url: str) -> tuple[str, int, bool]:
    """Store the shipped default model (idempotent): (id, version, created)."""
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            row, created = await create_model(
                session, default_model_document(), cache=ModelCache(1), created_by="cli"
            )
            await session.commit()
            return row.id, row.version, created
    except SQLAlchemyError as exc:
        raise _db_error(exc) from exc
    finally:
        await engine.dispose()


def _db_error(exc: Exception) -> Fatal:
    return Fatal(
        f"cannot use the scoring database ({type(exc).__name__}); is it migrated? "
        "python -m shared.migrate upgrade scoring"
    )


def _say(text: str, stream: TextIO | None = None) -> None:
    (stream or sys.stderr).write(text + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m services.scoring",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--database-url", help="default: SCORING_DATABASE_URL, else var/scoring.db")
    commands = parser.add_subparsers(dest="command", required=True)
    rate = commands.add_parser("rate", help="rate a portfolio CSV on a stored model")
    rate.add_argument("--model", required=True, help="model version id (GET /v1/models)")
    rate.add_argument("portfolio", type=Path)
    rate.add_argument("-o", "--output", type=Path, required=True)
    rate.add_argument("--errors", type=Path, help="default: <output>.errors.csv")
    rate.add_argument("--chunk", type=int, default=CHUNK, help="rows per vectorised pass")
    commands.add_parser("load-default-model", help="store services/scoring/default_model.json")
    args = parser.parse_args(argv)
    url = args.database_url or Settings().resolved_database_url()
    try:
        if args.command == "load-default-model":
            mid, version, created = asyncio.run(load_default_model(url))
            state = "created" if created else "already stored"
            _say(f"{mid} version {version} ({state})", sys.stdout)
            return 0
        model = asyncio.run(_load_model(url, args.model))
        errors_path = args.errors or args.output.with_suffix(".errors.csv")
        rated, failed = rate_file(
            model, args.portfolio, args.output, errors_path, chunk=max(1, args.chunk)
        )
    except (Fatal, OSError, AhpError) as exc:
        _say(f"error: {exc}")
        return 1
    see = f" (see {errors_path})" if failed else ""
    _say(f"rated {rated} rows into {args.output}; {failed} rows failed{see}")
    return 2 if failed else 0
