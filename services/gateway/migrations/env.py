"""Alembic environment of the gateway."""

from services.gateway.models import Base
from shared.migrate import run_env

run_env(Base.metadata)
