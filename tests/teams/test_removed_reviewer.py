"""Found by the red team: a Teams reviewer removed from the review team keeps reading closed cases (and reopening them).

adapters/teams/app.py refreshes the roster only for REVIEW_ACTIONS, which lists case.open, case.ack, ... but
not `case.reopen` / `case.reopened`. SECURITY.md: a reviewer must never see "anything once removed from the
review channel" and the roster is "refreshed when reviewers act". A removed reviewer sends a dialog submit
`{"action_id": "case.reopened", "value": <ref>, "reason": "x"}` (the data of the Reopen form they saw while
still a reviewer, or simply typed: refs are in the channel's notices): the stale roster lets it through, the
case is reopened in their name and its words come back in the dialog. `case.open` at the same moment is refused,
because that one refreshes the roster first.
"""

from __future__ import annotations

from adapters.server import STORAGE
from tests.fakes import teams_activities as a
from tests.teams.conftest import dialog_card, dialog_message, invoke, running, text_of

TEAM = "19:team-general@thread.tacv2"
KEPT = {"user": "29:reviewer-1", "aad": "aad-reviewer-1", "conversation": "a:reviewer-chat", "name": "Rae Reviewer"}
GONE = {"user": "29:reviewer-2", "aad": "aad-reviewer-2", "conversation": "a:gone-chat", "name": "Gil Gone"}
ADMIN = {"user": "29:admin", "aad": "aad-admin", "conversation": "a:admin-chat", "name": "Ada Admin"}
WORDS = "Someone in sales posted the Contoso price list on LinkedIn"


def member(who: dict) -> dict:
    return {"id": who["user"], "aadObjectId": who["aad"], "name": who["name"]}


async def review_team_with_a_case(client, connector) -> str:
    """The admin makes TEAM the review team; a report is filed (through the web chat of the same server, for
    brevity). Its reference."""
    resp = await client.post("/api/messages", json=a.in_channel(a.message("reviewers here", connector.url, **ADMIN), team=TEAM))
    assert resp.status in (200, 201)
    await connector.wait_for(1)

    async def act(action: str, value: str = "", form: dict | None = None) -> dict:
        resp = await client.post("/api/local/actions", json={"user_id": "reporter", "action_id": action, "value": value, "form": form or {}})
        return (await resp.json())["replies"][0]

    form = await act("report.open")
    filed = await act("report.submit", form["card"]["submit"]["value"], {"what": WORDS})
    return dict(filed["card"]["fields"])["Case"]


async def test_a_removed_teams_reviewer_cannot_reopen_and_read_a_closed_case(tmp_path, connector):
    connector.members[TEAM] = [member(KEPT), member(GONE), member(ADMIN)]
    async with running(tmp_path, teams_admins=(ADMIN["aad"],), report_notify_delay=0, quiz_rounds=False) as client:
        ref = await review_team_with_a_case(client, connector)
        # A reviewer closes it.
        closed = await invoke(client, a.in_channel(a.task_submit({"action_id": "case.closed", "value": ref, "outcome": "no_violation"},
                                                                 connector.url, **KEPT), team=TEAM))
        assert "is closed" in dialog_message(closed)

        # GONE leaves the review team.
        connector.members[TEAM] = [member(KEPT), member(ADMIN)]
        # Reopening skips the roster refresh: the removed reviewer gets the case (and reopens it). (Had they
        # pressed "Open case" first, that refresh would have refused them: only the reopen path is stale.)
        reply = await invoke(client, a.task_submit({"action_id": "case.reopened", "value": ref, "reason": "curious"},
                                                   connector.url, **GONE))
        shown = text_of(dialog_card(reply)) if reply["task"]["type"] == "continue" else dialog_message(reply)
        assert WORDS not in shown, "a removed reviewer read the case"
        assert await client.server.app[STORAGE].db.fetchone("SELECT status FROM reports") == {"status": "closed"}


async def test_a_removed_teams_reviewer_cannot_act_through_a_dialog_opener(tmp_path, connector):
    """The same stale roster through `dialog_turn`'s re-run: a dialog submit whose own action is not a reviewer
    action (`case.verify` with empty fields, which only returns field errors) but whose `opener` is `case.ack`
    makes the server run `case.ack` for the sender without refreshing the roster (only the outer action is
    checked by `_reviewer_intent`). The removed reviewer moves a new case to in_review, audited in their name."""
    connector.members[TEAM] = [member(KEPT), member(GONE), member(ADMIN)]
    async with running(tmp_path, teams_admins=(ADMIN["aad"],), report_notify_delay=0, quiz_rounds=False) as client:
        ref = await review_team_with_a_case(client, connector)

        connector.members[TEAM] = [member(KEPT), member(ADMIN)]  # GONE leaves the review team
        await invoke(client, a.task_submit({"action_id": "case.verify", "value": "-", "ref": "", "code": "",
                                            "opener": {"action_id": "case.ack", "value": ref}}, connector.url, **GONE))
        db = client.server.app[STORAGE].db
        assert await db.fetchone("SELECT status FROM reports") == {"status": "new"}, "a removed reviewer acknowledged the case"
        assert await db.fetchall("SELECT reviewer FROM audit WHERE action = 'acknowledge'") == []
