"""Conflict of interest over every channel as the platforms call us, on both backends: the report form offers
"Keep this report from" with every reviewer's name (the same list for everyone, reviewers included); a reviewer
kept from a case sees its reference only, cannot open it or act on it, and is not counted in its audit of who
read it; a reviewer can recuse themself."""

from __future__ import annotations

import json

from aiohttp.test_utils import TestClient, TestServer

from adapters.server import create_app
from bot.settings import Settings
from bot.storage import open_database
from tests.fakes import slack_payloads as p
from tests.fakes import teams_activities as a
from tests.reports.test_web_flow import act, say
from tests.slack.conftest import send
from tests.teams.conftest import dialog_card, dialog_message, invoke, running, submit_data, text_of

WORDS = "Our team lead posted the unreleased roadmap on LinkedIn"
KEEP = "Keep this report from"


async def audit_rows(tmp_path, url) -> list[tuple[str, str, str]]:
    db = open_database(tmp_path / "smpolicy.db", url)
    await db.start()
    try:
        return [(r["reviewer"], r["action"], r["ref"]) for r in await db.fetchall("SELECT reviewer, action, ref FROM audit ORDER BY id")]
    finally:
        await db.close()


def field_options(card: dict, name: str) -> list[tuple[str, str]]:
    [field] = [f for f in card["form"] if f["name"] == name]
    assert field["kind"] == "choices" and field["label"] == KEEP and not field["required"]
    return [(o["label"], o["value"]) for o in field["options"]]


# ---------------------------------------------------------------- the web chat


async def test_web_exclusion_and_recusal(tmp_path, database_url):
    settings = Settings(data_dir=tmp_path, db_path=tmp_path / "smpolicy.db", database_url=database_url or "",
                        web_reviewers=("ana", "ben", "cho"), report_notify_delay=0)
    async with TestClient(TestServer(create_app(settings))) as client:
        [form] = await say(client, "reporter", "report")
        offered = field_options(form["card"], "exclude")
        assert offered == [("ana", "web:ana"), ("ben", "web:ben"), ("cho", "web:cho")]
        [as_reviewer] = await say(client, "ben", "report")  # the same list whoever asks, the excluded one included
        assert field_options(as_reviewer["card"], "exclude") == offered

        # Keeping it from everyone would leave nobody to read it: refused, nothing filed.
        [refused] = await act(client, "reporter", "report.submit", form["card"]["submit"]["value"],
                              {"what": WORDS, "exclude": "web:ana,web:ben,web:cho"})
        assert dict(refused["field_errors"])["exclude"].startswith("Leave at least one reviewer")
        [bogus] = await act(client, "reporter", "report.submit", form["card"]["submit"]["value"], {"what": WORDS, "exclude": "web:zed"})
        assert "exclude" in dict(bogus["field_errors"])
        [filed] = await act(client, "reporter", "report.submit", form["card"]["submit"]["value"],
                            {"what": WORDS, "exclude": "web:ben", "section": "confidentiality-privacy", "urgency": "urgent"})
        ref = dict(filed["card"]["fields"])["Case"]

        # Ben sees the reference only, and every action on it is refused (nothing changes).
        [listing] = await say(client, "ben", "reports")
        assert f"{ref}: kept from you" in listing["text"] and "urgent" not in listing["text"] and "Confidential" not in listing["text"]
        assert not any(b["value"] == ref for b in listing["card"]["buttons"])
        for action, form_values in (("case.open", {}), ("case.ack", {}), ("case.write", {}), ("case.send", {"message": "hi"}),
                                    ("case.note", {}), ("case.noted", {"note": "x"}), ("case.assign", {}),
                                    ("case.assigned", {"reviewer": "web:ben"}), ("case.close", {}), ("case.closed", {"outcome": "other"}),
                                    ("case.reopened", {"reason": "x"}), ("case.recuse", {})):
            [reply] = await act(client, "ben", action, ref, form_values)
            assert "kept from you" in reply["text"] and WORDS not in json.dumps(reply), action
        # Ana reads and acknowledges it; she cannot assign it to Ben.
        [case] = await act(client, "ana", "case.open", ref)
        assert WORDS in case["card"]["body"]
        [assign] = await act(client, "ana", "case.assign", ref)
        assert [o["value"] for o in assign["card"]["form"][0]["options"]] == ["", "web:ana", "web:cho"]
        [wrong] = await act(client, "ana", "case.assigned", ref, {"reviewer": "web:ben"})
        assert wrong["field_errors"]
        done, _ = await act(client, "ana", "case.assigned", ref, {"reviewer": "web:cho"})
        assert "assigned to cho" in done["text"]

        # Cho recuses: from then on Cho is refused too, and no longer assigned.
        [recused] = await act(client, "cho", "case.recuse", ref)
        assert "recused" in recused["text"]
        [after] = await act(client, "cho", "case.open", ref)
        assert "kept from you" in after["text"]
    audit = await audit_rows(tmp_path, database_url)
    readers = {who for who, action, r in audit if action == "open" and r == ref}
    assert readers == {"web:ana"}  # Ben never read it; Cho's refused open after recusing is not counted
    assert ("web:cho", "recuse", ref) in audit and not any(who == "web:ben" and r == ref for who, _, r in audit)


# ---------------------------------------------------------------- Slack

REVIEW_CHANNEL = "GREVIEWS01"


