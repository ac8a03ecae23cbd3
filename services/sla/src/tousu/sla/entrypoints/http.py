"""sla's HTTP API (CONTRACT §6): clocks, their explanation, and calendars loaded as data."""

from datetime import date
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter
from pydantic import BaseModel, Field

from tousu.contracts.types import ClockKind, iso
from tousu.kit.auth import OrgTree
from tousu.kit.calendar import YearCalendar
from tousu.kit.errors import FieldError, NotFoundError, PermanentError
from tousu.kit.http import Caller, Runtime, require
from tousu.kit.uow import UnitOfWork
from tousu.sla.adapters import tables as t
from tousu.sla.service_layer.calendars import describe_year, load_calendar, reschedule_year, store_year

router = APIRouter(prefix="/v1", tags=["sla"])


async def _visible_complaint(uow: UnitOfWork, caller: Caller, complaint_id: str) -> Any:
    row = (
        await uow.session.execute(sa.select(t.complaints).where(t.complaints.c.complaint_id == complaint_id))
    ).first()
    if row is None:
        raise NotFoundError("sla has not heard of this complaint (yet)")
    parents = dict((await uow.session.execute(sa.select(t.orgs.c.id, t.orgs.c.parent))).tuples().all())
    if not OrgTree(parents).sees(caller, row.units):
        raise NotFoundError("sla has not heard of this complaint (yet)")
    return row


def clock_view(c: Any) -> dict[str, Any]:
    return {
        "stage": c.stage,
        "cycle": c.cycle,
        "owner_unit": c.owner_unit,
        "clock": c.clock,
        "length": float(c.length) if c.length % 1 else int(c.length),
        "started_at": iso(c.started_at),
        "due_at": iso(c.due_at),
        "breach_at": iso(c.breach_at),
        "warning_at": iso(c.warning_at),
        "stopped_at": iso(c.stopped_at),
        "state": c.state,
        "breach_withdrawn": c.breach_withdrawn,
        "provisional": c.provisional,
        "extensions": c.extensions,
        "rule": c.rule,
        "policy_version": c.policy_version,
    }


@router.get("/complaints/{complaint_id}/clocks")
async def clocks(complaint_id: str, caller: Caller, runtime: Runtime) -> list[dict[str, Any]]:
    async with runtime.unit_of_work() as uow:
        await _visible_complaint(uow, caller, complaint_id)
        rows = (
            await uow.session.execute(
                sa.select(t.clocks)
                .where(t.clocks.c.complaint_id == complaint_id)
                .order_by(t.clocks.c.started_at, t.clocks.c.stage, t.clocks.c.cycle)
            )
        ).all()
    return [clock_view(c) for c in rows]


@router.get("/complaints/{complaint_id}/clocks/{stage}/explain")
async def explain(complaint_id: str, stage: str, caller: Caller, runtime: Runtime) -> dict[str, Any]:
    """The days and hours the deadline counted, each with why (CONTRACT §6)."""
    async with runtime.unit_of_work() as uow:
        await _visible_complaint(uow, caller, complaint_id)
        clock = (
            await uow.session.execute(
                sa.select(t.clocks)
                .where(t.clocks.c.complaint_id == complaint_id, t.clocks.c.stage == stage)
                .order_by(t.clocks.c.cycle.desc())
            )
        ).first()
        if clock is None:
            raise NotFoundError("no clock of this stage")
        calendar = await load_calendar(uow)
    days = calendar.explain(clock.started_at, ClockKind(clock.clock), clock.length)
    return {**clock_view(clock), "days": [d.to_dict() for d in days]}


class CalendarYear(BaseModel):
    holidays: list[date] = Field(default_factory=list)
    working_days: list[date] = Field(default_factory=list)
    source: str = Field(min_length=1)


@router.put("/calendars/{year}")
async def put_calendar(year: int, body: CalendarYear, caller: Caller, runtime: Runtime) -> dict[str, Any]:
    require(caller, "admin")
    try:
        loaded = YearCalendar(year, set(body.holidays), set(body.working_days), body.source)
    except ValueError as exc:
        raise PermanentError("the calendar is not valid", [FieldError("holidays", str(exc), "CONV-08")]) from exc
    async with runtime.unit_of_work() as uow:
        await uow.session.execute(sa.select(sa.func.pg_advisory_xact_lock(year)))
        await store_year(uow, loaded)
        calendar = await load_calendar(uow)
        rescheduled = await reschedule_year(uow, calendar, year)
    return {**describe_year(calendar, year), "rescheduled": rescheduled}


@router.get("/calendars/{year}")
async def get_calendar(year: int, caller: Caller, runtime: Runtime) -> dict[str, Any]:
    async with runtime.unit_of_work() as uow:
        calendar = await load_calendar(uow)
    return describe_year(calendar, year)
