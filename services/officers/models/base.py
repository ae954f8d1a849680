"""The one metadata of the officers tables: every module of `models/` declares its tables on
`Base`, and `migrations/env.py` imports them all for Alembic."""

from __future__ import annotations

from shared.db import ServiceBase, new_metadata


class Base(ServiceBase):
    __abstract__ = True
    metadata = new_metadata()
