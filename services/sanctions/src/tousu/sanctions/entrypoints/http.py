"""Sanctions' HTTP API (CONTRACT §7): sanctions, determinations and appeals, KPI inputs, rectifications, points."""

import uuid
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from tousu.contracts.types import SHANGHAI, Id
from tousu.contracts.vocab import Money, ResponsibilityType
from tousu.kit.auth import Principal
from tousu.kit.errors import FieldError, NotFoundError, PermanentError
from tousu.kit.http import Caller, Runtime, problem, require
from tousu.kit.runtime import ServiceRuntime
from tousu.sanctions.adapters import tables as t
from tousu.sanctions.domain.determinations import Proposed
from tousu.sanctions.domain.orgs import Orgs
from tousu.sanctions.domain.points import EntryInput
from tousu.sanctions.service_layer import conduct, determinations, imposing, kpis, orgs, points, rectifications
from tousu.sanctions.service_layer.policies import RuleBooks

router = APIRouter(prefix="/v1", tags=["sanctions"])
SKEW = timedelta(seconds=60)


async def books_of(request: Request) -> RuleBooks:
    books: RuleBooks = request.app.state.books
    return books


Books = Annotated[RuleBooks, Depends(books_of)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _at(runtime: ServiceRuntime, at: datetime | None, field: str = "at") -> datetime:
    """Business time of a write: given, else now; never later than the business clock (60 s of skew)."""
    now = runtime.clock.now()
    if at is None:
        return now
    if at > now + SKEW:
        raise PermanentError("a future instant", [FieldError(field, "must not be later than the business clock")])
    return at


def _visible(caller: Principal, tree: Orgs, *units: str | None) -> bool:
    return caller.is_admin or any(u is not None and tree.within(u, caller.org) for u in units)


def _bound(raw: str | None, field: str, end: bool) -> datetime | None:
    """`from`/`to` as an instant, or as a date meaning its whole day (both inclusive, +08:00)."""
    if raw is None:
        return None
    try:
        if len(raw) == 10:
            day = datetime.fromisoformat(raw).date()
            start = datetime.combine(day, time(), SHANGHAI)
            return start + timedelta(days=1) if end else start
        value = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise PermanentError("not a date or instant", [FieldError(field, "ISO-8601 date or instant")]) from exc
    value = value if value.tzinfo else value.replace(tzinfo=SHANGHAI)
    return value + timedelta(microseconds=1) if end else value


# -- sanctions --------------------------------------------------------------------------------------------------------


@router.get("/sanctions")
async def list_sanctions(
    caller: Caller,
    runtime: Runtime,
    org: str | None = None,
    kind: str | None = None,
    from_: Annotated[str | None, Query(alias="from")] = None,
    to: str | None = None,
    status: str | None = None,
    complaint_id: str | None = None,
    person: str | None = None,
) -> list[dict[str, Any]]:
    """Interviews, public criticism, award ineligibility, rectification orders, settlement suspensions and
    deductions, terminations, penalty points, accountability cases: each with its rule id, the complaints and
    figures behind it and who issued it. `org` is the target organisation; `from`/`to` bound the imposition time
    (a date covers its whole day)."""
    s = t.sanctions.c
    query = sa.select(t.sanctions).order_by(s.imposed_at, s.seq)
    start, end = _bound(from_, "from", end=False), _bound(to, "to", end=True)
    if org:
        query = query.where(s.target_org == org)
    if kind:
        query = query.where(s.kind == kind)
    if start:
        query = query.where(s.imposed_at >= start)
    if end:
        query = query.where(s.imposed_at < end)
    if status:
        query = query.where(s.status == status)
    if complaint_id:
        query = query.where(s.evidence["complaint_ids"].contains([complaint_id]))
    if person:
        query = query.where(s.target_persons.contains([person]))
    async with runtime.unit_of_work() as uow:
        tree = await orgs.load(uow)
        rows = (await uow.session.execute(query)).all()
    return [imposing.view(r) for r in rows if _visible(caller, tree, r.target_org, r.issuer_org)]


async def _sanction(runtime: ServiceRuntime, caller: Principal, sanction_id: uuid.UUID) -> None:
    async with runtime.unit_of_work() as uow:
        found = await imposing.row(uow, sanction_id)
        if not _visible(caller, await orgs.load(uow), found.target_org, found.issuer_org):
            raise NotFoundError("no such sanction")


@router.get("/sanctions/{sanction_id}")
async def get_sanction(sanction_id: uuid.UUID, caller: Caller, runtime: Runtime) -> dict[str, Any]:
    await _sanction(runtime, caller, sanction_id)
    async with runtime.unit_of_work() as uow:
        return imposing.view(await imposing.row(uow, sanction_id))


class Fulfilment(_Body):
    at: AwareDatetime | None = None
    note: str | None = Field(default=None, max_length=2000)


@router.post("/sanctions/{sanction_id}/fulfilment")
async def fulfil(sanction_id: uuid.UUID, body: Fulfilment, caller: Caller, runtime: Runtime) -> dict[str, Any]:
    """What the sanction required was done (an interview held, a rectification completed) → `sanction.fulfilled`."""
    require(caller, "supervisor")
    await _sanction(runtime, caller, sanction_id)
    async with runtime.unit_of_work() as uow:
        return imposing.view(await imposing.fulfil(uow, sanction_id, _at(runtime, body.at), body.note))


class Lifting(_Body):
    at: AwareDatetime | None = None
    reason: str = Field(min_length=1, max_length=2000)


@router.post("/sanctions/{sanction_id}/lifting")
async def lift(sanction_id: uuid.UUID, body: Lifting, caller: Caller, runtime: Runtime) -> dict[str, Any]:
    """End a sanction with a reason → `sanction.lifted` (what followed from it is lifted with it)."""
    require(caller, "supervisor")
    await _sanction(runtime, caller, sanction_id)
    async with runtime.unit_of_work() as uow:
        return imposing.view(await imposing.lift(uow, sanction_id, _at(runtime, body.at), body.reason))


# -- determinations ---------------------------------------------------------------------------------------------------


class Determination(_Body):
    complaint_id: str
    responsible: bool
    clause: str | None = None
    type: ResponsibilityType | None = None
    persons: list[str] = Field(default_factory=list)
    """Staff ids of the responsible persons."""
    units: list[Id] = Field(default_factory=list)
    """The responsible units; default the complaint's respondent unit."""
    disputed_fee_borne: Money | Decimal | None = None
    """The disputed fee the responsible person bears (SAN-31(4)); default the complaint's disputed amount."""
    severity: str | None = None
    """Grades the penalty (SAN-33): minor, ordinary (default), serious, grave."""
    tolerant_persons: list[str] = Field(default_factory=list)
    """Staff blamed for reasons not their own who stayed tolerant (SAN-38): recommended for a reward."""
    grounds: dict[str, bool | str] = Field(default_factory=dict, max_length=20)
    """What the determination established, as the regime's `grounds` ask per type: e.g. complainant_maintains,
    staff_disproved (SAN-44), harm: material_loss|mental_harm|material_and_mental, deliberate (SAN-45)."""
    determining_body: Id | None = None
    """Default: the responsible unit (SAN-30); a re-determination: the parent of the first body (RCN-04)."""
    supersedes: uuid.UUID | None = None
    """The appealed determination this re-determination replaces (final, RCN-04)."""
    at: AwareDatetime | None = None


@router.post("/determinations", status_code=201)
async def determine(body: Determination, caller: Caller, runtime: Runtime, books: Books) -> dict[str, Any]:
    """A responsibility determination → `responsibility.determined`, and what the regime's rules impose on it."""
    require(caller, "supervisor")
    fee = body.disputed_fee_borne
    request = determinations.Request(
        complaint_id=body.complaint_id,
        at=_at(runtime, body.at),
        proposed=Proposed(
            responsible=body.responsible,
            clause=body.clause,
            type=body.type.value if body.type else None,
            persons=tuple(body.persons),
            disputed_fee_borne=fee.amount if isinstance(fee, Money) else fee,
            severity=body.severity,
            tolerant_persons=tuple(body.tolerant_persons),
            grounds=body.grounds,
        ),
        currency=fee.currency if isinstance(fee, Money) else "CNY",
        units=tuple(body.units),
        determining_body=body.determining_body,
        supersedes=body.supersedes,
        by=caller.subject,
    )
    async with runtime.unit_of_work() as uow:
        tree = await orgs.load(uow)
        complaint = await uow.session.execute(
            sa.select(t.complaints.c.respondent_unit).where(t.complaints.c.complaint_id == body.complaint_id)
        )
        respondent = complaint.scalar()
        if respondent is not None and not _visible(caller, tree, respondent, *body.units):
            raise NotFoundError("no such complaint")
        return await determinations.determine(uow, books, tree, request)


@router.get("/determinations")
async def list_determinations(complaint_id: str, caller: Caller, runtime: Runtime) -> list[dict[str, Any]]:
    async with runtime.unit_of_work() as uow:
        tree = await orgs.load(uow)
        found = await determinations.of_complaint(uow, complaint_id)
    return [d for d in found if _visible(caller, tree, *d["units"], d.get("determining_body"))]


@router.get("/determinations/{determination_id}")
async def get_determination(determination_id: uuid.UUID, caller: Caller, runtime: Runtime) -> dict[str, Any]:
    async with runtime.unit_of_work() as uow:
        found = await determinations.get(uow, determination_id)
        if not _visible(caller, await orgs.load(uow), *found["units"], found.get("determining_body")):
            raise NotFoundError("no such determination")
    return found


class Appeal(_Body):
    appellant: str | None = None
    """Staff id of the employee who disputes the determination."""
    reason: str | None = Field(default=None, max_length=2000)
    at: AwareDatetime | None = None


@router.post("/determinations/{determination_id}/appeal", status_code=202, response_model=None)
async def appeal(
    determination_id: uuid.UUID, body: Appeal, caller: Caller, runtime: Runtime, books: Books
) -> dict[str, Any] | JSONResponse:
    """An employee asks the next level to re-determine (RCN-04) → `responsibility.appealed`. After the final
    re-determination a further request is refused: 409, and published with `accepted` false."""
    await get_determination(determination_id, caller, runtime)
    async with runtime.unit_of_work() as uow:
        accepted, data = await determinations.appeal(
            uow, books, await orgs.load(uow), determination_id, body.appellant, body.reason, _at(runtime, body.at)
        )
    if not accepted:
        return problem(409, str(data["reason"]), rule="RCN-04", appeal=data)
    return data


# -- KPI inputs and evaluations ---------------------------------------------------------------------------------------


class KpiInput(_Body):
    org: Id
    period: str
    """2026-06 (monthly), 2026-Q3, 2026-H1, 2026."""
    metric: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    """e.g. fee_paying_users (SAN-17), group_customers (SAN-13), headcount (SAN-68), cs_cost, revenue (SAN-10)."""
    value: Decimal = Field(ge=0)
    source: str | None = Field(default=None, max_length=200)


@router.post("/kpi-inputs", status_code=201)
async def kpi_input(body: KpiInput, caller: Caller, runtime: Runtime, books: Books) -> dict[str, Any]:
    """A figure the platform does not see itself (a vendor's monthly fee-paying users); 409 once the KPI that
    uses it was evaluated for that period."""
    require(caller, "supervisor")
    async with runtime.unit_of_work() as uow:
        tree = await orgs.load(uow)
        if tree.get(body.org) is not None and not _visible(caller, tree, body.org):
            raise NotFoundError("no such organisation")
        return await kpis.record_input(uow, books, tree, body.org, body.period, body.metric, body.value, body.source)


@router.get("/kpis")
async def list_kpis(
    caller: Caller,
    runtime: Runtime,
    org: str | None = None,
    period: str | None = None,
    metric: str | None = None,
    state: Literal["done", "pending", "no_data"] = "done",
) -> list[dict[str, Any]]:
    """KPI evaluations (`kpi.evaluated` payloads) and nominations, oldest first; `state=pending` those not due
    yet, `state=no_data` those waiting for an input (e.g. a vendor's fee-paying users)."""
    async with runtime.unit_of_work() as uow:
        tree = await orgs.load(uow)
        found = await kpis.list_evaluations(uow, org, period, metric, state)
    return [e for e in found if _visible(caller, tree, e.get("org"))]


# -- rectifications ---------------------------------------------------------------------------------------------------


class Rectification(_Body):
    org: Id
    """The unit that rectified."""
    measures: str = Field(min_length=1, max_length=4000)
    category: str | None = None
    """The problem addressed (a complaint category); none: the unit's problems in general."""
    complaint_ids: list[str] = Field(default_factory=list)
    sanction_id: uuid.UUID | None = None
    at: AwareDatetime | None = None


@router.post("/rectifications", status_code=201)
async def rectify(body: Rectification, caller: Caller, runtime: Runtime) -> dict[str, Any]:
    """Rectification measures recorded by a unit (SAN-05): they restart the ladders' recurrence counts (SAN-01(3),
    SAN-02) and answer the periodic "four no-let-go" summary (SAN-37)."""
    require(caller, "handler", "supervisor")
    async with runtime.unit_of_work() as uow:
        tree = await orgs.load(uow)
        if tree.get(body.org) is not None and not _visible(caller, tree, body.org):
            raise NotFoundError("no such organisation")
        return await rectifications.record(
            uow,
            tree,
            body.org,
            _at(runtime, body.at),
            body.measures,
            body.category,
            body.complaint_ids,
            body.sanction_id,
        )


@router.get("/rectifications")
async def list_rectifications(org: str, caller: Caller, runtime: Runtime) -> list[dict[str, Any]]:
    async with runtime.unit_of_work() as uow:
        if not _visible(caller, await orgs.load(uow), org):
            raise NotFoundError("no such organisation")
        return await rectifications.of_org(uow, org)


# -- conduct findings -------------------------------------------------------------------------------------------------


class ConductFinding(_Body):
    org: Id
    """The unit found at fault."""
    rule: str
    """The regime's conduct entry id, or its CND id (e.g. CND-06)."""
    breach: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    """One of the breaches the conduct rule lists (e.g. refusing_to_handle, contact_change_not_notified)."""
    persons: list[str] = Field(default_factory=list)
    """Staff ids (never names)."""
    complaint_id: str | None = None
    verified: bool = False
    regime: str | None = None
    at: AwareDatetime | None = None
    note: str | None = Field(default=None, max_length=2000)


@router.post("/conduct-findings", status_code=201)
async def record_conduct(body: ConductFinding, caller: Caller, runtime: Runtime, books: Books) -> dict[str, Any]:
    """A breach of a conduct rule (DOMAIN §1.3) found at a unit, scored as its regime says: a sanction
    (`sanction.imposed`), points of the named staff (`points.recorded`), or a count for a KPI (`kpi.evaluated`)."""
    require(caller, "supervisor")
    finding = conduct.Finding(
        org=body.org,
        rule=body.rule,
        breach=body.breach,
        persons=tuple(body.persons),
        complaint_id=body.complaint_id,
        verified=body.verified,
        at=_at(runtime, body.at),
        regime=body.regime,
        note=body.note,
        by=caller.subject,
    )
    async with runtime.unit_of_work() as uow:
        tree = await orgs.load(uow)
        if tree.get(body.org) is not None and not _visible(caller, tree, body.org):
            raise NotFoundError("no such organisation")
        return await conduct.record(uow, books, tree, finding)


@router.get("/conduct-findings")
async def list_conduct(org: str, caller: Caller, runtime: Runtime) -> list[dict[str, Any]]:
    async with runtime.unit_of_work() as uow:
        if not _visible(caller, await orgs.load(uow), org):
            raise NotFoundError("no such organisation")
        return await conduct.of_org(uow, org)


# -- points -----------------------------------------------------------------------------------------------------------


class PointsEntry(_Body):
    person: str = Field(min_length=1, max_length=100)
    """Staff id (never a name)."""
    org: Id
    """The centre the person works in."""
    rule: str
    """The policy's rule entry id (e.g. asleep-on-night-shift) or its DOMAIN id (SAN-87)."""
    at: AwareDatetime | None = None
    rank: int | None = None
    """Technical expert (SAN-64): 1, 2 or 3."""
    serious: bool = False
    verified: bool = False
    minutes: int | None = Field(default=None, ge=0)
    via_seat_system: bool = False
    credited_by_appraisal: bool = False
    regime: str | None = None
    complaint_id: str | None = None
    note: str | None = Field(default=None, max_length=2000)


@router.post("/points", status_code=201)
async def record_points(body: PointsEntry, caller: Caller, runtime: Runtime, books: Books) -> dict[str, Any]:
    """A performance-point event of a staff member (SAN-6x…11x) → `points.recorded`, and the sanctions it brings."""
    require(caller, "supervisor")
    request = points.Request(
        person=body.person,
        org=body.org,
        rule=body.rule,
        at=_at(runtime, body.at),
        given=EntryInput(
            rank=body.rank,
            serious=body.serious,
            verified=body.verified,
            minutes=body.minutes,
            via_seat_system=body.via_seat_system,
            credited_by_appraisal=body.credited_by_appraisal,
        ),
        regime=body.regime,
        complaint_id=body.complaint_id,
        note=body.note,
        by=caller.subject,
    )
    async with runtime.unit_of_work() as uow:
        tree = await orgs.load(uow)
        if tree.get(body.org) is not None and not _visible(caller, tree, body.org):
            raise NotFoundError("no such organisation")
        return await points.record(uow, books, tree, request)


@router.get("/points")
async def list_points(
    caller: Caller,
    runtime: Runtime,
    books: Books,
    org: str | None = None,
    person: str | None = None,
    period: str | None = None,
) -> dict[str, Any]:
    """The ledger: entries, and per person and quarter the adjustment, any score set outright and the score
    (the regime's base adjusted, SAN-60)."""
    if org is None and not caller.is_admin:
        raise PermanentError("name the organisation", [FieldError("org", "required unless admin")])
    async with runtime.unit_of_work() as uow:
        if org is not None and not _visible(caller, await orgs.load(uow), org):
            raise NotFoundError("no such organisation")
        return await points.ledger_of(uow, books, org, person, period)
