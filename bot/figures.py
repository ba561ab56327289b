"""The policy owners' figures as tables: the console (adapters/web/console) renders them as HTML and SVG, the
command line (`smpolicy insights`) prints them, both offer them as CSV. Built from the Insights repository.

Report figures never show a count below 5: it reads "fewer than 5", so that no number can point at a person.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from bot.policy.engine import VERDICT_LABELS
from bot.policy.pack import Pack
from bot.storage.insights import Insights

VERDICTS = tuple(VERDICT_LABELS)
FEWER = "fewer than 5"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Table:
    """One downloadable table: a name for its CSV file, a title, a header row and the rows."""

    name: str
    title: str
    columns: list[str]
    rows: list[list] = field(default_factory=list)

    def csv(self) -> str:
        """CSV with a header row; a cell that a spreadsheet would run as a formula starts with an apostrophe."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow([safe_cell(c) for c in self.columns])
        writer.writerows([[safe_cell(c) for c in row] for row in self.rows])
        return out.getvalue()

    def to_json(self) -> dict:
        return {"name": self.name, "title": self.title, "columns": self.columns, "rows": self.rows}


def safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def week_of(day: str) -> str:
    """The Monday of the ISO week of a YYYY-MM-DD day."""
    d = date.fromisoformat(day)
    return (d - timedelta(days=d.weekday())).isoformat()


def default_since(weeks: int = 26) -> str:
    return week_of((datetime.now(UTC).date() - timedelta(weeks=weeks)).isoformat())


def percent(part: float, whole: float) -> str:
    return f"{round(100 * part / whole)}%" if whole else "n/a"


def at_least_five(n: int) -> int | str:
    return n if n >= 5 else FEWER


@dataclass
class Overview:
    total: int
    answered_share: str
    helpful_rate: str
    feedback: int
    weeks: Table
    guidelines: Table


async def overview(insights: Insights, pack: Pack, since: str) -> Overview:
    weekly: dict[str, dict[str, int]] = {}
    total = answered = up = down = 0
    for r in await insights.counts(since):
        n = int(r["n"])
        row = weekly.setdefault(week_of(r["day"]), dict.fromkeys(VERDICTS, 0))
        row[r["verdict"]] = row.get(r["verdict"], 0) + n
        total += n
        answered += 0 if r["verdict"] == "unknown" else n
        up += n if r["helpful"] == 1 else 0
        down += n if r["helpful"] == 0 else 0
    weeks = Table("weeks", "Questions per week by verdict", ["week", *VERDICTS, "total"])
    for week in sorted(weekly):
        counts = weekly[week]
        weeks.rows.append([week, *(counts.get(v, 0) for v in VERDICTS), sum(counts.values())])
    guidelines = Table("guidelines", "Guidelines asked about", ["guideline", "section", "answers", "helpful", "not helpful"])
    for r in (await insights.by_section(since))[:20]:
        title = pack.section(r["section"]).title if r["section"].split(".")[0] in pack.sections else r["section"]
        guidelines.rows.append([title, r["section"], int(r["n"]), int(r["up"] or 0), int(r["down"] or 0)])
    return Overview(total, percent(answered, total), percent(up, up + down), up + down, weeks, guidelines)


@dataclass
class Gap:
    key: str
    situation: str  # the nearest listed situation, in words
    section: str
    count: int
    unknown: int
    not_helpful: int
    last_day: str
    questions: list[str]


async def gaps(insights: Insights, pack: Pack, since: str) -> tuple[list[Gap], Table]:
    """Kept questions grouped by the nearest listed situation, biggest group first."""
    topics = {t.id: t for t in pack.topics}
    groups: dict[str, Gap] = {}
    for r in await insights.gap_questions(since):
        key = r["gap"] or "none"
        topic = topics.get(key)
        gap = groups.get(key)
        if gap is None:
            gap = groups[key] = Gap(key, topic.examples[0] if topic and topic.examples else "nothing close",
                                    topic.section if topic else "", 0, 0, 0, r["day"], [])
        gap.count += 1
        gap.unknown += r["verdict"] == "unknown"
        gap.not_helpful += r["helpful"] == 0
        if len(gap.questions) < 5 and r["question"] not in gap.questions:
            gap.questions.append(r["question"])
    ordered = sorted(groups.values(), key=lambda g: (-g.count, g.key))
    table = Table("gaps", "Unanswered and not-helpful questions, grouped", ["group", "closest situation", "guideline",
                                                                              "questions", "not covered", "not helpful",
                                                                              "latest", "examples"])
    for g in ordered:
        title = pack.section(g.section).title if g.section else ""
        table.rows.append([g.key, g.situation, title, g.count, g.unknown, g.not_helpful, g.last_day, " | ".join(g.questions)])
    return ordered, table


