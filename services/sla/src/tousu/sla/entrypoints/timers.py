"""The timer sweeper: fires due timers, sleeping until the next one, a clock jump, or a short poll."""

import asyncio

import structlog

from tousu.kit.runtime import ServiceRuntime
from tousu.sla.service_layer.timers import fire_due, next_due

log = structlog.get_logger("tousu.sla.timers")
POLL_S = 0.25


async def sweep_timers(runtime: ServiceRuntime) -> None:
    while True:
        try:
            fired = 1
            while fired:
                async with runtime.unit_of_work() as uow:
                    fired = await fire_due(uow, runtime.clock.now())
            async with runtime.unit_of_work() as uow:
                upcoming = await next_due(uow)
            wait = POLL_S
            if upcoming is not None:
                wait = min(POLL_S, max(0.0, (upcoming - runtime.clock.now()).total_seconds()))
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("timer sweep failed; retrying")
            wait = 1.0
        await runtime.clock.wait_jump(wait)
