"""Settings from environment variables, read when `Settings.from_env()` is called, never at import.

Every variable is documented in the README's settings table. An invalid value raises
`SettingsError` with a one-line message naming the variable.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
TEAMS_APP_TYPES = ("MultiTenant", "SingleTenant", "UserAssignedMSI")


class SettingsError(ValueError):
    """An environment variable holds a value the bot cannot use."""


def _number(text: str, name: str, default: float, low: float, high: float, whole: bool = False) -> float:
    if not text:
        return default
    try:
        value = int(text) if whole else float(text)
    except ValueError:
        raise SettingsError(f"{name}: {text!r} is not a {'whole ' if whole else ''}number") from None
    if not low <= value <= high:
        raise SettingsError(f"{name}: must be between {low:g} and {high:g}")
    return value


def _check_schedule(schedule: str, timezone: str) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from cronsim import CronSim, CronSimError

    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(f"SMPOLICY_TIMEZONE: {timezone!r} is not a time zone name such as UTC or Europe/Berlin") from None
    try:
        next(CronSim(schedule, datetime.now(zone)))
    except (CronSimError, StopIteration):
        raise SettingsError(f"SMPOLICY_QUIZ_SCHEDULE: {schedule!r} is not a cron expression such as '0 10 * * MON'") from None


def _switch(text: str, name: str, default: bool = True) -> bool:
    if not text:
        return default
    if text.lower() in ("1", "on", "true", "yes"):
        return True
    if text.lower() in ("0", "off", "false", "no"):
        return False
    raise SettingsError(f"{name}: {text!r} is not on or off")


def _list(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _secret_field():
    return field(default="", repr=False)


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("data")
    db_path: Path = Path("data/smpolicy.db")
    database_url: str = field(default="", repr=False)  # postgresql://user:password@host:5432/db; empty: SQLite at db_path
    content_dir: Path | None = None
    contact: str = ""
    log_level: str = "INFO"
    report_key: str = _secret_field()
    report_notify_delay: float = 120
    report_retention_days: int = 365
    case_ack_days: int = 7  # a case's acknowledgement is due this many days after its filing day
    case_feedback_days: int = 90  # and feedback to its reporter this many days after it
    slack_review_channel: str = ""
    teams_admins: tuple[str, ...] = ()
    web_reviewers: tuple[str, ...] = ()
    quiz_schedule: str = "0 10 * * MON"
    timezone: str = "UTC"
    slack_quiz_channel: str = ""
    quiz_rounds: bool = True
    http_timeout: float = 10
    slack_bot_token: str = _secret_field()
    slack_signing_secret: str = _secret_field()
    slack_app_token: str = _secret_field()
    slack_api_url: str = ""
    teams_app_id: str = ""
    teams_app_password: str = _secret_field()
    teams_app_type: str = "MultiTenant"
    teams_tenant_id: str = ""
    teams_emulator: bool = False
    web_user_header: str = ""
    trusted_proxies: tuple[str, ...] = ("127.0.0.0/8", "::1/128")
    owners: tuple[str, ...] = ()  # web identities of the policy owners (the console at /console)
    slack_owners_channel: str = ""
    question_retention_days: int = 90
    question_log: bool = True  # off: answer events keep counts only, never words

    @property
    def slack_enabled(self) -> bool:
        """Slack is mounted when both the bot token and the signing secret are set."""
        return bool(self.slack_bot_token and self.slack_signing_secret)

    @property
    def teams_enabled(self) -> bool:
        """Teams is mounted with an app id (authenticated) or in emulator mode (loopback only)."""
        return bool(self.teams_app_id) or self.teams_emulator

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Build settings from `env` (default: the process environment)."""
        env = os.environ if env is None else env

        def get(name: str) -> str:
            return env.get(name, "").strip()

        data_dir = Path(get("SMPOLICY_DATA_DIR") or "data")
        db_path = Path(get("SMPOLICY_DB")) if get("SMPOLICY_DB") else data_dir / "smpolicy.db"
        database_url = get("SMPOLICY_DATABASE_URL")
        if database_url and not database_url.startswith(("postgresql://", "postgres://")):
            raise SettingsError("SMPOLICY_DATABASE_URL: must be a postgresql://user:password@host:5432/database URL")
        content = get("SMPOLICY_CONTENT_DIR")
        if content and not Path(content).is_dir():
            raise SettingsError(f"SMPOLICY_CONTENT_DIR: {content!r} is not a folder")
        level = (get("SMPOLICY_LOG_LEVEL") or "INFO").upper()
        if level not in LOG_LEVELS:
            raise SettingsError(f"SMPOLICY_LOG_LEVEL: {level!r} is not one of {', '.join(LOG_LEVELS)}")
        delay = _number(get("SMPOLICY_REPORT_NOTIFY_DELAY"), "SMPOLICY_REPORT_NOTIFY_DELAY", 120, 0, 86400)
        retention = int(_number(get("SMPOLICY_REPORT_RETENTION_DAYS"), "SMPOLICY_REPORT_RETENTION_DAYS", 365, 1, 36500, whole=True))
        ack_days = int(_number(get("SMPOLICY_CASE_ACK_DAYS"), "SMPOLICY_CASE_ACK_DAYS", 7, 1, 365, whole=True))
        feedback_days = int(_number(get("SMPOLICY_CASE_FEEDBACK_DAYS"), "SMPOLICY_CASE_FEEDBACK_DAYS", 90, 1, 3650, whole=True))
        http_timeout = _number(get("SMPOLICY_HTTP_TIMEOUT"), "SMPOLICY_HTTP_TIMEOUT", 10, 0.5, 120)
        schedule, timezone = get("SMPOLICY_QUIZ_SCHEDULE") or "0 10 * * MON", get("SMPOLICY_TIMEZONE") or "UTC"
        _check_schedule(schedule, timezone)
        token, secret = get("SLACK_BOT_TOKEN"), get("SLACK_SIGNING_SECRET")
        if bool(token) != bool(secret):
            missing = "SLACK_SIGNING_SECRET" if token else "SLACK_BOT_TOKEN"
            raise SettingsError(f"{missing}: required when {'SLACK_BOT_TOKEN' if token else 'SLACK_SIGNING_SECRET'} is set")
        if token and not token.startswith("xoxb-"):
            raise SettingsError("SLACK_BOT_TOKEN: must be a bot token starting with xoxb-")
        app_token = get("SLACK_APP_TOKEN")
        if app_token and not app_token.startswith("xapp-"):
            raise SettingsError("SLACK_APP_TOKEN: must be an app-level token starting with xapp-")
        api_url = get("SLACK_API_URL")
        if api_url and not api_url.startswith(("http://", "https://")):
            raise SettingsError("SLACK_API_URL: must be an http(s) URL")
        if api_url and not api_url.endswith("/"):
            api_url += "/"
        app_type = get("MicrosoftAppType") or "MultiTenant"
        if app_type not in TEAMS_APP_TYPES:
            raise SettingsError(f"MicrosoftAppType: {app_type!r} is not one of {', '.join(TEAMS_APP_TYPES)}")
        app_id, tenant = get("MicrosoftAppId"), get("MicrosoftAppTenantId")
        if app_id and app_type in ("SingleTenant", "UserAssignedMSI") and not tenant:
            raise SettingsError(f"MicrosoftAppTenantId: required when MicrosoftAppType is {app_type}")
        if app_id and app_type != "UserAssignedMSI" and not get("MicrosoftAppPassword"):
            raise SettingsError("MicrosoftAppPassword: required when MicrosoftAppId is set")
        header = get("SMPOLICY_WEB_USER_HEADER")
        if header and not re.fullmatch(r"[A-Za-z0-9-]{1,100}", header):
            raise SettingsError(f"SMPOLICY_WEB_USER_HEADER: {header!r} is not an HTTP header name such as X-Forwarded-Email")
        proxies = _list(get("SMPOLICY_TRUSTED_PROXIES")) or ("127.0.0.0/8", "::1/128")
        for cidr in proxies:
            try:
                ipaddress.ip_network(cidr, strict=False)
            except ValueError:
                raise SettingsError(f"SMPOLICY_TRUSTED_PROXIES: {cidr!r} is not an address or CIDR such as 10.0.0.0/8") from None
        question_retention = int(_number(get("SMPOLICY_QUESTION_RETENTION_DAYS"), "SMPOLICY_QUESTION_RETENTION_DAYS", 90, 1, 3650,
                                         whole=True))
        return cls(owners=_list(get("SMPOLICY_OWNERS")), slack_owners_channel=get("SMPOLICY_SLACK_OWNERS_CHANNEL"),
                   question_retention_days=question_retention,
                   question_log=_switch(get("SMPOLICY_QUESTION_LOG"), "SMPOLICY_QUESTION_LOG"), data_dir=data_dir, db_path=db_path, database_url=database_url, content_dir=Path(content) if content else None,
                   contact=get("SMPOLICY_CONTACT"), log_level=level, report_key=get("SMPOLICY_REPORT_KEY"),
                   slack_bot_token=token, slack_signing_secret=secret, slack_app_token=app_token, slack_api_url=api_url,
                   teams_app_id=app_id, teams_app_password=get("MicrosoftAppPassword"), teams_app_type=app_type,
                   teams_tenant_id=tenant, report_notify_delay=delay, report_retention_days=retention,
                   case_ack_days=ack_days, case_feedback_days=feedback_days,
                   slack_review_channel=get("SMPOLICY_SLACK_REVIEW_CHANNEL"), teams_admins=_list(get("SMPOLICY_TEAMS_ADMINS")),
                   web_reviewers=_list(get("SMPOLICY_WEB_REVIEWERS")), quiz_schedule=schedule, timezone=timezone,
                   slack_quiz_channel=get("SMPOLICY_SLACK_QUIZ_CHANNEL"), quiz_rounds=_switch(get("SMPOLICY_QUIZ_ROUNDS"), "SMPOLICY_QUIZ_ROUNDS"),
                   http_timeout=http_timeout, teams_emulator=_switch(get("SMPOLICY_TEAMS_EMULATOR"), "SMPOLICY_TEAMS_EMULATOR", False),
                   web_user_header=header, trusted_proxies=proxies)
