"""The report flow on Teams through /api/messages and a stand-in connector: nobody learns who reported."""

import json

from tests.fakes import teams_activities as a
from tests.reports.conftest import assert_nowhere
from tests.teams.conftest import running

TEAM = "19:team-general@thread.tacv2"
REPORTER = {"user": "29:reporter-9", "aad": "aad-reporter-9", "conversation": "a:reporter-chat", "name": "Robin Reporter"}
REVIEWER = {"user": "29:reviewer-1", "aad": "aad-reviewer-1", "conversation": "a:reviewer-chat", "name": "Rae Reviewer"}
ADMIN = {"user": "29:admin", "aad": "aad-admin", "conversation": "a:admin-chat", "name": "Ada Admin"}


def card(activity: dict) -> dict:
    return activity["attachments"][0]["content"]


async def test_teams_report_notify_review_and_follow_up(tmp_path, connector, log_lines):
    connector.members[TEAM] = [{"id": REVIEWER["user"], "aadObjectId": REVIEWER["aad"], "name": REVIEWER["name"]},
                               {"id": ADMIN["user"], "aadObjectId": ADMIN["aad"], "name": ADMIN["name"]}]
    async with running(tmp_path, teams_admins=(ADMIN["aad"],), report_notify_delay=0) as client:
        async def post(activity):
            resp = await client.post("/api/messages", json=activity)
            assert resp.status in (200, 201)

        # Only a listed admin can choose the reviewers' channel.
        await post(a.in_channel(a.message("reviewers here", connector.url, **REVIEWER), team=TEAM))
        await post(a.in_channel(a.message("reviewers here", connector.url, **ADMIN), team=TEAM))
        sent = await connector.wait_for(2)
        assert "Only the administrators" in sent[0]["text"] and "2 members of this team are the reviewers" in sent[1]["text"]

        # The reporter files through the card form in the personal chat.
        await post(a.message("report", connector.url, **REPORTER))
        form = (await connector.wait_for(3))[2]
        data = card(form)["actions"][-1]["data"]
        await post(a.submit({**data, "what": "Someone in sales posted the Contoso price list on LinkedIn", "urgency": "normal"},
                            connector.url, **REPORTER))
        filed = (await connector.wait_for(4))[3]
        facts = {f["title"]: f["value"] for f in card(filed)["body"][2]["facts"]}
        ref, code = facts["Case"], facts["Follow-up code"]

        # The reviewers' channel gets the notification with a button to open the case.
        note = (await connector.wait_for(5, timeout=8))[4]
        assert note["_path"].startswith("/v3/conversations/19:reviews@thread.tacv2") and ref in note["text"]
        open_case = card(note)["actions"][0]["data"]
        assert open_case == {"action_id": "case.open", "value": ref}

        # A non-reviewer is refused; the reviewer opens it and writes.
        await post(a.submit(open_case, connector.url, **REPORTER))
        assert "Only the designated reviewers" in (await connector.wait_for(6))[5]["text"]
        await post(a.in_channel(a.submit(open_case, connector.url, **REVIEWER), team=TEAM))
        assert "Contoso price list" in (await connector.wait_for(7))[6]["text"]
        await post(a.in_channel(a.submit({"action_id": "case.send", "value": ref, "message": "Thanks, looking into it."},
                                         connector.url, **REVIEWER), team=TEAM))
        assert "Message saved" in (await connector.wait_for(8))[7]["text"]

        # The reporter opens the case with reference and code and answers.
        await post(a.message("case", connector.url, **REPORTER))
        lookup = (await connector.wait_for(9))[8]
        verify = card(lookup)["actions"][0]["data"]
        await post(a.submit({**verify, "ref": ref, "code": code}, connector.url, **REPORTER))
        view = (await connector.wait_for(10))[9]
        assert "Reviewer: Thanks, looking into it." in view["text"]
        token = card(view)["actions"][0]["data"]
        await post(a.submit({**token, "message": "It is still online."}, connector.url, **REPORTER))
        assert "saved" in (await connector.wait_for(11))[10]["text"]

        await post(a.in_channel(a.submit(open_case, connector.url, **REVIEWER), team=TEAM))
        assert "Reporter: It is still online." in (await connector.wait_for(13))[12]["text"]

    to_channel = json.dumps([x for x in connector.delivered() if x["_path"].startswith("/v3/conversations/19:reviews")])
    assert_nowhere([REPORTER["aad"], REPORTER["user"], REPORTER["name"], REPORTER["conversation"]], tmp_path,
                   log_lines.getvalue(), to_channel)
