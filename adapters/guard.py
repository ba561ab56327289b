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
# Only the characters that matter for nesting: brackets, quotes and backslashes (one linear scan, no backtracking).
SIGNIFICANT = re.compile(r'[\[\]{}"\\]')


def too_deep(text: str, limit: int = MAX_DEPTH) -> bool:
    """Whether JSON text nests arrays/objects deeper than `limit`, brackets inside strings not counted.
    Linear in the text: a quick count first, then one pass over its brackets, quotes and backslashes."""
    if text.count("[") + text.count("{") <= limit:
        return False
    depth, in_string, escaped, last = 0, False, False, -2
    for m in SIGNIFICANT.finditer(text):
        ch, at = m.group(), m.start()
        if in_string:
            if escaped and at == last + 1:
                escaped = False
            elif ch == "\\":
                escaped, last = True, at
            elif ch == '"':
                in_string = False
            else:
                escaped = False
            continue
        if ch == '"':
            in_string, escaped = True, False
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return True
        elif ch in "]}":
            depth -= 1
    return False


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


@web.middleware
async def guard(request: web.Request, handler):
    """Read the body within BODY_SECONDS and refuse over-deep JSON with 400, before any other work."""
    if request.body_exists:
        if request.content.is_eof():
            # The whole body has arrived (a small one comes with its headers): reading cannot wait, so no timer
            # (setting one up was about 5 us of every Slack command).
            raw = await request.read()  # aiohttp keeps it: handlers read the same bytes
        else:
            try:
                async with asyncio.timeout(BODY_SECONDS):
                    raw = await request.read()
            except TimeoutError:
                return _error(408, "body: not received in time")
        try:
            text = raw.decode(request.charset or "utf-8", "replace")  # as aiohttp's request.json() will read it
        except LookupError:
            return _error(400, f"body: unknown charset {request.charset!r}")
        # Every JSON a route might parse: the body itself, and any form field that holds JSON (Slack's payload,
        # under whatever percent-encoding of its name).
        candidates = [text]
        lowered = text.lower() if "%" in text else text
        if request.content_type == "application/x-www-form-urlencoded" and any(
                mark in lowered for mark in ("[", "{", "%5b", "%7b")):
            candidates += [value for values in parse_qs(text).values() for value in values if value.lstrip()[:1] in ("{", "[")]
        if any(too_deep(candidate) for candidate in candidates):
            return _error(400, f"body: JSON nested deeper than {MAX_DEPTH} levels")
    return await handler(request)


__all__ = ["MAX_DEPTH", "guard", "too_deep"]
