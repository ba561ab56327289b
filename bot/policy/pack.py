"""Load and validate a content pack folder.

A pack is four files: `pack.toml` (identity, contacts), `policy.md` (sectioned guideline
text), `answers.toml` (situations turned into verdicts) and `quiz.toml` (the question bank),
plus optional `lexicon.toml` (synonyms and platform names for matching), `scope.toml` (kinds of
message the guidelines do not answer), `checks.toml` (draft-check rules and detectors) and
`calibration.toml` (how match scores map to a confidence).
Every problem is reported with its file and line; `load_pack` raises `PackError` listing all.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from bot.check.rules import parse_checks, parse_detectors
from bot.policy import labelled
from bot.policy.calibration import Calibration
from bot.policy.labelled import Labelled
from bot.policy.scope import opening

VERDICTS = ("allowed", "not_allowed", "conditional", "info")
HEADING = re.compile(r"^(#{2,3})\s+(.+?)\s*\{#([a-z0-9][a-z0-9.-]*)\}\s*$")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a pack, located by file and line."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class PackError(Exception):
    """A content pack that cannot be used; `problems` says where and why."""

    def __init__(self, problems: list[Problem]):
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    text: str


@dataclass(frozen=True)
class Topic:
    id: str
    section: str
    verdict: str
    answer: str
    examples: tuple[str, ...]
    conditions: tuple[str, ...] = ()
    ask: str = ""
    report: bool = False
    quote: str = ""


@dataclass(frozen=True)
class OffTopic:
    """Messages the guidelines do not answer, with who helps instead (`kind` and `reply` from scope.toml)."""

    ask: str
    examples: tuple[str, ...]
    kind: str = "other"
    reply: str = ""
    opens: tuple[re.Pattern[str], ...] = ()  # openings that make a message this kind whatever its words (scope.toml)


SCOPE_KINDS = ("fact", "howto", "smalltalk", "write", "other-policy")


@dataclass(frozen=True)
class Question:
    id: str
    section: str
    question: str
    choices: tuple[str, ...]
    answer: int
    explanation: str


@dataclass
class Pack:
    """A loaded, validated content pack."""

    title: str
    version: str
    effective: str
    contacts: dict[str, str]
    sections: dict[str, Section]
    topics: list[Topic]
    offtopics: list[OffTopic]
    questions: list[Question]
    synonyms: dict[str, str] = field(default_factory=dict)
    platforms: tuple[str, ...] = ()
    checks: list = field(default_factory=list)
    compounds: dict[tuple[str, str], str] = field(default_factory=dict)
    calibration: Calibration = field(default_factory=Calibration)
    detectors: list = field(default_factory=list)
    labelled_questions: tuple[Labelled, ...] = ()  # labelled/questions.jsonl: what the learned models fit on
    labelled_drafts: tuple[Labelled, ...] = ()
    digest: str = ""  # SHA-256 of the pack's files: what learned weights are cached under

    def section(self, section_id: str) -> Section:
        """The section with this id, or its top-level parent's when the sub-id is unknown."""
        return self.sections.get(section_id) or self.sections[section_id.split(".")[0]]

    def contact(self, key: str) -> str:
        """Who to ask, by contact key, falling back to the default contact."""
        return self.contacts.get(key) or self.contacts.get("default", "the policy owners")


