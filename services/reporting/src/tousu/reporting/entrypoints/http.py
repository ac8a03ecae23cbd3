"""Reporting's HTTP API (CONTRACT §8)."""

from datetime import datetime
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import AwareDatetime, BaseModel, Field

from tousu.kit.auth import OrgTree
from tousu.kit.errors import FieldError, NotFoundError, PermanentError
from tousu.kit.http import Caller, Runtime, require
from tousu.reporting.adapters import tables as t
from tousu.reporting.entrypoints import formats
from tousu.reporting.service_layer import projections, queries, submissions
from tousu.reporting.service_layer.catalogue import Catalogue

router = APIRouter(prefix="/v1", tags=["reporting"])
admin = APIRouter(prefix="/admin", tags=["operations"])


def catalogue_of(request: Request) -> Catalogue:
    catalogue: Catalogue = request.app.state.catalogue
    return catalogue


@router.get("/complaints/{complaint_id}/timeline")
async def timeline(complaint_id: str, caller: Caller, runtime: Runtime) -> dict[str, Any]:
    """Every event of the complaint in business-time order."""
    async with runtime.unit_of_work() as uow:
        units = (
            (
                await uow.session.execute(
                    sa.select(t.complaint_units.c.unit).where(t.complaint_units.c.complaint_id == complaint_id)
                )
            )
            .scalars()
            .all()
        )
        parents = dict((await uow.session.execute(sa.select(t.orgs.c.id, t.orgs.c.parent))).tuples().all())
        if not units or not OrgTree(parents).sees(caller, units):
            raise NotFoundError("no such complaint")
        rows = (
            (
                await uow.session.execute(
                    sa.select(t.events.c.envelope)
                    .where(t.events.c.complaint_id == complaint_id)
                    .order_by(t.events.c.occurred_at, t.events.c.seq)
                )
            )
            .scalars()
            .all()
        )
    return {
        "complaint_id": complaint_id,
        "events": [
            {
                "id": e["id"],
                "type": e["type"],
                "source": e["source"],
                "occurred_at": e["data"].get("occurred_at", e["time"]),
                "data": e["data"],
            }
            for e in rows
        ],
    }


@router.get("/stats")
async def stats(
    caller: Caller,
    runtime: Runtime,
    from_: Annotated[str | None, Query(alias="from", description="ISO date or instant (inclusive)")] = None,
    to: Annotated[str | None, Query(description="ISO instant (exclusive) or date (that day included)")] = None,
    period: Annotated[str | None, Query(description="instead of from/to: 2026, 2026-H1, 2026-Q3, 2026-07")] = None,
    group_by: Annotated[str | None, Query(description="unit, category, channel or regime")] = None,
    org: Annotated[
        str | None, Query(description="the organisation and its descendants (default: the caller's)")
    ] = None,
) -> dict[str, Any]:
    """Volume, timeliness per stage and overall, handling time (average, p50, p90), satisfaction, repeat,
    escalation and responsibility rates of complaints received in the period (services/reporting/README.md)."""
    start: datetime | None
    end: datetime | None
    if period is not None:
        p = queries.period("period", period)
        start, end = p.start, p.end
    else:
        start, end = queries.parse_bound("from", from_, end=False), queries.parse_bound("to", to, end=True)
    async with runtime.unit_of_work() as uow:
        return await queries.statistics(uow, caller, org=org, start=start, end=end, by=group_by)


@router.get("/reports")
async def list_reports(caller: Caller, runtime: Runtime, request: Request) -> dict[str, Any]:
    """Every regime's report kinds with their periods and due rules, and the calendar's instances (due, submitted,
    overdue) of the organisations the caller sees."""
    catalogue = catalogue_of(request)
    async with runtime.unit_of_work() as uow:
        instances = await queries.instances(uow, caller)
    return {
        "reports": [
            {
                "kind": o.report.kind,
                "regime": o.regime,
                "name": o.report.name,
                "period": o.report.period,
                "due": o.report.due,
                "recipients": list(o.report.to),
                "contents": list(o.report.contents),
                "template": o.report.template,
                "rule": list(o.report.rule),
                "formats": list(formats.FORMATS),
            }
            for o in catalogue.all()
        ],
        "instances": instances,
    }


@router.get("/reports/{kind}", response_model=None)
async def get_report(
    kind: str,
    caller: Caller,
    runtime: Runtime,
    request: Request,
    period: Annotated[str, Query(description="2026, 2026-H1, 2026-Q3, 2026-07 or 2026-W27")],
    org: Annotated[str | None, Query(description="the organisation reporting (default: the caller's)")] = None,
    format: Annotated[str, Query(description="json, csv, xlsx or html")] = "json",
    after: Annotated[str | None, Query(description="a listing section's `next`: its page after that complaint")] = None,
) -> Response:
    """A report of DOMAIN §6 for a period and an organisation (and its descendants). A section listing complaints
    holds at most 1,000 of them, with their `total` and the `next` page's cursor."""
    if format not in formats.FORMATS:
        raise PermanentError("bad format", [FieldError("format", f"one of {', '.join(formats.FORMATS)}", "RPT-04")])
    async with runtime.unit_of_work() as uow:
        doc = await queries.report(uow, catalogue_of(request), caller, kind, period, org, after)
    return formats.render(doc, format)


class Submission(BaseModel):
    period: str
    org: str
    submitted_at: AwareDatetime
    to: str | None = Field(default=None, description="whom it was submitted to")


@router.post("/reports/{kind}/submissions", status_code=201)
async def submit_report(
    kind: str, body: Submission, caller: Caller, runtime: Runtime, request: Request
) -> dict[str, Any]:
    """Record that a report was submitted: `report.submitted` (late when after its due time)."""
    require(caller, "supervisor", "handler")
    async with runtime.unit_of_work() as uow:
        return await submissions.submit(
            uow,
            catalogue_of(request),
            caller,
            kind,
            period_name=body.period,
            org=body.org,
            submitted_at=body.submitted_at,
            to=body.to,
        )


@admin.post("/read-models/rebuild")
async def rebuild(caller: Caller, runtime: Runtime) -> dict[str, int]:
    """Drop the read models and fold them again from the stored events (admin)."""
    require(caller, "admin")
    async with runtime.unit_of_work() as uow:
        return await projections.rebuild(uow)
