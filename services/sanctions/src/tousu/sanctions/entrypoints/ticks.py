"""The periodic evaluator: KPIs and nominations of periods that have ended by the business clock.

Chosen over evaluating "on the event that closes a period" because no event closes a month: the end of a period
is a time, like a deadline. The sweeper wakes at every clock jump (PUT /admin/clock) and otherwise polls briefly,
so an evaluation follows its due time within a second, as sla's timers do.
"""

import asyncio

import structlog

from tousu.kit.runtime import BackgroundTask, ServiceRuntime
from tousu.sanctions.service_layer.kpis import evaluate_due
from tousu.sanctions.service_layer.policies import RuleBooks

log = structlog.get_logger("tousu.sanctions.ticks")
POLL_S = 0.5


def evaluator(books: RuleBooks) -> BackgroundTask:
    async def evaluate_periods(runtime: ServiceRuntime) -> None:
        while True:
            wait = POLL_S
            try:
                evaluated = 1
                while evaluated:
                    async with runtime.unit_of_work() as uow:
                        evaluated = await evaluate_due(uow, books, runtime.clock.now())
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("periodic evaluation failed; retrying")
                wait = 1.0
            await runtime.clock.wait_jump(wait)

    return evaluate_periods
