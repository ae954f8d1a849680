"""Organisation node ids: a path from the head office, e.g. `HO/GZ/LS03/OF1` (overview)."""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints

# Head office, then up to three levels: branch, sub-branch, office.
ORG_PATTERN = r"^HO(/[A-Za-z0-9_-]{1,32}){0,3}$"

OrgPath = Annotated[str, StringConstraints(pattern=ORG_PATTERN, max_length=140)]


def is_within(node: str, scope: str) -> bool:
    """True when `node` is `scope` itself or lies in its subtree (decided by path prefix)."""
    return node == scope or node.startswith(scope + "/")


def depth(node: str) -> int:
    """0 for the head office, 1 for a branch, 2 for a sub-branch, 3 for an office."""
    return node.count("/")


def ancestors(node: str) -> list[str]:
    """The node and the nodes above it, nearest first ("HO/GZ/LS03" -> itself, "HO/GZ", "HO")."""
    parts = node.split("/")
    return ["/".join(parts[:n]) for n in range(len(parts), 0, -1)]
