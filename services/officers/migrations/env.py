"""Alembic environment of the officers service."""

from services.officers import (  # noqa: F401
    models_borrowers,
    models_funds,
    models_grading,
    models_ledger,
    models_responsibility,
)
from services.officers.models import Base
from shared.migrate import run_env

run_env(Base.metadata)
