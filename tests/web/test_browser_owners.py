"""The owners' loop in Debian's headless Chromium: ask on the web chat, Not helpful, ask the owners by name and
anonymously, answer in the console, the asker sees both answers; every console page at 390 px and 1280 px
without horizontal overflow (screenshots: SMPOLICY_SHOTS=folder keeps them; docs/console.png is the overview);
the CSVs download."""

from __future__ import annotations

import csv
import io
import os
import shutil

from aiohttp.test_utils import TestServer
from playwright.async_api import async_playwright

from adapters.server import create_app
from tests.conftest import ROOT
from tests.owners.conftest import ANSWERED, UNKNOWN
from tests.server.conftest import settings_for
from tests.server.test_browser import ARGS, CHROMIUM
from tests.web.test_browser_chat import ask, shots

HEADER = "X-Forwarded-Email"
OWNER, ASKER = "owner@example.com", "dana.lee@example.com"
PAGES = ["/console", "/console/questions", "/console/gaps", "/console/quizzes", "/console/reports"]




async def send_to_owners(page, card, who: str, words: str = ""):
    await card.get_by_role("button", name="Ask the policy owners").click()
    await page.wait_for_selector("#panel[open] form")
    if words:
        await page.fill("#panel textarea[name=question]", words)
    await page.select_option("#panel select[name=who]", who)
    await page.click("#panel form button[type=submit]")
    await page.wait_for_selector("#panel[open] #panel-title:text-matches('Sent')")
    text = await page.locator("#panel").inner_text()
    await page.click("#panel-close")
    return text


async def test_the_owners_loop_in_a_browser_with_console_screenshots(tmp_path):
    server = TestServer(create_app(settings_for(tmp_path, web_user_header=HEADER, owners=(OWNER,))), host="127.0.0.1")
    await server.start_server()
    folder = shots(tmp_path)
    try:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            asker = await (await browser.new_context(extra_http_headers={HEADER: ASKER})).new_page()
            errors: list[str] = []
            asker.on("pageerror", lambda e: errors.append(str(e)))
            await asker.goto(str(server.make_url("/")))
            await asker.wait_for_selector("text=Social media guidelines bot")

            unknown = await ask(asker, UNKNOWN)
            sent = await send_to_owners(asker, unknown, "anonymously")
            assert "Question code" in sent and "anonymously" in sent
            assert len(await asker.evaluate("JSON.parse(localStorage.getItem('smpolicy-codes'))")) == 1

            answered = await ask(asker, ANSWERED)
            await answered.get_by_role("button", name="Not helpful").click()
            thanks = asker.locator("#log .card", has_text="did not help")
            await thanks.wait_for()
            sent = await send_to_owners(asker, thanks, "name")
            assert "with your name" in sent

            # The owner answers both in the console.
            owner_context = await browser.new_context(extra_http_headers={HEADER: OWNER}, viewport={"width": 1280, "height": 900})
            owner = await owner_context.new_page()
            owner.on("pageerror", lambda e: errors.append(str(e)))
            await owner.goto(str(server.make_url("/console/questions")))
            assert await owner.locator("article.q").count() == 2
            for n in range(2):
                article = owner.locator("article.q").first
                await article.locator("textarea[name=answer]").fill(f"Owner answer number {n + 1}.")
                await article.locator("select[name=verdict]").select_option("conditional")
                if n == 0:
                    await article.locator("input[name=add]").check()
                await article.get_by_role("button", name="Send the answer").click()
                await owner.wait_for_load_state()
            assert await owner.locator("article.q").count() == 0
            assert "Owner answer number 2." in await owner.locator("table").inner_text()

            # The asker sees both answers when the page checks (at start, on focus, every 15 s).
            await asker.reload()
            await asker.wait_for_selector("text=The policy owners answered")
            await asker.wait_for_function("document.querySelectorAll('#log .card h2').length && "
                                          "[...document.querySelectorAll('#log .card')].filter(c => c.innerText.includes('Owner answer number')).length == 2")
            assert await asker.evaluate("JSON.parse(localStorage.getItem('smpolicy-codes'))") == []

            # Every console page at phone and desktop widths, no horizontal overflow.
            for width in (390, 1280):
                await owner.set_viewport_size({"width": width, "height": 900})
                for path in PAGES:
                    await owner.goto(str(server.make_url(path)))
                    assert await owner.locator("h1").inner_text()
                    assert await owner.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (path, width)
                    name = (path.strip("/").replace("/", "-") or "console") + f"-{width}.png"
                    await owner.screenshot(path=str(folder / name), full_page=True)
            await owner.set_viewport_size({"width": 1280, "height": 900})
            await owner.goto(str(server.make_url("/console")))
            assert await owner.locator("figure.chart svg rect").count() >= 1
            await owner.screenshot(path=str(folder / "console.png"), full_page=False)

            # CSV downloads.
            # CSV downloads: each link on the page, fetched in the owner's browser context (the page's CSP allows it
            # no fetch of its own: default-src 'none').
            links = await owner.eval_on_selector_all("a.download", "as => as.map(a => a.getAttribute('href'))")
            assert len(links) == 2
            for href in links:
                got = await owner_context.request.get(str(server.make_url(href)))
                assert got.status == 200 and "attachment" in got.headers["content-disposition"]
                rows = list(csv.reader(io.StringIO(await got.text())))
                assert rows[0][0] in ("week", "guideline") and len(rows) >= 2

            # A person who is not an owner gets 403 in the browser too.
            response = await asker.goto(str(server.make_url("/console")))
            assert response.status == 403
            assert errors == []
            await browser.close()
    finally:
        await server.close()
    if os.environ.get("SMPOLICY_README_SHOT"):
        shutil.copy(folder / "console.png", ROOT / "docs" / "console.png")
