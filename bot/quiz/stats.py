"""Quiz statistics for the policy owners: per round, hardest questions, weakest sections. No names."""

from __future__ import annotations

from bot.policy.pack import Pack
from bot.store import Store


def rounds(store: Store) -> list[dict]:
    """Per round: invitations sent, quizzes started (at least one answer), finished, average score."""
    return list(store.db.query("""
        SELECT r.round_id AS round,
               (SELECT COUNT(*) FROM quiz_sends s WHERE s.round_id = r.round_id AND s.state = 'sent') AS sent,
               (SELECT COUNT(DISTINCT q.id) FROM quiz_sessions q JOIN quiz_answers a ON a.session_id = q.id
                 WHERE q.round_id = r.round_id) AS started,
               (SELECT COUNT(*) FROM quiz_sessions q WHERE q.round_id = r.round_id AND q.finished_at IS NOT NULL) AS finished,
               (SELECT ROUND(AVG(q.score), 2) FROM quiz_sessions q WHERE q.round_id = r.round_id AND q.finished_at IS NOT NULL)
                 AS average_score
        FROM quiz_rounds r ORDER BY r.round_id"""))


def hardest(store: Store, pack: Pack, limit: int = 5) -> list[dict]:
    """Questions answered wrong most often (share of wrong answers), with at least one answer."""
    text = {q.id: q.question for q in pack.questions}
    rows = store.db.query("""SELECT question_id, COUNT(*) AS answers, SUM(1 - correct) AS wrong FROM quiz_answers
                             GROUP BY question_id ORDER BY 1.0 * SUM(1 - correct) / COUNT(*) DESC, COUNT(*) DESC LIMIT ?""", [limit])
    return [{**r, "wrong_share": round(r["wrong"] / r["answers"], 2), "question": text.get(r["question_id"], "")} for r in rows]


def weakest(store: Store, pack: Pack) -> list[dict]:
    """Sections by share of wrong answers, worst first."""
    totals: dict[str, list[int]] = {}
    for r in store.db.query("SELECT section, correct FROM quiz_answers"):
        top = r["section"].split(".")[0]
        totals.setdefault(top, [0, 0])
        totals[top][0] += 1
        totals[top][1] += 1 - r["correct"]
    out = [{"section": s, "title": pack.sections[s].title if s in pack.sections else s, "answers": n, "wrong": w,
            "wrong_share": round(w / n, 2)} for s, (n, w) in totals.items()]
    return sorted(out, key=lambda r: (-r["wrong_share"], -r["answers"]))
