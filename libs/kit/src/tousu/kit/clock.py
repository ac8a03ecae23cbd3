"""The business clock: the system's time, or a controlled one for tests and demos (ARCHITECTURE §5).

Only business time follows it; token validity, retry delays, leases and metrics use the system clock.
"""

import asyncio
import time
from datetime import datetime, timedelta

from tousu.contracts.types import SHANGHAI


class BusinessClock:
    """`now()` is the system time, or, when controlled, the instant last set plus the time elapsed since."""

    def __init__(self, controlled: bool = False) -> None:
        self.controlled = controlled
        self._anchor: datetime | None = None
        self._anchor_mono = 0.0
        self._set_at = 0.0
        self._jumped = asyncio.Event()

    def now(self) -> datetime:
        if self._anchor is None:
            return datetime.now(SHANGHAI)
        return self._anchor + timedelta(seconds=time.monotonic() - self._anchor_mono)

    def set(self, instant: datetime, set_at: float | None = None) -> bool:
        """Move business time to `instant`; `set_at` (system epoch seconds) orders competing settings.

        Returns False when a later setting is already in force (an older broadcast arriving late).
        """
        if not self.controlled:
            raise RuntimeError("the business clock is not controlled (TOUSU_CLOCK=controlled)")
        stamp = set_at if set_at is not None else time.time()
        if stamp < self._set_at:
            return False
        elapsed = max(0.0, time.time() - stamp)
        self._anchor = instant.astimezone(SHANGHAI) + timedelta(seconds=elapsed)
        self._anchor_mono = time.monotonic()
        self._set_at = stamp
        self._jumped.set()
        return True

    async def wait_jump(self, timeout: float) -> bool:
        """Sleep up to `timeout` seconds, waking early when the controlled clock is moved."""
        try:
            await asyncio.wait_for(self._jumped.wait(), timeout)
        except TimeoutError:
            return False
        self._jumped.clear()
        return True
