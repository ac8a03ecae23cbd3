"""The working-day calendar of sla: the package plus whole years loaded as data (CONTRACT §6)."""

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from tousu.contracts.events.sla import SlaRescheduled
from tousu.contracts.types import ClockKind
from tousu.kit.calendar import WorkingCalendar, YearCalendar
from tousu.kit.uow import UnitOfWork
from tousu.sla.adapters import tables as t


async def load_calendar(uow: UnitOfWork) -> WorkingCalendar:
    rows = (await uow.session.execute(sa.select(t.calendar_years))).all()
    return WorkingCalendar(
        [
            YearCalendar(
                year=r.year,
                holidays=frozenset(date.fromisoformat(d) for d in r.holidays),
                working_days=frozenset(date.fromisoformat(d) for d in r.working_days),
                source=r.source,
            )
            for r in rows
        ]
    )


async def store_year(uow: UnitOfWork, year: YearCalendar) -> None:
    values = year.to_dict()
    stmt = insert(t.calendar_years).values(
        year=year.year, holidays=values["holidays"], working_days=values["working_days"], source=year.source
    )
    await uow.session.execute(
        stmt.on_conflict_do_update(
            index_elements=[t.calendar_years.c.year],
            set_={
                "holidays": stmt.excluded.holidays,
                "working_days": stmt.excluded.working_days,
                "source": stmt.excluded.source,
                "loaded_at": sa.func.now(),
            },
        )
    )


def describe_year(calendar: WorkingCalendar, year: int) -> dict[str, Any]:
    loaded = calendar.years.get(year)
    if loaded is not None:
        return {"year": year, **loaded.to_dict(), "known": True}
    return {"year": year, "known": calendar.is_known(year), "source": calendar.year_source(year)}


async def reschedule_year(uow: UnitOfWork, calendar: WorkingCalendar, year: int) -> int:
    """Recount open clocks whose window touches `year` after it was loaded; `sla.rescheduled` for each change."""
    rows = (
        await uow.session.execute(
            sa.select(t.clocks)
            .where(
                t.clocks.c.stopped_at.is_(None),
                sa.extract("year", t.clocks.c.started_at) <= year,
                sa.extract("year", t.clocks.c.due_at) >= year,
            )
            .with_for_update()
        )
    ).all()
    changed = 0
    for clock in rows:
        kind = ClockKind(clock.clock)
        if clock.extensions or (not kind.counts_days and kind is not ClockKind.WORKING_HOURS):
            continue  # an extended due is an instant granted; wall-clock counts do not depend on the calendar
        deadline = calendar.deadline(clock.started_at, kind, clock.length)
        if deadline.due_at == clock.due_at and deadline.provisional == clock.provisional:
            continue
        fraction = None
        if clock.warning_at is not None and clock.due_at > clock.started_at:
            fraction = (clock.warning_at - clock.started_at) / (clock.due_at - clock.started_at)
        warning_at = clock.started_at + (deadline.due_at - clock.started_at) * fraction if fraction else None
        await uow.session.execute(
            sa.update(t.clocks)
            .where(t.clocks.c.id == clock.id)
            .values(
                due_at=deadline.due_at,
                breach_at=deadline.breach_at,
                warning_at=warning_at,
                provisional=deadline.provisional,
                provisional_years=list(deadline.provisional_years),
            )
        )
        await uow.session.execute(
            sa.delete(t.timers).where(t.timers.c.clock_id == clock.id, t.timers.c.fired_at.is_(None))
        )
        timers = [] if clock.breached else [{"clock_id": clock.id, "kind": "breach", "fire_at": deadline.breach_at}]
        if warning_at is not None and not clock.breached:
            timers.append({"clock_id": clock.id, "kind": "warning", "fire_at": warning_at})
        if timers:
            await uow.session.execute(t.timers.insert(), timers)
        uow.emit(
            "sla.rescheduled",
            SlaRescheduled(
                complaint_id=clock.complaint_id,
                regime=clock.regime,
                occurred_at=uow.now(),
                stage=clock.stage,
                owner_unit=clock.owner_unit,
                clock=kind,
                due_at=deadline.due_at,
                previous_due_at=clock.due_at,
                provisional=deadline.provisional,
                warning_at=warning_at,
                year=year,
                cycle=clock.cycle,
                reason=f"calendar {year} loaded",
            ),
            tenant=clock.tenant,
        )
        changed += 1
    return changed
