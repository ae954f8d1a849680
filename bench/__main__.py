"""`make bench`: every benchmark in bench/, one table, also written to bench/results.md.

    python -m bench [--quick] [--only scoring_math,gateway] [--out bench/results.md]

Each module runs in its own process (`python -m bench.<name>`), prints its details (shown as
they come) and, last, its rows (bench/table.py); this collects them into one table with the
machine's facts. A module that fails is a row saying so, and the exit status is 1. A target
not met does not fail the run: the table says so. `--quick` is a smoke run on small sizes
(targets stated for the full sizes show "n/a"); it writes no file unless `--out` is given.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.table import RATIO_NOTE, ROOT, Row, machine, markdown, parse

MODULES = ("scoring_math", "scoring", "officers", "warnings", "gateway", "scale")
RESULTS = ROOT / "bench" / "results.md"


def run_module(name: str, quick: bool) -> tuple[list[Row], float, bool]:
    """Run one bench module, echoing its output; (rows, seconds, succeeded)."""
    print(f"\n== {name} ==", flush=True)
    command = [sys.executable, "-m", f"bench.{name}", *(["--quick"] if quick else [])]
    t0 = time.perf_counter()
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True, bufsize=1)
    rows: list[Row] = []
    assert proc.stdout is not None
    for line in proc.stdout:
        parsed = parse(line)
        if parsed is None:
            print(line, end="", flush=True)
        else:
            rows = parsed
    ok = proc.wait() == 0 and bool(rows)
    return rows, time.perf_counter() - t0, ok


def document(rows: list[Row], facts: dict[str, object], quick: bool) -> str:
    """bench/results.md: the date, the machine, the table, and how long each part took."""
    lines = [
        "# Benchmark results" + (" (quick smoke run)" if quick else ""),
        "",
        f"Written by `make bench` (`python -m bench{' --quick' if quick else ''}`) on "
        f"{facts['date']}. Each row's anchor is measured in the same run, on the same machine.",
        "",
        f"- CPU: {facts['cpu']}, {facts['cores']} cores; RAM {facts['ram_gib']} GiB; {facts['os']}",
        f"- Python {facts['python']}, PostgreSQL {facts['postgresql']}, Kafka {facts['kafka']}",
        f"- load average (1 min) {facts['load_start']} at the start, {facts['load_end']} at the "
        "end: the machine is shared with other jobs (their tests run at the same time), so "
        "every figure is noisy (+-20 % on a quiet machine, several times more under load; "
        "latency tails most)",
        f"- time per module (and the load average when it ended): {facts['timings']}; whole "
        f"run {facts['total']}, ended {facts['ended']}",
        "",
        markdown(rows),
        "",
        RATIO_NOTE,
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, a smoke run")
    parser.add_argument("--only", default="", help="comma-separated modules: " + ",".join(MODULES))
    parser.add_argument("--out", type=Path, help="where to write the table (full run: results.md)")
    args = parser.parse_args()
    chosen = [m for m in MODULES if not args.only or m in args.only.split(",")]
    out = args.out or (None if args.quick or args.only else RESULTS)
    facts: dict[str, object] = {
        **machine(),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load_start": f"{os.getloadavg()[0]:.2f}",
    }
    t0 = time.perf_counter()
    rows: list[Row] = []
    timings, failed = [], []
    for name in chosen:
        got, seconds, ok = run_module(name, args.quick)
        timings.append(f"{name} {seconds:.0f} s (load {os.getloadavg()[0]:.1f})")
        rows += got
        if not ok:
            failed.append(name)
            rows.append(Row(bench=name, name="FAILED (see its output above)", figure=None, unit=""))
    facts["load_end"] = f"{os.getloadavg()[0]:.2f}"
    facts["timings"] = ", ".join(timings)
    facts["total"] = f"{(time.perf_counter() - t0) / 60:.1f} min"
    facts["ended"] = datetime.now(UTC).strftime("%H:%M UTC")
    text = document(rows, facts, args.quick)
    print("\n" + text, flush=True)
    if out is not None:
        out.write_text(text)
        print(f"written to {out}")
    if failed:
        raise SystemExit(f"benchmarks failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
