"""The timer sweeper: fires due timers, sleeping until the next one, a clock jump, or a short poll; and keeps
the provisional-clock gauge up to date."""

import asyncio
import time
from collections.abc import Callable, Coroutine
from typing import Any

import structlog

from tousu.kit import metrics
from tousu.kit.runtime import ServiceRuntime
from tousu.sla.service_layer.timers import count_provisional, fire_due, next_due
from tousu.sla.service_layer.world import Policies

log = structlog.get_logger("tousu.sla.timers")
POLL_S = 0.25
GAUGE_EVERY_S = 5.0
"""The provisional-clock count is an index-only scan of the partial index's provisional entries (4 buffers, 0.05 ms
with 1,000,000 open clocks), so its cost is the statement, not the clocks; every 5 s keeps a change visible well
within a scrape interval."""


def sweeper(policies: Policies) -> Callable[[ServiceRuntime], Coroutine[Any, Any, None]]:
    async def sweep_timers(runtime: ServiceRuntime) -> None:
        gauge_at = 0.0
        while True:
            try:
                # An idle round is one short transaction: the next due instant (and now and then the gauge).
                async with runtime.unit_of_work() as uow:
                    upcoming = await next_due(uow)
                    if time.monotonic() >= gauge_at:
                        # From the database, so every replica reports the same number (aggregate with max).
                        metrics.PROVISIONAL_CLOCKS.set(await count_provisional(uow))
                        gauge_at = time.monotonic() + GAUGE_EVERY_S
                wait = POLL_S
                if upcoming is not None:
                    wait = min(POLL_S, max(0.0, (upcoming - runtime.clock.now()).total_seconds()))
                if wait == 0.0:
                    fired = 1
                    while fired:
                        async with runtime.unit_of_work() as uow:
                            fired = await fire_due(uow, runtime.clock.now(), policies)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("timer sweep failed; retrying")
                wait = 1.0
            await runtime.clock.wait_jump(wait)

    return sweep_timers
