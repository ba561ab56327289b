"""The baseline: a bare aiohttp app that reads a JSON body and answers JSON, nothing else."""

import sys

from aiohttp import web
from slack_sdk.signature import SignatureVerifier

VERIFIER = SignatureVerifier("test-signing-secret")  # the secret of tests/fakes/slack_payloads.py


async def handle(request: web.Request) -> web.Response:
    body = await request.json()
    return web.json_response({"replies": [{"text": str(body.get("text", ""))[:10]}]})


async def slack(request: web.Request) -> web.Response:
    await request.read()
    return web.Response(text="")


async def slack_verified(request: web.Request) -> web.Response:
    body = await request.text()
    if not VERIFIER.is_valid_request(body, dict(request.headers)):
        return web.Response(status=401)
    return web.Response(text="")


app = web.Application()
app.add_routes([web.post("/api/local/messages", handle), web.post("/slack/events", slack), web.post("/slack/verified", slack_verified), web.get("/healthz", lambda r: web.json_response({}))])
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
