"""G8: the ops dashboard's static files (no credential needed; its data calls need one)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from fastapi import APIRouter, Request
from starlette.responses import Response

from shared.errors import NotFound

router = APIRouter(include_in_schema=False)

STATIC = Path(__file__).resolve().parent / "static"
ASSETS = {
    "dashboard.html": "text/html; charset=utf-8",
    "dashboard.js": "text/javascript; charset=utf-8",
    "dashboard.css": "text/css; charset=utf-8",
}
# Everything the page loads comes from the gateway itself; data is written with textContent.
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


def _load() -> dict[str, tuple[bytes, str]]:
    files = {}
    for name in ASSETS:
        body = (STATIC / name).read_bytes()
        files[name] = (body, '"' + hashlib.sha256(body).hexdigest()[:20] + '"')
    return files


_FILES = _load()


def _serve(request: Request, name: str) -> Response:
    body, etag = _FILES[name]
    headers = {**HEADERS, "ETag": etag}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=ASSETS[name], headers=headers)


@router.get("/dashboard")
async def dashboard(request: Request) -> Response:
    """G8: the dashboard page (sign in once; `#key=<credential>` for a wall display)."""
    return _serve(request, "dashboard.html")


@router.get("/dashboard/{asset}")
async def dashboard_asset(request: Request, asset: str) -> Response:
    """The page's script and style sheet."""
    if asset not in ASSETS or asset == "dashboard.html":
        raise NotFound(f"no dashboard file named {asset}")
    return _serve(request, asset)
