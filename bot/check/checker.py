"""The draft checker: draft in; verdict (ok, review, do_not_post), findings and an answer out.

Each finding names the guideline section, says why in words a person understands, and carries
the excerpt that triggered it with its character span. Secrets found in a draft are masked in
excerpts and answers; the draft itself is never logged.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import asdict, dataclass

from bot.check.detect import Detectors
from bot.check.learned import Learned, Risk
from bot.check.rules import CheckRule
from bot.policy.pack import Pack

MAX_DRAFT = 4000  # Slack's message limit
MAX_FINDINGS = 12
SEVERAL = 2  # this many different "review" findings on one draft make it "don't post"
VERDICT_OF = {"high": "do_not_post", "medium": "review"}
VERDICT_TEXT = {
    "ok": "Looks fine to post: nothing in it goes against the guidelines that I can see.",
    "review": "Review before posting: some of it may go against the guidelines.",
    "do_not_post": "Don't post this as it is: it goes against the guidelines.",
}
# A sentence ends at . ! ? followed by a space or the end: the dots of "example.com/x" or "3.5" don't end one.
# Possessive (++) and `*`, so a run of punctuation is read once, not once from each of its characters (4,000
# dots took 150 ms); the empty matches this allows are dropped by `sentences`.
SENTENCE = re.compile(r"(?:[^.!?\n]|[.!?]++(?=[^\s.!?]))*[.!?]*")
MIN_WORDS = 3  # a sentence the detectors read has this many words; a shorter fragment is read with its neighbour


def sentences(draft: str) -> list[tuple[int, int]]:
    """The (start, end) of each sentence of a draft, in order."""
    return [(m.start(), m.end()) for m in SENTENCE.finditer(draft) if m.end() > m.start()]


def readable(draft: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sentences of at least MIN_WORDS words, a shorter fragment joined to the sentence after it (to the one
    before it at the end): "Millennials. Zero work ethic." is one thought, and read as one."""
    out: list[tuple[int, int]] = []
    start = None
    for s, e in spans:
        start = s if start is None else start
        if len(draft[start:e].split()) >= MIN_WORDS:
            out.append((start, e))
            start = None
    if start is not None and out:
        out[-1] = (out[-1][0], spans[-1][1])
    return out
LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i", "|": "i"})


class DraftError(ValueError):
    """A draft that cannot be checked (empty, too long, binary); the message says why."""


@dataclass(frozen=True)
class Finding:
    section: str
    reason: str
    excerpt: str
    span: tuple[int, int]
    severity: str
    suggest: str
    rule: str


@dataclass(frozen=True)
class CheckResult:
    verdict: str
    findings: tuple[Finding, ...]
    answer: str
    policy_version: str
    draft: str = ""  # the draft as checked, with every masked secret's characters replaced by "•" (same length, so spans hold)

    def to_json(self) -> dict:
        return {"verdict": self.verdict, "findings": [{**asdict(f), "span": list(f.span)} for f in self.findings],
                "answer": self.answer, "policy_version": self.policy_version}


def merge(findings: list[Finding], draft: str) -> list[Finding]:
    """One finding per flagged span and guideline: overlapping findings of the same section become one, with
    the most severe finding's severity and suggestion, every distinct reason, the union of their spans and
    their rule ids joined by "+". Most severe first, then by position."""
    merged: list[Finding] = []
    for section in dict.fromkeys(f.section for f in findings):
        cluster: list[Finding] = []
        end = -1
        for f in sorted((f for f in findings if f.section == section), key=lambda f: f.span):
            if cluster and f.span[0] >= end:
                merged.append(_one(cluster, draft))
                cluster = []
            cluster.append(f)
            end = max(end, f.span[1]) if len(cluster) > 1 else f.span[1]
        if cluster:
            merged.append(_one(cluster, draft))
    return sorted(merged, key=lambda f: (ORDER[f.severity], f.span[0]))


def _one(cluster: list[Finding], draft: str) -> Finding:
    """The finding that stands for overlapping findings of one guideline."""
    if len(cluster) == 1:
        return cluster[0]
    cluster = sorted(cluster, key=lambda f: (ORDER[f.severity], f.span[0]))
    kept = cluster[0]
    start, end = min(f.span[0] for f in cluster), max(f.span[1] for f in cluster)
    reasons = list(dict.fromkeys(f.reason for f in cluster))
    masked = [f for f in cluster if "*" * 8 in f.excerpt]
    excerpt = masked[0].excerpt if masked else draft[start:end].strip()
    span = masked[0].span if masked else (start, end)
    return Finding(kept.section, " ".join(reasons), excerpt, span, kept.severity, kept.suggest, "+".join(f.rule for f in cluster))


def _lower(text: str) -> str:
    """Lower-case without changing the length (a few characters lower-case to two)."""
    low = text.lower()
    return low if len(low) == len(text) else "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


