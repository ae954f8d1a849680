"""Alembic environment of the officers service."""

from services.officers.models import (  # noqa: F401
    borrowers,
    exit,
    funds,
    grading,
    ledger,
    people,
    responsibility,
)
from services.officers.models.base import Base
from shared.migrate import run_env

run_env(Base.metadata)
