"""ETags for polled reads (issue 13): a validator computed from cheap kept state, checked
before any page is built, so a poller's unchanged answer is a 304 that costs no page build."""

from __future__ import annotations

import hashlib
from typing import Any

from fastapi import Response


def make_etag(*parts: Any) -> str:
    """A strong, quoted validator for the given parts (their text, joined)."""
    key = "|".join(str(p) for p in parts)
    return '"' + hashlib.blake2b(key.encode(), digest_size=12).hexdigest() + '"'


def matches(if_none_match: str | None, tag: str) -> bool:
    """RFC 9110 13.1.2: `If-None-Match` names the tag (or `*`); weak comparison."""
    if not if_none_match:
        return False
    wanted = tag.removeprefix("W/")
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == wanted:
            return True
    return False


def not_modified(if_none_match: str | None, tag: str) -> Response | None:
    """The 304 to answer when the client already has `tag`, else None."""
    if matches(if_none_match, tag):
        return Response(status_code=304, headers={"ETag": tag})
    return None
