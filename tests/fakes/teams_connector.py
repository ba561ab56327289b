"""A stand-in Bot Framework connector service (the `serviceUrl` of test activities): on loopback, or as an
attacker's server on this machine's non-loopback address, where it records every request it gets."""

from __future__ import annotations

import asyncio
import itertools
import time

from aiohttp import web
from aiohttp.test_utils import TestServer


class FakeConnector:
    def __init__(self, host: str = "127.0.0.1") -> None:
        self.requests: list[str] = []  # "METHOD /path" of every request received, whatever its route
        self.sent: list[dict] = []  # activities the bot sent, with "_path"
        self.statuses: list[int] = []  # answered before success, one per call (e.g. [429, 502])
        self.ids = itertools.count(1)
        self.members: dict[str, list[dict]] = {}  # conversation (team) id -> members
        self.members_down = False  # the roster read fails (503), as when the connector is down
        app = web.Application(middlewares=[self._record])
        app.router.add_post("/v3/conversations/{conversation}/activities", self.activities)
        app.router.add_post("/v3/conversations/{conversation}/activities/{reply_to}", self.activities)
        app.router.add_get("/v3/conversations/{conversation}/members", self.list_members)
        app.router.add_route("*", "/{tail:.*}", self.anything)
        self.server = TestServer(app, host=host)

    @web.middleware
    async def _record(self, request: web.Request, handler):
        self.requests.append(f"{request.method} {request.path}")
        return await handler(request)

    async def anything(self, request: web.Request) -> web.Response:
        return web.json_response({"error": {"code": "NotFound", "message": "no such route"}}, status=404)

    async def start(self) -> FakeConnector:
        await self.server.start_server()
        return self

    async def close(self) -> None:
        await self.server.close()

    @property
    def url(self) -> str:
        return str(self.server.make_url("/"))

    async def activities(self, request: web.Request) -> web.Response:
        if self.statuses:
            status = self.statuses.pop(0)
            headers = {"Retry-After": "0.1"} if status == 429 else {}
            self.sent.append({"_rejected": status})
            return web.json_response({"error": {"code": "Throttled", "message": "slow down"}}, status=status, headers=headers)
        body = await request.json()
        body["_path"] = request.path
        body["_auth"] = request.headers.get("Authorization", "")
        self.sent.append(body)
        return web.json_response({"id": f"reply-{next(self.ids)}"})

    async def list_members(self, request: web.Request) -> web.Response:
        if self.members_down:
            return web.json_response({"error": {"code": "ServiceUnavailable", "message": "down"}}, status=503)
        return web.json_response(self.members.get(request.match_info["conversation"], []))

    def delivered(self) -> list[dict]:
        return [a for a in self.sent if "_rejected" not in a]

    async def wait_for(self, count: int, timeout: float = 5.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.delivered()) >= count:
                return self.delivered()
            await asyncio.sleep(0.01)
        raise AssertionError(f"{len(self.delivered())} activities delivered, wanted {count}")
