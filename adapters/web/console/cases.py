"""The reviewers' console at /console/cases: plain server-rendered HTML, no script, readable on a phone.

Who may open it: the owners' console's identity rules (adapters/web/identity.py: the SSO header from trusted
proxies; on a loopback host without it, the account running smpolicy), and then the reviewers' role: the web
identity `web:<user>` must be in the reviewers' group (SMPOLICY_WEB_REVIEWERS). Anyone else gets 403 on every
page and action. A reviewer kept from a case (by its reporter, or recused) sees its reference in the list only
and gets 403 on its page and every action on it. Every action is a POST form with a CSRF token (an HMAC of the
reviewer's identity with a key made at start) and the Host/Origin checks of the web chat; every page is sent
with `Cache-Control: no-store`. The rules themselves are the review desk's (bot/reports/review.py, the actions one
table in bot/reports/case_actions.py), the same ones the Slack modals and Teams dialogs use.

    /console/cases                       the case list: overdue first, filters by status and guideline (links)
    /console/cases/{ref}                 the case: words, messages, notes, audit log, the actions
    /console/cases/{ref}/{action}        POST: acknowledge, review, assign, message, note, close, reopen, recuse
"""

from __future__ import annotations

import getpass
import hashlib
import hmac
import os
import time
from html import escape
from urllib.parse import urlencode

from aiohttp import web

from adapters.web.console.page import layout
from adapters.web.identity import WebIdentity
from bot.reports.case_actions import ACTIONS, OUTCOMES
from bot.reports.cases import Case, CaseRow, overdue, valid_ref
from bot.reports.review import STATUS_LABELS, ReviewDesk

PAGES = [("cases", "/console/cases", "Cases")]
HEADING = "Reviewers' console"
DONE = {"acknowledge": "Acknowledged.", "review": "Review started.", "assign": "Assignment saved.",
        "message": "Message saved: the reporter reads it when they open the case with their code.", "note": "Note saved.",
        "close": "Case closed.", "reopen": "Case reopened.", "recuse": "You recused yourself: the case is kept from you now."}
HEADERS = {"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
           "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"}


def _forbidden(why: str) -> web.HTTPForbidden:
    return web.HTTPForbidden(text=f"<!doctype html><title>Refused</title><p>{escape(why)}</p>", content_type="text/html",
                             headers=HEADERS)