async def test_slack_exclusion(tmp_path, database_url, slack_api):
    slack_api.channel_members[REVIEW_CHANNEL] = ["UANA", "UBEN"]
    slack_api.users = [{"id": "UANA", "name": "ana", "profile": {"display_name": "Ana Alves"}},
                       {"id": "UBEN", "name": "ben", "profile": {"real_name": "Ben Brook"}}]
    settings = Settings(data_dir=tmp_path, db_path=tmp_path / "smpolicy.db", database_url=database_url or "", slack_bot_token="xoxb-test",
                        slack_signing_secret=p.SECRET, slack_api_url=slack_api.api_url, slack_review_channel=REVIEW_CHANNEL,
                        report_notify_delay=0)
    async with TestClient(TestServer(create_app(settings))) as client:
        await send(client, p.command("cases", user="UANA"))  # a reviewer command loads the roster (with names)
        await send(client, p.command("report", user="UREPORTER"))
        opened = (await slack_api.wait_for("views.open"))[-1]
        view = opened.args["view"]
        [keep] = [b for b in view["blocks"] if b.get("block_id") == "exclude"]
        assert keep["element"]["type"] == "multi_static_select" and keep["optional"] and keep["label"]["text"] == KEEP
        options = [(o["text"]["text"], o["value"]) for o in keep["element"]["options"]]
        assert [name for name, _ in options] == ["Ana Alves", "Ben Brook"]
        ben_key = dict(options)["Ben Brook"]
        meta = json.loads(view["private_metadata"])
        status, out = await send(client, p.view_submission({"what": WORDS, "exclude": ben_key}, meta["action_id"], meta["value"],
                                                           user="UREPORTER"))
        text = json.dumps(json.loads(out)["view"])
        ref = text.split("case ")[1][:8]

        # The notice of a case kept from someone in the channel says its reference only.
        [note] = await slack_api.wait_for("chat.postMessage", timeout=8)
        assert ref in note.args["text"] and "urgency" not in note.args["text"] and WORDS not in json.dumps(note.args)
        button = next(b for b in note.args["blocks"] if b["type"] == "actions")["elements"][0]
        before = len(slack_api.of("views.open"))
        await send(client, p.block_action(button["action_id"], ref, user="UBEN", channel=REVIEW_CHANNEL))
        await send(client, p.block_action("case.ack", ref, user="UBEN", channel=REVIEW_CHANNEL))
        await send(client, p.block_action(button["action_id"], ref, user="UANA", channel=REVIEW_CHANNEL))
        views = (await slack_api.wait_for("views.open", before + 3))[before:]
        ben_views = json.dumps([v.args["view"] for v in views[:2]])
        assert ben_views.count("kept from you") == 2 and WORDS not in ben_views
        assert WORDS in json.dumps(views[2].args["view"])
    audit = await audit_rows(tmp_path, database_url)
    assert [who for who, action, r in audit if action == "open" and r == ref] == [f"slack:{p.TEAM}:UANA"]
    assert not any(action == "acknowledge" for _, action, _ in audit)


# ---------------------------------------------------------------- Teams

TEAM = "19:team-general@thread.tacv2"
ANA = {"user": "29:ana", "aad": "aad-ana", "conversation": "a:ana-chat", "name": "Ana Alves"}
BEN = {"user": "29:ben", "aad": "aad-ben", "conversation": "a:ben-chat", "name": "Ben Brook"}
REPORTER = {"user": "29:rep", "aad": "aad-rep", "conversation": "a:rep-chat", "name": "Robin Reporter"}


async def test_teams_exclusion(tmp_path, database_url, connector):
    connector.members[TEAM] = [{"id": ANA["user"], "aadObjectId": ANA["aad"], "name": ANA["name"]},
                               {"id": BEN["user"], "aadObjectId": BEN["aad"], "name": BEN["name"]}]
    async with running(tmp_path, teams_admins=(ANA["aad"],), report_notify_delay=0, database_url=database_url or "") as client:
        await client.post("/api/messages", json=a.in_channel(a.message("reviewers here", connector.url, **ANA), team=TEAM))
        await connector.wait_for(1)
        form = dialog_card(await invoke(client, a.task_fetch({"action_id": "report.open", "value": ""}, connector.url, **REPORTER)))
        [keep] = [b for b in form["body"] if b.get("id") == "exclude"]
        assert keep["type"] == "Input.ChoiceSet" and keep["isMultiSelect"] and keep["label"] == KEEP
        choices = {c["title"]: c["value"] for c in keep["choices"]}
        assert sorted(choices) == ["Ana Alves", "Ben Brook"]
        filed = dialog_card(await invoke(client, a.task_submit({**submit_data(form), "what": WORDS, "exclude": choices["Ben Brook"]},
                                                               connector.url, **REPORTER)))
        ref = next(f["value"] for b in filed["body"] if b["type"] == "FactSet" for f in b["facts"] if f["title"] == "Case")
        opener = {"action_id": "case.open", "value": ref}
        refused = await invoke(client, a.in_channel(a.task_fetch(opener, connector.url, **BEN), team=TEAM))
        assert "kept from you" in dialog_message(refused) and WORDS not in json.dumps(refused)
        refused = await invoke(client, a.in_channel(a.task_submit({"action_id": "case.closed", "value": ref, "outcome": "other"},
                                                                  connector.url, **BEN), team=TEAM))
        assert "kept from you" in dialog_message(refused)
        view = dialog_card(await invoke(client, a.in_channel(a.task_fetch(opener, connector.url, **ANA), team=TEAM)))
        assert WORDS in text_of(view)
    audit = await audit_rows(tmp_path, database_url)
    assert [who.rsplit(":", 1)[-1] for who, action, r in audit if action == "open" and r == ref] == ["aad-ana"]
    assert not any(action.startswith("close") for _, action, _ in audit)
