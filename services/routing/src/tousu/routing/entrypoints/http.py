"""Routing's HTTP API (CONTRACT §2, §5): the organisation registry, case actions, cases and work lists."""

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request

from tousu.kit.errors import FieldError, NotFoundError, PermanentError
from tousu.kit.http import Caller, Runtime, require
from tousu.routing.domain.journey import Action
from tousu.routing.domain.notices import ChangeNotice
from tousu.routing.domain.orgs import Org
from tousu.routing.service_layer import notices, orgs, views
from tousu.routing.service_layer.journeys import Routing

router = APIRouter(prefix="/v1", tags=["routing"])


def routing_of(request: Request) -> Routing:
    routing: Routing = request.app.state.routing
    return routing


@router.get("/orgs")
async def list_orgs(caller: Caller, runtime: Runtime) -> list[dict[str, Any]]:
    async with runtime.unit_of_work() as uow:
        return await orgs.list_orgs(uow)


@router.get("/orgs/{org_id}")
async def get_org(org_id: str, caller: Caller, runtime: Runtime) -> dict[str, Any]:
    async with runtime.unit_of_work() as uow:
        org = await orgs.get_org(uow, org_id)
    if org is None:
        raise NotFoundError("no such organisation")
    return org


@router.put("/orgs/{org_id}")
async def put_org(org_id: str, org: Org, caller: Caller, runtime: Runtime, request: Request) -> dict[str, Any]:
    require(caller, "admin")
    if org.id != org_id:
        raise PermanentError("the id in the path and the body differ", [FieldError("id", "must equal the path id")])
    async with runtime.unit_of_work() as uow:
        return await routing_of(request).put_org(uow, org)


@router.post("/orgs/{org_id}/change-notices", status_code=201)
async def post_change_notice(
    org_id: str, notice: ChangeNotice, caller: Caller, runtime: Runtime, request: Request
) -> dict[str, Any]:
    """An organisation's notice of a change (e.g. an SI's, SLA-54); a late one yields `compliance.referred`."""
    require(caller, "submitter", "handler", "supervisor")
    routing = routing_of(request)

    def policy_of(regime: str) -> Any:
        versions = routing.history.get(regime)
        return next(iter(versions.values())) if versions else None

    async with runtime.unit_of_work() as uow:
        return await notices.record_notice(uow, caller, org_id, notice, policy_of, routing.calendar)


@router.post("/cases/{complaint_id}/actions", status_code=202)
async def post_action(
    complaint_id: UUID, action: Action, caller: Caller, runtime: Runtime, request: Request
) -> dict[str, Any]:
    """A handling action (CONTRACT §5): 202 with the events it yielded; 409 when the case's state does not allow
    it, with the reason; 422 naming a missing or bad field and the rule that requires it."""
    require(caller, "handler", "supervisor")
    async with runtime.unit_of_work() as uow:
        return await routing_of(request).act(uow, caller, complaint_id, action)


@router.get("/cases/{complaint_id}")
async def get_case(complaint_id: UUID, caller: Caller, runtime: Runtime) -> dict[str, Any]:
    """Where a case is, who holds it and who owns it (its routing state)."""
    async with runtime.unit_of_work() as uow:
        return await views.case_view(uow, caller, complaint_id)


@router.get("/units/{unit}/cases")
async def unit_cases(
    unit: str,
    caller: Caller,
    runtime: Runtime,
    status: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
) -> list[dict[str, Any]]:
    """A unit's work list: cases that concern it or a unit below it, including those it received and passed on
    (ORG-40/41). `status=open` leaves out closed, withdrawn and referred ones."""
    async with runtime.unit_of_work() as uow:
        return await views.work_list(uow, caller, unit, status, limit)
