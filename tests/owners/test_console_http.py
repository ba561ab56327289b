"""The owners' loop through HTTP as a browser behind the SSO proxy sends it: ask, not helpful, ask the owners
(by name and anonymously), answer in the console, the asker receives it; every console route refuses others."""

from __future__ import annotations

import csv
import html
import io
import re

import pytest
from aiohttp.test_utils import TestClient, TestServer

from adapters.server import STORAGE, create_app
from tests.owners.conftest import ANSWERED, UNKNOWN
from tests.reports.conftest import assert_nowhere
from tests.server.conftest import settings_for

HEADER = "X-Forwarded-Email"
OWNER = "owner@example.com"
ASKER = "dana.lee@example.com"
PAGES = ["/console", "/console/questions", "/console/gaps", "/console/quizzes", "/console/reports"]
CSVS = ["summary", "weeks", "guidelines", "gaps", "rounds", "hardest", "weakest", "cases_by_status", "cases_by_guideline", "answered"]


@pytest.fixture
async def web(tmp_path, database_url):
    app = create_app(settings_for(tmp_path, web_user_header=HEADER, owners=(OWNER,), database_url=database_url or ""))
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        client.tmp, client.database_url = tmp_path, database_url
        client.bot_owners = None
        yield client


def as_user(user: str) -> dict:
    return {HEADER: user}


async def say(client, user: str, text: str) -> list[dict]:
    resp = await client.post("/api/local/messages", json={"text": text}, headers=as_user(user))
    assert resp.status == 200
    return (await resp.json())["replies"]


async def press(client, user: str, action_id: str, value: str = "", form: dict | None = None) -> list[dict]:
    resp = await client.post("/api/local/actions", json={"action_id": action_id, "value": value, "form": form or {}},
                             headers=as_user(user))
    assert resp.status == 200
    return (await resp.json())["replies"]


def button(reply: dict, action_id: str) -> dict:
    return next(b for b in reply["card"]["buttons"] if b["action_id"] == action_id)


async def csrf(client, user: str, path: str = "/console/questions") -> tuple[str, str]:
    resp = await client.get(path, headers=as_user(user))
    assert resp.status == 200
    html = await resp.text()
    return re.search(r'name="csrf" value="([0-9a-f]+)"', html).group(1), html


async def test_the_whole_loop_by_name_and_anonymously(web, log_lines):
    [unknown] = await say(web, ASKER, UNKNOWN)
    [answer] = await say(web, ASKER, ANSWERED)
    [thanks] = await press(web, ASKER, "feedback.down", button(answer, "feedback.down")["value"])
    assert button(thanks, "owners.ask")["dialog"]
    # By name, from the not-covered answer.
    [form] = await press(web, ASKER, "owners.ask", button(unknown, "owners.ask")["value"])
    [sent] = await press(web, ASKER, "owners.send", form["card"]["submit"]["value"], {"who": "name"})
    assert "with your name" in sent["text"]
    # Anonymously, typed, with the asker's own name and email in the words.
    [sent_anon] = await press(web, ASKER, "owners.send", "", {"who": "anonymous",
                                                              "question": "Dana Lee here (dana.lee@example.com): may I livestream a client visit?"})
    code = dict(sent_anon["card"]["fields"])["Question code"]
    token, html = await csrf(web, OWNER)
    assert "asked by dana.lee" in html and "asked by anonymous" in html and "livestream a client visit" in html
    assert "Dana" not in html.split("asked by anonymous")[1].split("</article>")[0]
    ids = re.findall(r'action="/console/questions/(Q-[0-9A-F]{8})/answer"', html)
    assert len(ids) == 2
    for qid in ids:
        resp = await web.post(f"/console/questions/{qid}/answer", data={"csrf": token, "answer": f"Owner answer for {qid}",
                                                                          "verdict": "conditional", "section": "", "add": "yes"},
                              headers=as_user(OWNER), allow_redirects=False)
        assert resp.status == 303
    await web.server.app[STORAGE].db.execute("SELECT 1")  # the app is alive
    inbox = await web.post("/api/local/inbox", json={"codes": [code]}, headers=as_user(ASKER))
    body = await inbox.json()
    assert len(body["replies"]) == 2 and body["done"] == [code]
    assert all(r["card"]["body"].startswith("Owner answer for Q-") for r in body["replies"])
    again = await (await web.post("/api/local/inbox", json={"codes": [code]}, headers=as_user(ASKER))).json()
    assert again["replies"] == []
    # Two drafts for the guidelines were recorded; the anonymous question's words keep no trace of the asker.
    resp = await web.get("/console/csv/answered.csv", headers=as_user(OWNER))
    text = await resp.text()
    anon_row = next(r for r in csv.reader(io.StringIO(text)) if "livestream" in r[0])
    assert "dana" not in anon_row[0].lower() and "lee" not in anon_row[0].lower().split()
    # The asker's id and name: in the named question only. Remove it and nothing is left anywhere.
    storage = web.server.app[STORAGE]
    await storage.db.execute("DELETE FROM owner_questions WHERE named = 1")
    await storage.db.checkpoint()
    await assert_nowhere([ASKER, "dana.lee", "Dana Lee"], web.tmp, web.database_url, log_lines.getvalue())


