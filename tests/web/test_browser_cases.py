"""The reviewers' console at /console/cases in Debian's headless Chromium: a reviewer lists cases, opens one,
acknowledges it, writes to the reporter, adds a note and closes it; someone who is not a reviewer gets 403 on
every route and action, and so does a reviewer the reporter kept the case from (with a valid form token of
their own). Screenshots of the list and the case at 390 px and 1280 px (SMPOLICY_SHOTS=folder keeps them;
SMPOLICY_README_SHOT=1 copies them into docs/)."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from aiohttp.test_utils import TestServer
from playwright.async_api import async_playwright

from adapters.server import create_app
from bot.reports.case_actions import ACTIONS
from bot.storage import open_database
from tests.conftest import ROOT
from tests.server.conftest import settings_for
from tests.server.test_browser import ARGS, CHROMIUM

HEADER = "X-Forwarded-Email"
ANA, BEN, REPORTER, MALLORY = "ana@example.com", "ben@example.com", "someone@example.com", "mallory@example.com"
WORDS = "The new hire posted photos of the whiteboard with next quarter's prices"
SHOTS = ["cases-390.png", "cases-1280.png", "case-390.png", "case-1280.png"]


def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("SMPOLICY_SHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


async def file_report(context, url, what: str, exclude: str = "") -> str:
    """File a report through the web chat's API, as the page does."""
    form = await (await context.request.post(url("/api/local/messages"), data={"user_id": "x", "text": "report"})).json()
    token = form["replies"][0]["card"]["submit"]["value"]
    fields = {"what": what, "section": "confidentiality-privacy", **({"exclude": exclude} if exclude else {})}
    filed = await (await context.request.post(url("/api/local/actions"), data={"user_id": "x", "action_id": "report.submit",
                                                                              "value": token, "form": fields})).json()
    return dict(filed["replies"][0]["card"]["fields"])["Case"]


