"""The policy owners' console at /console: plain server-rendered HTML, SVG charts, no script, no CDN.

Who may open it: the web chat's identity rules (adapters/web/identity.py: the SSO header from trusted
proxies; on a loopback host without it, the account running smpolicy) and then the role list
SMPOLICY_OWNERS. Anyone else gets 403 on every page, CSV and action. Actions are POST forms with a CSRF
token (an HMAC of the owner's identity with a key made at start) and the Host/Origin checks of the web chat.

    /console                 overview: questions per week by verdict, share answered, helpful rate, guidelines
    /console/questions       questions sent to the owners: answer them (and draft content)
    /console/gaps            unanswered and not-helpful questions grouped by the nearest listed situation
    /console/quizzes         participation per round, average score, hardest questions, weakest guidelines
    /console/reports         cases per month by guideline and status (counts under 5: "fewer than 5")
    /console/csv/{name}.csv  every table as CSV
"""

from __future__ import annotations

import getpass
import hashlib
import hmac
import os
import re
from html import escape

from aiohttp import web

from adapters.web.console import charts
from adapters.web.console.page import PAGES, layout, table_html
from adapters.web.identity import WebIdentity
from bot import figures
from bot.owners import OwnersDesk
from bot.policy.engine import VERDICT_LABELS

SINCE = re.compile(r"\d{4}-\d{2}-\d{2}")
GAP_KEY = re.compile(r"[A-Za-z0-9_.-]{1,100}")
QUESTION_ID = re.compile(r"Q-[0-9A-F]{8}")


