"""The web chat as a person uses it, in Debian's headless Chromium (Playwright): verdict badges, drafts,
the private panel, history, errors, quiz marks, keyboard, 375 px, dark mode. Screenshots go to the test's
tmp folder (SMPOLICY_SHOTS=folder keeps them); the README's screenshot is taken by `test_readme_screenshot`."""

from __future__ import annotations

import asyncio
import json
import os
from contextlib import asynccontextmanager
from pathlib import Path

from aiohttp.test_utils import TestServer
from playwright.async_api import async_playwright

from adapters.server import create_app
from tests.conftest import ROOT
from tests.server.conftest import settings_for
from tests.server.test_browser import ARGS, CHROMIUM

QUESTION = "Can I use the company logo on my personal website?"
LEAKY_DRAFT = "Sneak peek: our unreleased v5 ships next month, and the client Acme signed! My password is hunter22"


def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("SMPOLICY_SHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@asynccontextmanager
async def chat(tmp_path, width=1280, height=900, **options):
    server = TestServer(create_app(settings_for(tmp_path)), host="127.0.0.1")
    await server.start_server()
    try:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            context = await browser.new_context(viewport={"width": width, "height": height}, **options)
            page = await context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.url_for = lambda path="/": str(server.make_url(path))
            await page.goto(page.url_for())
            await page.wait_for_selector("text=Social media guidelines bot")
            yield page
            assert errors == []
            await browser.close()
    finally:
        await server.close()


async def ask(page, text: str):
    before = await page.locator("#log .card").count()
    await page.fill("#text", text)
    await page.press("#text", "Enter")
    await page.locator("#log .card").nth(before).wait_for()
    return page.locator("#log .card").nth(before)


async def no_overflow(page) -> bool:
    return await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


async def history(page) -> str:
    return await page.evaluate("localStorage.getItem('smpolicy-history') || ''")


async def test_answer_shows_one_badge_with_icon_and_words_and_the_guideline_by_title(tmp_path):
    async with chat(tmp_path) as page:
        card = await ask(page, QUESTION)
        badge = card.locator("h2.badge")
        assert await badge.count() == 1 and await card.locator("h2").count() == 1
        assert "stop" in await badge.get_attribute("class")
        assert (await badge.locator(".icon").inner_text()).strip() == "\u2715"
        text = await card.inner_text()
        assert text.count("Not allowed") == 1 and "Verdict" not in text
        assert "Guideline" in text and "(" + "intellectual-property" + ")" not in text and "Intellectual Property" in text
        colour = await badge.evaluate("b => getComputedStyle(b).color")
        assert colour not in ("rgb(0, 0, 0)", await card.evaluate("c => getComputedStyle(c).color"))


async def test_history_survives_a_reload_and_clear_empties_it(tmp_path):
    async with chat(tmp_path) as page:
        await ask(page, QUESTION)
        await page.reload()
        await page.wait_for_selector("#log .card h2.badge")
        assert QUESTION in await page.locator("#log").inner_text()
        await page.click("#clear")
        await page.wait_for_selector("text=Social media guidelines bot")
        assert QUESTION not in await page.locator("#log").inner_text() and QUESTION not in await history(page)


async def test_check_a_draft_mode_highlights_flagged_parts_once_per_span(tmp_path):
    async with chat(tmp_path, width=375, height=800) as page:
        await page.click("#mode-check")
        assert await page.get_attribute("#mode-check", "aria-pressed") == "true"
        await page.fill("#text", LEAKY_DRAFT)
        await page.press("#text", "Control+Enter")
        card = page.locator("#log .card", has=page.locator(".draft"))
        await card.wait_for()
        assert "stop" in await card.locator("h2.badge").get_attribute("class") or "warn" in await card.locator("h2.badge").get_attribute("class")
        marks = card.locator(".draft mark")
        assert await marks.count() >= 1
        findings = card.locator("ol.findings > li")
        assert await findings.count() == await marks.count()  # one finding per flagged span, overlaps merged
        assert await card.locator("dl").count() == 0
        spans = await card.evaluate("""c => {
            const d = c.querySelector('.draft');
            let at = 0; const out = [];
            d.childNodes.forEach(n => { const len = n.textContent.length;
              if (n.nodeName === 'MARK') out.push([at, at + len]);
              if (!(n.classList && (n.classList.contains('sr') || n.classList.contains('n')))) at += len; });
            return out; }""")
        assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))  # merged: no two marks overlap or touch inside
        draft_text = await card.locator(".draft").evaluate("d => [...d.childNodes].filter(n => !(n.classList && (n.classList.contains('sr') || n.classList.contains('n')))).map(n => n.textContent).join('')")
        assert len(draft_text) == len(LEAKY_DRAFT) and "hunter22" not in draft_text  # the secret is masked, same length
        assert "hunter22" not in await history(page) and "hunter22" not in await page.locator("#log").inner_text()
        assert await no_overflow(page)
        await page.screenshot(path=str(shots(tmp_path) / "draft-375.png"), full_page=True)


