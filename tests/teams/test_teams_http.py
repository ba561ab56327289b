"""Teams over HTTP: activities posted to /api/messages, a stand-in connector service as serviceUrl."""

import base64
import hashlib
import hmac
import json
import time

from bot.messages import Reply
from tests.conftest import stored
from tests.fakes import teams_activities as a
from tests.teams.conftest import card_of, dialog_card, dialog_message, inputs_of, invoke, running, submit_data, text_of


async def test_question_gets_text_and_an_adaptive_card(teams, connector):
    resp = await teams.post("/api/messages", json=a.message("Can I share my new AWS certification on LinkedIn?", connector.url))
    assert resp.status in (200, 201)
    [reply] = await connector.wait_for(1)
    assert reply["_path"].startswith("/v3/conversations/a:1personal-chat/activities/")
    assert reply["text"].startswith("Allowed.") and reply["_auth"] == ""
    card = card_of(reply)
    assert card["version"] == "1.5" and any(b.get("type") == "FactSet" for b in card["body"])
    assert any(b.get("type") == "Container" for b in card["body"])  # the quote


async def test_mention_markup_is_stripped(teams, connector):
    await teams.post("/api/messages", json=a.message("<at>smpolicy</at> help", connector.url))
    [reply] = await connector.wait_for(1)
    assert "I help you follow" in reply["text"]


async def test_quiz_buttons_submit_and_get_feedback_then_next(teams, connector):
    await teams.post("/api/messages", json=a.message("quiz", connector.url))
    [question] = await connector.wait_for(1)
    action = card_of(question)["actions"][0]
    assert action["type"] == "Action.Submit" and action["data"]["action_id"] == "quiz.answer"
    await teams.post("/api/messages", json=a.submit(action["data"], connector.url))
    sent = await connector.wait_for(3)
    assert sent[1]["text"].startswith(("Right!", "Not quite")) and sent[2]["text"].startswith("Quiz question 2 of 3")


async def test_report_opens_in_a_dialog_and_files_there(teams, connector, tmp_path):
    # Typed "report": the chat gets a small card whose button opens the dialog, never the form.
    await teams.post("/api/messages", json=a.message("report", connector.url))
    [launcher] = await connector.wait_for(1)
    card = card_of(launcher)
    assert inputs_of(card) == [] and "token" not in json.dumps(launcher)
    [button] = card["actions"]
    assert button["type"] == "Action.Submit" and button["data"]["msteams"] == {"type": "task/fetch"}

    # Pressing it is a task/fetch: the form comes back as the dialog's card.
    form = dialog_card(await invoke(teams, a.task_fetch(button["data"], connector.url)))
    assert inputs_of(form) == ["what", "where", "link", "when", "section", "evidence", "urgency"]
    submit = submit_data(form)
    assert submit["action_id"] == "report.submit" and "msteams" not in submit

    # Submitting it is a task/submit: the confirmation is the next card of the dialog.
    done = dialog_card(await invoke(teams, a.task_submit({**submit, "what": "A colleague posted customer emails", "urgency": "urgent"},
                                                          connector.url)))
    assert "R-" in text_of(done) and "follow-up code" in text_of(done)
    assert await stored(teams, "SELECT urgency FROM reports") == [("urgent",)]
    assert len(connector.delivered()) == 1  # only the launcher was ever a chat message


async def test_help_card_report_button_opens_the_dialog(teams, connector):
    await teams.post("/api/messages", json=a.message("help", connector.url))
    [help_card] = await connector.wait_for(1)
    report = submit_data(card_of(help_card), "Report a concern")
    quiz = submit_data(card_of(help_card), "Take a quiz")
    assert report == {"action_id": "report.open", "value": "", "msteams": {"type": "task/fetch"}}
    assert "msteams" not in quiz  # an ordinary button stays an ordinary message submit
    form = dialog_card(await invoke(teams, a.task_fetch(report, connector.url)))
    assert "what" in inputs_of(form)


async def test_a_form_with_errors_is_shown_again_filled_in(teams, connector):
    form = dialog_card(await invoke(teams, a.task_fetch({"action_id": "report.open", "value": "", "msteams": {"type": "task/fetch"}},
                                                        connector.url)))
    submit = submit_data(form)
    again = dialog_card(await invoke(teams, a.task_submit({**submit, "what": "   ", "link": "https://example.com/post"}, connector.url)))
    assert "Please describe what happened." in text_of(again)
    link = next(b for b in again["body"] if b.get("id") == "link")
    assert link["value"] == "https://example.com/post" and inputs_of(again) == inputs_of(form)
    assert connector.delivered() == []


async def test_an_old_form_card_submitted_in_chat_runs_nothing(teams, connector, tmp_path):
    # A form submitted as a chat message (a card from before dialogs, or forged) files nothing and shows nothing.
    await teams.post("/api/messages", json=a.submit({"action_id": "report.submit", "value": "old-token", "what": "words"}, connector.url))
    [reply] = await connector.wait_for(1)
    assert "out of date" in reply["text"] and "R-" not in reply["text"]
    assert await stored(teams, "SELECT count(*) FROM reports") == [(0,)]


