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
        if self._task:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
