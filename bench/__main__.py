"""`make bench`: run every benchmark script in bench/ (each prints its own figures)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    scripts = sorted(p for p in HERE.glob("*.py") if not p.name.startswith("_"))
    failed = []
    for script in scripts:
        print(f"\n== {script.stem} ==", flush=True)
        result = subprocess.run([sys.executable, str(script)], cwd=HERE.parent)
        if result.returncode != 0:
            failed.append(script.stem)
    if failed:
        raise SystemExit(f"benchmarks failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
