"""Found by the red team: the unauthenticated Teams emulator endpoint has none of the web chat's Host/Origin checks, so a web
page the developer visits can drive it through DNS rebinding.

With SMPOLICY_TEAMS_EMULATOR=on, `/api/messages` trusts any activity that names a loopback serviceUrl. The web
chat refuses a foreign `Host` (a rebound DNS name) and `Origin` (adapters/web/identity.py) for exactly this
reason; the Teams route checks neither. A page on http://rebind.attacker.example:3978/ whose name is re-pointed
at 127.0.0.1 posts `application/json` same-origin (no preflight) and reads the answers: invoke responses carry
the dialog's content, so it acts as any Teams user it names (files reports, reads their quiz record, opens their
dialogs) and, for a reviewer id it knows, reads cases. SECURITY.md promises emulator mode is "this machine only".
"""

from __future__ import annotations

from tests.fakes import teams_activities as a
from tests.teams.conftest import running

FOREIGN = {"Host": "rebind.attacker.example:3978", "Origin": "http://rebind.attacker.example:3978"}


async def test_the_teams_emulator_refuses_a_rebound_host(tmp_path, connector):
    async with running(tmp_path, quiz_rounds=False) as client:
        activity = a.task_fetch({"action_id": "report.open", "value": ""}, connector.url)
        resp = await client.post("/api/messages", json=activity, headers=FOREIGN)
        assert resp.status == 403, (resp.status, (await resp.text())[:200])
