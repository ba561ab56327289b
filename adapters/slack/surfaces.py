"""What a Slack surface may show: which replies may be posted in a chat (dialog replies never are), what a
channel mention may do, and the assistant panel's suggested prompts."""

from __future__ import annotations

import re

from bot.messages import Button, Card, Reply

FOLLOW_UP = re.compile(r"^(?:and|also|but|same|what about|how about|what if|even if|if|or|on|for|in)\b|^\S+(?:\s+\S+){0,3}\?*$", re.I)
# Said in a channel, these would show a report form, a case or a reviewer's list where others read along.
PRIVATE_WORDS = {"report", "reports", "cases", "case", "quiz", "follow"}
SUGGESTED_PROMPTS = [
    {"title": "Ask about the guidelines", "message": "Can I post about our product launch on LinkedIn?"},
    {"title": "Check a draft", "message": "check: Excited to be speaking at DevConf next week about how we test our apps!"},
    {"title": "Report a concern", "message": "report"},
    {"title": "Take a quiz", "message": "quiz"},
]


# A dialog reply that arrives where no modal can open (a typed DM, a slash command's text answer) is replaced by
# a button that opens it: the report form and the case lookup never go into the chat.
OPENERS = {"report.submit": Button("Report a concern", "report.open", style="primary", dialog=True),
           "case.verify": Button("Follow up on a report", "case.lookup", style="primary", dialog=True)}


def without_dialogs(replies: list[Reply]) -> list[Reply]:
    """The replies that may be posted as chat messages: dialog replies become a button that opens them."""
    out: list[Reply] = []
    for reply in replies:
        if not reply.dialog:
            out.append(reply)
            continue
        opener = OPENERS.get(reply.card.submit.action_id if reply.card and reply.card.submit else "")
        if opener is not None:
            text = "This opens in a private window that only you can see."
            out.append(Reply(text, Card(title=opener.label, body=text, buttons=(opener,)), private=True))
    return out