def _mask(secret: str) -> str:
    """Hide a secret: long keys keep their 4-character type prefix (AKIA, ghp_), passwords keep nothing."""
    return (secret[:4] if len(secret) >= 16 else "") + "*" * 8


def validate(draft: str) -> str:
    if "\x00" in draft or sum(1 for c in draft if ord(c) < 32 and c not in "\n\r\t") > max(3, len(draft) // 20):
        raise DraftError("the draft contains binary data, not text")
    if not draft.strip():
        raise DraftError("the draft is empty")
    if len(draft) > MAX_DRAFT:
        raise DraftError(f"the draft is longer than {MAX_DRAFT:,} characters (Slack's message limit)")
    return draft


# A draft that points to an official, public announcement shares what is already public.
PUBLIC_SOURCE = re.compile(r"https?://\S+")
PUBLIC_WORDS = re.compile(r"\b(?:official(?:ly)?|press release|announce(?:d|ment)|is (?:now )?live|now public|newsroom|blog post)\b")
ORDER = {"high": 0, "medium": 1, "low": 2}


class Checker:
    """Checks drafts with the pack's rules (secrets, terms, formats) and its semantic sentence detectors."""

    LEARNED_WORDS = 4  # a sentence of fewer words ("See you there!") reads as anything: no learned finding of its own


    def __init__(self, pack: Pack):
        self.pack = pack
        self.rules: list[CheckRule] = pack.checks
        self.detectors = Detectors(pack)

    def findings(self, draft: str) -> list[Finding]:
        return self._scan(draft)[0]

    def _scan(self, draft: str) -> tuple[list[Finding], list[tuple[int, int]], list[tuple[tuple[int, int], Risk]]]:
        # Every reading has the draft's length, so spans map back to the draft.
        lower = _lower(draft)
        leet = lower.translate(LEET)
        ends = [e for _, e in sentences(draft)]  # sentence i ends at ends[i]
        found: list[Finding] = []
        masked: list[tuple[int, int]] = []
        for rule in self.rules:
            # Look-alike characters (1d10t, sh!t) only matter for disrespect; other rules read the plain words.
            readings = ((draft, lower), (draft, leet)) if rule.section == "respectful-discourse" and leet != lower else ((draft, lower),)
            spans: dict[tuple[int, int], re.Match[str]] = {}
            for written, low in readings:
                for pattern in rule.patterns:
                    for m in pattern.regex.finditer(written if pattern.as_written else low):
                        if m.end() > m.start() and not any(s <= m.start() < e for s, e in spans):
                            spans[(m.start(), m.end())] = m
                if rule.together:
                    for start, end, first in self._together(rule, written, low, ends):
                        if not any(s <= start < e for s, e in spans):
                            spans[(start, end)] = first
            for (start, end), m in sorted(spans.items()):
                excerpt = draft[start:end]
                if rule.mask and "secret" in m.re.groupindex and m.group("secret"):
                    s, e = m.span("secret")
                    masked.append((s, e))
                    excerpt = draft[start:s] + _mask(draft[s:e]) + draft[e:end]
                found.append(Finding(rule.section, rule.reason, excerpt.strip(), (start, end), rule.severity, rule.suggest, rule.id))
        detected, (learned, learned_p), read = self._detect(draft)
        found += detected
        if learned is not None and not any(f.section.split(".")[0] == learned.section for f in found) \
                and (not found or learned_p >= Learned.RISK_BESIDE):
            found.append(learned)  # beside other findings, only when it is surer than it need be alone
        if PUBLIC_SOURCE.search(draft) and PUBLIC_WORDS.search(lower):
            # Sharing an official public announcement: what it says is public, only secrets and listed terms still count.
            found = [f for f in found if f.section != "confidentiality-privacy" or f.rule.startswith(("credential", "term-"))]
        # A masked secret must not leak through another rule's excerpt (e.g. a key that also looks like a phone number).
        safe = [f for f in found if f.rule.startswith("credential") or not any(s < f.span[1] and f.span[0] < e for s, e in masked)]
        return merge(safe, draft)[:MAX_FINDINGS], masked, read

    def _detect(self, draft: str) -> tuple[list[Finding], tuple[Finding | None, float], list[tuple[tuple[int, int], Risk]]]:
        """Findings of the semantic detectors, one per sentence at most (its closest detector), and of the learned
        layer for the sentence (or the whole draft) it reads as most at risk (used when nothing else names its guideline);
        and what the learned layer reads in the whole draft (its verdict's say; None without a learned layer)."""
        spans = readable(draft, sentences(draft))
        hits, risks = self.detectors.find_all([draft[s:e] for s, e in spans])
        pieces = spans + [(0, len(draft))]  # the learned layer reads each sentence, then all of them together
        out = []
        for (start, end), hit, risk in zip(spans, hits, risks):  # detectors read sentences; the whole draft is for the learned layer
            if hit is not None and risk.fine < Learned.VETO:
                detector, severity = hit
                out.append(self._finding(draft, start, end, detector.section, detector.reason, severity, detector.suggest, "detector-" + detector.id))
        at_risk = [(r, span) for r, span in zip(risks, pieces) if r.section and r.probability >= Learned.RISK
                   and (span == pieces[-1] or len(draft[span[0]:span[1]].split()) >= self.LEARNED_WORDS)]
        learned = None
        if at_risk:
            risk, (start, end) = max(at_risk, key=lambda rs: rs[0].probability)
            title = self.pack.section(risk.section).title
            learned = self._finding(draft, start, end, risk.section, f"This reads like what the guideline on {title} warns about.",
                                    "medium", "Read that guideline before you post, or ask Communications.", "learned-" + risk.section)
        return out, (learned, risk.probability if learned else 0.0), list(zip(pieces, risks))

    @staticmethod
    def _finding(draft: str, start: int, end: int, section: str, reason: str, severity: str, suggest: str, rule: str) -> Finding:
        text = draft[start:end]
        lead = len(text) - len(text.lstrip())
        return Finding(section, reason, text.strip(), (start + lead, start + len(text.rstrip())), severity, suggest, rule)

    @staticmethod
    def _together(rule: CheckRule, written: str, low: str, ends: list[int]):
        """Sentences where every `all_of` group matches: one pass per group, hits bucketed by sentence."""
        per_group: list[dict[int, list[re.Match[str]]]] = []
        for pattern in rule.together:
            buckets: dict[int, list[re.Match[str]]] = {}
            for m in pattern.regex.finditer(written if pattern.as_written else low):
                if m.end() > m.start():
                    buckets.setdefault(bisect.bisect_right(ends, m.start()), []).append(m)
            if not buckets:
                return
            per_group.append(buckets)
        for sentence in set.intersection(*(set(b) for b in per_group)):
            start, end = (ends[sentence - 1] if sentence else 0), ends[sentence] if sentence < len(ends) else len(written)
            if any(p.regex.search(written if p.as_written else low, start, end) for p in rule.unless):
                continue
            hits = [b[sentence][0] for b in per_group]
            yield min(h.start() for h in hits), max(h.end() for h in hits), hits[0]

    def check(self, draft: str) -> CheckResult:
        """Check one draft; raise DraftError for empty, over-long or binary input."""
        draft = validate(draft)
        findings, masked, read = self._scan(draft)
        whole = read[-1][1] if read else None
        held = [r for (s, e), r in read[:-1] if any(f.span[0] < e and s < f.span[1] for f in findings)]  # sentences with a finding
        shown = draft
        for s, e in masked:
            shown = shown[:s] + "\u2022" * (e - s) + shown[e:]
        verdict = "ok"
        for f in findings:
            candidate = VERDICT_OF.get(f.severity, "ok")
            if candidate == "do_not_post" or (candidate == "review" and verdict == "ok"):
                verdict = candidate
        if verdict == "review" and len({f.rule for f in findings if f.severity == "medium" and not f.rule.startswith("learned-")}) >= SEVERAL:
            verdict = "do_not_post"  # independent concerns add up: one may be a false alarm, two rarely are
        if verdict != "ok" and held and all(r.fine >= Learned.FINE for r in held) and all(
                all(part.startswith("learned-") for part in f.rule.split("+")) for f in findings):
            # Only the learned layer's own findings (a merged finding counts by every rule in it), each in sentences
            # it reads as fine after all. Those sentences decide, not the whole draft: benign sentences padded
            # around a risky one must not clear it. A detector's finding is vetoed (VETO) or stands.
            verdict, findings = "ok", []
        sure = max((r.probability for _, r in read if r.section), default=0.0)  # the learned layer's surest reading
        if verdict == "review" and whole is not None and whole.do_not_post >= Learned.DO_NOT_POST and (
                sure >= Learned.ALONE or any(not f.rule.startswith("learned-") for f in findings)):
            verdict = "do_not_post"  # the learned layer reads the draft as one of those that must not go out
        return CheckResult(verdict, tuple(findings), self.answer(verdict, findings), self.pack.version, shown)

    def answer(self, verdict: str, findings: list[Finding]) -> str:
        lines = [VERDICT_TEXT[verdict]]
        for f in findings:
            section = self.pack.section(f.section)
            lines.append(f"- \u201c{f.excerpt}\u201d: {f.reason} Guideline: {section.title}. Suggestion: {f.suggest}")
        if verdict == "ok":
            lines.append("I can't judge everything (facts, tone, timing): when in doubt, ask Communications.")
        return "\n".join(lines)
