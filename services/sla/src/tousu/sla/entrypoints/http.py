"""sla's HTTP API (CONTRACT §6): clocks, their explanation, pause and resume, and calendars loaded as data."""

from datetime import date
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Path, Request
from pydantic import AwareDatetime, BaseModel, Field

from tousu.kit.auth import OrgTree
from tousu.kit.calendar import YearCalendar
from tousu.kit.errors import FieldError, NotFoundError, PermanentError
from tousu.kit.http import Caller, Runtime, require
from tousu.kit.uow import UnitOfWork
from tousu.sla.adapters import tables as t
from tousu.sla.domain.calendars import OrgCalendar
from tousu.sla.service_layer import calendars, clocks
from tousu.sla.service_layer.views import clock_view, explain_view
from tousu.sla.service_layer.world import Policies, load_world

router = APIRouter(prefix="/v1", tags=["sla"])
OrgId = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=100)]
Year = Annotated[int, Path(ge=1900, le=2200)]
ACTING_ROLES = ("handler", "supervisor", "admin")


def policies_of(request: Request) -> Policies:
    policies: Policies = request.app.state.policies
    return policies


async def _visible_complaint(uow: UnitOfWork, caller: Caller, complaint_id: str) -> Any:
    row = (
        await uow.session.execute(sa.select(t.complaints).where(t.complaints.c.complaint_id == complaint_id))
    ).first()
    parents = dict((await uow.session.execute(sa.select(t.orgs.c.id, t.orgs.c.parent))).tuples().all())
    if row is None or not OrgTree(parents).sees(caller, row.units):
        raise NotFoundError("sla has not heard of this complaint (yet)")
    return row


async def _latest(uow: UnitOfWork, complaint_id: str, stage: str, *, lock: bool = False) -> Any:
    query = (
        sa.select(t.clocks)
        .where(t.clocks.c.complaint_id == complaint_id, t.clocks.c.stage == stage)
        .order_by(t.clocks.c.cycle.desc())
        .limit(1)
    )
    clock = (await uow.session.execute(query.with_for_update() if lock else query)).first()
    if clock is None:
        raise NotFoundError(f"no clock of stage {stage} for this complaint")
    return clock


@router.get("/complaints/{complaint_id}/clocks")
async def get_clocks(complaint_id: str, caller: Caller, runtime: Runtime) -> list[dict[str, Any]]:
    """Every clock of the complaint, each run of a stage (a 2nd dispatch, a day of a daily duty) on its own."""
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
async def explain(complaint_id: str, stage: str, caller: Caller, runtime: Runtime, request: Request) -> dict[str, Any]:
    """The days and hours the deadline counted, each with why (working day, holiday, make-up working day,
    override, provisional), then what moved the due since (pauses, extensions)."""
    policies = policies_of(request)
    async with runtime.unit_of_work() as uow:
        await _visible_complaint(uow, caller, complaint_id)
        clock = await _latest(uow, complaint_id, stage)
        world = await load_world(uow, policies)
    return explain_view(world, policies.get(clock.regime, clock.policy_version), clock)


class PauseBody(BaseModel):
    at: AwareDatetime
    reason: str = Field(min_length=1, max_length=500, description="e.g. waiting for the customer's documents")


class ResumeBody(BaseModel):
    at: AwareDatetime
    reason: str | None = Field(default=None, max_length=500)


@router.post("/complaints/{complaint_id}/clocks/{stage}/pause")
async def pause(
    complaint_id: str, stage: str, body: PauseBody, caller: Caller, runtime: Runtime, request: Request
) -> dict[str, Any]:
    """Pause a running clock where the regime allows it (`sla.paused`); 409 where it does not or it is not
    running."""
    require(caller, *ACTING_ROLES)
    policies = policies_of(request)
    async with runtime.unit_of_work() as uow:
        await _visible_complaint(uow, caller, complaint_id)
        clock = await _latest(uow, complaint_id, stage, lock=True)
        stage_policy = policies.stage(clock.regime, clock.policy_version, clock.stage)
        clock = await clocks.pause(uow, stage_policy, clock, body.at, body.reason)
    return clock_view(clock)


@router.post("/complaints/{complaint_id}/clocks/{stage}/resume")
async def resume(
    complaint_id: str, stage: str, body: ResumeBody, caller: Caller, runtime: Runtime, request: Request
) -> dict[str, Any]:
    """Resume a paused clock: what was left of it counts again from `at` (`sla.resumed` with the new due)."""
    require(caller, *ACTING_ROLES)
    policies = policies_of(request)
    async with runtime.unit_of_work() as uow:
        await _visible_complaint(uow, caller, complaint_id)
        clock = await _latest(uow, complaint_id, stage, lock=True)
        policy = policies.get(clock.regime, clock.policy_version)
        world = await load_world(uow, policies)
        calendar = world.calendar(clock.owner_unit, policy)
        clock = await clocks.resume(uow, policy.stage(clock.stage), clock, body.at, calendar, body.reason)
    return clock_view(clock)


