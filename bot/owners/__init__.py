"""For the policy owners: answer events (written after the reply, in batches), "Ask the policy owners", the
owners' answers back to the asker, and draft content.

    answer ──▶ Recorder.record (event id in the buttons) ──▶ batch ──▶ answer_events
      │ unknown / unsure / Not helpful
      ▼
    [Ask the policy owners] ──▶ form (by name | anonymously) ──▶ owner_questions ──▶ owners' channel / console
                                                                                          │ owner answers
    asker ◀── DM (by name) / one-time code (anonymous) ◀────────────────────────────────────┘
                                                   └─ "add to the guidelines" ──▶ content_suggestions

    recorder.py   the answer events (Recorder) and what decides an answer needs the owners
    desk.py       the flows (OwnersDesk): asking, reading with a code, the owners' answers, delivery, retention
    cards.py      what those flows show: the owners' notice, the answer form, the answer as the asker reads it

Nothing here is told who a person is beyond the opaque user key of an incoming message, and that is stored
only when the person asks by name. Words are scrubbed (bot/scrub.py) before they are kept.
"""

from bot.owners.cards import replace_dialog
from bot.owners.desk import ANONYMOUS, ASK_LABEL, BY_NAME, Delivery, OwnersDesk, OwnerSettings
from bot.owners.recorder import (
    BATCH_SECONDS,
    EVENT_PREFIX,
    QUEUE_LIMIT,
    WORDS_CACHE,
    WORDS_SECONDS,
    Recorder,
    band,
    needs_owner,
    today,
)

__all__ = ["ANONYMOUS", "ASK_LABEL", "BATCH_SECONDS", "BY_NAME", "EVENT_PREFIX", "QUEUE_LIMIT", "WORDS_CACHE", "WORDS_SECONDS",
           "Delivery", "OwnerSettings", "OwnersDesk", "Recorder", "band", "needs_owner", "replace_dialog", "today"]
