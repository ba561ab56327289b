"""The policy owners on Teams, through Bot Framework activities POSTed to /api/messages and the stand-in connector,
on both backends: an admin's `owners here` chooses the owners' channel (its team's members are the owners), each
question gets a bare notice there, an owner answers in a dialog (task/fetch, task/submit), others are refused, a
named asker gets the answer in their personal chat (proactively, or with their next personal message when no
conversation reference is stored), an anonymous one only through their code; and nothing about an anonymous
asker is stored, logged or sent to anyone else."""

from __future__ import annotations

import json

from adapters.server import STORAGE
from tests.fakes import teams_activities as a
from tests.reports.conftest import assert_nowhere, log_lines  # noqa: F401  (the fixture)
from tests.teams.conftest import card_of, dialog_card, dialog_message, inputs_of, invoke, running, submit_data, text_of

TEAM = "19:owners-team@thread.tacv2"
OWNERS_CHANNEL = "19:owners@thread.tacv2"
ADMIN = {"user": "29:admin", "aad": "aad-admin", "conversation": "a:admin-chat", "name": "Ada Admin"}
OWNER = {"user": "29:owner-1", "aad": "aad-owner-1", "conversation": "a:owner-chat", "name": "Olu Owner"}
OTHER = {"user": "29:other-3", "aad": "aad-other-3", "conversation": "a:other-chat", "name": "Sam Stranger"}
ASKER = {"user": "29:asker-7", "aad": "aad-asker-7", "conversation": "a:asker-chat", "name": "Priya Raman"}
UNKNOWN = "What is the weather tomorrow in Berlin?"
ANSWER = "Check the forecast, not the guidelines."


def member(who: dict) -> dict:
    return {"id": who["user"], "aadObjectId": who["aad"], "name": who["name"]}


def key(who: dict) -> str:
    return f"teams:{a.TENANT}:{who['aad']}"


def in_owners(activity: dict) -> dict:
    """The activity as sent from the owners' channel."""
    return a.in_channel(activity, team=TEAM, channel=OWNERS_CHANNEL)


async def post(client, activity: dict) -> None:
    resp = await client.post("/api/messages", json=activity)
    assert resp.status in (200, 201), (resp.status, await resp.text())


async def next_sent(connector, before: int) -> dict:
    """The first activity the bot sends after `before` had been delivered."""
    return (await connector.wait_for(before + 1))[before]


def to(connector, conversation: str) -> list[dict]:
    """What the bot sent into one conversation."""
    return [m for m in connector.delivered() if m["_path"].startswith(f"/v3/conversations/{conversation}")]


async def owners_here(client, connector) -> dict:
    """The admin types `owners here` in the owners' channel: the bot's reply."""
    before = len(connector.delivered())
    await post(client, in_owners(a.message("owners here", connector.url, **ADMIN)))
    return await next_sent(connector, before)


async def ask(client, connector, who: str, extra: str = "") -> dict:
    """ASKER asks an uncovered question in their personal chat, presses Ask the policy owners (a dialog) and sends
    it `who` ("name" or "anonymous"): the dialog's last card."""
    before = len(connector.delivered())
    await post(client, a.message(UNKNOWN, connector.url, **ASKER))
    answer = await next_sent(connector, before)
    form = dialog_card(await invoke(client, a.task_fetch(submit_data(card_of(answer), "Ask the policy owners"), connector.url, **ASKER)))
    assert inputs_of(form) == ["question", "who"] and "weather" in text_of(form)
    return dialog_card(await invoke(client, a.task_submit({**submit_data(form), "who": who, "question": extra}, connector.url, **ASKER)))


async def notice_in_channel(connector, count: int = 1) -> dict:
    """The `count`th question notice in the owners' channel."""
    for _ in range(500):
        notices = [m for m in to(connector, OWNERS_CHANNEL) if "Q-" in m.get("text", "")]
        if len(notices) >= count:
            return notices[count - 1]
        await connector.wait_for(len(connector.delivered()) + 1)
    raise AssertionError("no notice")


