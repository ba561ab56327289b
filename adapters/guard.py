"""Limits every request meets before any route sees it: a body read timeout and a cap on JSON nesting.

Python's json (and the SDKs that use it) fails with RecursionError on JSON nested thousands deep: that would be
a 500 on every route. Bodies nested deeper than `MAX_DEPTH` (JSON bodies, and Slack's form-encoded `payload`)
are a 400 here instead. Sizes are capped by the app's `client_max_size` (413).
"""

from __future__ import annotations

import asyncio
import re
from urllib.parse import parse_qs

from aiohttp import web

MAX_DEPTH = 64
BODY_SECONDS = 10.0
STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"')
NOT_BRACKET = re.compile(rb"[^\[\]{}]+")


def too_deep(raw: bytes, limit: int = MAX_DEPTH) -> bool:
    """Whether JSON text nests arrays/objects deeper than `limit` (strings are skipped; cheap for flat bodies)."""
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    depth = 0
    for byte in NOT_BRACKET.sub(b"", STRINGS.sub(b"", raw)):
        if byte in b"[{":
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


@web.middleware
async def guard(request: web.Request, handler):
    """Read the body within BODY_SECONDS and refuse over-deep JSON with 400, before any other work."""
    if request.body_exists:
        try:
            async with asyncio.timeout(BODY_SECONDS):
                raw = await request.read()  # aiohttp keeps it: handlers read the same bytes
        except TimeoutError:
            return _error(408, "body: not received in time")
        payload = raw
        if request.content_type == "application/x-www-form-urlencoded" and b"payload=" in raw:
            payload = "".join(parse_qs(raw.decode("utf-8", "replace")).get("payload", [""])).encode()
        elif request.content_type != "application/json" and not raw.lstrip().startswith((b"{", b"[")):
            payload = b""
        if payload and too_deep(payload):
            return _error(400, f"body: JSON nested deeper than {MAX_DEPTH} levels")
    return await handler(request)


__all__ = ["MAX_DEPTH", "guard", "too_deep"]
