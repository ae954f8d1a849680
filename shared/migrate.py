"""Alembic per service: `python -m shared.migrate upgrade|revision <service> [--url URL]`."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection

from shared.db import make_engine

SERVICES_DIR = Path(__file__).resolve().parent.parent / "services"
MIGRATED_SERVICES = ("scoring", "officers", "warnings", "gateway")


def alembic_config(service: str, url: str) -> Config:
    """An Alembic config pointing at `services/<service>/migrations` and the given database."""
    cfg = Config()
    cfg.set_main_option("script_location", str(SERVICES_DIR / service / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url)
    # Date-prefixed revision files (STYLE.md "Tooling").
    cfg.set_main_option(
        "file_template", "%%(year)d_%%(month).2d_%%(day).2d_%%(hour).2d%%(minute).2d_%%(slug)s"
    )
    cfg.attributes["service"] = service
    return cfg


def upgrade(service: str, url: str, revision: str = "head") -> None:
    """Migrate one service's database to `revision` (blocking; call via a thread from async)."""
    command.upgrade(alembic_config(service, url), revision)


def downgrade(service: str, url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(service, url), revision)


def run_env(target_metadata: MetaData) -> None:
    """Body of every service's `migrations/env.py` (online mode, async engine)."""
    from alembic import context

    cfg = context.config
    service = cfg.attributes.get("service", "service")
    # One version table per service, so services may share a database without clashing.
    options: dict[str, Any] = {
        "target_metadata": target_metadata,
        "version_table": f"alembic_version_{service}",
        "render_as_batch": True,
        "compare_type": True,
    }

    def run(connection: Connection) -> None:
        context.configure(connection=connection, **options)
        with context.begin_transaction():
            context.run_migrations()

    if context.is_offline_mode():
        context.configure(url=cfg.get_main_option("sqlalchemy.url"), **options)
        with context.begin_transaction():
            context.run_migrations()
        return

    async def online() -> None:
        engine = make_engine(cfg.get_main_option("sqlalchemy.url") or "")
        try:
            async with engine.connect() as connection:
                await connection.run_sync(run)
                await connection.commit()
        finally:
            await engine.dispose()

    asyncio.run(online())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("upgrade", help="migrate a service's database to the newest revision")
    rev = sub.add_parser("revision", help="autogenerate a revision from the models")
    rev.add_argument("-m", "--message", required=True)
    for p in (up, rev):
        p.add_argument("service", choices=MIGRATED_SERVICES)
        p.add_argument("--url", help="database URL (default: the service's settings)")
    args = parser.parse_args()
    url = args.url or _settings_url(args.service)
    if args.command == "upgrade":
        upgrade(args.service, url)
    else:
        command.revision(alembic_config(args.service, url), args.message, autogenerate=True)


def _settings_url(service: str) -> str:
    import importlib

    config = importlib.import_module(f"services.{service}.config")
    return str(config.Settings().resolved_database_url())


if __name__ == "__main__":
    main()
