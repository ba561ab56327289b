"""Labelled questions and drafts of a pack (`labelled/questions.jsonl`, `labelled/drafts.jsonl`), the data the
learned models of bot/policy/learned.py fit on beside the situations' examples and the detectors' sentences.

One JSON object a line, the shape of the evaluation sets in tests/eval/: `question` (or `draft`), `sections`
(the guidelines a right answer or a finding may rest on; `[]` for a question the guidelines don't cover or a
clean draft) and `verdicts` (those a careful owner accepts). Other keys (`id`, `source`) are ignored. Both
files are optional: a pack without them learns from its examples alone. `smpolicy content check` names the
line of every mistake.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.policy.pack import Pack

QUESTION_VERDICTS = frozenset({"allowed", "not_allowed", "conditional", "info", "unknown"})
DRAFT_VERDICTS = frozenset({"ok", "review", "do_not_post"})
FOLDER = "labelled"


@dataclass(frozen=True)
class Labelled:
    """A labelled question or draft: its words, the guidelines it rests on and the verdicts accepted."""

    text: str
    sections: tuple[str, ...]
    verdicts: tuple[str, ...]


def read(folder: Path, kind: str, sections: set[str], problem: Callable[[str, int, str], None]) -> tuple[Labelled, ...]:
    """`kind` is "questions" or "drafts"; problems go to `problem(file, line, message)`."""
    name = f"{FOLDER}/{kind}.jsonl"
    path = folder / name
    if not path.exists():
        return ()
    key, allowed = ("question", QUESTION_VERDICTS) if kind == "questions" else ("draft", DRAFT_VERDICTS)
    out: list[Labelled] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        problem(name, 0, f"cannot read: {exc}")
        return ()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            problem(name, number, f"not valid JSON: {exc}")
            continue
        text, secs, verdicts = (row.get(key), row.get("sections"), row.get("verdicts")) if isinstance(row, dict) else (None, None, None)
        if not isinstance(text, str) or not text.strip():
            problem(name, number, f"needs \"{key}\": a non-empty text")
            continue
        if not isinstance(secs, list) or not all(isinstance(s, str) for s in secs):
            problem(name, number, "needs \"sections\": a list of section ids ([] when none applies)")
            continue
        if not isinstance(verdicts, list) or not verdicts or not all(v in allowed for v in verdicts):
            problem(name, number, f"needs \"verdicts\": a non-empty list of {', '.join(sorted(allowed))}")
            continue
        unknown = [s for s in secs if s not in sections and s.split(".")[0] not in sections]
        if unknown:
            problem(name, number, f"unknown section {', '.join(map(repr, unknown))}")
            continue
        out.append(Labelled(text.strip(), tuple(secs), tuple(verdicts)))
    return tuple(out)


def leave_out(pack: Pack, questions: Iterable[str] = (), drafts: Iterable[str] = ()) -> Pack:
    """The pack without these labelled questions and drafts (compared as stripped, lower-case text): for measuring
    the learned layer on a set it has not learned from."""
    q, d = {t.strip().lower() for t in questions}, {t.strip().lower() for t in drafts}
    return dataclasses.replace(pack, labelled_questions=tuple(x for x in pack.labelled_questions if x.text.lower() not in q),
                               labelled_drafts=tuple(x for x in pack.labelled_drafts if x.text.lower() not in d))