class Console:
    def __init__(self, owners: OwnersDesk, identity: WebIdentity, allowed: tuple[str, ...]):
        self.owners, self.identity, self.allowed = owners, identity, set(allowed)
        self.insights, self.pack = owners.insights, owners.pack
        self.key = os.urandom(32)

    # ------------------------------------------------------------ who

    def who(self, request: web.Request, form: bool = False) -> str:
        """The verified owner, or 403 (404 when no web identity is served at all)."""
        if not self.identity.enabled:
            raise web.HTTPNotFound()
        self.identity.check_request(request, forms=form)
        user = self.identity.user(request, "") if self.identity.header else getpass.getuser()
        if user not in self.allowed:
            raise web.HTTPForbidden(text='{"error": "the console is for the policy owners (SMPOLICY_OWNERS)"}',
                                    content_type="application/json")
        return user

    def token(self, user: str) -> str:
        return hmac.new(self.key, user.encode(), hashlib.sha256).hexdigest()

    async def posted(self, request: web.Request) -> tuple[str, dict[str, str]]:
        user = self.who(request, form=True)
        if request.content_type != "application/x-www-form-urlencoded":
            raise web.HTTPUnsupportedMediaType(text='{"error": "body: a form"}', content_type="application/json")
        data = await request.post()
        fields = {k: str(v) for k, v in data.items() if isinstance(v, str)}
        if not hmac.compare_digest(fields.get("csrf", ""), self.token(user)):
            raise web.HTTPForbidden(text='{"error": "csrf: stale or missing form token"}', content_type="application/json")
        return user, fields

    def since(self, request: web.Request) -> str:
        value = request.query.get("since", "")
        return value if SINCE.fullmatch(value) else figures.default_since()

    # ------------------------------------------------------------ pages

    def html(self, body: str, title: str, user: str, active: str, since: str = "") -> web.Response:
        return web.Response(text=layout(title, body, user, active, since), content_type="text/html", charset="utf-8",
                            headers={"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
                                                                "form-action 'self'; frame-ancestors 'none'",
                                     "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})

    async def overview(self, request: web.Request) -> web.Response:
        user, since = self.who(request), self.since(request)
        await self.owners.recorder.flush()  # answers of the last moment count too
        view = await figures.overview(self.insights, self.pack, since)
        open_questions = len(await self.insights.questions("open"))
        tiles = [("Answers", str(view.total)), ("Answered", view.answered_share), ("Helpful", view.helpful_rate),
                 ("Questions waiting", str(open_questions))]
        body = ['<section class="tiles">' + "".join(f'<div class="tile"><span>{escape(k)}</span><strong>{escape(v)}</strong></div>'
                                                    for k, v in tiles) + "</section>"]
        body.append(f'<p class="muted">Since {escape(since)}. Answered: anything but "not covered". Helpful rate: '
                    f"Helpful presses of all {view.feedback} feedback presses.</p>")
        body.append("<h2>Questions per week</h2>" + charts.stacked_weeks(view.weeks))
        body.append(table_html(view.weeks, since))
        body.append("<h2>Guidelines asked about</h2>" + charts.bars([(r[0], r[2]) for r in view.guidelines.rows[:10]]))
        body.append(table_html(view.guidelines, since))
        return self.html("\n".join(body), "Overview", user, "overview", since)

    async def questions(self, request: web.Request) -> web.Response:
        user = self.who(request)
        token = self.token(user)
        waiting = await self.insights.questions("open")
        done = await self.insights.questions("answered", limit=30)
        verdicts = "".join(f'<option value="{k}">{escape(v)}</option>' for k, v in VERDICT_LABELS.items())
        sections = '<option value="">(none)</option>' + "".join(
            f'<option value="{escape(s.id)}">{escape(s.title)}</option>' for s in self.pack.sections.values() if "." not in s.id)
        body = [f"<h2>Waiting for an answer ({len(waiting)})</h2>"]
        if not waiting:
            body.append('<p class="muted">No question is waiting.</p>')
        for q in waiting:
            asker = escape(q.asker_name or "someone") if q.named else "anonymous"
            body.append(f"""<article class="q" id="{escape(q.id)}"><h3>{escape(q.id)} <small>{escape(q.day)}, {escape(q.channel)}, asked by {asker}</small></h3>
<p class="words">{escape(q.question)}</p>
<form method="post" action="/console/questions/{escape(q.id)}/answer"><input type="hidden" name="csrf" value="{token}">
<label>Your answer<textarea name="answer" rows="3" required maxlength="3000"></textarea></label>
<div class="row"><label>Verdict<select name="verdict">{verdicts}</select></label>
<label>Guideline<select name="section">{sections}</select></label></div>
<label class="check"><input type="checkbox" name="add" value="yes"> Add to the guidelines (draft a situation)</label>
<button type="submit">Send the answer</button></form></article>""")
        body.append("<h2>Answered recently</h2>")
        answered = figures.Table("answered", "Answered questions", ["question", "asked", "answer", "verdict", "answered by", "delivered"],
                                 [[q.question, q.day, q.answer, q.answer_verdict, q.answered_by, "yes" if q.delivered else "not yet"]
                                  for q in done])
        body.append(table_html(answered, "", csv=False))
        return self.html("\n".join(body), "Questions", user, "questions")

    async def gaps(self, request: web.Request) -> web.Response:
        user, since = self.who(request), self.since(request)
        token = self.token(user)
        await self.owners.recorder.flush()
        groups, table = await figures.gaps(self.insights, self.pack, since)
        verdicts = "".join(f'<option value="{k}">{escape(v)}</option>' for k, v in VERDICT_LABELS.items() if k != "unknown")
        body = [f'<p class="muted">Questions the bot could not answer, was unsure of, or that were marked not helpful, since '
                f"{escape(since)}, grouped by the closest situation the guidelines list. Words are scrubbed and kept "
                "for the retention period only.</p>"]
        if not groups:
            body.append('<p class="muted">No open gaps.</p>')
        for g in groups[:50]:
            section_options = "".join(f'<option value="{escape(s.id)}"{" selected" if s.id == g.section.split(".")[0] else ""}>'
                                      f"{escape(s.title)}</option>" for s in self.pack.sections.values() if "." not in s.id)
            examples = "".join(f"<li>{escape(q)}</li>" for q in g.questions)
            key = escape(g.key)
            body.append(f"""<article class="gap"><h3>{g.count} question{'s' if g.count != 1 else ''} <small>closest: {escape(g.situation)}</small></h3>
<p class="muted">{g.unknown} not covered, {g.not_helpful} not helpful, latest {escape(g.last_day)}</p><ul>{examples}</ul>
<details><summary>Suggest content (answer these)</summary>
<form method="post" action="/console/gaps/{key}/suggest"><input type="hidden" name="csrf" value="{token}">
<label>Question<input name="question" maxlength="500" value="{escape(g.questions[0] if g.questions else '')}"></label>
<label>Answer<textarea name="answer" rows="3" required maxlength="3000"></textarea></label>
<div class="row"><label>Verdict<select name="verdict">{verdicts}</select></label>
<label>Guideline<select name="section">{section_options}</select></label></div>
<button type="submit">Draft a situation</button></form></details>
<form method="post" action="/console/gaps/{key}/dismiss" class="inline"><input type="hidden" name="csrf" value="{token}">
<button type="submit" class="quiet">Dismiss</button></form></article>""")
        body.append(table_html(table, since))
        return self.html("\n".join(body), "Gaps", user, "gaps", since)

    async def quizzes(self, request: web.Request) -> web.Response:
        user = self.who(request)
        summary, rounds, hardest, weakest = await figures.quizzes(self.insights, self.pack)
        body = [table_html(summary, ""), "<h2>Participation per round</h2>",
                charts.bars([(r[1], r[3]) for r in reversed(rounds.rows[:12])], unit="finished"), table_html(rounds, ""),
                "<h2>Hardest questions</h2>", table_html(hardest, ""), "<h2>Weakest guidelines</h2>", table_html(weakest, "")]
        return self.html("\n".join(body), "Quizzes", user, "quizzes")

    async def reports(self, request: web.Request) -> web.Response:
        user = self.who(request)
        by_status, by_guideline = await figures.reports(self.insights, self.pack)
        body = ['<p class="muted">Counts under 5 read "fewer than 5", so that no number can point at a person. '
                "Nothing here links to a case.</p>", "<h2>Cases per month by status</h2>", table_html(by_status, ""),
                "<h2>Cases per month by guideline</h2>", table_html(by_guideline, "")]
        return self.html("\n".join(body), "Reports", user, "reports")

    async def csv(self, request: web.Request) -> web.Response:
        self.who(request)
        name = request.match_info["name"]
        await self.owners.recorder.flush()
        tables = await figures.all_tables(self.insights, self.pack, self.since(request))
        if name == "answered":
            done = await self.insights.questions("answered", limit=1000)
            tables[name] = figures.Table("answered", "Answered questions", ["question", "asked", "answer", "verdict", "answered by"],
                                         [[q.question, q.day, q.answer, q.answer_verdict, q.answered_by] for q in done])
        table = tables.get(name)
        if table is None:
            raise web.HTTPNotFound()
        return web.Response(text=table.csv(), content_type="text/csv", charset="utf-8",
                            headers={"Content-Disposition": f'attachment; filename="smpolicy-{name}.csv"', "Cache-Control": "no-store",
                                     "X-Content-Type-Options": "nosniff"})

    # ------------------------------------------------------------ actions

    async def answer(self, request: web.Request) -> web.Response:
        user, form = await self.posted(request)
        question_id = request.match_info["id"]
        if not QUESTION_ID.fullmatch(question_id):
            raise web.HTTPNotFound()
        answer, verdict, section = form.get("answer", "").strip()[:3000], form.get("verdict", ""), form.get("section", "")
        if not answer or verdict not in VERDICT_LABELS or (section and section not in self.pack.sections):
            raise web.HTTPBadRequest(text='{"error": "answer, verdict and guideline: check the form"}', content_type="application/json")
        await self.owners.answer(question_id, answer, verdict, section, "web:" + user, form.get("add") == "yes")
        raise web.HTTPSeeOther("/console/questions")

    async def dismiss(self, request: web.Request) -> web.Response:
        await self.posted(request)
        gap = request.match_info["gap"]
        if not GAP_KEY.fullmatch(gap):
            raise web.HTTPNotFound()
        await self.owners.dismiss_gap("" if gap == "none" else gap)
        raise web.HTTPSeeOther("/console/gaps")

    async def suggest(self, request: web.Request) -> web.Response:
        _, form = await self.posted(request)
        gap = request.match_info["gap"]
        answer, verdict, section = form.get("answer", "").strip()[:3000], form.get("verdict", ""), form.get("section", "")
        if not GAP_KEY.fullmatch(gap) or not answer or verdict not in VERDICT_LABELS or (section and section not in self.pack.sections):
            raise web.HTTPBadRequest(text='{"error": "answer, verdict and guideline: check the form"}', content_type="application/json")
        await self.owners.suggest_gap("" if gap == "none" else gap, form.get("question", "").strip()[:500], verdict, answer, section)
        raise web.HTTPSeeOther("/console/gaps")


def routes(owners: OwnersDesk, identity: WebIdentity, allowed: tuple[str, ...]) -> list[web.RouteDef]:
    """The console's pages, CSVs and actions (none when no web identity is served)."""
    if not identity.enabled:
        return []
    console = Console(owners, identity, allowed)
    pages = {"overview": console.overview, "questions": console.questions, "gaps": console.gaps, "quizzes": console.quizzes,
             "reports": console.reports}
    out = [web.get(path, pages[name]) for name, path, _ in PAGES]
    out += [web.get("/console/csv/{name}.csv", console.csv),
            web.post("/console/questions/{id}/answer", console.answer),
            web.post("/console/gaps/{gap}/dismiss", console.dismiss),
            web.post("/console/gaps/{gap}/suggest", console.suggest)]
    return out