async def press_answer(client, connector, notice: dict, who: dict) -> dict:
    """`who` presses the notice's Answer in the owners' channel (task/fetch): the invoke's response."""
    return await invoke(client, in_owners(a.task_fetch(submit_data(card_of(notice), "Answer"), connector.url, **who)))


async def owner_answers(client, connector, notice: dict, who: dict = OWNER) -> tuple[dict, str]:
    """`who` opens the answer dialog and sends an answer: the form and the dialog's confirmation."""
    form = dialog_card(await press_answer(client, connector, notice, who))
    assert inputs_of(form) == ["answer", "verdict", "section", "add"] and "weather" in text_of(form)
    done = await invoke(client, in_owners(a.task_submit({**submit_data(form), "answer": ANSWER, "verdict": "info", "add": "no"},
                                                        connector.url, **who)))
    return form, text_of(dialog_card(done))


async def test_owners_here_by_an_admin_chooses_the_owners_channel_and_is_refused_otherwise(tmp_path, database_url, connector):
    connector.members[TEAM] = [member(OWNER), member(ADMIN)]
    async with running(tmp_path, teams_admins=(ADMIN["aad"],), database_url=database_url or "", quiz_rounds=False) as client:
        teams, desk = client.teams, client.teams.bot.owners
        # A member who is not a listed admin, in the channel: refused, nothing chosen.
        await post(client, in_owners(a.message("owners here", connector.url, **OWNER)))
        refused = await next_sent(connector, 0)
        assert "Only the administrators listed in SMPOLICY_TEAMS_ADMINS" in refused["text"]
        # The admin, in their personal chat: it has to be a team's channel.
        await post(client, a.message("owners here", connector.url, **ADMIN))
        assert "in a channel of the team" in (await next_sent(connector, 1))["text"]
        assert await teams.destination("teams-owners") is None and not desk.is_owner(key(OWNER))
        assert "GET" not in " ".join(connector.requests)  # no roster was read for them

        # The admin, in the channel (mentioning the bot, as a channel message does).
        await post(client, in_owners(a.message("<at>smpolicy</at> owners here", connector.url, **ADMIN)))
        chosen = await next_sent(connector, 2)
        assert "the 2 members of this team are the owners" in chosen["text"]
        assert chosen["_path"].startswith(f"/v3/conversations/{OWNERS_CHANNEL}")
        destination = await teams.destination("teams-owners")
        assert destination["team_id"] == TEAM and destination["reference"]["conversation"]["id"].startswith(OWNERS_CHANNEL)
        assert await teams.destination("teams") is None  # the reviewers' channel is its own choice
        assert desk.is_owner(key(OWNER)) and desk.is_owner(key(ADMIN)) and not desk.is_owner(key(OTHER))
        assert not await teams.reviewers.is_reviewer(key(OWNER))  # owners are not reviewers
        audit = await client.server.app[STORAGE].db.fetchall("SELECT reviewer, action FROM audit")
        assert audit == [{"reviewer": key(ADMIN), "action": "owners-here"}]


async def test_a_named_question_is_announced_answered_in_a_dialog_and_reaches_the_askers_personal_chat(tmp_path, database_url, connector):
    connector.members[TEAM] = [member(OWNER), member(ADMIN)]
    async with running(tmp_path, teams_admins=(ADMIN["aad"],), database_url=database_url or "", quiz_rounds=False) as client:
        await owners_here(client, connector)
        await post(client, a.installed(connector.url, **ASKER))  # the asker installed the app: a reference is stored
        await connector.wait_for(2)
        sent = await ask(client, connector, "name")
        assert "with your name" in text_of(sent) and "come to you here" in text_of(sent)

        # The owners' channel: the reference, the asker's name, what the bot said, Answer; not the words.
        notice = await notice_in_channel(connector)
        shown = text_of(card_of(notice))
        assert "Priya Raman" in shown and "Asked in" in shown and "weather" not in json.dumps(notice)
        qid = notice["text"].split("(")[1].split(")")[0]
        assert submit_data(card_of(notice), "Answer") == {"action_id": "owners.open", "value": qid, "msteams": {"type": "task/fetch"}}

        # The owner answers in the dialog: the answer is on its way, and comes to the asker's personal chat.
        _, done = await owner_answers(client, connector, notice)
        assert f"Answered {qid}: it is on its way to Priya Raman." in done
        await client.teams.bot.owners.settle()
        [delivered] = [m for m in to(connector, ASKER["conversation"]) if "policy owners answered" in m["text"]]
        assert ANSWER in json.dumps(delivered) and "Question " + qid in text_of(card_of(delivered))
        [row] = await client.server.app[STORAGE].db.fetchall("SELECT status, delivered, answered_by FROM owner_questions")
        assert row["status"] == "answered" and row["delivered"] in (1, True) and row["answered_by"] == key(OWNER)

        # Their next personal message does not bring it again.
        before = len(connector.delivered())
        await post(client, a.message("thanks!", connector.url, **ASKER))
        await connector.wait_for(before + 1)
        await client.teams.bot.owners.settle()
        assert len(connector.delivered()) == before + 1 and ANSWER not in json.dumps(connector.delivered()[before:])


