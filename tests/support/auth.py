"""Signed caller identities for calling services directly in tests, as the gateway would."""

from __future__ import annotations

import time
from collections.abc import Generator

import httpx

from shared.auth import CALLER_HEADER, Caller, Role, sign_caller
from shared.config import DEV_INTERNAL_SECRET


def caller(*roles: Role | str, org: str = "HO", subject: str = "tester") -> Caller:
    return Caller(
        subject=subject,
        roles=frozenset(Role(r) for r in roles),
        org=org,
        credential_id=f"cred-{subject}",
    )


ADMIN = caller(Role.ADMIN)


class CallerAuth(httpx.Auth):
    """Signs the caller afresh on every request (the signature is short-lived)."""

    def __init__(self, who: Caller, secret: str = DEV_INTERNAL_SECRET) -> None:
        self.who = who
        self.secret = secret

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers[CALLER_HEADER] = sign_caller(self.who, secret=self.secret, now=time.time())
        yield request