class CalendarYear(BaseModel):
    holidays: list[date] = Field(default_factory=list, description="rest days (statutory holidays)")
    working_days: list[date] = Field(default_factory=list, description="make-up working days (调休上班)")
    source: str = Field(min_length=1, description="where the schedule comes from, e.g. the State Council notice")


@router.put("/calendars/{year}")
async def put_calendar(
    year: Year, body: CalendarYear, caller: Caller, runtime: Runtime, request: Request
) -> dict[str, Any]:
    """Load a year's rest days and make-up working days as data, replacing the package for that year; open
    clocks it touches are recounted (`sla.rescheduled`)."""
    require(caller, "admin")
    try:
        loaded = YearCalendar(year, set(body.holidays), set(body.working_days), body.source)
    except ValueError as exc:
        raise PermanentError("the calendar is not valid", [FieldError("holidays", str(exc), "CONV-08")]) from exc
    policies = policies_of(request)
    async with runtime.unit_of_work() as uow:
        rescheduled = await calendars.load_year(uow, policies, loaded)
        world = await load_world(uow, policies)
    return {**calendars.describe_year(world, year), "rescheduled": rescheduled}


@router.get("/calendars/{year}")
async def get_calendar(year: Year, caller: Caller, runtime: Runtime, request: Request) -> dict[str, Any]:
    async with runtime.unit_of_work() as uow:
        world = await load_world(uow, policies_of(request))
    return calendars.describe_year(world, year)


@router.delete("/calendars/{year}")
async def delete_calendar(year: Year, caller: Caller, runtime: Runtime, request: Request) -> dict[str, Any]:
    """Remove a loaded year: the package (or, for a year it does not know, a provisional count) applies again."""
    require(caller, "admin")
    policies = policies_of(request)
    async with runtime.unit_of_work() as uow:
        rescheduled = await calendars.unload_year(uow, policies, year)
        if rescheduled is None:
            raise NotFoundError(f"no calendar loaded for {year}")
        world = await load_world(uow, policies)
    return {**calendars.describe_year(world, year), "rescheduled": rescheduled}


class OrgCalendarBody(BaseModel):
    holidays: list[date] = Field(default_factory=list, description="the organisation's extra rest days")
    working_days: list[date] = Field(default_factory=list, description="the organisation's extra working days")
    business_hours: list[str] | None = Field(
        default=None, description="opening periods of a working day, e.g. ['08:30-12:00', '14:30-17:30'] (CONV-04)"
    )
    source: str = Field(min_length=1)


@router.put("/calendars/orgs/{org_id}")
async def put_org_calendar(
    org_id: OrgId, body: OrgCalendarBody, caller: Caller, runtime: Runtime, request: Request
) -> dict[str, Any]:
    """An organisation's own calendar: it applies to the organisation and every unit under it (a nearer
    organisation wins on a date both name); open clocks they own are recounted (`sla.rescheduled`)."""
    require(caller, "admin")
    try:
        override = OrgCalendar.from_dict(org_id, body.model_dump(mode="json"))
    except ValueError as exc:
        field = "business_hours" if body.business_hours and "business" in str(exc) else "holidays"
        raise PermanentError("the calendar is not valid", [FieldError(field, str(exc), "CONV-04")]) from exc
    async with runtime.unit_of_work() as uow:
        rescheduled = await calendars.store_org_calendar(uow, policies_of(request), override)
    return {**override.to_dict(), "rescheduled": rescheduled}


@router.get("/calendars/orgs/{org_id}")
async def get_org_calendar(org_id: OrgId, caller: Caller, runtime: Runtime) -> dict[str, Any]:
    async with runtime.unit_of_work() as uow:
        override = await calendars.get_org_calendar(uow, org_id)
    if override is None:
        raise NotFoundError("no calendar of this organisation")
    return override.to_dict()


@router.delete("/calendars/orgs/{org_id}")
async def delete_org_calendar(org_id: OrgId, caller: Caller, runtime: Runtime, request: Request) -> dict[str, Any]:
    require(caller, "admin")
    async with runtime.unit_of_work() as uow:
        rescheduled = await calendars.delete_org_calendar(uow, policies_of(request), org_id)
    if rescheduled is None:
        raise NotFoundError("no calendar of this organisation")
    return {"org_id": org_id, "rescheduled": rescheduled}
