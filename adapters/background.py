"""A long-running task of the server, started and stopped with the app (on_startup / on_shutdown)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any


class Background:
    def __init__(self, run: Callable[[], Coroutine[Any, Any, None]]):
        self._run = run
        self._task: asyncio.Task | None = None

    async def start(self, _app=None) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self, _app=None) -> None:
        """Cancel the task and wait for it to end, cancelling again each second until it does: a cancel can be
        lost (asyncio.wait_for before Python 3.12 returns the inner result when a cancel lands as that completes,
        and psycopg_pool waits for a free connection with it), and the task would then run on forever."""
        task = self._task
        if task is None:
            return
        while not task.done():
            task.cancel()
            await asyncio.wait([task], timeout=1)
        try:
            task.result()
        except asyncio.CancelledError:
            pass
