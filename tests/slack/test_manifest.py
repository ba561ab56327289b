"""The Slack app manifest: metadata, a long description within Slack's limits, every scope explained."""

import re

from tests.conftest import ROOT

MANIFEST = (ROOT / "adapters/slack/manifest.yml").read_text()


def block(key: str) -> list[str]:
    """The lines of a top-level (or nested, by indentation) YAML block, without its header."""
    lines = MANIFEST.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == key + ":" or line.strip().startswith(key + ":"))
    indent = len(lines[start]) - len(lines[start].lstrip())
    body = []
    for line in lines[start + 1:]:
        if line.strip() and len(line) - len(line.lstrip()) <= indent:
            break
        body.append(line)
    return body


def test_metadata_names_the_manifest_version():
    assert block("_metadata") and "major_version: 1" in "\n".join(block("_metadata"))


def test_long_description_is_within_slacks_limits():
    text = " ".join(line.strip() for line in block("long_description"))
    assert 175 <= len(text) <= 4000  # Slack refuses a manifest outside this range
    assert "anonymous" in text.lower() and "quiz" in text.lower()


def test_every_bot_scope_has_a_comment_above_it():
    lines = [line.strip() for line in block("bot")]
    scopes = [(i, line[2:]) for i, line in enumerate(lines) if line.startswith("- ")]
    assert {s for _, s in scopes} >= {"commands", "chat:write", "im:history"}
    for i, scope in scopes:
        assert re.fullmatch(r"[a-z.:_]+", scope), f"{scope!r}: one scope a line, the comment above it"
        assert i > 0 and lines[i - 1].startswith("#") and len(lines[i - 1]) > 10, f"scope {scope} has no comment"


def test_the_roster_events_are_subscribed():
    events = [line.strip()[2:] for line in block("bot_events") if line.strip().startswith("- ")]
    assert {"member_joined_channel", "member_left_channel"} <= set(events)


def test_mentions_and_the_assistant_panel_are_declared():
    events = [line.strip()[2:] for line in block("bot_events") if line.strip().startswith("- ")]
    scopes = [line.strip()[2:] for line in block("bot") if line.strip().startswith("- ")]
    assert {"app_mention", "assistant_thread_started", "assistant_thread_context_changed"} <= set(events)
    assert {"app_mentions:read", "assistant:write"} <= set(scopes)
    prompts = [line.strip() for line in block("assistant_view") if line.strip().startswith("- title:")]
    assert len(prompts) == 4
