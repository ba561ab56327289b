"""What the owners' flows show, built from a stored question and the pack: the notice in an owners' channel,
the owner's answer form, and the answer as the asker reads it. Pure functions: no storage, no channel."""

from __future__ import annotations

from dataclasses import replace

from bot.messages import Button, Card, FormField, Option, Reply
from bot.policy.engine import VERDICT_LABELS
from bot.policy.pack import Pack
from bot.storage.insights import OwnerQuestion


def question_card(pack: Pack, question: OwnerQuestion) -> Reply:
    """The notice in the owners' channel: the question, who asked (or "anonymous"), and Answer."""
    asker = question.asker_name or "someone" if question.named else "anonymous"
    fields = [("Asked by", asker), ("Channel", question.channel)]
    if question.verdict:
        fields.append(("The bot said", VERDICT_LABELS.get(question.verdict, question.verdict)))
    if question.section:
        fields.append(("Guideline", pack.section(question.section).title))
    card = Card(title=f"Question for the policy owners ({question.id})", body=question.question, fields=tuple(fields),
                buttons=(Button("Answer", "owners.open", question.id, style="primary", dialog=True),))
    return Reply(f"A question for the policy owners ({question.id}): {question.question}", card)


def question_notice(pack: Pack, question: OwnerQuestion) -> Reply:
    """The notice in an owners' channel (Slack, Teams), bare like a review notice: the reference, what the bot
    said and the guideline, and Answer; the words only in the answer form. The asker's name only when they
    asked by name; of an anonymous asker nothing, not even the channel they asked in."""
    fields = [("Asked by", question.asker_name or "someone"), ("Asked in", question.channel)] if question.named else []
    if question.verdict:
        fields.append(("The bot said", VERDICT_LABELS.get(question.verdict, question.verdict)))
    if question.section:
        fields.append(("Guideline", pack.section(question.section).title))
    how = "by name" if question.named else "anonymously"
    body = f"Someone asked the policy owners a question {how}. Press Answer to read it and reply."
    card = Card(title=f"Question for the policy owners ({question.id})", body=body, fields=tuple(fields),
                buttons=(Button("Answer", "owners.open", question.id, style="primary", dialog=True),))
    return Reply(f"A question for the policy owners ({question.id}), asked {how}.", card)


def answer_form(pack: Pack, question: OwnerQuestion) -> Reply:
    verdicts = tuple(Option(label, key) for key, label in VERDICT_LABELS.items())
    sections = tuple(Option(s.title, s.id) for s in pack.sections.values() if "." not in s.id)
    fields = (
        FormField("answer", "Your answer", "multiline", required=True, max_length=3000),
        FormField("verdict", "Verdict", "choice", required=True, options=verdicts),
        FormField("section", "Guideline", "choice", options=sections),
        FormField("add", "Add to the guidelines?", "choice", required=True,
                  options=(Option("no, just answer", "no"), Option("yes, draft a situation for answers.toml", "yes"))),
    )
    card = Card(title=f"Answer {question.id}", body=question.question, form=fields,
                submit=Button("Send the answer", "owners.reply", question.id))
    return Reply(question.question, card, private=True, dialog=True)


def answer_reply(pack: Pack, question: OwnerQuestion) -> Reply:
    fields: list[tuple[str, str]] = [("Your question", question.question)]
    if question.answer_section and question.answer_section in pack.sections:
        fields.append(("Guideline", pack.section(question.answer_section).title))
    label = VERDICT_LABELS.get(question.answer_verdict, "")
    card = Card(title=f"The policy owners answered: {label}" if label else "The policy owners answered", body=question.answer,
                fields=tuple(fields), badge=question.answer_verdict if label else "", note=f"Question {question.id}")
    return Reply(f"The policy owners answered your question: {question.answer}", card, private=True)


def replace_dialog(reply: Reply, dialog: bool) -> Reply:
    return replace(reply, dialog=dialog)
