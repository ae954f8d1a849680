"""The services as real processes (uvicorn), for end-to-end tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.support.databases import fresh_database

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ServiceProcess:
    """One uvicorn process running `services.<name>.app:app`."""

    name: str
    env: dict[str, str]
    log_path: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    nice: int = 0  # a lower CPU priority (as a deployment's CPU weight for a batch role)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, wait_ready: bool = True, timeout_s: float = 40) -> ServiceProcess:
        env = {**os.environ, **self.env}
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [
                sys.executable, "-m", "uvicorn", f"services.{self.name}.app:app",
                "--host", "127.0.0.1", "--port", str(self.port), "--no-access-log",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=(lambda: os.nice(self.nice)) if self.nice else None,
        )  # fmt: skip
        log.close()
        self._wait("/readyz" if wait_ready else "/healthz", timeout_s)
        return self

    def _wait(self, path: str, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.name} exited early:\n{self.log_tail()}")
            try:
                if httpx.get(self.url + path, timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError(
            f"{self.name} not answering {path} in {timeout_s}s:\n{self.log_tail()}"
        )

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as in a crash."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


@asynccontextmanager
async def embedded_stack(tmp_path: Path, *, admin_key: str) -> AsyncIterator[str]:
    """scoring, officers, warnings and the gateway as processes on SQLite, as `make run` runs
    them (no broker); yields the gateway's URL, whose bootstrap admin key is `admin_key`."""
    services = ("scoring", "officers", "warnings")
    urls = {s: await fresh_database(s, "sqlite", tmp_path) for s in (*services, "gateway")}
    backends = {
        name: ServiceProcess(
            name,
            {
                f"{name.upper()}_DATABASE_URL": urls[name],
                f"{name.upper()}_KAFKA_BOOTSTRAP_SERVERS": "",
            },
            tmp_path / f"{name}.log",
        )
        for name in services
    }
    gateway = ServiceProcess(
        "gateway",
        {
            **{f"GATEWAY_{n.upper()}_URL": p.url for n, p in backends.items()},
            "GATEWAY_DATABASE_URL": urls["gateway"],
            "GATEWAY_KAFKA_BOOTSTRAP_SERVERS": "",
            "GATEWAY_BOOTSTRAP_ADMIN_KEY": admin_key,
        },
        tmp_path / "gateway.log",
    )
    processes = [*backends.values(), gateway]
    try:
        for process in processes:
            process.start()
        yield gateway.url
    finally:
        for process in processes:
            process.stop()