class _Reader:
    """Collects problems while reading one pack folder."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.problems: list[Problem] = []

    def problem(self, file: str, line: int, message: str) -> None:
        self.problems.append(Problem(file, line, message))

    def toml(self, name: str, required: bool = True) -> tuple[dict, list[str]]:
        path = self.folder / name
        if not path.exists():
            if required:
                self.problem(name, 0, "file is missing")
            return {}, []
        try:
            raw = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            self.problem(name, 0, f"cannot read: {exc}")
            return {}, []
        try:
            return tomllib.loads(raw), raw.splitlines()
        except tomllib.TOMLDecodeError as exc:
            line = getattr(exc, "lineno", None) or _line_from_message(str(exc)) or len(raw.splitlines())
            self.problem(name, line, f"not valid TOML: {getattr(exc, 'msg', exc)}")
            return {}, []


def _line_from_message(message: str) -> int:
    m = re.search(r"line (\d+)", message)
    return int(m.group(1)) if m else 0


def _table_lines(lines: list[str], header: str) -> list[int]:
    """1-based line numbers of each `[[header]]` in order, to locate array-of-table entries."""
    mark = f"[[{header}]]"
    return [i + 1 for i, text in enumerate(lines) if text.strip() == mark]


def parse_policy(text: str, reader: _Reader, name: str = "policy.md") -> dict[str, Section]:
    """Parse `## Title {#id}` sections of the policy markdown."""
    sections: dict[str, Section] = {}
    current: tuple[str, str, int] | None = None
    body: list[str] = []
    in_comment = False

    def close() -> None:
        if current is None:
            return
        sid, title, line = current
        words = " ".join(s.strip() for s in body if s.strip())
        if not words:
            reader.problem(name, line, f"section {sid!r} has no text")
        if sid in sections:
            reader.problem(name, line, f"duplicate section id {sid!r}")
        sections[sid] = Section(sid, title, words)

    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if in_comment or stripped.startswith("<!--"):
            in_comment = "-->" not in stripped
            continue
        m = HEADING.match(stripped)
        if m:
            close()
            level, title, sid = m.groups()
            if level == "###" and "." not in sid:
                reader.problem(name, number, f"sub-section {sid!r} needs a dotted id such as parent.name")
            if "." in sid and sid.split(".")[0] not in sections:
                reader.problem(name, number, f"sub-section {sid!r} comes before its parent section")
            current, body = (sid, title, number), []
        elif stripped.startswith("#"):
            reader.problem(name, number, "heading without an id; write '## Title {#section-id}'")
        elif current is not None:
            body.append(line)
    close()
    if not sections and not any(p.file == name for p in reader.problems):
        reader.problem(name, 1, "no sections found")
    return sections


def _text_list(value) -> tuple[str, ...] | None:
    if isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value):
        return tuple(v.strip() for v in value)
    return None


def _topics(reader: _Reader, data: dict, lines: list[str], sections: dict[str, Section],
            contacts: dict[str, str]) -> tuple[list[Topic], list[OffTopic]]:
    name = "answers.toml"
    topics: list[Topic] = []
    seen: set[str] = set()
    where = _table_lines(lines, "topic")
    for i, raw in enumerate(data.get("topic", [])):
        line = where[i] if i < len(where) else 0
        missing = [k for k in ("id", "section", "verdict", "answer", "examples") if not raw.get(k)]
        if missing:
            reader.problem(name, line, f"topic is missing {', '.join(missing)}")
            continue
        tid, section = str(raw["id"]), str(raw["section"])
        if tid in seen:
            reader.problem(name, line, f"duplicate topic id {tid!r}")
        seen.add(tid)
        if section not in sections:
            reader.problem(name, line, f"topic {tid!r}: unknown section {section!r}")
            continue
        if raw["verdict"] not in VERDICTS:
            reader.problem(name, line, f"topic {tid!r}: verdict must be one of {', '.join(VERDICTS)}")
        examples = _text_list(raw["examples"])
        conditions = _text_list(raw.get("conditions", []))
        if examples is None or conditions is None:
            reader.problem(name, line, f"topic {tid!r}: examples and conditions must be lists of text")
            continue
        ask = str(raw.get("ask", ""))
        if ask and ask not in contacts:
            reader.problem(name, line, f"topic {tid!r}: ask {ask!r} is not a key of [contacts] in pack.toml")
        quote = str(raw.get("quote", ""))
        if quote and quote not in sections[section].text and quote not in sections[section.split(".")[0]].text:
            reader.problem(name, line, f"topic {tid!r}: quote is not the text of section {section!r}")
        topics.append(Topic(tid, section, raw["verdict"], str(raw["answer"]), examples, conditions,
                            ask, bool(raw.get("report", False)), quote))
    offtopics: list[OffTopic] = []
    where = _table_lines(lines, "offtopic")
    for i, raw in enumerate(data.get("offtopic", [])):
        line = where[i] if i < len(where) else 0
        examples = _text_list(raw.get("examples"))
        if not examples:
            reader.problem(name, line, "offtopic needs a list of examples")
            continue
        offtopics.append(OffTopic(str(raw.get("ask", "default")), examples))
    if not topics and not reader.problems:
        reader.problem(name, 1, "no topics")
    return topics, offtopics


def _scope(reader: _Reader, data: dict, lines: list[str], contacts: dict[str, str], topics: list[Topic]) -> list[OffTopic]:
    """The [[scope]] groups of scope.toml: kinds of message that are not questions for the guidelines. An `opens`
    pattern that opens one of the situations' own examples is a mistake: a question like it would never be answered."""
    name = "scope.toml"
    groups: list[OffTopic] = []
    where = _table_lines(lines, "scope")
    for i, raw in enumerate(data.get("scope", [])):
        line = where[i] if i < len(where) else 0
        kind, ask = str(raw.get("kind", "")), str(raw.get("ask", "default"))
        examples = _text_list(raw.get("examples"))
        if kind not in SCOPE_KINDS:
            reader.problem(name, line, f"scope kind must be one of {', '.join(SCOPE_KINDS)}")
            continue
        if not examples:
            reader.problem(name, line, f"scope {kind!r} needs a list of examples")
            continue
        if ask != "default" and ask not in contacts:
            reader.problem(name, line, f"scope {kind!r}: ask {ask!r} is not a key of [contacts] in pack.toml")
        opens = []
        for pattern in _text_list(raw.get("opens", [])) or []:
            try:
                compiled = re.compile(pattern)
            except re.error as exc:
                reader.problem(name, line, f"scope {kind!r}: opens pattern {pattern!r} is not a valid regular expression: {exc}")
                continue
            hit = next((e for t in topics for e in t.examples if compiled.match(opening(e))), None)
            if hit is not None:
                reader.problem(name, line, f"scope {kind!r}: opens pattern {pattern!r} opens the situation example {hit!r}")
                continue
            opens.append(compiled)
        groups.append(OffTopic(ask, examples, kind, str(raw.get("reply", "")).strip(), tuple(opens)))
    return groups