async def quizzes(insights: Insights, pack: Pack) -> list[Table]:
    rounds = Table("rounds", "Participation per weekly round", ["round", "started", "invited", "finished", "participation",
                                                                "average score"])
    for r in await insights.quiz_rounds():
        started = datetime.fromtimestamp(r["started_at"] or 0, UTC).strftime("%Y-%m-%d")
        avg = "" if r["avg_score"] is None else f"{float(r['avg_score']):.1f}"
        rounds.rows.append([r["round_id"], started, int(r["invited"]), int(r["finished"]), percent(int(r["finished"]), int(r["invited"])), avg])
    questions = {q.id: q for q in pack.questions}
    hardest = Table("hardest", "Hardest questions", ["question", "guideline", "answers", "answered right"])
    for r in await insights.quiz_questions():
        q = questions.get(r["question_id"])
        hardest.rows.append([q.question if q else r["question_id"], _title(pack, r["section"]), int(r["n"]),
                             percent(float(r["right_share"]) * int(r["n"]), int(r["n"]))])
    weakest = Table("weakest", "Weakest guidelines", ["guideline", "answers", "answered right"])
    for r in await insights.quiz_sections():
        weakest.rows.append([_title(pack, r["section"]), int(r["n"]), percent(float(r["right_share"]) * int(r["n"]), int(r["n"]))])
    totals = await insights.quiz_totals()
    summary = Table("quiz_summary", "All quizzes", ["finished quizzes", "average score"],
                    [[int(totals["sessions"] or 0), "" if totals["avg_score"] is None else f"{float(totals['avg_score']):.1f}"]])
    return [summary, rounds, hardest, weakest]


async def reports(insights: Insights, pack: Pack, months: int = 12) -> list[Table]:
    """Cases per month by guideline and by status; every count under 5 (zero too) reads "fewer than 5"."""
    by_guideline: dict[tuple[str, str], int] = {}
    by_status: dict[tuple[str, str], int] = {}
    statuses: set[str] = {"new", "acknowledged", "closed"}
    for r in await insights.report_cases():
        month = datetime.fromtimestamp(r["created_at"] or 0, UTC).strftime("%Y-%m")
        by_guideline[(month, r["category"] or "")] = by_guideline.get((month, r["category"] or ""), 0) + 1
        by_status[(month, r["status"] or "")] = by_status.get((month, r["status"] or ""), 0) + 1
        statuses.add(r["status"] or "")
    now = datetime.now(UTC)
    month_list = []
    y, m = now.year, now.month
    for _ in range(months):
        month_list.append(f"{y:04d}-{m:02d}")
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    categories = [s.id for s in pack.sections.values() if "." not in s.id]
    guideline = Table("cases_by_guideline", "Cases per month by guideline", ["month", "guideline", "cases"])
    status = Table("cases_by_status", "Cases per month by status", ["month", "status", "cases"])
    for month in month_list:
        for c in categories:
            guideline.rows.append([month, pack.section(c).title, at_least_five(by_guideline.get((month, c), 0))])
        for s in sorted(statuses):
            status.rows.append([month, s, at_least_five(by_status.get((month, s), 0))])
    return [status, guideline]


def _title(pack: Pack, section: str | None) -> str:
    if not section:
        return ""
    return pack.section(section).title if section.split(".")[0] in pack.sections else section


async def all_tables(insights: Insights, pack: Pack, since: str) -> dict[str, Table]:
    """Every table of the console, by name (the CLI prints them all)."""
    view = await overview(insights, pack, since)
    _, gap_table = await gaps(insights, pack, since)
    summary = Table("summary", "Answers", ["since", "answers", "answered", "helpful rate", "feedback presses"],
                    [[since, view.total, view.answered_share, view.helpful_rate, view.feedback]])
    tables = [summary, view.weeks, view.guidelines, gap_table, *await quizzes(insights, pack), *await reports(insights, pack)]
    return {t.name: t for t in tables}


def suggestions_toml(suggestions: list, pack: Pack) -> str:
    """Draft situations as [[topic]] entries to paste into content/answers.toml (ids to check, examples to add)."""
    lines = ["# Drafted by the policy owners (smpolicy content suggestions). Check each id, section and answer,",
             "# add more example phrasings, then paste into content/answers.toml.", ""]
    for s in suggestions:
        verdict = s.verdict if s.verdict in ("allowed", "not_allowed", "conditional", "info") else "info"
        section = s.section if s.section in pack.sections else "TODO-section"
        slug = "-".join(w for w in "".join(ch.lower() if ch.isalnum() else " " for ch in s.question).split()[:6]) or s.id.lower()
        lines += ["[[topic]]", f"id = {json.dumps(slug)}", f"section = {json.dumps(section)}", f"verdict = {json.dumps(verdict)}",
                  f"answer = {json.dumps(s.answer)}", f"examples = [{json.dumps(s.question.splitlines()[0] if s.question else '')}]",
                  f"# {s.id}, {s.day}, from {s.source}", ""]
    return "\n".join(lines)
