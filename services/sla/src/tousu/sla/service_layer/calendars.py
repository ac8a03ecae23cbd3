"""Calendars as data (CONTRACT §6, ARCHITECTURE §5): whole years and organisation overrides, stored in sla's
database; a change recounts the open clocks it touches and says so with `sla.rescheduled`."""

from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import structlog
import yaml
from sqlalchemy.dialects.postgresql import insert

from tousu.contracts.events.sla import SlaRescheduled
from tousu.contracts.policy import Policy, Stage
from tousu.contracts.types import ClockKind, iso
from tousu.kit.calendar import YearCalendar
from tousu.kit.uow import UnitOfWork
from tousu.sla.adapters import tables as t
from tousu.sla.domain.calendars import OrgCalendar
from tousu.sla.domain.clocks import breach_of, resumed_due, warning_instant
from tousu.sla.service_layer import clocks
from tousu.sla.service_layer.world import Policies, World, changed_world, load_world, org_calendar_of

log = structlog.get_logger("tousu.sla.calendars")

CALENDAR_LOCK = 0x51A_CA1
"""Advisory lock serialising calendar changes across replicas (a change and its recount are one transaction)."""


async def lock_calendars(uow: UnitOfWork) -> None:
    """Serialise calendar changes, each of which changes the world every clock counts on."""
    await uow.session.execute(sa.select(sa.func.pg_advisory_xact_lock(CALENDAR_LOCK)))
    await changed_world(uow)


def _local_year(column: Any) -> Any:
    return sa.extract("year", sa.func.timezone("Asia/Shanghai", column))


# -- years ------------------------------------------------------------------------------------------------------


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


async def delete_year(uow: UnitOfWork, year: int) -> bool:
    deleted = await uow.session.execute(
        sa.delete(t.calendar_years).where(t.calendar_years.c.year == year).returning(t.calendar_years.c.year)
    )
    return deleted.first() is not None


def describe_year(world: World, year: int) -> dict[str, Any]:
    calendar = world.plain_calendar()
    loaded = calendar.years.get(year)
    if loaded is not None:
        return {**loaded.to_dict(), "known": True, "loaded": True}
    return {"year": year, "known": calendar.is_known(year), "loaded": False, "source": calendar.year_source(year)}


async def load_year(uow: UnitOfWork, policies: Policies, year: YearCalendar) -> int:
    """Store a year (replacing the package for it) and recount the open clocks it touches."""
    await lock_calendars(uow)
    await store_year(uow, year)
    return await reschedule_year(uow, policies, year.year, f"calendar {year.year} loaded")


async def unload_year(uow: UnitOfWork, policies: Policies, year: int) -> int | None:
    """Remove a loaded year (the package, or a provisional count, applies again); None when none was loaded."""
    await lock_calendars(uow)
    if not await delete_year(uow, year):
        return None
    return await reschedule_year(uow, policies, year, f"calendar {year} removed")


async def reschedule_year(uow: UnitOfWork, policies: Policies, year: int, reason: str) -> int:
    touches = sa.and_(
        _local_year(t.clocks.c.started_at) <= year,
        sa.or_(_local_year(t.clocks.c.due_at) >= year, _local_year(t.clocks.c.cap_at) >= year),
    )
    rows = (await uow.session.execute(_recountable().where(touches))).all()
    return await reschedule(uow, await load_world(uow, policies), rows, reason, year)


def _recountable() -> sa.Select[Any]:
    """Open clocks counted from their start whose breach is not published yet, locked in one order."""
    return (
        sa.select(t.clocks)
        .where(t.clocks.c.stopped_at.is_(None), t.clocks.c.due_basis == "count", sa.not_(t.clocks.c.breached))
        .order_by(t.clocks.c.id)
        .with_for_update()
    )


# -- organisation overrides -------------------------------------------------------------------------------------


async def store_org_calendar(uow: UnitOfWork, policies: Policies, override: OrgCalendar) -> int:
    await lock_calendars(uow)
    data = override.to_dict()
    stmt = insert(t.org_calendars).values(
        org_id=override.org_id,
        holidays=data["holidays"],
        working_days=data["working_days"],
        business_hours=data["business_hours"],
        source=override.source,
    )
    await uow.session.execute(
        stmt.on_conflict_do_update(
            index_elements=[t.org_calendars.c.org_id],
            set_={k: stmt.excluded[k] for k in ("holidays", "working_days", "business_hours", "source")}
            | {"updated_at": sa.func.now()},
        )
    )
    return await reschedule_org(uow, policies, override.org_id)


async def delete_org_calendar(uow: UnitOfWork, policies: Policies, org_id: str) -> int | None:
    await lock_calendars(uow)
    deleted = await uow.session.execute(
        sa.delete(t.org_calendars).where(t.org_calendars.c.org_id == org_id).returning(t.org_calendars.c.org_id)
    )
    if deleted.first() is None:
        return None
    return await reschedule_org(uow, policies, org_id)


async def get_org_calendar(uow: UnitOfWork, org_id: str) -> OrgCalendar | None:
    row = (await uow.session.execute(sa.select(t.org_calendars).where(t.org_calendars.c.org_id == org_id))).first()
    return org_calendar_of(row) if row is not None else None


