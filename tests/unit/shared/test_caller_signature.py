"""The caller identity the gateway signs and every service verifies (G3, G4)."""

from __future__ import annotations

import pytest

from shared.auth import Caller, Role, Unauthenticated, narrowest, sign_caller, verify_caller
from shared.errors import NotFound

SECRET = "s" * 32
WHO = Caller("li", frozenset({Role.SUB_BRANCH, Role.VIEWER}), "HO/GZ/LS03", "key-7")


def test_g4_signed_identity_round_trips() -> None:
    assert verify_caller(sign_caller(WHO, secret=SECRET, now=1000), secret=SECRET, now=1010) == WHO


@pytest.mark.parametrize(
    "tamper",
    [
        lambda v: v[:-2] + ("AA" if not v.endswith("AA") else "BB"),  # signature changed
        lambda v: "e30" + v[3:],  # claims changed, signature kept
        lambda v: v.split(".")[0],  # no signature at all
        lambda _: "",
    ],
)
def test_g4_tampered_identity_is_refused(tamper: object) -> None:
    value = sign_caller(WHO, secret=SECRET, now=1000)
    with pytest.raises(Unauthenticated, match="G4"):
        verify_caller(tamper(value), secret=SECRET, now=1000)  # type: ignore[operator]


def test_g4_identity_signed_with_another_secret_is_refused() -> None:
    value = sign_caller(WHO, secret="x" * 32, now=1000)
    with pytest.raises(Unauthenticated, match="not signed"):
        verify_caller(value, secret=SECRET, now=1000)


def test_g4_identity_older_than_a_minute_is_refused() -> None:
    value = sign_caller(WHO, secret=SECRET, now=1000)
    assert verify_caller(value, secret=SECRET, now=1060) == WHO
    with pytest.raises(Unauthenticated, match="expired"):
        verify_caller(value, secret=SECRET, now=1061)


def test_g3_admin_has_every_role_others_only_their_own() -> None:
    admin = Caller("root", frozenset({Role.ADMIN}), "HO", "k")
    assert admin.has_any([Role.COMMITTEE])
    assert WHO.has_any([Role.VIEWER, Role.RISK])
    assert not WHO.has_any([Role.PRODUCER])


def test_g4_listing_scope_is_the_narrowest_allowed_subtree() -> None:
    assert narrowest(WHO, None) == "HO/GZ/LS03"
    assert narrowest(WHO, "HO/GZ/LS03/OF1") == "HO/GZ/LS03/OF1"
    assert narrowest(WHO, "HO") == "HO/GZ/LS03"  # an ancestor: only the caller's own part
    with pytest.raises(NotFound):
        narrowest(WHO, "HO/SZ")
