"""Draft-check rules from the pack's `checks.toml`, validated with file and line like the rest of the pack."""

from __future__ import annotations

import re
from dataclasses import dataclass

SEVERITIES = ("high", "medium", "low")


@dataclass(frozen=True)
class CheckRule:
    id: str
    section: str
    severity: str
    reason: str
    suggest: str
    patterns: tuple[re.Pattern[str], ...]
    mask: bool = False
    case_sensitive: bool = False
    together: tuple[re.Pattern[str], ...] = ()  # all must match within one sentence (`all_of`)


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
        flags = 0 if case_sensitive else re.IGNORECASE
        try:
            compiled = tuple(re.compile(p, flags) for p in patterns)
            together = tuple(re.compile("|".join(f"(?:{p})" for p in g), flags) for g in groups)
        except re.error as exc:
            problem(line, f"rule {rid!r}: bad regular expression: {exc}")
            continue
        mask = bool(raw.get("mask", False))
        if mask and any("secret" not in c.groupindex for c in compiled):
            problem(line, f"rule {rid!r}: mask = true needs a (?P<secret>...) group in every pattern")
            continue
        rules.append(CheckRule(rid, raw["section"], raw["severity"], str(raw["reason"]), str(raw["suggest"]), compiled, mask,
                               case_sensitive, together))
    terms = data.get("terms") or {}
    labels = {"code_names": ("an internal code name", "high"), "clients": ("a client's name", "high"),
              "hosts": ("an internal host name", "high")}
    for key, (label, severity) in labels.items():
        words = [w for w in terms.get(key, []) if isinstance(w, str) and w.strip()]
        if words:
            # Code names and clients are proper names: matched as written, but case-insensitively.
            pattern = re.compile("|".join(_term_pattern(w.strip()) for w in words), re.IGNORECASE)
            rules.append(CheckRule(f"term-{key}", "confidentiality-privacy", severity, f"Mentions {label} of the organization.",
                                   "Remove it: the organization lists it as confidential.", (pattern,)))
    return rules
