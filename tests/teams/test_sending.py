"""Retry and pacing rules for Teams sends."""

import asyncio

import pytest

from adapters.teams.sending import Pacer, with_retry


class HttpError(Exception):
    def __init__(self, status, retry_after=None):
        self.response = type("R", (), {"status_code": status, "headers": {"Retry-After": retry_after} if retry_after else {}})()


async def test_retryable_statuses_back_off_then_succeed():
    outcomes = [HttpError(429, "2"), HttpError(412), HttpError(502), HttpError(504), "ok"]
    sleeps = []

    async def send():
        out = outcomes.pop(0)
        if isinstance(out, Exception):
            raise out
        return out

    async def sleep(seconds):
        sleeps.append(seconds)

    assert await with_retry(send, sleep=sleep) == "ok"
    assert sleeps[0] == 2.0  # Retry-After honoured
    assert all(0 < s <= 8 for s in sleeps) and len(sleeps) == 4


@pytest.mark.parametrize("status", [400, 401, 403, 404, 500])
async def test_other_errors_are_not_retried(status):
    calls = []

    async def send():
        calls.append(1)
        raise HttpError(status)

    with pytest.raises(HttpError):
        await with_retry(send, sleep=lambda s: asyncio.sleep(0))
    assert len(calls) == 1


async def test_gives_up_after_the_attempts():
    calls = []

    async def send():
        calls.append(1)
        raise HttpError(429)

    async def sleep(seconds):
        pass

    with pytest.raises(HttpError):
        await with_retry(send, attempts=4, sleep=sleep)
    assert len(calls) == 4


async def test_pacer_keeps_each_key_under_its_rate():
    pacer = Pacer(rate=50)
    loop = asyncio.get_running_loop()
    times: dict[str, list[float]] = {"a": [], "b": []}

    async def one(key):
        await pacer.wait(key)
        times[key].append(loop.time())

    started = loop.time()
    await asyncio.gather(*(one("a") for _ in range(10)), *(one("b") for _ in range(10)))
    for stamps in times.values():
        stamps.sort()
        # 50 a second: the k-th call of a key never goes before its slot, k x 20 ms after the start
        # (a busy loop may wake calls late, never early).
        assert all(t - started >= k * 0.02 - 0.002 for k, t in enumerate(stamps))
    assert loop.time() - started < 1.0  # keys are paced independently, not one after the other
