"""Found by the red team: the deep-JSON guard itself is a denial of service. `too_deep` removes strings with the regex
`"(?:[^"\\\\]|\\\\.)*"` before counting brackets. On a body of one quote followed by escaped quotes (`"\\"\\"\\"...`)
that never closes, the regex fails from every quote and is retried from the next one: quadratic time, on the
event loop, for any request whose body starts with `[` or `{` (any content type, any route, `/healthz` included,
before routing and before any signature check). 16 KB cost 1 s here, 32 KB 4 s, 64 KB (under the body cap) about
17 s, during which nothing else is answered: a few requests a minute from anyone who can reach the port keep the
bot down. SECURITY.md ("Requests"): "a flood of connections leaves /healthz answering"; one request does not.
"""

from __future__ import annotations

import asyncio
import time

from aiohttp.test_utils import TestClient, TestServer

from adapters.server import create_app
from tests.server.conftest import settings_for


async def test_one_crafted_body_does_not_stall_the_server(tmp_path):
    app = create_app(settings_for(tmp_path, quiz_rounds=False))
    async with TestClient(TestServer(app)) as client:
        body = b"[" * 65 + b'"' + b'\\"' * 12000  # 24 KB, well under the 64 KB cap
        started = time.perf_counter()
        attack = asyncio.create_task(client.post("/healthz", data=body, headers={"Content-Type": "text/plain"}))
        await asyncio.sleep(0.2)  # the attack is sent; client and server share this event loop, so a blocked
        resp = await client.get("/healthz")  # server shows as a late wake-up here
        waited = time.perf_counter() - started - 0.2
        assert resp.status == 200
        (await attack).close()
        assert waited < 1.0, f"/healthz waited {waited:.1f} s behind one 24 KB request"


async def test_a_teams_message_full_of_at_tags_is_not_quadratic(tmp_path, connector):
    """adapters/teams/inbound.py MENTION = `<at>.*?</at>` (re.S): on text with many `<at>` and no `</at>`, every
    `<at>` scans to the end of the text. 32 KB of `<at>` costs about 1.5 s of event loop, 60 KB (under the body cap)
    about 5 s; any Teams user can send it (typed text, or a dialog launcher's value), in emulator mode anyone local.
    The control (same size, `<ax>`) is answered at once."""
    from tests.fakes import teams_activities as a
    from tests.teams.conftest import running

    async with running(tmp_path, quiz_rounds=False) as client:
        async def timed(text: str) -> float:
            started = time.perf_counter()
            resp = await client.post("/api/messages", json=a.message(text, connector.url))
            assert resp.status in (200, 201)
            return time.perf_counter() - started

        control = await timed("<ax>" * 8000)
        attack = await timed("<at>" * 8000)
        assert attack < 0.5, f"32 KB of <at> took {attack:.2f} s (the same size without it: {control:.2f} s)"