async def test_without_a_stored_reference_the_answer_comes_with_the_askers_next_personal_message(tmp_path, database_url, connector):
    connector.members[TEAM] = [member(OWNER), member(ADMIN)]
    async with running(tmp_path, teams_admins=(ADMIN["aad"],), database_url=database_url or "", quiz_rounds=False) as client:
        await owners_here(client, connector)
        await ask(client, connector, "name")  # never installed: no conversation reference is stored for them
        notice = await notice_in_channel(connector)
        _, done = await owner_answers(client, connector, notice)
        assert "Priya Raman has no direct chat with the bot" in done and "the next time they write to the bot" in done
        await client.teams.bot.owners.settle()
        assert ANSWER not in json.dumps(connector.delivered())  # nothing was sent anywhere

        # Writing in a channel does not bring it (the answer goes to their personal chat only)...
        before = len(connector.delivered())
        await post(client, a.in_channel(a.message("help", connector.url, **ASKER), team="19:other-team@thread.tacv2"))
        await connector.wait_for(before + 1)
        assert ANSWER not in json.dumps(connector.delivered())
        # ...their next personal message does: the reply to it, then the owners' answer, in that chat.
        before = len(connector.delivered())
        await post(client, a.message("hello", connector.url, **ASKER))
        reply, answer = (await connector.wait_for(before + 2))[before:before + 2]
        assert ANSWER not in json.dumps(reply) and "policy owners answered" in answer["text"] and ANSWER in json.dumps(answer)
        assert answer["_path"].startswith(f"/v3/conversations/{ASKER['conversation']}")
        [row] = await client.server.app[STORAGE].db.fetchall("SELECT delivered FROM owner_questions")
        assert row["delivered"] in (1, True)
        # Once.
        before = len(connector.delivered())
        await post(client, a.message("hello again", connector.url, **ASKER))
        await connector.wait_for(before + 1)
        assert len(connector.delivered()) == before + 1 and ANSWER not in json.dumps(connector.delivered()[before:])


async def test_a_roster_that_cannot_be_read_keeps_owners_only_while_it_is_fresh(tmp_path, database_url, connector, monkeypatch):
    from adapters.teams import owners as teams_owners

    connector.members[TEAM] = [member(OWNER), member(ADMIN)]
    async with running(tmp_path, teams_admins=(ADMIN["aad"],), database_url=database_url or "", quiz_rounds=False) as client:
        await owners_here(client, connector)
        await ask(client, connector, "name")
        notice = await notice_in_channel(connector)
        connector.members_down = True
        # A roster read a moment ago still counts when the connector fails...
        assert dialog_card(await press_answer(client, connector, notice, OWNER))
        # ...a stale one does not: nobody is an owner until a read succeeds (a removed member can't slip through).
        monkeypatch.setattr(teams_owners, "STALE_SECONDS", 0.0)
        assert dialog_message(await press_answer(client, connector, notice, OWNER)) == "Only the policy owners can answer these questions."
        connector.members_down = False
        assert dialog_card(await press_answer(client, connector, notice, OWNER))


