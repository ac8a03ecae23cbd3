"""Durable timers: rows swept with FOR UPDATE SKIP LOCKED, each firing exactly once through the outbox.

Several replicas may sweep at once: a locked row is skipped by the others, and the timer's `fired_at` is set in
the same transaction as the event it emits, so a crash before commit fires it again and never twice.
"""

from datetime import datetime

import sqlalchemy as sa

from tousu.contracts.events.sla import SlaBreached, SlaWarning
from tousu.contracts.types import ClockKind
from tousu.kit import metrics
from tousu.kit.uow import UnitOfWork
from tousu.sla.adapters import tables as t

BATCH = 1000


async def fire_due(uow: UnitOfWork, now: datetime) -> int:
    """Fire every timer due at `now` (business time), up to one batch; return how many fired."""
    due = (
        await uow.session.execute(
            sa.select(
                t.timers.c.id.label("timer_id"), t.timers.c.kind.label("timer_kind"), t.timers.c.fire_at, t.clocks
            )
            .join(t.clocks, t.clocks.c.id == t.timers.c.clock_id)
            .where(t.timers.c.fired_at.is_(None), t.timers.c.fire_at <= now)
            .order_by(t.timers.c.fire_at)
            .limit(BATCH)
            .with_for_update(of=t.timers, skip_locked=True)
        )
    ).all()
    if not due:
        return 0
    breached: list[object] = []
    for row in due:
        if row.stopped_at is not None or row.state != "running":
            continue  # stopped meanwhile: nothing to say
        common = {
            "complaint_id": row.complaint_id,
            "regime": row.regime,
            "rule": row.rule,
            "stage": row.stage,
            "owner_unit": row.owner_unit,
            "clock": ClockKind(row.clock),
            "due_at": row.due_at,
            "cycle": row.cycle,
        }
        if row.timer_kind == "breach":
            uow.emit(
                "sla.breached",
                SlaBreached(occurred_at=row.breach_at, breached_at=row.breach_at, started_at=row.started_at, **common),
                tenant=row.tenant,
            )
            breached.append(row.id)
        else:
            uow.emit(
                "sla.warning", SlaWarning(occurred_at=row.fire_at, warning_at=row.fire_at, **common), tenant=row.tenant
            )
        metrics.TIMERS_FIRED.labels(row.timer_kind).inc()
    await uow.session.execute(
        sa.update(t.timers).where(t.timers.c.id.in_([r.timer_id for r in due])).values(fired_at=sa.func.now())
    )
    if breached:
        await uow.session.execute(
            sa.update(t.clocks).where(t.clocks.c.id.in_(breached)).values(breached=True, state="breached")
        )
    return len(due)


async def next_due(uow: UnitOfWork) -> datetime | None:
    value: datetime | None = (
        await uow.session.execute(sa.select(sa.func.min(t.timers.c.fire_at)).where(t.timers.c.fired_at.is_(None)))
    ).scalar()
    return value
