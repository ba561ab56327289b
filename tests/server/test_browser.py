"""The web chat in a real headless Chromium (Debian's /usr/bin/chromium driven by Playwright)."""

import sqlite3

from aiohttp.test_utils import TestServer
from playwright.async_api import async_playwright

from adapters.server import create_app
from tests.server.conftest import settings_for

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]


async def test_ask_quiz_and_report_in_a_browser(tmp_path):
    server = TestServer(create_app(settings_for(tmp_path)), host="127.0.0.1")
    await server.start_server()
    try:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = await browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            await page.goto(str(server.make_url("/")))
            await page.wait_for_selector("text=Social media guidelines bot")

            # Ask a question and see the verdict.
            await page.fill("#text", "Can I use the company logo on my personal website?")
            await page.click("#ask button[type=submit]")
            verdict = page.locator(".card h2.badge", has_text="Not allowed")
            await verdict.wait_for()
            assert await page.locator(".card blockquote").count() >= 1

            # Take a quiz: click an answer, see feedback and the next question.
            await page.click("nav button[data-say=quiz]")
            await page.wait_for_selector("text=Quiz question 1 of 3")
            await page.locator(".card", has_text="Quiz question 1 of 3").locator("button").first.click()
            await page.wait_for_selector(".card h2:text-matches('Right!|Not quite')")
            await page.wait_for_selector("text=Quiz question 2 of 3")

            # Submit a report: an empty form shows the error beside the field, then it files.
            await page.click("nav button[data-action='report.open']")
            form = page.locator("dialog#panel[open] form.report-form")
            await form.wait_for()
            assert "anonymous" in (await page.locator("dialog#panel[open] .card .note").inner_text())
            await form.locator("textarea[name=what]").fill("   ")
            await form.locator("button[type=submit]").click()
            await page.wait_for_selector("text=Please describe what happened.")
            await form.locator("textarea[name=what]").fill("Someone posted a customer's invoice on Instagram")
            await form.locator("select[name=urgency]").select_option("urgent")
            await form.locator("button[type=submit]").click()
            filed = page.locator(".card", has_text="Report filed")
            await filed.wait_for()
            ref = await filed.locator("dd .value").first.inner_text()
            await page.screenshot(path=str(tmp_path / "chat.png"), full_page=True)  # kept for debugging runs
            await browser.close()
            assert errors == []
    finally:
        await server.close()
    rows = sqlite3.connect(tmp_path / "smpolicy.db").execute("SELECT ref, urgency FROM reports").fetchall()
    assert rows == [(ref, "urgent")]