class CaseConsole:
    def __init__(self, review: ReviewDesk, identity: WebIdentity):
        self.review, self.identity = review, identity
        self.key = os.urandom(32)

    # ------------------------------------------------------------ who

    async def who(self, request: web.Request, form: bool = False) -> str:
        """The verified reviewer's key (`web:<user>`), or 403."""
        self.identity.check_request(request, forms=form)
        user = self.identity.user(request, "") if self.identity.header else getpass.getuser()
        key = "web:" + user
        if not await self.review.book.is_reviewer(key):
            raise _forbidden("The case console is for the designated reviewers.")
        return key

    def token(self, key: str) -> str:
        return hmac.new(self.key, key.encode(), hashlib.sha256).hexdigest()

    async def posted(self, request: web.Request) -> tuple[str, dict[str, str]]:
        key = await self.who(request, form=True)
        if request.content_type != "application/x-www-form-urlencoded":
            raise web.HTTPUnsupportedMediaType(text='{"error": "body: a form"}', content_type="application/json")
        data = await request.post()
        fields = {k: str(v) for k, v in data.items() if isinstance(v, str)}
        if not hmac.compare_digest(fields.get("csrf", ""), self.token(key)):
            raise _forbidden("Stale or missing form token: reload the page.")
        return key, fields

    def html(self, body: str, title: str, key: str, status: int = 200) -> web.Response:
        return web.Response(text=layout(title, body, key.removeprefix("web:"), "cases", heading=HEADING, pages=PAGES),
                            status=status, content_type="text/html", charset="utf-8", headers=HEADERS)

    # ------------------------------------------------------------ the list

    async def listing(self, request: web.Request) -> web.Response:
        key = await self.who(request)
        status, guideline = request.query.get("status", "open"), request.query.get("guideline", "")
        if status not in (*STATUS_LABELS, "open", "all"):
            status = "open"
        rows, kept = await self.review.visible(key, include_closed=status in ("closed", "all"))
        await self.review.book.audit(key, "list", "")
        if status not in ("open", "all"):
            rows = [r for r in rows if r.status == status]
        if guideline:
            rows = [r for r in rows if r.category == guideline]
        today = self.review.book.today()
        names = await self.review.names()
        body = [self._filters(status, guideline)]
        head = "<tr><th>Case</th><th>Guideline</th><th>Urgency</th><th>Status</th><th>Acknowledge by</th><th>Feedback by</th><th>Assigned</th></tr>"
        lines = "".join(self._row(r, today, names) for r in rows) or '<tr><td colspan="7" class="muted">No cases.</td></tr>'
        body.append(f'<div class="scroll"><table><caption>{len(rows)} case{"s" if len(rows) != 1 else ""}, overdue first</caption>'
                    f"<thead>{head}</thead><tbody>{lines}</tbody></table></div>")
        if kept:
            body.append("<h2>Kept from you</h2><p class=\"muted\">Their reporters kept these cases from you, or you recused yourself: "
                        "only their references are shown.</p><ul>" + "".join(f"<li>{escape(ref)}</li>" for ref in kept) + "</ul>")
        return self.html("\n".join(body), "Cases", key)

    def _filters(self, status: str, guideline: str) -> str:
        def chip(label: str, query: dict[str, str], on: bool) -> str:
            href = "/console/cases?" + urlencode({k: v for k, v in query.items() if v})
            return f'<a href="{escape(href)}"{" aria-current=page" if on else ""}>{escape(label)}</a>'

        statuses = [("Open", "open"), *((STATUS_LABELS[s].capitalize(), s) for s in STATUS_LABELS), ("All", "all")]
        sections = [("Every guideline", "")] + [(s.title, s.id) for s in self.review.pack.sections.values() if "." not in s.id] + [("Other", "other")]
        by_status = "".join(chip(label, {"status": value, "guideline": guideline}, value == status) for label, value in statuses)
        by_guideline = "".join(chip(label, {"status": status, "guideline": value}, value == guideline) for label, value in sections)
        return (f'<nav aria-label="Status">{by_status}</nav><details{" open" if guideline else ""}><summary>Guideline</summary>'
                f'<nav aria-label="Guideline">{by_guideline}</nav></details>')

    def _row(self, row: CaseRow, today: str, names: dict[str, str]) -> str:
        late = overdue(row, today)
        ack = escape(row.ack_due) + (' <span class="late">overdue</span>' if "ack" in late else "")
        feedback = escape(row.feedback_due) + (' <span class="late">overdue</span>' if "feedback" in late else "")
        who = escape(names.get(row.assignee, row.assignee)) if row.assignee else '<span class="muted">nobody</span>'
        return (f'<tr><td><a href="/console/cases/{escape(row.ref)}">{escape(row.ref)}</a></td><td>{escape(self.review.category(row.category))}</td>'
                f"<td>{escape(row.urgency)}</td><td>{escape(STATUS_LABELS[row.status])}</td><td>{ack}</td><td>{feedback}</td><td>{who}</td></tr>")

    # ------------------------------------------------------------ one case

    async def case_page(self, request: web.Request) -> web.Response:
        key = await self.who(request)
        ref = request.match_info["ref"]
        if not valid_ref(ref):
            raise web.HTTPNotFound()
        done = request.query.get("done", "")
        # The page shown right after an action is not a new reading (the action is in the audit log already).
        case = await self.review.open_case(key, ref, audit=done not in DONE)
        if isinstance(case, str):
            raise self._refusal(case, ref)
        flash = f'<p class="flash" role="status">{escape(DONE[done])}</p>' if done in DONE else ""
        return self.html(flash + await self._case_html(case, key), f"Case {ref}", key)

    def _refusal(self, why: str, ref: str) -> web.HTTPException:
        if why.startswith("There is no case"):
            return web.HTTPNotFound(text=f"<!doctype html><title>No case</title><p>{escape(why)}</p>", content_type="text/html", headers=HEADERS)
        return _forbidden(why)

    async def _case_html(self, case: Case, key: str, error: str = "") -> str:
        names = await self.review.names()
        token = self.token(key)
        late = overdue(case.row, self.review.book.today()) if case.row else []
        facts = [("Status", STATUS_LABELS[case.status]), ("Guideline", self.review.category(case.category)), ("Urgency", case.urgency),
                 ("Age", self.review.book.age(case.created_at)),
                 ("Acknowledge by", case.ack_due + (" (overdue)" if "ack" in late else "")),
                 ("Feedback by", case.feedback_due + (" (overdue)" if "feedback" in late else "")),
                 ("Assigned to", names.get(case.assignee, case.assignee) if case.assignee else "nobody")]
        if case.outcome:
            facts.append(("Outcome", case.outcome))
        out = [f'<p class="flash bad" role="alert">{escape(error)}</p>' if error else "",
               '<article><dl class="facts">' + "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in facts) + "</dl></article>",
               "<h2>What was reported</h2>"]
        for field, label in (("what", "What happened"), ("where", "Where"), ("link", "Link"), ("when", "When"), ("evidence", "Evidence")):
            if case.body.get(field):
                out.append(f'<h3>{label}</h3><p class="words">{escape(case.body[field])}</p>')
        thread = [m for m in case.messages if m.author != "note"]
        notes = [m for m in case.messages if m.author == "note"]
        out.append("<h2>Messages with the reporter</h2>")
        out.append("".join(f'<p class="words"><strong>{"Reporter" if m.author == "reporter" else "Reviewer"}:</strong> {escape(m.text)}</p>'
                           for m in thread) or '<p class="muted">No messages yet.</p>')
        out.append("<h2>Internal notes <small class=\"muted\">(reviewers only)</small></h2>")
        out.append("".join(f'<p class="words">{escape(m.text)}</p>' for m in notes) or '<p class="muted">No notes.</p>')
        out.append("<h2>Actions</h2><div class=\"actions\">" + "".join(await self._actions(case, token)) + "</div>")
        audit = await self.review.book.audit_log(case.ref)
        rows = "".join(f"<tr><td>{escape(_when(a.at))}</td><td>{escape(names.get(a.reviewer, a.reviewer))}</td><td>{escape(a.action)}</td>"
                       f"<td>{escape(names.get(a.detail, a.detail))}</td></tr>" for a in audit)
        out.append('<h2>Audit log</h2><div class="scroll"><table><thead><tr><th>When (UTC)</th><th>Reviewer</th><th>Action</th><th>Detail</th>'
                   f"</tr></thead><tbody>{rows}</tbody></table></div>")
        out.append('<p><a href="/console/cases">Back to the cases</a></p>')
        return "\n".join(out)

    async def _actions(self, case: Case, token: str) -> list[str]:
        ref = escape(case.ref)

        def form(action: str, title: str, inner: str = "", button: str = "", quiet: bool = False) -> str:
            return (f'<article><h3>{escape(title)}</h3><form method="post" action="/console/cases/{ref}/{action}">'
                    f'<input type="hidden" name="csrf" value="{token}">{inner}'
                    f'<button type="submit"{" class=quiet" if quiet else ""}>{escape(button or title)}</button></form></article>')

        out = []
        if case.status == "new":
            out.append(form("acknowledge", "Acknowledge", '<p class="muted">Tells the reporter the report was received.</p>'))
        if case.status == "acknowledged":
            out.append(form("review", "Start review"))
        if case.status != "closed":
            out.append(form("message", "Message the reporter", '<label>Message<textarea name="message" rows="3" required maxlength="2000">'
                            "</textarea></label>", "Send to the reporter"))
        out.append(form("note", "Internal note", '<label>Note (reviewers only)<textarea name="note" rows="3" required maxlength="2000">'
                        "</textarea></label>", "Save the note"))
        if case.status != "closed":
            options = '<option value="">nobody</option>' + "".join(
                f'<option value="{escape(k)}"{" selected" if k == case.assignee else ""}>{escape(n)}</option>' for k, n in await self.review.assignable(case.ref))
            out.append(form("assign", "Assign", f'<label>Reviewer<select name="reviewer">{options}</select></label>'))
            outcomes = "".join(f'<option value="{v}">{escape(label)}</option>' for label, v in OUTCOMES)
            out.append(form("close", "Close with an outcome", f'<label>Outcome<select name="outcome" required>{outcomes}</select></label>', "Close the case"))
        else:
            out.append(form("reopen", "Reopen", '<label>Why reopen it?<textarea name="reason" rows="2" required maxlength="2000"></textarea></label>'))
        out.append(form("recuse", "Recuse yourself", '<p class="muted">You will no longer see this case beyond its reference.</p>',
                        "Recuse me", quiet=True))
        return out

    async def act(self, request: web.Request) -> web.Response:
        key, fields = await self.posted(request)
        ref, action = request.match_info["ref"], request.match_info["action"]
        if not valid_ref(ref) or action not in ACTIONS:
            raise web.HTTPNotFound()
        refused = await self.review.access(key, ref)
        if refused:
            raise self._refusal(refused, ref)
        done = await self.review.perform(key, ref, action, fields)
        if not done.ok:
            case = await self.review.book.case(ref)
            if case is None:
                raise web.HTTPNotFound()
            return self.html(await self._case_html(case, key, done.message), f"Case {ref}", key, 400 if done.field else 409)
        if action == "recuse":
            raise web.HTTPSeeOther("/console/cases", headers={"Cache-Control": "no-store"})
        raise web.HTTPSeeOther(f"/console/cases/{ref}?done={action}", headers={"Cache-Control": "no-store"})


def _when(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(ts))


def routes(review: ReviewDesk, identity: WebIdentity) -> list[web.RouteDef]:
    """The reviewers' console pages and actions (none when no web identity is served)."""
    if not identity.enabled:
        return []
    console = CaseConsole(review, identity)
    return [web.get("/console/cases", console.listing), web.get("/console/cases/{ref}", console.case_page),
            web.post("/console/cases/{ref}/{action}", console.act)]


__all__ = ["CaseConsole", "routes"]