async def reschedule_org(uow: UnitOfWork, policies: Policies, org_id: str) -> int:
    world = await load_world(uow, policies)
    subtree = [unit for unit in {*world.parents, org_id} if world.within(unit, org_id)]
    rows = (await uow.session.execute(_recountable().where(t.clocks.c.owner_unit.in_(subtree)))).all()
    return await reschedule(uow, world, rows, f"calendar of organisation {org_id} changed", None)


# -- recounting -------------------------------------------------------------------------------------------------


def recount(
    world: World, policy: Policy, stage: Stage, clock: Any
) -> tuple[datetime, datetime, datetime | None, set[int]]:
    """A counted clock's due, breach and cap on today's calendars, with the pauses it had replayed."""
    calendar = world.calendar(clock.owner_unit, policy)
    kind = ClockKind(clock.clock)
    deadline = calendar.deadline(
        clock.started_at,
        kind,
        clock.length,
        daily_at=stage.daily_at if kind is ClockKind.DAILY_AT else None,
        postpone_to_working_day=kind is ClockKind.CALENDAR_DAYS and policy.calendar.calendar_days_postponed_on_holiday,
    )
    due, provisional = deadline.due_at, set(deadline.provisional_years)
    for pause in clock.pauses:
        if pause.get("resumed_at"):
            paused_at, resumed_at = (datetime.fromisoformat(pause[k]) for k in ("paused_at", "resumed_at"))
            due = resumed_due(calendar, kind, due, paused_at, resumed_at)
    cap_at = None
    if stage.extension.cap is not None:
        cap = calendar.deadline(clock.started_at, stage.extension.cap.clock, stage.extension.cap.length)
        cap_at, provisional = cap.due_at, provisional | set(cap.provisional_years)
    return due, breach_of(kind, due), cap_at, provisional


async def reschedule(uow: UnitOfWork, world: World, rows: Iterable[Any], reason: str, year: int | None) -> int:
    """Recount counted clocks (not an extended or overridden due, nor a breach already published); for each that
    moves, re-arm its timers and publish `sla.rescheduled`."""
    changed = 0
    now = uow.now()
    for clock in rows:
        if clock.due_basis != "count" or clock.breached:
            continue
        policy = world.policies.get(clock.regime, clock.policy_version)
        stage = policy.stage(clock.stage)
        due, breach, cap_at, provisional = recount(world, policy, stage, clock)
        if (due, cap_at, bool(provisional)) == (clock.due_at, clock.cap_at, clock.provisional):
            continue
        warning_at = warning_instant(clock.started_at, due, stage.warning)
        if warning_at is not None and warning_at <= now and (clock.warning_at is None or clock.warning_at <= now):
            warning_at = clock.warning_at  # its warning is past (and fired): keep the record
        previous = clock.due_at
        clock = await clocks.update(
            uow,
            clock,
            due_at=due,
            breach_at=breach,
            cap_at=cap_at,
            warning_at=warning_at,
            provisional=bool(provisional),
            provisional_years=sorted(provisional),
        )
        if clock.state in clocks.LIVE:
            await clocks.arm(uow, clock.id, breach, warning_at if warning_at and warning_at > now else None)
        uow.emit(
            "sla.rescheduled",
            SlaRescheduled(
                **clocks.common(clock),
                occurred_at=now,
                previous_due_at=previous,
                provisional=clock.provisional,
                reason=reason,
                warning_at=warning_at,
                year=year,
            ),
            tenant=clock.tenant,
        )
        log.info(
            "clock rescheduled",
            complaint_id=clock.complaint_id,
            stage=clock.stage,
            previous_due_at=iso(previous),
            due_at=iso(due),
            provisional=clock.provisional,
            reason=reason,
        )
        changed += 1
    return changed


# -- the operator's file ----------------------------------------------------------------------------------------


def read_calendar_file(path: Path) -> tuple[list[YearCalendar], list[OrgCalendar]]:
    """`years: {2027: {holidays: [...], working_days: [...], source: ...}}` and
    `orgs: {<org id>: {holidays, working_days, business_hours: ['08:30-12:00', ...], source}}`."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    years = [
        YearCalendar(
            int(year),
            {date.fromisoformat(str(d)) for d in body.get("holidays") or ()},
            {date.fromisoformat(str(d)) for d in body.get("working_days") or ()},
            str(body.get("source") or path.name),
        )
        for year, body in (raw.get("years") or {}).items()
    ]
    orgs = [OrgCalendar.from_dict(str(org), body or {}) for org, body in (raw.get("orgs") or {}).items()]
    return years, orgs


async def apply_calendar_file(uow: UnitOfWork, policies: Policies, path: Path) -> int:
    """Load what the file says where it differs from what is stored (idempotent; safe on every replica)."""
    years, orgs = read_calendar_file(path)
    await lock_calendars(uow)
    world = await load_world(uow, policies)
    stored_years = {y.year: y for y in world.years}
    changed = 0
    for year in years:
        if stored_years.get(year.year) != year:
            changed += await load_year(uow, policies, year) + 1
    for override in orgs:
        if world.org_calendars.get(override.org_id) != override:
            changed += await store_org_calendar(uow, policies, override) + 1
    return changed