async def test_the_reviewers_console_in_a_browser(tmp_path):
    app = create_app(settings_for(tmp_path, web_user_header=HEADER, web_reviewers=(ANA, BEN), report_notify_delay=0, quiz_rounds=False))
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    folder = shots(tmp_path)

    def url(path: str) -> str:
        return str(server.make_url(path))

    try:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            reporter = await browser.new_context(extra_http_headers={HEADER: REPORTER})
            kept = await file_report(reporter, url, WORDS, exclude="web:" + BEN)
            shared = await file_report(reporter, url, "Someone shared a customer's email address in a public thread")

            errors: list[str] = []
            ana_context = await browser.new_context(extra_http_headers={HEADER: ANA}, viewport={"width": 1280, "height": 900})
            ana = await ana_context.new_page()
            ana.on("pageerror", lambda e: errors.append(str(e)))

            # The list: both cases with their due dates; phone and desktop without horizontal overflow.
            listed = await ana.goto(url("/console/cases"))
            assert listed.status == 200 and listed.headers["cache-control"] == "no-store"
            table = await ana.locator("table").inner_text()
            assert kept in table and shared in table and "Acknowledge by" in table and "Feedback by" in table
            for width in (390, 1280):
                await ana.set_viewport_size({"width": width, "height": 900})
                await ana.goto(url("/console/cases"))
                assert await ana.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), width
                await ana.screenshot(path=str(folder / f"cases-{width}.png"), full_page=True)
            await ana.set_viewport_size({"width": 1280, "height": 900})

            # Filters are links: by status and guideline.
            await ana.goto(url("/console/cases?status=closed"))
            assert kept not in await ana.locator("table").inner_text()

            # Open, acknowledge, message, note, close.
            await ana.goto(url("/console/cases"))
            await ana.get_by_role("link", name=kept).click()
            await ana.wait_for_selector("h1:text-matches('Case')")
            page = await ana.content()
            assert WORDS in await ana.locator("main").inner_text() and 'name="csrf"' in page
            await ana.get_by_role("button", name="Acknowledge").click()
            await ana.wait_for_load_state()
            await ana.wait_for_selector("text=Acknowledged.")
            assert "acknowledged" in await ana.locator("dl.facts").inner_text()
            await ana.fill("textarea[name=message]", "Thank you, we are looking into it.")
            await ana.get_by_role("button", name="Send to the reporter").click()
            await ana.wait_for_selector("text=Message saved")
            assert "Reviewer: Thank you, we are looking into it." in await ana.locator("main").inner_text()
            await ana.fill("textarea[name=note]", "Checked the whiteboard photo: it is ours.")
            await ana.get_by_role("button", name="Save the note").click()
            await ana.wait_for_selector("text=Note saved.")
            for width in (390, 1280):
                await ana.set_viewport_size({"width": width, "height": 900})
                await ana.reload()
                assert await ana.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), width
                await ana.screenshot(path=str(folder / f"case-{width}.png"), full_page=True)
            await ana.select_option("select[name=outcome]", "action_taken")
            await ana.get_by_role("button", name="Close the case").click()
            await ana.wait_for_selector("text=Case closed.")
            facts = await ana.locator("dl.facts").inner_text()
            assert "closed" in facts and "action_taken" in facts
            audit = await ana.locator("table").last.inner_text()
            assert all(a in audit for a in ("open", "acknowledge", "message", "note", "close:action_taken"))
            assert "Checked the whiteboard" in await ana.locator("main").inner_text()
            token = re.search(r'name="csrf" value="([0-9a-f]+)"', await ana.content())
            assert token

            # A stale form token is refused.
            stale = await ana_context.request.post(url(f"/console/cases/{shared}/acknowledge"), form={"csrf": "0" * 64})
            assert stale.status == 403

            # Not a reviewer: 403 on every route and action.
            mallory = await browser.new_context(extra_http_headers={HEADER: MALLORY})
            mpage = await mallory.new_page()
            for path in ("/console/cases", f"/console/cases/{kept}", f"/console/cases/{shared}"):
                assert (await mpage.goto(url(path))).status == 403, path
            assert WORDS not in await mpage.content()
            for action in ACTIONS:
                got = await mallory.request.post(url(f"/console/cases/{shared}/{action}"), form={"csrf": token.group(1), "message": "x"})
                assert got.status == 403, action

            # Ben, kept from one case: its reference only in the list, 403 on its page and every action, even with
            # his own valid form token (from the case he may read).
            ben_context = await browser.new_context(extra_http_headers={HEADER: BEN})
            ben = await ben_context.new_page()
            await ben.goto(url("/console/cases?status=all"))  # the kept case is closed by now
            listing = await ben.locator("main").inner_text()
            assert kept in listing and await ben.get_by_role("link", name=kept).count() == 0
            assert (await ben.goto(url(f"/console/cases/{kept}"))).status == 403
            assert WORDS not in await ben.content()
            assert (await ben.goto(url(f"/console/cases/{shared}"))).status == 200
            ben_token = re.search(r'name="csrf" value="([0-9a-f]+)"', await ben.content()).group(1)
            forms = {"message": "x", "note": "x", "reason": "x", "outcome": "other", "reviewer": "web:" + BEN}
            for action in ACTIONS:
                got = await ben_context.request.post(url(f"/console/cases/{kept}/{action}"), form={"csrf": ben_token, **forms})
                assert got.status == 403, action
            # Ben recuses himself from the other case: then it is kept from him too.
            await ben.get_by_role("button", name="Recuse me").click()
            await ben.wait_for_url(url("/console/cases"))
            assert (await ben.goto(url(f"/console/cases/{shared}"))).status == 403
            assert errors == []
            await browser.close()
    finally:
        await server.close()

    # What the reviewers did is in the audit log; Ben never read the kept case.
    db = open_database(tmp_path / "smpolicy.db")
    await db.start()
    try:
        rows = await db.fetchall("SELECT reviewer, action FROM audit WHERE ref = ? ORDER BY id", [kept])
    finally:
        await db.close()
    assert {r["reviewer"] for r in rows if r["action"] == "open"} == {"web:" + ANA}
    assert [r["action"] for r in rows if r["reviewer"] == "web:" + ANA][:2] == ["open", "acknowledge"]
    for name in SHOTS:
        assert (folder / name).stat().st_size > 10_000
    if os.environ.get("SMPOLICY_README_SHOT"):
        for name in SHOTS:
            shutil.copy(folder / name, ROOT / "docs" / name)