def _questions(reader: _Reader, data: dict, lines: list[str], sections: dict[str, Section]) -> list[Question]:
    name = "quiz.toml"
    questions: list[Question] = []
    seen: set[str] = set()
    where = _table_lines(lines, "question")
    for i, raw in enumerate(data.get("question", [])):
        line = where[i] if i < len(where) else 0
        missing = [k for k in ("id", "section", "question", "choices", "answer", "explanation") if k not in raw]
        if missing:
            reader.problem(name, line, f"question is missing {', '.join(missing)}")
            continue
        qid = str(raw["id"])
        if qid in seen:
            reader.problem(name, line, f"duplicate question id {qid!r}")
        seen.add(qid)
        choices = _text_list(raw["choices"])
        if choices is None or not 2 <= len(choices) <= 5:
            reader.problem(name, line, f"question {qid!r}: needs 2 to 5 choices")
            continue
        if len(set(choices)) != len(choices):
            reader.problem(name, line, f"question {qid!r}: choices repeat")
        answer = raw["answer"]
        if not isinstance(answer, int) or isinstance(answer, bool) or not 0 <= answer < len(choices):
            reader.problem(name, line, f"question {qid!r}: answer must be the index (0 to {len(choices) - 1}) of the right choice")
            continue
        if raw["section"] not in sections:
            reader.problem(name, line, f"question {qid!r}: unknown section {raw['section']!r}")
            continue
        questions.append(Question(qid, raw["section"], str(raw["question"]), choices, answer, str(raw["explanation"])))
    tested = {q.section.split(".")[0] for q in questions}
    for sid in sections:
        if "." not in sid and sid not in tested:
            reader.problem(name, 0, f"section {sid!r} has no quiz question")
    return questions


def _lexicon_lists(reader, lexicon: dict, table: str, what: str) -> list[tuple[str, object]]:
    """(key, item) for every item of every list in a lexicon table; a table of the wrong type is a problem."""
    raw = lexicon.get(table) or {}
    if not isinstance(raw, dict):
        reader.problem("lexicon.toml", 1, f"[{table}] must be a table of {what}")
        return []
    return [(key, item) for key, items in raw.items() for item in (items if isinstance(items, list) else [])]


