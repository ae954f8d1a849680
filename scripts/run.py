"""`make run`: migrate the SQLite databases, start the four services, load demo data, wait.

Embedded mode: SQLite files under var/, no broker (events posted over HTTP are applied at once).
Ctrl-C stops every service.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts import demo  # noqa: E402
from shared.migrate import MIGRATED_SERVICES, upgrade  # noqa: E402

PORTS = {
    "gateway": int(os.environ.get("GATEWAY_PORT", 8000)),
    "scoring": int(os.environ.get("SCORING_PORT", 8001)),
    "officers": int(os.environ.get("OFFICERS_PORT", 8002)),
    "warnings": int(os.environ.get("WARNINGS_PORT", 8003)),
}


def url(service: str) -> str:
    return f"http://127.0.0.1:{PORTS[service]}"


DEV_ADMIN_KEY = "dev-admin-key"


def service_env() -> dict[str, str]:
    env = dict(os.environ)
    # A first credential for a local try-out (G2); set your own for anything shared.
    env.setdefault("GATEWAY_BOOTSTRAP_ADMIN_KEY", DEV_ADMIN_KEY)
    for service in MIGRATED_SERVICES:
        env.setdefault(f"{service.upper()}_DATABASE_URL", database_url(service))
    for service in ("scoring", "officers", "warnings"):
        env.setdefault(f"GATEWAY_{service.upper()}_URL", url(service))
    return env


def database_url(service: str) -> str:
    return f"sqlite+aiosqlite:///{ROOT / 'var' / (service + '.db')}"


def start(service: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    log = open(ROOT / "var" / f"{service}.log", "ab")  # noqa: SIM115 - lives as long as the child
    return subprocess.Popen(
        [
            sys.executable, "-m", "uvicorn", f"services.{service}.app:app",
            "--host", "127.0.0.1", "--port", str(PORTS[service]), "--no-access-log",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip


def wait_healthy(services: list[str], timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    pending = set(services)
    while pending and time.monotonic() < deadline:
        for service in list(pending):
            try:
                if httpx.get(url(service) + "/healthz", timeout=1).status_code == 200:
                    pending.discard(service)
            except httpx.HTTPError:
                pass
        time.sleep(0.2)
    if pending:
        raise SystemExit(f"not healthy after {timeout_s}s: {sorted(pending)}; see var/*.log")


def main() -> None:
    (ROOT / "var").mkdir(exist_ok=True)
    env = service_env()
    for service in MIGRATED_SERVICES:
        upgrade(service, env[f"{service.upper()}_DATABASE_URL"])
    children = {s: start(s, env) for s in PORTS}
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        if stopping:
            return
        stopping = True
        print("\nstopping ...", flush=True)
        for child in children.values():
            child.send_signal(signal.SIGTERM)
        for child in children.values():
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
        raise SystemExit(0)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        wait_healthy(list(PORTS))
        demo.load(gateway=url("gateway"), api_key=env["GATEWAY_BOOTSTRAP_ADMIN_KEY"])
    except BaseException:
        stop()
        raise
    print("\nLoan-risk services are running (embedded mode: SQLite, no broker):")
    for service in PORTS:
        print(f"  {service:<9} {url(service)}   docs: {url(service)}/docs")
    key = env["GATEWAY_BOOTSTRAP_ADMIN_KEY"]
    print(f"API key (admin over the whole tree): {key}")
    print(f"Ops dashboard: {url('gateway')}/dashboard#key={key}")
    print(f"  curl -H 'Authorization: Bearer {key}' {url('gateway')}/officers/v1/orgs")
    print("Logs: var/<service>.log. Ctrl-C stops them all.", flush=True)
    while True:
        for service, child in children.items():
            if child.poll() is not None:
                print(f"{service} exited with {child.returncode}; see var/{service}.log")
                stop()
        time.sleep(1)


if __name__ == "__main__":
    main()
