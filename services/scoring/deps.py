"""Dependencies of the scoring routes: roles per route family and the app's shared pieces
(async, so FastAPI does not send them to its thread pool)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.scoring.config import Settings
from services.scoring.service import ModelCache
from shared.auth import Caller, Role, allow
from shared.clock import Clock
from shared.outbox import Outbox

#: Reading, evaluating and the AHP calculator: every staff role (`shared.auth.READERS`).
#: Storing ratings: the lending line and risk management.
RATERS = (Role.OFFICER, Role.SUB_BRANCH, Role.BRANCH, Role.HEAD_OFFICE, Role.RISK)
#: Publishing rating models: risk management and head office.
MODELLERS = (Role.RISK, Role.HEAD_OFFICE)

RaterDep = Annotated[Caller, Depends(allow(*RATERS))]
ModellerDep = Annotated[Caller, Depends(allow(*MODELLERS))]


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_models(request: Request) -> ModelCache:
    cache: ModelCache = request.app.state.models
    return cache


async def get_outbox(request: Request) -> Outbox:
    outbox: Outbox = request.app.state.outbox
    return outbox


async def get_clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


SettingsDep = Annotated[Settings, Depends(get_settings)]
ModelsDep = Annotated[ModelCache, Depends(get_models)]
OutboxDep = Annotated[Outbox, Depends(get_outbox)]
ClockDep = Annotated[Clock, Depends(get_clock)]