async def test_an_old_dialog_button_pressed_in_chat_answers_with_a_launcher_only(teams, connector):
    # A card from before dialogs had plain Action.Submit buttons: their press arrives as a chat message. What the
    # core answers is a dialog reply, so the chat gets only a button that opens it in a dialog.
    await teams.post("/api/messages", json=a.submit({"action_id": "case.open", "value": "R-AAAAAA"}, connector.url))
    [reply] = await connector.wait_for(1)
    assert "Only the designated reviewers" not in json.dumps(reply)
    button = submit_data(card_of(reply))
    assert button == {"action_id": "case.open", "value": "R-AAAAAA", "msteams": {"type": "task/fetch"}}
    refused = await invoke(teams, a.task_fetch(button, connector.url))
    assert dialog_message(refused) == "Only the designated reviewers can see reports."


async def test_task_module_responses_have_the_documented_shape(teams, connector):
    task = await invoke(teams, a.task_fetch({"action_id": "case.lookup", "value": "", "msteams": {"type": "task/fetch"}}, connector.url))
    assert inputs_of(dialog_card(task)) == ["ref", "code"]
    assert task["task"]["value"]["card"]["contentType"] == "application/vnd.microsoft.card.adaptive"
    refused = await invoke(teams, a.task_fetch({"action_id": "case.open", "value": "R-AAAAAA"}, connector.url))
    assert dialog_message(refused) == "Only the designated reviewers can see reports."
    stale = await invoke(teams, a.task_submit({"no": "action"}, connector.url))
    assert "out of date" in dialog_message(stale)
    resp = await teams.post("/api/messages", json={**a.task_fetch({}, connector.url), "value": {"data": "not an object"}})
    assert resp.status == 400
    assert connector.delivered() == []


async def test_install_welcomes_and_stores_the_reference_then_proactive_send(teams, connector, tmp_path):
    resp = await teams.post("/api/messages", json=a.installed(connector.url))
    assert resp.status in (200, 201)
    [welcome] = await connector.wait_for(1)
    assert "I help you follow" in welcome["text"]
    [(key, tenant, reference)] = await stored(teams, "SELECT user_key, tenant_id, reference FROM teams_references")
    assert key == "teams:" + a.TENANT + ":aad-user-1" and tenant == a.TENANT
    ref = json.loads(reference)
    assert ref["serviceUrl"] == connector.url and ref["conversation"]["id"] == "a:1personal-chat"
    assert ref["conversation"]["tenantId"] == a.TENANT
    assert await teams.teams.send_proactive(key, [Reply("This week's quiz is ready")])
    sent = await connector.wait_for(2)
    assert sent[1]["text"] == "This week's quiz is ready" and sent[1]["_path"].startswith("/v3/conversations/a:1personal-chat/activities")
    assert not await teams.teams.send_proactive("teams:nobody", [Reply("x")])


async def test_throttled_and_gateway_errors_are_retried(teams, connector):
    connector.statuses = [429, 502, 504]
    await teams.post("/api/messages", json=a.message("Is YouTube social media?", connector.url))
    [reply] = await connector.wait_for(1, timeout=15)
    assert reply["text"].startswith("Here is what the guidelines say")
    assert [x.get("_rejected") for x in connector.sent] == [429, 502, 504, None]


async def test_unknown_type_is_acknowledged_and_ignored(teams, connector):
    activity = {**a.message("x", connector.url), "type": "messageReaction", "reactionsAdded": [{"type": "like"}]}
    resp = await teams.post("/api/messages", json=activity)
    assert resp.status == 200 and connector.sent == []


async def test_malformed_or_half_empty_activities_get_400_and_serving_goes_on(teams, connector):
    cases = [b"{nope", b"[]", json.dumps({"text": "no type"}).encode(), json.dumps({"type": "message", "text": "hi"}).encode(),
             json.dumps({**a.message("hi", connector.url), "conversation": None}).encode(),
             json.dumps({**a.message("hi", connector.url), "value": "not an object"}).encode()]
    for body in cases:
        resp = await teams.post("/api/messages", data=body, headers={"Content-Type": "application/json"})
        assert resp.status == 400, body
    resp = await teams.post("/api/messages", data=b"hi", headers={"Content-Type": "text/plain"})
    assert resp.status == 415
    assert (await teams.get("/healthz")).status == 200 and connector.sent == []


def forged_jwt() -> str:
    def part(obj):
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()
    header = part({"alg": "HS256", "typ": "JWT", "kid": "forged"})
    claims = part({"iss": "https://api.botframework.com", "aud": "app-id", "exp": int(time.time()) + 600,
                   "nbf": int(time.time()) - 10, "serviceurl": "http://127.0.0.1"})
    sig = base64.urlsafe_b64encode(hmac.new(b"guess", f"{header}.{claims}".encode(), hashlib.sha256).digest()).rstrip(b"=").decode()
    return f"{header}.{claims}.{sig}"


async def test_with_an_app_id_missing_malformed_or_forged_tokens_get_401(tmp_path, connector):
    async with running(tmp_path, teams_app_id="app-id", teams_app_password="secret", teams_app_type="MultiTenant") as client:
        activity = a.message("hi", connector.url)
        for headers in ({}, {"Authorization": "Bearer not-a-jwt"}, {"Authorization": "Basic abc"},
                        {"Authorization": f"Bearer {forged_jwt()}"}):
            started = time.monotonic()
            resp = await client.post("/api/messages", json=activity, headers=headers)
            assert resp.status == 401, headers
            assert time.monotonic() - started < 10
        assert connector.sent == []
        assert (await client.get("/healthz")).status == 200
