"""JSON logs, one object per line on stdout. Only whitelisted fields are written: never a token,
a secret, a person's words or the words of a report."""

from __future__ import annotations

import json
import logging
import sys
import time

THIRD_PARTY = ("slack_bolt", "slack_sdk", "smpolicy.slack.bolt", "botbuilder", "botframework", "msrest", "msal", "azure", "aiohttp",
               "urllib3", "asyncio")
FIELDS = ("request_id", "channel", "route", "method", "status", "duration_ms", "handler", "error", "url", "count")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out = {"time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
               "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        for name in FIELDS:
            if hasattr(record, name):
                out[name] = getattr(record, name)
        if record.exc_info:
            out["exception"] = record.exc_info[0].__name__ if record.exc_info[0] else ""
        return json.dumps(out, ensure_ascii=False)


def configure(level: str) -> None:
    """Send every log record to stdout as JSON lines at `level`."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Libraries log request and response bodies at DEBUG (report words, user ids, message text): whatever
    # SMPOLICY_LOG_LEVEL says, they only ever write warnings and errors.
    for name in THIRD_PARTY:
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLevelName(level) if isinstance(level, str) else level))