def load_pack(folder: str | Path) -> Pack:
    """Read and validate the pack in `folder`; raise `PackError` naming every problem."""
    folder = Path(folder)
    reader = _Reader(folder)
    if not folder.is_dir():
        raise PackError([Problem(str(folder), 0, "content folder does not exist")])
    meta, _ = reader.toml("pack.toml")
    if not any(p.file == "pack.toml" for p in reader.problems):  # read fine (even if empty): it must name the pack
        for key in ("title", "version", "effective"):
            if not isinstance(meta.get(key), str) or not meta[key]:
                reader.problem("pack.toml", 1, f"missing {key} (a text value)")
    raw_contacts = meta.get("contacts") or {}
    if not isinstance(raw_contacts, dict):
        reader.problem("pack.toml", 1, "[contacts] must be a table of names")
        raw_contacts = {}
    contacts = {str(k): str(v) for k, v in raw_contacts.items()}
    sections: dict[str, Section] = {}
    policy = folder / "policy.md"
    if policy.exists():
        sections = parse_policy(policy.read_text(encoding="utf-8", errors="replace"), reader)
    else:
        reader.problem("policy.md", 0, "file is missing")
    answers, answer_lines = reader.toml("answers.toml")
    topics, offtopics = _topics(reader, answers, answer_lines, sections, contacts) if sections and answer_lines else ([], [])
    scope, scope_lines = reader.toml("scope.toml", required=False)
    offtopics += _scope(reader, scope, scope_lines, contacts, topics) if scope_lines else []
    quiz, quiz_lines = reader.toml("quiz.toml")
    questions = _questions(reader, quiz, quiz_lines, sections) if sections and quiz_lines else []
    lexicon, _ = reader.toml("lexicon.toml", required=False)
    synonyms: dict[str, str] = {}
    for canonical, variant in _lexicon_lists(reader, lexicon, "synonyms", "word lists"):
        synonyms[str(variant).lower()] = str(canonical).lower()
    compounds: dict[tuple[str, str], str] = {}
    for result, pair in _lexicon_lists(reader, lexicon, "compounds", "concept-pair lists"):
        words = str(pair).lower().split()
        if len(words) != 2:
            reader.problem("lexicon.toml", 1, f"[compounds] {result}: {pair!r} must name two concepts")
            continue
        compounds[(words[0], words[1])] = str(result).lower()
    concepts = set(synonyms.values()) | {"platform"}
    for (first, second), result in compounds.items():
        unknown = [name for name in (first, second) if name not in concepts]
        if unknown:
            reader.problem("lexicon.toml", 1, f"[compounds] {result}: unknown concept {', '.join(map(repr, unknown))}")
    raw_platforms = lexicon.get("platforms", [])
    platforms = tuple(str(p).lower() for p in (raw_platforms if isinstance(raw_platforms, list) else []) if isinstance(p, str))
    checks_data, checks_lines = reader.toml("checks.toml", required=False)
    checks = parse_checks(checks_data, checks_lines, set(sections), lambda line, msg: reader.problem("checks.toml", line, msg)) \
        if sections and checks_lines else []
    detectors = parse_detectors(checks_data, checks_lines, set(sections), lambda line, msg: reader.problem("checks.toml", line, msg)) \
        if sections and checks_lines else []
    calibration_data, calibration_lines = reader.toml("calibration.toml", required=False)
    calibration = Calibration.from_data(calibration_data, lambda msg: reader.problem("calibration.toml", 1, msg)) \
        if calibration_lines else Calibration()
    known = set(sections)
    labelled_questions = labelled.read(folder, "questions", known, reader.problem) if sections else ()
    labelled_drafts = labelled.read(folder, "drafts", known, reader.problem) if sections else ()
    if reader.problems:
        raise PackError(reader.problems)
    return Pack(str(meta["title"]), str(meta["version"]), str(meta["effective"]), contacts,
                sections, topics, offtopics, questions, synonyms, platforms, checks, compounds, calibration, detectors,
                labelled_questions, labelled_drafts, _digest(folder))


def _digest(folder: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        h.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()
