"""Found by the red team: the deep-JSON guard (adapters/guard.py) can be walked around, so over-deep JSON still reaches
Python's json and every such request is a 500 with a RecursionError in the log, unauthenticated.

SECURITY.md, "Requests": "JSON nested deeper than 64 levels, in a JSON body or in Slack's form-encoded
`payload`, is a 400 before any route runs". Two ways past it:

1. UTF-16 bodies. aiohttp decodes a JSON body with the charset the client names, but `too_deep` scans the raw
   bytes with a string-skipping regex written for UTF-8: in UTF-16 an escaped quote `\\"` is the bytes
   `\\ \\x00 " \\x00`, the regex's `\\\\.` eats the `\\x00` as the escaped character and takes the `"` as the end
   of the string. From there it believes it is inside a string when it is not, and never counts the real
   nesting. Web chat (`/api/local/*`) and Teams (`/api/messages`, parsed before any token check) both 500.
2. Slack: the guard looks for the literal bytes `payload=`; Bolt (which parses before it verifies the
   signature) only needs the word `payload` somewhere in the body and then percent-decodes field names, so
   `x=payload&pay%6Coad=<deep>` is a `payload` field to Bolt and invisible to the guard.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
from aiohttp.test_utils import TestClient, TestServer

from adapters.server import create_app
from tests.server.conftest import settings_for

DEEP = 5000  # well past Python's recursion limit, well under the 64 KB body cap in UTF-16


def utf16_deep_body() -> bytes:
    # ["\"", [[[[ ... "x" ... ]]]]]  - valid JSON, 5,000 levels deep
    text = '["\\"", ' + "[" * DEEP + ' "x" ' + "]" * DEEP + "]"
    return text.encode("utf-16-le")


@pytest.fixture
async def client(tmp_path):
    app = create_app(settings_for(tmp_path, teams_emulator=True, quiz_rounds=False))
    async with TestClient(TestServer(app)) as c:
        yield c


@pytest.mark.parametrize("path", ["/api/local/actions", "/api/local/messages", "/api/messages"])
async def test_utf16_deep_json_is_a_400_not_a_500(client, path):
    resp = await client.post(path, data=utf16_deep_body(), headers={"Content-Type": "application/json; charset=utf-16-le"})
    assert resp.status == 400, (resp.status, await resp.text())


async def test_percent_encoded_slack_payload_field_is_checked_too(tmp_path, slack_api):
    settings = settings_for(tmp_path, slack_bot_token="xoxb-t", slack_signing_secret="s3cret", slack_api_url=slack_api.api_url,
                            quiz_rounds=False)
    async with TestClient(TestServer(create_app(settings))) as c:
        deep = "[" * DEEP + "]" * DEEP
        # No signature at all: this is anyone on the network.
        resp = await c.post("/slack/events", data="x=payload&pay%6Coad=" + quote(deep),
                            headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert resp.status == 400, (resp.status, await resp.text())
