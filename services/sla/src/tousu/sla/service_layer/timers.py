"""Durable timers: rows swept with FOR UPDATE SKIP LOCKED, each firing exactly once through the outbox.

Several replicas may sweep at once: a row locked by one (its timer or its clock) is skipped by the others, and
the timer's `fired_at` is set in the same transaction as the event it emits, so a crash before commit fires it
again and never twice. The sweeper never waits for a lock, so it cannot deadlock with an event handler that holds
a clock and waits for its timers.
"""

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from tousu.contracts.events.sla import SlaBreached, SlaWarning
from tousu.kit import metrics
from tousu.kit.calendar import WorkingCalendar
from tousu.kit.uow import UnitOfWork
from tousu.sla.adapters import tables as t
from tousu.sla.service_layer import clocks
from tousu.sla.service_layer.world import Policies

BATCH = 1000


async def fire_due(uow: UnitOfWork, now: datetime, policies: Policies) -> int:
    """Fire every timer due at `now` (business time), up to one batch; return how many were taken."""
    due = (
        await uow.session.execute(
            sa.select(
                t.timers.c.id.label("timer_id"), t.timers.c.kind.label("timer_kind"), t.timers.c.fire_at, t.clocks
            )
            .join(t.clocks, t.clocks.c.id == t.timers.c.clock_id)
            .where(t.timers.c.fired_at.is_(None), t.timers.c.fire_at <= now)
            .order_by(t.timers.c.fire_at)
            .limit(BATCH)
            .with_for_update(of=[t.timers, t.clocks], skip_locked=True)
        )
    ).all()
    if not due:
        return 0
    breached: list[Any] = []
    for row in due:
        if row.stopped_at is not None or row.state not in clocks.LIVE or row.id in breached:
            continue  # stopped, paused or breached meanwhile: nothing to say
        if row.timer_kind == "breach":
            uow.emit(
                "sla.breached",
                SlaBreached(
                    **clocks.common(row),
                    occurred_at=row.breach_at,
                    breached_at=row.breach_at,
                    started_at=row.started_at,
                ),
                tenant=row.tenant,
            )
            breached.append(row.id)
            stage = policies.stage(row.regime, row.policy_version, row.stage)
            if stage.recurring is not None:
                # A missed period of a recurring duty closes; the next period opens at its due instant.
                closed = await clocks.update(uow, row, state="breached", breached=True, stopped_at=row.breach_at)
                await clocks.next_period(uow, stage, closed, WorkingCalendar())
        else:
            uow.emit(
                "sla.warning",
                SlaWarning(**clocks.common(row), occurred_at=row.fire_at, warning_at=row.fire_at),
                tenant=row.tenant,
            )
        metrics.TIMERS_FIRED.labels(row.timer_kind).inc()
    await uow.session.execute(
        sa.update(t.timers).where(t.timers.c.id.in_([r.timer_id for r in due])).values(fired_at=sa.func.now())
    )
    if breached:
        await uow.session.execute(
            sa.update(t.clocks)
            .where(t.clocks.c.id.in_(breached), t.clocks.c.stopped_at.is_(None))
            .values(breached=True, state="breached")
        )
    return len(due)


NEXT_DUE = sa.select(sa.func.min(t.timers.c.fire_at)).where(t.timers.c.fired_at.is_(None))


async def next_due(uow: UnitOfWork) -> datetime | None:
    value: datetime | None = (await uow.session.execute(NEXT_DUE)).scalar()
    return value


PROVISIONAL = (
    sa.select(sa.func.count()).select_from(t.clocks).where(t.clocks.c.provisional, t.clocks.c.stopped_at.is_(None))
)


async def count_provisional(uow: UnitOfWork) -> int:
    """Open clocks whose deadline reaches into a year the calendar does not know (ARCHITECTURE §5)."""
    value = (await uow.session.execute(PROVISIONAL)).scalar()
    return int(value or 0)
