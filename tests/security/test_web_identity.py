"""Web chat identity comes from a verified source only (issue 13, finding 2), sent as attacks over HTTP."""

from __future__ import annotations

import json

import pytest
from aiohttp.test_utils import TestClient, TestServer

from adapters.server import create_app
from tests.fakes import slack_payloads as p
from tests.server.conftest import settings_for

REVIEWER = "alice@example.com"


async def client_for(tmp_path, host="127.0.0.1", **settings) -> TestClient:
    client = TestClient(TestServer(create_app(settings_for(tmp_path, **settings), host=host)))
    await client.start_server()
    return client


@pytest.fixture
async def sso(tmp_path):
    client = await client_for(tmp_path, host="0.0.0.0", web_user_header="X-Forwarded-Email", web_reviewers=(REVIEWER,))
    yield client
    await client.close()


async def test_with_the_header_identity_is_the_header_not_the_body(sso):
    # The attacker names the reviewer in the body: without the header that is a 401, never the reviewer.
    resp = await sso.post("/api/local/messages", json={"user_id": REVIEWER, "text": "reports"})
    assert resp.status == 401 and "X-Forwarded-Email" in (await resp.json())["error"]
    resp = await sso.post("/api/local/messages", json={"user_id": REVIEWER, "text": "reports"},
                          headers={"X-Forwarded-Email": "mallory@example.com"})
    [reply] = (await resp.json())["replies"]
    assert resp.status == 200 and "Only the designated reviewers" in reply["text"]
    resp = await sso.post("/api/local/messages", json={"text": "reports"}, headers={"X-Forwarded-Email": REVIEWER})
    [reply] = (await resp.json())["replies"]
    assert resp.status == 200 and reply["text"] == "No open cases."
    assert (await sso.get("/")).status == 401
    assert (await sso.get("/", headers={"X-Forwarded-Email": REVIEWER})).status == 200


async def test_the_header_counts_only_from_a_trusted_proxy(tmp_path):
    client = await client_for(tmp_path, host="0.0.0.0", web_user_header="X-Forwarded-Email", web_reviewers=(REVIEWER,),
                              trusted_proxies=("10.9.8.0/24",))
    try:
        resp = await client.post("/api/local/messages", json={"text": "reports"}, headers={"X-Forwarded-Email": REVIEWER})
        assert resp.status == 403 and "trusted proxy" in (await resp.json())["error"]
    finally:
        await client.close()


async def test_quiz_records_are_not_readable_by_naming_someone(sso):
    resp = await sso.post("/api/local/actions", json={"user_id": REVIEWER, "action_id": "home.open"})
    assert resp.status == 401


async def test_no_web_chat_beyond_loopback_without_the_header(tmp_path):
    client = await client_for(tmp_path, host="0.0.0.0", web_reviewers=("alice",))
    try:
        for method, path in (("GET", "/"), ("GET", "/static/app.js"), ("POST", "/api/local/messages"), ("POST", "/api/local/actions")):
            resp = await client.request(method, path, json={"user_id": "alice", "text": "reports"})
            assert resp.status == 404, path
        assert (await client.get("/healthz")).status == 200
    finally:
        await client.close()


async def test_loopback_refuses_cross_site_and_rebound_requests(tmp_path):
    client = await client_for(tmp_path)
    try:
        body = json.dumps({"user_id": "u", "text": "quiz"})
        # A form or text/plain POST from another site (CSRF): not JSON, refused before the core.
        resp = await client.post("/api/local/messages", data=body, headers={"Content-Type": "text/plain"})
        assert resp.status == 415
        resp = await client.post("/api/local/messages", data="user_id=u&text=quiz",
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert resp.status == 415
        # A page elsewhere posting JSON (its Origin), and a rebound DNS name (its Host): refused.
        resp = await client.post("/api/local/messages", data=body, headers={"Content-Type": "application/json",
                                                                            "Origin": "http://evil.example"})
        assert resp.status == 403
        resp = await client.post("/api/local/messages", data=body, headers={"Content-Type": "application/json",
                                                                            "Host": "rebind.evil.example:3978"})
        assert resp.status == 403
        assert (await client.get("/", headers={"Host": "rebind.evil.example"})).status == 403
        # The page itself (same origin, JSON) works.
        resp = await client.post("/api/local/messages", data=body, headers={"Content-Type": "application/json",
                                                                            "Origin": str(client.make_url("")).rstrip("/")})
        assert resp.status == 200
    finally:
        await client.close()


async def test_missing_text_is_a_400_naming_the_field(tmp_path):
    client = await client_for(tmp_path)
    try:
        resp = await client.post("/api/local/messages", json={"user_id": "u"})
        assert resp.status == 400 and (await resp.json())["error"] == "text: required"
    finally:
        await client.close()


async def test_deep_json_is_a_400_on_every_route(tmp_path, slack_api):
    client = await client_for(tmp_path, teams_emulator=True, slack_bot_token="xoxb-t", slack_signing_secret=p.SECRET,
                              slack_api_url=slack_api.api_url)
    deep = "[" * 30000 + "]" * 30000
    try:
        for path in ("/api/local/messages", "/api/local/actions", "/api/messages", "/slack/events", "/healthz", "/nowhere"):
            resp = await client.post(path, data=deep, headers={"Content-Type": "application/json"})
            assert resp.status in (400, 413), path
            assert resp.status == 413 or "nested deeper" in (await resp.json())["error"], path
        small_deep = "[" * 1000 + "]" * 1000  # under the size cap: the depth check itself answers
        for path in ("/api/local/messages", "/api/messages", "/slack/events"):
            resp = await client.post(path, data=small_deep, headers={"Content-Type": "application/json"})
            assert resp.status == 400 and "nested deeper" in (await resp.json())["error"], path
        body, headers = p.interactive({"type": "block_actions", "actions": json.loads("[" * 200 + "]" * 200)})
        resp = await client.post("/slack/events", data=body.encode(), headers=headers)
        assert resp.status == 400
        # JSON of ordinary depth still works.
        resp = await client.post("/api/local/messages", json={"user_id": "u", "text": "hi", "x": [[[[1]]]]})
        assert resp.status == 200
    finally:
        await client.close()
