"""Sanctions' HTTP API (CONTRACT §7)."""

from datetime import datetime
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Query

from tousu.contracts.types import iso
from tousu.kit.http import Caller, Runtime
from tousu.sanctions.adapters import tables as t

router = APIRouter(prefix="/v1", tags=["sanctions"])


@router.get("/sanctions")
async def list_sanctions(
    caller: Caller,
    runtime: Runtime,
    org: str | None = None,
    kind: str | None = None,
    from_: Annotated[datetime | None, Query(alias="from")] = None,
    to: datetime | None = None,
) -> list[dict[str, Any]]:
    query = sa.select(t.sanctions).order_by(t.sanctions.c.imposed_at)
    if org:
        query = query.where(t.sanctions.c.target_org == org)
    if kind:
        query = query.where(t.sanctions.c.kind == kind)
    if from_:
        query = query.where(t.sanctions.c.imposed_at >= from_)
    if to:
        query = query.where(t.sanctions.c.imposed_at < to)
    if not caller.is_admin:
        query = query.where(t.sanctions.c.tenant == caller.org)
    async with runtime.unit_of_work() as uow:
        rows = (await uow.session.execute(query)).all()
    return [
        {
            "id": str(r.id),
            "kind": r.kind,
            "rule": r.rule,
            "target_org": r.target_org,
            "target_persons": r.target_persons,
            "evidence": r.evidence,
            "issuer": r.issuer,
            "reason": r.reason,
            "status": r.status,
            "imposed_at": iso(r.imposed_at),
            "lifted_at": iso(r.lifted_at),
        }
        for r in rows
    ]
