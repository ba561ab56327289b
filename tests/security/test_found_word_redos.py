"""Found by the red team: one direct message freezes the bot. The command words are matched with
`^\\s*/?(?:quiz|start quiz|take a quiz)\\s*[.!]?\\s*$` (bot/routes.py `_word`; bot/core.py HELP_WORDS has the same
shape): two `\\s*` around an optional character backtrack quadratically when the whitespace is followed by anything
else. "quiz" + 20,000 spaces + "x" takes about 4 s on the event loop, 40,000 (a Slack message's limit, and nothing
in the Slack or Teams edge caps the text) about 17 s; the web chat's 8,000-character cap still costs 0.5 s. Any
member of the workspace can send it, as often as they like, and while it runs nothing is answered: other people's
commands, reviewers, the notifier, /healthz.
"""

from __future__ import annotations

import asyncio
import time

from tests.fakes import slack_payloads as p
from tests.slack.conftest import running, send


async def test_one_slack_dm_does_not_stall_the_server(tmp_path, slack_api):
    async with running(tmp_path, slack_api) as client:
        started = time.perf_counter()
        status, _ = await send(client, p.dm("quiz" + " " * 20000 + "x", event_id="EvSlow"))
        assert status == 200
        await asyncio.sleep(0.1)  # the answer runs after the ack, on the same event loop as this client
        resp = await client.get("/healthz")
        waited = time.perf_counter() - started - 0.1  # a DM and a probe: milliseconds, normally
        assert resp.status == 200
        assert waited < 1.0, f"/healthz waited {waited:.1f} s behind one direct message"