async def test_not_helpful_and_unknown_questions_show_up_in_gaps_and_can_be_dismissed(web):
    for _ in range(3):
        await say(web, ASKER, UNKNOWN)
    token, html = await csrf(web, OWNER, "/console/gaps")
    assert "weather tomorrow" in html and "3 questions" in html
    key = re.search(r'action="/console/gaps/([^/]+)/dismiss"', html).group(1)
    resp = await web.post(f"/console/gaps/{key}/dismiss", data={"csrf": token}, headers=as_user(OWNER), allow_redirects=False)
    assert resp.status == 303
    assert "weather tomorrow" not in (await (await web.get("/console/gaps", headers=as_user(OWNER))).text())


async def test_every_page_and_csv_opens_for_an_owner_with_a_header_row_and_safe_cells(web):
    await say(web, ASKER, "=HYPERLINK(\"http://evil\") what is the weather tomorrow?")
    for path in PAGES:
        resp = await web.get(path, headers=as_user(OWNER))
        assert resp.status == 200 and "Policy owners' console" in html.unescape(await resp.text())
        assert "default-src 'none'" in resp.headers["Content-Security-Policy"]
    for name in CSVS:
        resp = await web.get(f"/console/csv/{name}.csv", headers=as_user(OWNER))
        assert resp.status == 200 and resp.content_type == "text/csv"
        rows = list(csv.reader(io.StringIO(await resp.text())))
        assert rows and rows[0] and all(not c.startswith(("=", "+", "-", "@")) for row in rows for c in row), name
    gaps = await (await web.get("/console/csv/gaps.csv", headers=as_user(OWNER))).text()
    assert "'=HYPERLINK" in gaps or "[link]" in gaps
    assert (await web.get("/console/csv/nothing.csv", headers=as_user(OWNER))).status == 404


async def test_everyone_else_is_refused_on_every_route_and_action(web):
    await press(web, ASKER, "owners.send", "", {"who": "name", "question": "Can I stream?"})
    token, _ = await csrf(web, OWNER)
    posts = ["/console/questions/Q-00000000/answer", "/console/gaps/x/dismiss", "/console/gaps/x/suggest"]
    for user in (ASKER, "someone@example.com"):
        for path in PAGES + [f"/console/csv/{n}.csv" for n in CSVS]:
            assert (await web.get(path, headers=as_user(user))).status == 403, path
        for path in posts:
            resp = await web.post(path, data={"csrf": token, "answer": "x", "verdict": "info"}, headers=as_user(user))
            assert resp.status == 403, path
    for path in PAGES:
        assert (await web.get(path)).status == 401  # no SSO header at all
    for path in posts:  # an owner's request without the form token, or from another site
        assert (await web.post(path, data={"answer": "x"}, headers=as_user(OWNER))).status == 403
        resp = await web.post(path, data={"csrf": token}, headers={**as_user(OWNER), "Origin": "https://evil.example"})
        assert resp.status == 403


async def test_a_non_owner_cannot_answer_through_the_chat_actions(web):
    await press(web, ASKER, "owners.send", "", {"who": "name", "question": "Can I stream?"})
    _, html = await csrf(web, OWNER)
    qid = re.search(r"(Q-[0-9A-F]{8})", html).group(1)
    [refused] = await press(web, ASKER, "owners.reply", qid, {"answer": "yes", "verdict": "allowed", "add": "no"})
    assert "Only the policy owners" in refused["text"]
    [refused] = await press(web, ASKER, "owners.open", qid)
    assert "Only the policy owners" in refused["text"]
