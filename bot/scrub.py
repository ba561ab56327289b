"""Scrub the words of a question before they are kept for the policy owners.

What goes: email addresses, phone numbers, URLs (and bare web addresses), @-mentions in every form the
channels send (`@dana`, Slack's `<@U123>` and `<!here>`, Teams' `<at>Dana</at>`), and the asker's own names
from the platform's profile (each part of the name, as a whole word, in any case). What stays: the rest of
the question, so the owners can see what the guidelines miss. Each removal leaves a marker (`[email]`,
`[phone]`, `[link]`, `[mention]`, `[name]`) so the question still reads.

The patterns are linear (no nested quantifiers): a question is at most 8,000 characters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MAX_KEPT = 2000  # the longest question the engine answers; longer ones are cut

_SLACK_MENTION = re.compile(r"<[@!#][^<>\s]{1,80}>")
_TEAMS_MENTION = re.compile(r"<at>[^<]{0,200}</at>", re.I)
_EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+", re.U)
_URL = re.compile(r"(?:\b(?:https?|ftp)://|\bwww\.)[^\s<>\"']{1,2000}", re.I)
# A bare domain with a path or a common top-level domain: example.com/x, intranet.acme.io
_DOMAIN = re.compile(r"\b(?:[a-z0-9-]{1,63}\.){1,5}(?:com|net|org|io|co|de|uk|fr|eu|info|biz|dev|app|me|ly|gl|to)\b(?:/[^\s<>\"']{0,2000})?", re.I)
_MENTION = re.compile(r"(?<![\w@])@[\w.-]{1,80}", re.U)
# Phone numbers: 7 or more digits with the usual separators, optionally +country and (area).
_PHONE = re.compile(r"(?<![\w+])(?:\+|00)?(?:\(\d{1,4}\)[ .-]?)?\d(?:[ .\-/]?\d){6,16}(?!\w)")


def name_parts(names: Iterable[str]) -> list[str]:
    """The words of the asker's names worth removing (two letters or more), longest first; an email-like
    identity gives its local part's words (dana.lee@example.com: dana, lee)."""
    parts: set[str] = set()
    for name in names:
        if not name:
            continue
        local = name.split("@", 1)[0] if "@" in name else name
        for word in re.split(r"[\s._+\-,;:/\\|()\[\]]+", local):
            word = word.strip("'\"")
            if len(word) >= 2 and not word.isdigit():
                parts.add(word)
    return sorted(parts, key=lambda w: (-len(w), w))


def scrub(text: str, names: Iterable[str] = ()) -> str:
    """`text` without contact details, links, mentions or the asker's names (see the module docstring)."""
    out = text[:MAX_KEPT * 2]
    out = _SLACK_MENTION.sub("[mention]", out)
    out = _TEAMS_MENTION.sub("[mention]", out)
    out = _EMAIL.sub("[email]", out)
    out = _URL.sub("[link]", out)
    out = _DOMAIN.sub("[link]", out)
    out = _MENTION.sub("[mention]", out)
    out = _PHONE.sub("[phone]", out)
    parts = name_parts(names)
    if parts:
        pattern = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(p) for p in parts) + r")(?:'s)?(?!\w)", re.I | re.U)
        out = pattern.sub("[name]", out)
    return re.sub(r"\s+", " ", out).strip()[:MAX_KEPT]


__all__ = ["scrub", "name_parts"]
