"""The weekly schedule: cron in a time zone (DST-aware), bad settings refused, unfinished rounds resumed."""

import asyncio
import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from adapters.scheduler import QuizScheduler, next_run
from bot.quiz.rounds import Audience, round_id
from bot.settings import Settings, SettingsError


def test_next_run_in_the_time_zone_across_dst():
    berlin = ZoneInfo("Europe/Berlin")
    before = dt.datetime(2026, 10, 21, 12, 0, tzinfo=berlin).timestamp()  # a Wednesday, summer time
    first = dt.datetime.fromtimestamp(next_run("0 10 * * MON", "Europe/Berlin", before), berlin)
    assert (first.weekday(), first.hour, first.minute, first.day) == (0, 10, 0, 26)  # the Monday after DST ended
    assert dt.datetime.fromtimestamp(next_run("0 10 * * MON", "UTC", before), dt.UTC).hour == 10


@pytest.mark.parametrize("env, message", [
    ({"SMPOLICY_QUIZ_SCHEDULE": "every monday"}, "SMPOLICY_QUIZ_SCHEDULE"),
    ({"SMPOLICY_TIMEZONE": "Mars/Olympus"}, "SMPOLICY_TIMEZONE"),
    ({"SMPOLICY_QUIZ_ROUNDS": "maybe"}, "SMPOLICY_QUIZ_ROUNDS"),
])
def test_bad_schedule_settings_name_the_variable(env, message):
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(env)


def test_round_id_is_the_iso_week():
    assert round_id(dt.datetime(2026, 11, 25, tzinfo=dt.UTC).timestamp()) == "2026-W48"
    assert round_id(dt.datetime(2027, 1, 1, 12, tzinfo=dt.UTC).timestamp()) == "2026-W53"


async def test_an_unfinished_round_is_resumed_at_start(pack, engine, tmp_path):
    from bot.reports.crypto import Sealer
    from bot.routes import build_bot
    from bot.storage import Storage

    bot = build_bot(pack, engine, Storage.open(tmp_path / "s.db"), Sealer(b"k" * 32))
    delivered: list[str] = []
    attempts = {"b": 0}

    async def people():
        return ["a", "b"]

    async def deliver(user_key, reply, rid):
        if user_key == "b":
            attempts["b"] += 1
            if attempts["b"] == 1:
                raise ConnectionError("down")
        delivered.append(user_key)

    audience = Audience("test", people, deliver)
    first = await bot.rounds.run("2026-W48", [audience])
    assert first.failed == 1 and await bot.rounds.unfinished() == ["2026-W48"]
    scheduler = QuizScheduler(bot.rounds, [audience], "0 10 * * MON", "UTC")
    await scheduler.start()
    for _ in range(200):
        if not await bot.rounds.unfinished():
            break
        await asyncio.sleep(0.01)
    await scheduler.stop()
    assert await bot.rounds.unfinished() == [] and sorted(delivered) == ["a", "b"]