async def test_report_form_and_confirmation_stay_in_the_panel_with_copy_buttons(tmp_path):
    async with chat(tmp_path, permissions=["clipboard-read", "clipboard-write"]) as page:
        await page.click("nav button[data-action='report.open']")
        panel = page.locator("dialog#panel[open]")
        form = panel.locator("form.report-form")
        await form.wait_for()
        await form.locator("textarea[name=what]").fill("   ")
        await form.locator("button[type=submit]").click()
        await page.wait_for_selector("text=Please describe what happened.")
        await form.locator("textarea[name=what]").fill("Someone posted a customer's invoice on Instagram")
        await form.locator("button[type=submit]").click()
        filed = panel.locator(".card", has_text="Report filed")
        await filed.wait_for()
        ref = await filed.locator("dd .value").nth(0).inner_text()
        code = await filed.locator("dd .value").nth(1).inner_text()
        assert ref.startswith("R-") and code
        copies = filed.locator("button.copy")
        assert await copies.count() == 2
        await copies.nth(1).click()
        assert await page.evaluate("navigator.clipboard.readText()") == code
        assert await copies.nth(1).inner_text() == "Copied"
        assert "Follow up on a report" in await filed.inner_text()
        await page.screenshot(path=str(shots(tmp_path) / "report-filed-1280.png"))
        await page.keyboard.press("Escape")
        await page.wait_for_selector("dialog#panel", state="hidden")
        for where in (await page.locator("#log").inner_text(), await history(page)):
            assert ref not in where and code not in where and "invoice" not in where
        await page.reload()
        await page.wait_for_selector("#log .card")
        assert ref not in await page.content()


async def test_follow_up_on_a_report_is_in_help_and_opens_the_case_form_in_the_panel(tmp_path):
    async with chat(tmp_path) as page:
        help_card = page.locator("#log .card", has_text="Social media guidelines bot")
        assert "follow up on a report" in (await help_card.inner_text()).lower()
        await help_card.locator("button", has_text="Follow up on a report").click()
        await page.locator("dialog#panel[open] input[name=ref]").wait_for()
        assert await page.locator("#log input[name=ref]").count() == 0
        assert '"who":"me"' not in await history(page)  # a press that opens the panel leaves nothing in the conversation


async def test_a_reply_marked_dialog_is_never_written_to_the_history(tmp_path):
    async with chat(tmp_path) as page:
        secret = {"replies": [{"text": "Case R-7KQ2M9 is in review.", "private": True, "field_errors": [], "dialog": True,
                               "card": {"title": "Your case R-7KQ2M9", "body": "Status: in review.", "fields": [], "quote": "", "buttons": [],
                                        "form": [], "submit": None, "note": "", "draft": "", "marks": [], "badge": ""}}]}
        await page.route("**/api/local/messages", lambda route: route.fulfill(status=200, content_type="application/json", body=json.dumps(secret)))
        await page.fill("#text", "how is my case")
        await page.press("#text", "Enter")
        await page.locator("dialog#panel[open]", has_text="R-7KQ2M9").wait_for()
        assert "R-7KQ2M9" not in await page.locator("#log").inner_text() and "R-7KQ2M9" not in await history(page)
        # Belt and braces: a case reference in an ordinary reply is shown but never kept either.
        plain = {"replies": [{**secret["replies"][0], "dialog": False, "card": None, "text": "This report was already filed as case R-7KQ2M9."}]}
        await page.unroute("**/api/local/messages")
        await page.route("**/api/local/messages", lambda route: route.fulfill(status=200, content_type="application/json", body=json.dumps(plain)))
        await page.keyboard.press("Escape")
        await page.fill("#text", "did it work")
        await page.press("#text", "Enter")
        await page.locator("#log .msg.bot", has_text="already filed").wait_for()
        assert "R-7KQ2M9" not in await history(page) and "did it work" in await history(page)


async def test_unreachable_server_and_error_answers_show_retry(tmp_path):
    async with chat(tmp_path) as page:
        await page.route("**/api/local/messages", lambda route: route.abort())
        await page.fill("#text", QUESTION)
        await page.press("#text", "Enter")
        error = page.locator("#log [role=alert]", has_text="can't be reached")
        await error.wait_for()
        await page.unroute("**/api/local/messages")
        calls = {"n": 0}

        async def fail_once(route):
            calls["n"] += 1
            if calls["n"] == 1:
                await route.fulfill(status=500, content_type="application/json", body='{"error": "boom"}')
            else:
                await route.continue_()

        await page.route("**/api/local/messages", fail_once)
        await error.locator("button", has_text="Retry").click()
        second = page.locator("#log [role=alert]", has_text="error (500: boom)")
        await second.wait_for()
        assert await page.locator("#log [role=alert]").count() == 1  # the first one went away on retry
        await second.locator("button", has_text="Retry").click()
        await page.locator("#log .card h2.badge").wait_for()
        assert await page.locator("#log [role=alert]").count() == 0


