"""The owners' repository on both backends: events, helpful presses, gaps, retention, questions, suggestions."""

from __future__ import annotations

from bot.storage.insights import DISMISSED, AnswerEvent, Insights, OwnerQuestion, Suggestion


def event(n: int, day: str = "2026-11-02", verdict: str = "allowed", question: str | None = None, gap: str = "", section: str = "s1"):
    return AnswerEvent(f"e{n}", day, "web", verdict, "policy", "t", section, "high", question, gap)


def owner_question(qid: str, named: bool, day: str = "2026-11-03") -> OwnerQuestion:
    return OwnerQuestion(qid, day, "web", "Can I stream from the office?", "unknown", "", "gap-x", named,
                         "web:dana" if named else "", "web:dana" if named else "", "Dana" if named else "", "open",
                         "", "", "", "", "", False)


async def test_events_count_by_day_verdict_and_helpfulness(database):
    insights = Insights(database)
    await insights.record([event(1), event(2), event(3, verdict="unknown", question="what about [link]?", gap="g")])
    await insights.record([event(1)])  # a retried batch: no duplicate
    assert await insights.mark_helpful("e1", True)
    assert await insights.mark_helpful("e2", False, question="can I post this")
    assert not await insights.mark_helpful("missing", True)
    counts = {(r["verdict"], r["helpful"]): r["n"] for r in await insights.counts("2026-11-01")}
    assert counts == {("allowed", 1): 1, ("allowed", 0): 1, ("unknown", None): 1}
    assert await insights.counts("2026-11-03") == []
    sections = await insights.by_section("2026-01-01")
    assert [(r["section"], r["n"], r["up"], r["down"]) for r in sections] == [("s1", 3, 1, 1)]
    assert sorted(await insights.kept_questions()) == ["can I post this", "what about [link]?"]


async def test_gaps_are_open_kept_questions_and_dismissing_a_group_closes_it(database):
    insights = Insights(database)
    await insights.record([event(1, verdict="unknown", question="q1", gap="g1"), event(2, verdict="unknown", question="q2", gap="g1"),
                           event(3, verdict="unknown", question="q3", gap="g2"), event(4)])
    assert {r["event_id"] for r in await insights.gap_questions("2026-01-01")} == {"e1", "e2", "e3"}
    assert await insights.set_gap_status("g1", DISMISSED) == 2
    assert [r["event_id"] for r in await insights.gap_questions("2026-01-01")] == ["e3"]


async def test_retention_deletes_old_words_and_old_owner_questions_but_keeps_counts(database):
    insights = Insights(database)
    await insights.record([event(1, day="2026-01-01", question="old words"), event(2, day="2026-06-01", question="new words")])
    await insights.add_question(owner_question("Q-OLD", True, day="2026-01-02"), None)
    await insights.add_question(owner_question("Q-NEW", True, day="2026-06-02"), None)
    assert await insights.forget_before("2026-03-01") == 1
    assert await insights.kept_questions() == ["new words"]
    assert sum(r["n"] for r in await insights.counts("2025-01-01")) == 2
    assert await insights.question("Q-OLD") is None and await insights.question("Q-NEW") is not None


async def test_owner_questions_answer_once_deliver_once_and_anonymous_tokens_are_one_time(database):
    insights = Insights(database)
    await insights.add_question(owner_question("Q-NAMED", True), None)
    await insights.add_question(owner_question("Q-ANON", False), "hash-of-token")
    anon = await insights.question("Q-ANON")
    assert anon and anon.asker_key == "" and anon.asker_name == "" and not anon.named
    assert [q.id for q in await insights.questions("open")] == ["Q-ANON", "Q-NAMED"]
    assert await insights.answer_question("Q-NAMED", "Yes, with approval.", "conditional", "s1", "web:owner", "2026-11-04")
    assert not await insights.answer_question("Q-NAMED", "Again", "allowed", "s1", "web:other", "2026-11-04")
    assert [q.answer for q in await insights.undelivered_for("web:dana")] == ["Yes, with approval."]
    assert await insights.mark_delivered("Q-NAMED") and not await insights.mark_delivered("Q-NAMED")
    assert await insights.undelivered_for("web:dana") == []
    assert (await insights.by_token("hash-of-token")).id == "Q-ANON"
    assert await insights.spend_token("Q-ANON") and not await insights.spend_token("Q-ANON")
    assert await insights.by_token("hash-of-token") is None


async def test_suggestions_are_listed_by_status(database):
    insights = Insights(database)
    await insights.add_suggestion(Suggestion("S1", "2026-11-04", "Can I stream?", "conditional", "With approval.", "s1", "owner question", "new"))
    assert [s.answer for s in await insights.suggestions()] == ["With approval."]
    assert await insights.suggestions("exported") == []


async def test_quiz_and_report_figures_read_the_existing_tables(database):
    insights = Insights(database)
    await database.execute("INSERT INTO quiz_rounds (round_id, started_at, finished_at) VALUES ('r1', 100, NULL)")
    for user, score in (("a", 3), ("b", 1)):
        await database.execute("INSERT INTO quiz_sends (round_id, user_key, state, channel, at) VALUES ('r1', ?, 'sent', 'web', 100)", [user])
        await database.execute("INSERT INTO quiz_sessions (id, user_key, questions, position, score, started_at, finished_at, round_id) "
                               "VALUES (?, ?, '[]', 3, ?, 100, 200, 'r1')", [f"s-{user}", user, score])
    await database.execute("INSERT INTO quiz_answers (session_id, user_key, question_id, section, correct, at) VALUES ('s-a', 'a', 'q1', 'x', 0, 1)")
    await database.execute("INSERT INTO quiz_answers (session_id, user_key, question_id, section, correct, at) VALUES ('s-b', 'b', 'q1', 'x', 1, 1)")
    [r] = await insights.quiz_rounds()
    assert (r["round_id"], r["invited"], r["finished"], float(r["avg_score"])) == ("r1", 2, 2, 2.0)
    [q] = await insights.quiz_questions()
    assert (q["question_id"], q["n"], float(q["right_share"])) == ("q1", 2, 0.5)
    assert (await insights.quiz_totals())["sessions"] == 2
    await database.execute("INSERT INTO reports (ref, created_at, status, category) VALUES ('R-AAAAAA', 1800000000, 'new', 'privacy')")
    assert [(r["category"], r["status"]) for r in await insights.report_cases()] == [("privacy", "new")]