async def test_non_owners_and_removed_members_cannot_open_or_answer(tmp_path, database_url, connector):
    connector.members[TEAM] = [member(OWNER), member(ADMIN)]
    async with running(tmp_path, teams_admins=(ADMIN["aad"],), database_url=database_url or "", quiz_rounds=False) as client:
        await owners_here(client, connector)
        await ask(client, connector, "name")
        notice = await notice_in_channel(connector)
        qid = submit_data(card_of(notice), "Answer")["value"]

        # Someone outside the owners' team presses Answer: a plain message, no form, no words.
        refused = await press_answer(client, connector, notice, OTHER)
        assert dialog_message(refused) == "Only the policy owners can answer these questions."
        # ...or forges the dialog's submission: refused, nothing recorded.
        forged = await invoke(client, in_owners(a.task_submit({"action_id": "owners.reply", "value": qid, "answer": "forged",
                                                              "verdict": "info", "add": "no"}, connector.url, **OTHER)))
        assert dialog_message(forged) == "Only the policy owners can answer these questions."
        # ...or sends it from a personal chat, as a card submission: the same.
        await post(client, a.submit({"action_id": "owners.reply", "value": qid, "answer": "forged", "verdict": "info", "add": "no"},
                                    connector.url, **OTHER))
        db = client.server.app[STORAGE].db
        assert (await db.fetchone("SELECT status FROM owner_questions"))["status"] == "open"

        # The owner opens the form; then they leave the team before sending: the submission refreshes the roster.
        form = dialog_card(await press_answer(client, connector, notice, OWNER))
        connector.members[TEAM] = [member(ADMIN)]
        gone = await invoke(client, in_owners(a.task_submit({**submit_data(form), "answer": ANSWER, "verdict": "info", "add": "no"},
                                                            connector.url, **OWNER)))
        assert dialog_message(gone) == "Only the policy owners can answer these questions."
        assert dialog_message(await press_answer(client, connector, notice, OWNER)) == "Only the policy owners can answer these questions."
        row = await db.fetchone("SELECT status, answer FROM owner_questions")
        assert row["status"] == "open" and not row["answer"]
        assert not client.teams.bot.owners.is_owner(key(OWNER))

        # Added to the team (no event reached the bot): their next press finds them on the roster.
        connector.members[TEAM] = [member(ADMIN), member(OTHER)]
        _, done = await owner_answers(client, connector, notice, OTHER)
        assert f"Answered {qid}" in done


async def test_an_answer_form_with_errors_is_shown_again_in_the_dialog(tmp_path, connector):
    connector.members[TEAM] = [member(OWNER), member(ADMIN)]
    async with running(tmp_path, teams_admins=(ADMIN["aad"],), quiz_rounds=False) as client:
        await owners_here(client, connector)
        await ask(client, connector, "name")
        notice = await notice_in_channel(connector)
        form = dialog_card(await press_answer(client, connector, notice, OWNER))
        again = dialog_card(await invoke(client, in_owners(a.task_submit({**submit_data(form), "answer": "A draft", "verdict": "",
                                                                          "add": "no"}, connector.url, **OWNER))))
        assert inputs_of(again) == ["answer", "verdict", "section", "add"] and "Choose a verdict." in text_of(again)
        assert next(b for b in again["body"] if b.get("id") == "answer")["value"] == "A draft"