async def test_typing_indicator_shows_while_waiting(tmp_path):
    async with chat(tmp_path) as page:
        release = asyncio.Event()

        async def slow(route):
            await release.wait()
            await route.continue_()

        await page.route("**/api/local/messages", slow)
        await page.fill("#text", QUESTION)
        await page.press("#text", "Enter")
        await page.locator("#typing").wait_for(state="visible")
        assert await page.locator("#typing .sr").inner_text() == "The bot is typing"
        release.set()
        await page.locator("#log .card h2.badge").wait_for()
        await page.locator("#typing").wait_for(state="hidden")


async def test_quiz_marks_the_chosen_and_the_right_choice_and_the_streak_has_its_unit(tmp_path):
    async with chat(tmp_path) as page:
        await page.click("nav button[data-say=quiz]")
        for n in (1, 2, 3):
            question = page.locator("#log .card", has_text=f"Quiz question {n} of 3")
            await question.wait_for()
            await question.locator("button").first.click()
            await page.locator("#log .card h2").filter(has_text="Right!").or_(page.locator("#log .card h2").filter(has_text="Not quite")).nth(n - 1).wait_for()
            assert await question.locator("button.correct").count() == 1
            assert await question.locator("button.chosen").count() == 1
            chosen = question.locator("button.chosen")
            assert "your answer" in (await chosen.inner_text()) or "right answer" in (await chosen.inner_text())
        done = page.locator("#log .card", has_text="Quiz done")
        await done.wait_for()
        assert "1 week" in await done.locator("dd").nth(1).inner_text()
        await page.screenshot(path=str(shots(tmp_path) / "quiz-1280.png"), full_page=True)


async def test_375px_keyboard_only_no_overflow(tmp_path):
    async with chat(tmp_path, width=375, height=800) as page:
        await page.focus("#text")
        await page.keyboard.type(QUESTION)
        await page.keyboard.press("Enter")
        await page.locator("#log .card h2.badge").wait_for()
        # Tab from the message box reaches the shortcuts; Enter on "Report a concern" opens the panel, Escape closes it.
        for _ in range(12):
            await page.keyboard.press("Tab")
            if await page.evaluate("document.activeElement.dataset.action") == "report.open":
                break
        assert await page.evaluate("document.activeElement.dataset.action") == "report.open"
        await page.keyboard.press("Enter")
        await page.locator("dialog#panel[open] textarea[name=what]").wait_for()
        await page.wait_for_function("document.activeElement && document.activeElement.name === 'what'", timeout=3000)  # focus in the panel
        assert await no_overflow(page)
        await page.screenshot(path=str(shots(tmp_path) / "report-375.png"))
        await page.keyboard.press("Escape")
        await page.wait_for_selector("dialog#panel", state="hidden")
        # The panel's close event (queued after the dialog is hidden) puts focus back in the message box.
        await page.wait_for_function("document.activeElement && document.activeElement.id === 'text'", timeout=3000)
        await page.click("#mode-check")
        await page.keyboard.type(LEAKY_DRAFT)
        await page.keyboard.press("Control+Enter")
        await page.locator("#log .draft").wait_for()
        assert await no_overflow(page)
        assert await page.get_attribute("#log", "aria-live") == "polite"
        await page.screenshot(path=str(shots(tmp_path) / "chat-375.png"), full_page=True)


async def test_dark_mode_and_favicon(tmp_path):
    async with chat(tmp_path, color_scheme="dark") as page:
        await ask(page, QUESTION)
        background = await page.evaluate("getComputedStyle(document.body).backgroundColor")
        r, g, b = (int(x) for x in background.strip("rgba()").split(",")[:3])
        assert r + g + b < 150
        href = await page.get_attribute("link[rel=icon]", "href")
        response = await page.request.get(page.url_for(href))
        assert response.status == 200 and (await response.text()).startswith("<svg")
        await page.screenshot(path=str(shots(tmp_path) / "dark-1280.png"), full_page=True)


async def test_readme_screenshot(tmp_path):
    """docs/web-chat.png: the web chat at 1280 px with a verdict badge and a checked draft."""
    async with chat(tmp_path, width=1000, height=1500) as page:
        await ask(page, QUESTION)
        await page.click("#mode-check")
        await page.fill("#text", "Sneak peek: our unreleased v5 ships next month!")
        await page.press("#text", "Control+Enter")
        await page.locator("#log .draft").wait_for()
        await page.evaluate("window.scrollTo(0, 0)")
        target = Path(os.environ.get("SMPOLICY_README_SHOT") or shots(tmp_path) / "web-chat.png")
        await page.screenshot(path=str(target))
        assert target.stat().st_size > 10_000
    assert (ROOT / "docs" / "web-chat.png").is_file()
