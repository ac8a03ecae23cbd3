"""Reporting's HTTP API (CONTRACT §8)."""

from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter

from tousu.kit.auth import OrgTree
from tousu.kit.errors import NotFoundError
from tousu.kit.http import Caller, Runtime
from tousu.reporting.adapters import tables as t

router = APIRouter(prefix="/v1", tags=["reporting"])


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
