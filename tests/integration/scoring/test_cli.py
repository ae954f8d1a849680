"""The analyst CLI: same numbers as the API to the last digit, bad rows reported by line."""

from __future__ import annotations

import asyncio
import csv
import sys
from pathlib import Path
from typing import Any

from services.scoring.app import create_app
from tests.integration.scoring.conftest import DEFAULT, Scoring, settings_for
from tests.support.apps import serve

ROOT = Path(__file__).resolve().parents[3]
LEAVES = [leaf.code for leaf in DEFAULT.leaves]


async def cli(*args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.scoring", *args,
        cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


def row(eid: str, votes: str = "3/2/1/0/0", value: str = "0.42", **cells: str) -> list[str]:
    values = {c: (votes if c in VOTE else value) for c in LEAVES}
    values.update(cells)
    return [eid, *(values[c] for c in LEAVES)]


VOTE = {leaf.code for leaf in DEFAULT.leaves if leaf.kind == "votes"}


def as_inputs(cells: dict[str, str]) -> dict[str, Any]:
    """The API body for a CSV row: the same numbers, as JSON (int votes, float values)."""
    out: dict[str, Any] = {}
    for code, text in cells.items():
        if not text:
            continue
        if "/" in text:
            out[code] = {"votes": [int(x) for x in text.split("/")]}
        else:
            out[code] = {"value": float(text)}
    return out


async def test_cli_rates_like_the_api_to_the_last_digit_and_reports_bad_rows(
    scoring: Scoring, scoring_db: str, tmp_path: Path
) -> None:
    rows = [
        row("E-1"),
        row("E-2", votes="7/0/0/0/0", value="0.1234567891011"),
        row("E-3", U121="abc"),  # line 4: not a number
        row("E-4", votes="0/0/1/3/3", value="0.95", **{c: "" for c in LEAVES if c[:2] == "U2"}),
        row("E-5", U111="0/0/0/0/0"),  # line 6: nobody voted
        row("E-6", votes="1/4/2/0/0", value="0.615", U131="2/2/2/1/0"),
        row("E-7", U112="1/2/3"),  # line 8: not five counts
    ]
    source = tmp_path / "portfolio.csv"
    with source.open("w", newline="") as handle:
        csv.writer(handle).writerows([["enterprise_id", *LEAVES], *rows])
    output = tmp_path / "ratings.csv"
    code, _, err = await cli(
        "--database-url", scoring_db, "rate", "--model", scoring.model_id, str(source),
        "-o", str(output),
    )  # fmt: skip
    assert code == 2, err
    assert "line 4 (E-3), column U121: S7:" in err
    assert "line 6 (E-5), column U111: S7: at least one expert must vote" in err
    assert "line 8 (E-7), column U112: S7:" in err
    with (tmp_path / "ratings.errors.csv").open() as handle:
        errors = list(csv.DictReader(handle))
    assert [(e["line"], e["enterprise_id"], e["column"]) for e in errors] == [
        ("4", "E-3", "U121"), ("6", "E-5", "U111"), ("8", "E-7", "U112"),
    ]  # fmt: skip
    with output.open() as handle:
        rated = list(csv.DictReader(handle))
    assert [r["enterprise_id"] for r in rated] == ["E-1", "E-2", "E-4", "E-6"]
    by_id = {r[0]: dict(zip(LEAVES, r[1:], strict=True)) for r in rows}
    for out in rated:
        api = await scoring.client.post(
            "/v1/evaluate",
            json={"model_id": scoring.model_id, "inputs": as_inputs(by_id[out["enterprise_id"]])},
        )
        body = api.json()
        assert out["score"] == repr(body["score"])  # the same double, digit for digit
        assert out["grade"] == body["grade"]
        assert out["grade_by_max_membership"] == body["grade_by_max_membership"]
        assert out["risk_level"] == body["risk_level"]
        assert out["vetoed"] == str(body["veto"]["vetoed"]).lower()
        for node in ("U", "U1", "U11", "U12", "U13", "U14", "U2"):
            expected = repr(body["nodes"][node]["score"]) if node in body["nodes"] else ""
            assert out[f"score_{node}"] == expected
    assert rated[2]["vetoed"] == "true"
    assert rated[2]["score_U2"] == ""


async def test_cli_fatal_errors_and_load_default_model(
    scoring: Scoring, scoring_db: str, tmp_path: Path
) -> None:
    code, out, _ = await cli("--database-url", scoring_db, "load-default-model")
    assert code == 0
    assert out.strip() == f"{scoring.model_id} version 1 (already stored)"  # same as the API's
    source = tmp_path / "p.csv"
    source.write_text("enterprise_id,U111,TYPO\nE-1,1/0/0/0/0,3\n")
    code, _, err = await cli("--database-url", scoring_db, "rate", "--model", scoring.model_id,
                             str(source), "-o", str(tmp_path / "o.csv"))  # fmt: skip
    assert code == 1
    assert "TYPO" in err
    code, _, err = await cli("--database-url", scoring_db, "rate", "--model", "m-nope",
                             str(source), "-o", str(tmp_path / "o.csv"))  # fmt: skip
    assert code == 1
    assert "m-nope does not exist" in err


async def test_cli_load_default_model_into_an_empty_database(scoring_db: str) -> None:
    code, out, _ = await cli("--database-url", scoring_db, "load-default-model")
    assert code == 0
    assert out.strip().endswith("version 1 (created)")
    async with serve(create_app(settings_for(scoring_db))) as client:
        listed = (await client.get("/v1/models")).json()["items"]
        assert [m["id"] for m in listed] == [out.split()[0]]