async def test_an_anonymous_question_is_bare_in_the_channel_and_leaves_no_trace_of_the_asker(tmp_path, database_url, connector,
                                                                                            log_lines):  # noqa: F811
    connector.members[TEAM] = [member(OWNER), member(ADMIN)]
    async with running(tmp_path, teams_admins=(ADMIN["aad"],), database_url=database_url or "", quiz_rounds=False,
                       report_notify_delay=0) as client:  # the notice at once (its jitter: tests/owners/test_flow.py)
        await owners_here(client, connector)
        sent = await ask(client, connector, "anonymous", extra="Priya here, call me on +44 20 7946 0958")
        assert "anonymously" in text_of(sent)
        facts = {f["title"]: f["value"] for b in sent["body"] if b["type"] == "FactSet" for f in b["facts"]}
        code = facts["Question code"]  # as the card shows it (with a zero-width space before any `_`): as it is copied
        bare = code.replace("\u200b", "")

        # The owners' channel: a reference, what the bot said, Answer; nothing of the words or of the asker.
        notice = await notice_in_channel(connector)
        shown = text_of(card_of(notice))
        assert "anonymously" in shown and "Asked by" not in shown and "Asked in" not in shown
        assert "weather" not in json.dumps(notice) and bare not in json.dumps(notice)

        # The owner reads the (scrubbed) words only in the dialog, and answers there.
        form, done = await owner_answers(client, connector, notice)
        assert "[name] here" in text_of(form) and "[phone]" in text_of(form)
        assert "the anonymous asker reads it with their code" in done
        await client.teams.bot.owners.settle()
        assert ANSWER not in json.dumps(connector.delivered())  # sent to nobody

        # The asker types "my question": a launcher; the dialog takes the code and shows the answer, once.
        before = len(connector.delivered())
        await post(client, a.message("my question", connector.url, **ASKER))
        launcher = await next_sent(connector, before)
        assert card_of(launcher)["actions"][0]["title"] == "Read the owners' answer"
        check = dialog_card(await invoke(client, a.task_fetch(submit_data(card_of(launcher)), connector.url, **ASKER)))
        assert inputs_of(check) == ["code"]
        read = dialog_card(await invoke(client, a.task_submit({**submit_data(check), "code": code}, connector.url, **ASKER)))
        assert ANSWER in text_of(read)
        again = await invoke(client, a.task_submit({**submit_data(check), "code": code}, connector.url, **ASKER))
        assert "already shown" in json.dumps(again)
        await client.teams.bot.owners.settle()
        owner_dialogs = json.dumps([form])

    # What the connector got: replies in the asker's own chat (one per message they sent, addressed to them, as
    # every Bot Framework reply is), and everything else (the owners' channel, the admin's reply, roster reads),
    # which must hold nothing of them. No proactive message went to the asker.
    chat = connector.delivered()
    mine = to(connector, ASKER["conversation"])
    assert len(mine) == 2 and ANSWER not in json.dumps(mine)
    elsewhere = json.dumps([m for m in chat if m not in mine])
    requests = json.dumps([r for r in connector.requests if ASKER["conversation"] not in r])
    needles = [ASKER["aad"], ASKER["user"], ASKER["name"], "Priya", "Raman", "7946", ASKER["conversation"]]
    await assert_nowhere(needles, tmp_path, database_url, log_lines.getvalue(), elsewhere, requests, owner_dialogs)


async def test_the_owners_follow_the_owners_team(tmp_path, connector):
    """The roster is reread when the owners' team's membership changes (conversationUpdate), as the review roster."""
    connector.members[TEAM] = [member(OWNER), member(ADMIN)]
    async with running(tmp_path, teams_admins=(ADMIN["aad"],), quiz_rounds=False) as client:
        desk = client.teams.bot.owners
        await owners_here(client, connector)
        assert desk.is_owner(key(OWNER)) and not desk.is_owner(key(OTHER))
        connector.members[TEAM] = [member(ADMIN), member(OTHER)]
        await post(client, in_owners(a.members_changed(connector.url, added=(OTHER["user"],), removed=(OWNER["user"],), **ADMIN)))
        assert not desk.is_owner(key(OWNER)) and desk.is_owner(key(OTHER))


async def test_only_a_personal_chats_reference_is_a_way_to_the_asker(tmp_path, connector):
    """An answer goes proactively only into a personal chat: a reference stored by an install in a group chat (the
    installer's key, the group's conversation) counts as out of reach, so the answer waits for their personal chat."""
    async with running(tmp_path, quiz_rounds=False) as client:
        owners = client.teams.owners
        group = {**a.installed(connector.url, **OTHER),
                 "conversation": {"conversationType": "groupChat", "tenantId": a.TENANT, "id": "19:group@thread.v2", "isGroup": True}}
        await post(client, group)
        await post(client, a.installed(connector.url, **ASKER))
        await connector.wait_for(2)
        assert not await owners.reachable(key(OTHER)) and await owners.reachable(key(ASKER))
        assert not await owners.reachable(key(OWNER))  # no reference at all
