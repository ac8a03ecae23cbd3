"""Routing's HTTP API (CONTRACT §5): the organisation registry and units' work lists."""

from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Request

from tousu.contracts.types import iso
from tousu.kit.auth import OrgTree
from tousu.kit.errors import FieldError, NotFoundError, PermanentError
from tousu.kit.http import Caller, Runtime, require
from tousu.routing.adapters import tables as t
from tousu.routing.domain.orgs import Org
from tousu.routing.service_layer import orgs

router = APIRouter(prefix="/v1", tags=["routing"])


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
        return await orgs.put_org(uow, org, request.app.state.regimes)


@router.get("/units/{unit}/cases")
async def unit_cases(unit: str, caller: Caller, runtime: Runtime, status: str | None = None) -> list[dict[str, Any]]:
    async with runtime.unit_of_work() as uow:
        if not OrgTree(await orgs.parents(uow)).sees(caller, [unit]):
            raise NotFoundError("no such unit")
        query = sa.select(t.cases).where(t.cases.c.owner_unit == unit).order_by(t.cases.c.received_at)
        if status == "open":
            query = query.where(t.cases.c.status.not_in(["closed", "withdrawn", "referred"]))
        elif status:
            query = query.where(t.cases.c.status == status)
        rows = (await uow.session.execute(query)).all()
    return [
        {
            "complaint_id": str(r.complaint_id),
            "reference": r.reference,
            "regime": r.regime,
            "status": r.status,
            "owner_unit": r.owner_unit,
            "received_at": iso(r.received_at),
        }
        for r in rows
    ]
