"""The report flow on Teams through /api/messages and a stand-in connector: nobody learns who reported, and
nothing about a case is ever a chat message (issue 13, findings 3 and 4): the form, the confirmation with the
reference and code, the case views and their forms are all dialogs (task/fetch, task/submit)."""

import json

from tests.fakes import teams_activities as a
from tests.reports.conftest import assert_nowhere
from tests.teams.conftest import card_of, dialog_card, dialog_message, inputs_of, invoke, running, submit_data, text_of

TEAM = "19:team-general@thread.tacv2"
REPORTER = {"user": "29:reporter-9", "aad": "aad-reporter-9", "conversation": "a:reporter-chat", "name": "Robin Reporter"}
REVIEWER = {"user": "29:reviewer-1", "aad": "aad-reviewer-1", "conversation": "a:reviewer-chat", "name": "Rae Reviewer"}
ADMIN = {"user": "29:admin", "aad": "aad-admin", "conversation": "a:admin-chat", "name": "Ada Admin"}
WORDS = "Someone in sales posted the Contoso price list on LinkedIn"
ANSWER = "It is still online."
NOTE = "Thanks, looking into it."


async def test_teams_report_notify_review_and_follow_up_all_in_dialogs(tmp_path, database_url, connector, log_lines):
    connector.members[TEAM] = [{"id": REVIEWER["user"], "aadObjectId": REVIEWER["aad"], "name": REVIEWER["name"]},
                               {"id": ADMIN["user"], "aadObjectId": ADMIN["aad"], "name": ADMIN["name"]}]
    async with running(tmp_path, teams_admins=(ADMIN["aad"],), report_notify_delay=0, database_url=database_url or "") as client:
        async def post(activity):
            resp = await client.post("/api/messages", json=activity)
            assert resp.status in (200, 201)

        def channel(activity):
            return a.in_channel(activity, team=TEAM)

        # Only a listed admin can choose the reviewers' channel.
        await post(channel(a.message("reviewers here", connector.url, **REVIEWER)))
        await post(channel(a.message("reviewers here", connector.url, **ADMIN)))
        sent = await connector.wait_for(2)
        assert "Only the administrators" in sent[0]["text"] and "2 members of this team are the reviewers" in sent[1]["text"]

        # The reporter types "report" in the personal chat: a card with a button that opens the dialog.
        await post(a.message("report", connector.url, **REPORTER))
        launcher = (await connector.wait_for(3))[2]
        assert inputs_of(card_of(launcher)) == []
        form = dialog_card(await invoke(client, a.task_fetch(submit_data(card_of(launcher)), connector.url, **REPORTER)))
        token = submit_data(form)["value"]
        filed = dialog_card(await invoke(client, a.task_submit({**submit_data(form), "what": WORDS, "urgency": "normal"},
                                                               connector.url, **REPORTER)))
        facts = {f["title"]: f["value"] for b in filed["body"] if b["type"] == "FactSet" for f in b["facts"]}
        ref, code = facts["Case"], facts["Follow-up code"]

        # The reviewers' channel gets a bare notice: reference, guideline, urgency, an Open case button.
        note = (await connector.wait_for(4, timeout=8))[3]
        assert note["_path"].startswith("/v3/conversations/19:reviews@thread.tacv2") and ref in note["text"]
        open_case = submit_data(card_of(note), "Open case")
        assert open_case == {"action_id": "case.open", "value": ref, "msteams": {"type": "task/fetch"}}
        assert "Contoso" not in json.dumps(note)

        # A non-reviewer who presses it gets a plain dialog message; the reviewer gets the case in a dialog.
        refused = await invoke(client, a.task_fetch(open_case, connector.url, **REPORTER))
        assert dialog_message(refused) == "Only the designated reviewers can see reports."
        view = dialog_card(await invoke(client, channel(a.task_fetch(open_case, connector.url, **REVIEWER))))
        assert WORDS in text_of(view) and "Status" in text_of(view)
        assert [x["title"] for x in view["actions"]] == ["Acknowledge", "Write to reporter", "Add a note", "Assign", "Close case",
                                                         "Recuse myself"]
        assert all("msteams" not in x["data"] for x in view["actions"])  # inside a dialog, buttons submit into it

        # Acknowledge: the next card of the dialog is the case, now acknowledged.
        acked = dialog_card(await invoke(client, channel(a.task_submit(submit_data(view, "Acknowledge"), connector.url, **REVIEWER))))
        assert f"Case {ref} is acknowledged." in text_of(acked) and "acknowledged" in text_of(acked)

        # Write to the reporter: a form in the dialog, then a message that closes it.
        write = dialog_card(await invoke(client, channel(a.task_submit(submit_data(acked, "Write to reporter"), connector.url, **REVIEWER))))
        assert inputs_of(write) == ["message"]
        saved = await invoke(client, channel(a.task_submit({**submit_data(write), "message": NOTE}, connector.url, **REVIEWER)))
        assert "Message saved" in dialog_message(saved)

        # The reporter types "case": a launcher; the dialog asks for reference and code.
        await post(a.message("case", connector.url, **REPORTER))
        launcher = (await connector.wait_for(5))[4]
        lookup = dialog_card(await invoke(client, a.task_fetch(submit_data(card_of(launcher)), connector.url, **REPORTER)))
        assert inputs_of(lookup) == ["ref", "code"]
        wrong = dialog_card(await invoke(client, a.task_submit({**submit_data(lookup), "ref": ref, "code": "AAAA-AAAA-AAAA"},
                                                               connector.url, **REPORTER)))
        assert "don't match" in text_of(wrong) and inputs_of(wrong) == ["ref", "code"]  # the form again, with the error
        mine = dialog_card(await invoke(client, a.task_submit({**submit_data(wrong), "ref": ref, "code": code}, connector.url, **REPORTER)))
        assert f"Reviewer: {NOTE}" in text_of(mine) and inputs_of(mine) == ["message"]
        answered = dialog_card(await invoke(client, a.task_submit({**submit_data(mine), "message": ANSWER}, connector.url, **REPORTER)))
        assert "saved" in text_of(answered) and f"You: {ANSWER}" in text_of(answered)

        # The reviewer's list, typed in their personal chat: its Open buttons open the case in a dialog.
        await post(a.message("reports", connector.url, **REVIEWER))
        listed = (await connector.wait_for(6))[5]
        assert listed["_path"].startswith("/v3/conversations/a:reviewer-chat") and ref in listed["text"]
        open_listed = submit_data(card_of(listed), f"Open {ref}")
        assert open_listed["msteams"] == {"type": "task/fetch"}
        view = dialog_card(await invoke(client, a.task_fetch(open_listed, connector.url, **REVIEWER)))
        assert WORDS in text_of(view)

        # The reviewer sees the answer, then closes the case with an outcome.
        view = dialog_card(await invoke(client, channel(a.task_fetch(open_case, connector.url, **REVIEWER))))
        assert f"Reporter: {ANSWER}" in text_of(view)
        close = dialog_card(await invoke(client, channel(a.task_submit(submit_data(view, "Close case"), connector.url, **REVIEWER))))
        assert inputs_of(close) == ["outcome"]
        closed = await invoke(client, channel(a.task_submit({**submit_data(close), "outcome": "action_taken"}, connector.url, **REVIEWER)))
        assert dialog_message(closed) == f"Case {ref} is closed (action_taken)."

    # Every chat message the connector ever got: none holds the words, the reference (but the bare notice and the
    # reviewer's list),
    # the code, the form token or any message of the case; the reporter's 1:1 chat holds nothing about the case.
    chat = connector.delivered()
    assert len(chat) == 6
    everything = json.dumps(chat)
    for secret in (WORDS, code, token, NOTE, ANSWER, "price list"):
        assert secret not in everything, secret
    assert [m for m in chat if ref in json.dumps(m)] == [note, listed]  # the bare notice and the reviewer's list
    reporter_chat = json.dumps([m for m in chat if REPORTER["conversation"] in m["_path"]])
    assert ref not in reporter_chat and "R-" not in reporter_chat
    # Nothing links the reporter to the case: not the database, the logs, nor what reviewers got.
    to_channel = json.dumps([x for x in chat if x["_path"].startswith("/v3/conversations/19:reviews")])
    await assert_nowhere([REPORTER["aad"], REPORTER["user"], REPORTER["name"], REPORTER["conversation"]], tmp_path, database_url,
                         log_lines.getvalue(), to_channel)
