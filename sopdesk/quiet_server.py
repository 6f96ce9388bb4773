"""uvicorn's server with a main loop that wakes once a second instead of ten times.

uvicorn's ``Server.main_loop`` sleeps 0.1 s between ticks to refresh the ``Date``
header and notice a signal; on an idle service those ticks were a quarter of the
process's CPU (py-spy, 2026-12-02). ``Date`` has one-second resolution, so one tick a
second keeps it right, and a signal wakes the loop at once, so stopping is as quick.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from types import FrameType

import uvicorn
from uvicorn.config import STARTUP_FAILURE

TICK_SECONDS = 1.0


class QuietServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._exit_requested: asyncio.Event | None = None

    async def main_loop(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._exit_requested = asyncio.Event()
        counter = 0
        # on_tick refreshes the Date header when counter % 10 == 0: every tick here.
        while not await self.on_tick(counter):
            counter = (counter + 10) % 864_000
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._exit_requested.wait(), TICK_SECONDS)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        # Runs in a signal handler: hand the wake-up to the loop thread-safely.
        if self._loop is not None and self._exit_requested is not None:
            with contextlib.suppress(RuntimeError):  # the loop already closed
                self._loop.call_soon_threadsafe(self._exit_requested.set)


def run(config: uvicorn.Config) -> None:
    """What ``uvicorn.run`` does for one process without reload, with the quiet loop."""
    server = QuietServer(config)  # it loads the config (logging, the app) as it starts
    with contextlib.suppress(KeyboardInterrupt):
        server.run()
    if not server.started:
        sys.exit(STARTUP_FAILURE)
