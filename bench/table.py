"""The one benchmark table: structured rows, machine facts and the Markdown rendering.

Each bench module's `run(quick)` returns `Row`s; run alone it prints its own details and,
last, one `BENCH_ROWS [...]` JSON line that `python -m bench` (bench/__main__.py) collects.
"""

from __future__ import annotations

import asyncio
import os
import platform
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parent.parent
ROWS_PREFIX = "BENCH_ROWS "
RATIO_NOTE = (
    "Ratio: `x` is the anchor's time over the figure's time (above 1: the figure is that many "
    "times faster than its anchor); `%` is the figure's rate as a share of the anchor's; `ms` "
    "is the figure minus the anchor (what the extra layer adds)."
)


@dataclass(frozen=True)
class Row:
    """One benchmark figure beside the anchor it is measured against in the same run."""

    bench: str
    name: str
    figure: float | None
    unit: str
    anchor: str = ""
    anchor_figure: float | None = None
    anchor_unit: str = ""
    ratio: float | None = None
    ratio_unit: str = "x"  # RATIO_NOTE
    target: str = ""
    met: bool | None = None  # None: no target, or not checkable in a --quick run


def emit(rows: list[Row]) -> None:
    """The machine-readable line `python -m bench` reads (last line of a module's output)."""
    print(ROWS_PREFIX + orjson.dumps([asdict(r) for r in rows]).decode(), flush=True)


def parse(line: str) -> list[Row] | None:
    if not line.startswith(ROWS_PREFIX):
        return None
    return [Row(**r) for r in orjson.loads(line[len(ROWS_PREFIX) :])]


def number(value: float | None) -> str:
    """A figure with about three significant digits and thousands separators."""
    if value is None:
        return ""
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:,.0f}"
    if magnitude >= 10:
        return f"{value:,.1f}"
    if magnitude >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def ratio_text(row: Row) -> str:
    if row.ratio is None:
        return ""
    if row.ratio_unit == "%":
        return f"{row.ratio * 100:.1f} %"
    if row.ratio_unit == "ms":
        return f"{row.ratio:+.2f} ms"
    return f"{number(row.ratio)}x"


def met_text(row: Row) -> str:
    if not row.target:
        return ""
    if row.met is None:
        return "n/a (quick)"
    return "met" if row.met else "**NOT MET**"


HEADER = ("bench", "benchmark", "figure", "anchor (same run)", "anchor figure", "ratio",
          "target", "met")  # fmt: skip


def cells(row: Row) -> tuple[str, ...]:
    anchor_figure = (
        f"{number(row.anchor_figure)} {row.anchor_unit or row.unit}"
        if row.anchor_figure is not None
        else ""
    )
    return (
        row.bench,
        row.name,
        f"{number(row.figure)} {row.unit}" if row.figure is not None else "",
        row.anchor,
        anchor_figure,
        ratio_text(row),
        row.target,
        met_text(row),
    )


def markdown(rows: list[Row]) -> str:
    """A Markdown table (numbers right-aligned), readable as plain text too."""
    body = [HEADER, *(cells(r) for r in rows)]
    widths = [max(len(line[i]) for line in body) for i in range(len(HEADER))]
    right = {2, 4, 5}

    def line(values: tuple[str, ...]) -> str:
        padded = [
            v.rjust(w) if i in right else v.ljust(w)
            for i, (v, w) in enumerate(zip(values, widths, strict=True))
        ]
        return "| " + " | ".join(padded) + " |"

    rule = "| " + " | ".join(
        "-" * (w - 1) + ":" if i in right else "-" * w for i, w in enumerate(widths)
    ) + " |"  # fmt: skip
    return "\n".join([line(HEADER), rule, *(line(c) for c in body[1:])])


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def ram_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return 0.0


def kafka_version() -> str:
    jars = sorted((ROOT / ".cache" / "kafka" / "libs").glob("kafka-server-[0-9]*.jar"))
    return jars[-1].stem.removeprefix("kafka-server-") if jars else "unknown"


async def _postgres_version(url: str) -> str:
    import asyncpg
    from sqlalchemy.engine import make_url

    dsn = make_url(url).set(drivername="postgresql", database="postgres")
    conn = await asyncpg.connect(dsn.render_as_string(hide_password=False))
    try:
        return str(await conn.fetchval("SHOW server_version"))
    finally:
        await conn.close()


def postgres_version() -> str:
    url = os.environ.get("TEST_POSTGRES_URL", "").strip()
    if not url:
        return "not used (TEST_POSTGRES_URL unset)"
    try:
        return asyncio.run(_postgres_version(url))
    except Exception as exc:  # noqa: BLE001 - a fact for the report, not a failure
        return f"unknown ({type(exc).__name__})"


def machine() -> dict[str, Any]:
    """The facts printed above the table (figures depend on them)."""
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "ram_gib": round(ram_gib(), 1),
        "python": platform.python_version(),
        "postgresql": postgres_version(),
        "kafka": kafka_version(),
        "os": platform.platform(terse=True),
    }
