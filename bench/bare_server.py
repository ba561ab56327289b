"""The baseline: a bare aiohttp app that reads a JSON body and answers JSON, nothing else."""

import sys

from aiohttp import web


async def handle(request: web.Request) -> web.Response:
    body = await request.json()
    return web.json_response({"replies": [{"text": str(body.get("text", ""))[:10]}]})


async def slack(request: web.Request) -> web.Response:
    await request.read()
    return web.Response(text="")


app = web.Application()
app.add_routes([web.post("/api/local/messages", handle), web.post("/slack/events", slack), web.get("/healthz", lambda r: web.json_response({}))])
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
