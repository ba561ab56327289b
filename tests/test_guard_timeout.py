"""The guard's body timer: skipped when the whole body has already arrived, still there when it has not."""

from __future__ import annotations

import asyncio

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from adapters import guard


async def _client() -> TestClient:
    async def echo(request: web.Request) -> web.Response:
        return web.Response(body=await request.read())

    app = web.Application(middlewares=[guard.guard])
    app.router.add_post("/", echo)
    client = TestClient(TestServer(app))
    await client.start_server()
    return client


async def test_a_complete_body_is_read(monkeypatch):
    client = await _client()
    try:
        resp = await client.post("/", data=b"a=1&b=%7B%7D", headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert resp.status == 200 and await resp.read() == b"a=1&b=%7B%7D"
    finally:
        await client.close()


async def test_a_stalled_body_still_times_out(monkeypatch):
    monkeypatch.setattr(guard, "BODY_SECONDS", 0.3)
    client = await _client()

    async def slow():
        yield b"a=1"
        await asyncio.sleep(2)
        yield b"&b=2"

    try:
        resp = await client.post("/", data=slow(), headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert resp.status == 408
    finally:
        await client.close()
