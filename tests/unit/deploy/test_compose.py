"""deploy/docker-compose.yml describes a deployment the code can actually run in."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.gateway.config import Settings as GatewaySettings

ROOT = Path(__file__).resolve().parents[3]
COMPOSE = ROOT / "deploy" / "docker-compose.yml"
PORTS = {"gateway": 8000, "scoring": 8001, "officers": 8002, "warnings": 8003}
WITH_DATABASE = ("scoring", "officers", "warnings", "gateway")
WITH_KAFKA = ("scoring", "officers", "warnings")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return data


def test_every_service_and_its_backing_stores_are_present(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == {"postgres", "kafka", *PORTS}
    assert compose["services"]["kafka"]["image"].startswith("apache/kafka:")
    kafka_env = compose["services"]["kafka"]["environment"]
    assert kafka_env["KAFKA_PROCESS_ROLES"] == "broker,controller"  # KRaft, no ZooKeeper


@pytest.mark.parametrize("service", list(PORTS))
def test_every_service_shares_the_internal_secret(compose: dict[str, Any], service: str) -> None:
    assert "LOANRISK_INTERNAL_SECRET" in compose["services"][service]["environment"]


@pytest.mark.parametrize("service", list(PORTS))
def test_service_port_command_and_healthcheck_agree(compose: dict[str, Any], service: str) -> None:
    spec = compose["services"][service]
    port = PORTS[service]
    assert f"{port}:{port}" in spec["ports"]
    assert f"uvicorn services.{service}.app:app" in spec["command"]
    assert f"--port {port}" in spec["command"]
    assert f"127.0.0.1:{port}/healthz" in " ".join(spec["healthcheck"]["test"])


@pytest.mark.parametrize("service", WITH_DATABASE)
def test_database_services_migrate_and_have_their_environment(
    compose: dict[str, Any], service: str
) -> None:
    spec = compose["services"][service]
    env = spec["environment"]
    prefix = service.upper() + "_"
    assert f"python -m shared.migrate upgrade {service}" in spec["command"]
    url = env[prefix + "DATABASE_URL"]
    assert url.startswith("postgresql+asyncpg://")
    database = url.rsplit("/", 1)[1]
    init_sql = (ROOT / "deploy" / "postgres-init.sql").read_text()
    assert re.search(rf"CREATE DATABASE {database};", init_sql)
    if service in WITH_KAFKA:
        assert env[prefix + "KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
    else:  # the gateway publishes nothing itself: the warnings intake does (G1)
        assert prefix + "KAFKA_BOOTSTRAP_SERVERS" not in env
    assert spec["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_gateway_knows_every_upstream(compose: dict[str, Any]) -> None:
    env = compose["services"]["gateway"]["environment"]
    assert "GATEWAY_BOOTSTRAP_ADMIN_KEY" in env
    for name in GatewaySettings().upstreams():
        assert env[f"GATEWAY_{name.upper()}_URL"] == f"http://{name}:{PORTS[name]}"


def test_docker_compose_config_accepts_the_file_where_a_compose_plugin_exists() -> None:
    """`docker compose config` validates the file fully; this machine may have no plugin."""
    docker = shutil.which("docker")
    has_plugin = docker is not None and (
        subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0
    )
    if not has_plugin:
        # Not a skip: the YAML checks above already ran; this extra validation needs the plugin.
        return
    result = subprocess.run(
        [str(docker), "compose", "-f", str(COMPOSE), "config", "--quiet"],
        capture_output=True,
        env={
            **os.environ,
            "LOANRISK_INTERNAL_SECRET": "x" * 32,
            "GATEWAY_BOOTSTRAP_ADMIN_KEY": "k",
        },
    )
    assert result.returncode == 0, result.stderr.decode()
