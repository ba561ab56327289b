"""Draft-check rules from the pack's `checks.toml`, validated with file and line like the rest of the pack."""

from __future__ import annotations

import re
from dataclasses import dataclass

SEVERITIES = ("high", "medium", "low")


@dataclass(frozen=True)
class Pattern:
    """A compiled pattern and which text it reads: the draft as written, or lower-cased (faster than re.I)."""

    regex: re.Pattern[str]
    as_written: bool


def compile_pattern(source: str, case_sensitive: bool) -> Pattern:
    if case_sensitive:
        return Pattern(re.compile(source), True)
    if "(?-i:" in source:
        return Pattern(re.compile(source, re.IGNORECASE), True)
    return Pattern(re.compile(source), False)


@dataclass(frozen=True)
class CheckRule:
    id: str
    section: str
    severity: str
    reason: str
    suggest: str
    patterns: tuple[Pattern, ...]
    mask: bool = False
    case_sensitive: bool = False
    together: tuple[Pattern, ...] = ()  # all must match within one sentence (`all_of`)
    unless: tuple[Pattern, ...] = ()  # ...and none of these in that sentence (`none_of`)


def _term_pattern(term: str) -> str:
    """A listed term as a regex: exact words, `*` as a wildcard inside host names."""
    parts = [re.escape(p) for p in term.split("*")]
    return r"(?<![\w.-])" + r"[\w-]*".join(parts) + r"(?![\w-])"


def parse_checks(data: dict, lines: list[str], sections: set[str], problem) -> list[CheckRule]:
    """Rules of checks.toml; `problem(line, message)` is called for each mistake."""
    rules: list[CheckRule] = []
    where = [i + 1 for i, text in enumerate(lines) if text.strip() == "[[rule]]"]
    seen: set[str] = set()
    for i, raw in enumerate(data.get("rule", [])):
        line = where[i] if i < len(where) else 0
        if raw.get("all_of") and not raw.get("patterns"):
            raw = {**raw, "patterns": []}
        missing = [k for k in ("id", "section", "severity", "reason", "suggest") if not raw.get(k)]
        if "patterns" not in raw and "all_of" not in raw:
            missing.append("patterns or all_of")
        if missing:
            problem(line, f"rule is missing {', '.join(missing)}")
            continue
        rid = str(raw["id"])
        if rid in seen:
            problem(line, f"duplicate rule id {rid!r}")
        seen.add(rid)
        if raw["section"] not in sections:
            problem(line, f"rule {rid!r}: unknown section {raw['section']!r}")
            continue
        if raw["severity"] not in SEVERITIES:
            problem(line, f"rule {rid!r}: severity must be one of {', '.join(SEVERITIES)}")
            continue
        patterns = raw.get("patterns", [])
        groups = raw.get("all_of", [])
        if not isinstance(patterns, list) or not all(isinstance(p, str) and p for p in patterns) or not isinstance(groups, list) \
                or not all(isinstance(g, list) and g and all(isinstance(p, str) and p for p in g) for g in groups):
            problem(line, f"rule {rid!r}: patterns must be a list of regular expressions, all_of a list of such lists")
            continue
        case_sensitive = bool(raw.get("case_sensitive", False))
        try:
            # One pass per rule: patterns are joined, except masked ones (each has its own secret group).
            compiled = tuple(compile_pattern(p, case_sensitive) for p in patterns) if raw.get("mask") or not patterns else \
                (compile_pattern("|".join(f"(?:{p})" for p in patterns), case_sensitive),)
            together = tuple(compile_pattern("|".join(f"(?:{p})" for p in g), case_sensitive) for g in groups)
            unless = tuple(compile_pattern(p, case_sensitive) for p in raw.get("none_of", []) if isinstance(p, str) and p)
        except re.error as exc:
            problem(line, f"rule {rid!r}: bad regular expression: {exc}")
            continue
        mask = bool(raw.get("mask", False))
        if mask and any("secret" not in c.regex.groupindex for c in compiled):
            problem(line, f"rule {rid!r}: mask = true needs a (?P<secret>...) group in every pattern")
            continue
        rules.append(CheckRule(rid, raw["section"], raw["severity"], str(raw["reason"]), str(raw["suggest"]), compiled, mask,
                               case_sensitive, together, unless))
    terms = data.get("terms") or {}
    labels = {"code_names": ("an internal code name", "high"), "clients": ("a client's name", "high"),
              "hosts": ("an internal host name", "high")}
    for key, (label, severity) in labels.items():
        words = [w for w in terms.get(key, []) if isinstance(w, str) and w.strip()]
        if words:
            # Code names and clients are proper names: matched as written, but case-insensitively.
            pattern = Pattern(re.compile("|".join(_term_pattern(w.strip()) for w in words), re.IGNORECASE), True)
            rules.append(CheckRule(f"term-{key}", "confidentiality-privacy", severity, f"Mentions {label} of the organization.",
                                   "Remove it: the organization lists it as confidential.", (pattern,)))
    return rules


@dataclass(frozen=True)
class Detector:
    """A sentence-level semantic detector: sentences that read like `examples` (and not like `unlike`) are findings."""

    id: str
    section: str
    severity: str
    reason: str
    suggest: str
    examples: tuple[str, ...]
    unlike: tuple[str, ...] = ()
    threshold: float = 0.0  # 0: the checker's default


def parse_detectors(data: dict, lines: list[str], sections: set[str], problem) -> list[Detector]:
    """The [[detector]] entries of checks.toml; `problem(line, message)` is called for each mistake."""
    detectors: list[Detector] = []
    where = [i + 1 for i, text in enumerate(lines) if text.strip() == "[[detector]]"]
    table = data.get("ordinary", {})
    ordinary = table.get("examples", []) if isinstance(table, dict) else None
    if not isinstance(ordinary, list) or not all(isinstance(e, str) and e.strip() for e in ordinary):
        problem(next((i + 1 for i, text in enumerate(lines) if text.strip() == "[ordinary]"), 1),
                "[ordinary] examples must be a list of sentences")
        ordinary = []
    ordinary = tuple(e.strip() for e in ordinary)
    for i, raw in enumerate(data.get("detector", [])):
        line = where[i] if i < len(where) else 0
        missing = [k for k in ("id", "section", "severity", "reason", "suggest", "examples") if not raw.get(k)]
        if missing:
            problem(line, f"detector is missing {', '.join(missing)}")
            continue
        did = str(raw["id"])
        examples, unlike = raw["examples"], raw.get("unlike", [])
        if raw["section"] not in sections:
            problem(line, f"detector {did!r}: unknown section {raw['section']!r}")
            continue
        if raw["severity"] not in SEVERITIES:
            problem(line, f"detector {did!r}: severity must be one of {', '.join(SEVERITIES)}")
            continue
        if not all(isinstance(x, list) and all(isinstance(e, str) and e.strip() for e in x) for x in (examples, unlike)):
            problem(line, f"detector {did!r}: examples and unlike must be lists of sentences")
            continue
        threshold = raw.get("threshold", 0.0)
        if not isinstance(threshold, int | float) or not 0 <= threshold < 1:
            problem(line, f"detector {did!r}: threshold must be a number from 0 to 1")
            continue
        detectors.append(Detector(did, raw["section"], raw["severity"], str(raw["reason"]), str(raw["suggest"]),
                                  tuple(e.strip() for e in examples), tuple(e.strip() for e in unlike) + ordinary, float(threshold)))
    return detectors
