"""Small shared pieces: organisation paths, problem pointers, settings."""

from __future__ import annotations

import pytest

from services.warnings.config import Settings as WarningsSettings
from shared.errors import json_pointer
from shared.org import depth, is_within


@pytest.mark.parametrize(
    ("node", "scope", "inside"),
    [
        ("HO/GZ/LS03/OF1", "HO/GZ", True),
        ("HO/GZ", "HO/GZ", True),
        ("HO/GZX/LS03", "HO/GZ", False),  # a prefix of the name is not a prefix of the path
        ("HO/SZ/BA02", "HO/GZ", False),
        ("HO/GZ", "HO/GZ/LS03", False),
    ],
)
def test_subtree_is_decided_by_path_prefix(node: str, scope: str, inside: bool) -> None:
    assert is_within(node, scope) is inside


def test_depth_names_the_level() -> None:
    assert [depth(n) for n in ("HO", "HO/GZ", "HO/GZ/LS03", "HO/GZ/LS03/OF1")] == [0, 1, 2, 3]


def test_json_pointer_escapes_per_rfc_6901() -> None:
    assert json_pointer([]) == ""
    assert json_pointer(["body", 0, "a/b", "c~d"]) == "/body/0/a~1b/c~0d"


def test_settings_use_the_service_prefix_and_blank_kafka_means_embedded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WARNINGS_DATABASE_URL", "sqlite+aiosqlite:///x.db")
    monkeypatch.setenv("WARNINGS_KAFKA_BOOTSTRAP_SERVERS", " ")
    settings = WarningsSettings()
    assert settings.resolved_database_url() == "sqlite+aiosqlite:///x.db"
    assert settings.kafka_enabled is False
    monkeypatch.setenv("WARNINGS_KAFKA_BOOTSTRAP_SERVERS", "k1:9092,k2:9092")
    assert WarningsSettings().kafka_bootstrap_servers == "k1:9092,k2:9092"


def test_json_columns_keep_integers_beyond_64_bits_exact() -> None:
    import json

    from shared.db import _json_dumps

    value = {"big": 2**70, "text": "客户经理", "small": 3}
    assert json.loads(_json_dumps(value)) == value
