"""Rectification measures a unit recorded (SAN-04, SAN-05, SAN-37): they restart the recurrence counts of the
accountability ladders and answer the "four no-let-go" summary."""

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from tousu.contracts.types import iso
from tousu.kit.errors import FieldError, PermanentError
from tousu.kit.uow import UnitOfWork
from tousu.sanctions.adapters import tables as t
from tousu.sanctions.domain.orgs import Orgs
from tousu.sanctions.service_layer import orgs
from tousu.sanctions.service_layer.imposing import row


async def record(
    uow: UnitOfWork,
    tree: Orgs,
    org: str,
    at: datetime,
    measures: str,
    category: str | None,
    complaint_ids: list[str],
    sanction_id: uuid.UUID | None,
) -> dict[str, Any]:
    record = orgs.known(tree, org)
    if sanction_id is not None:
        sanction = await row(uow, sanction_id)
        if not tree.within(org, sanction.target_org) and not tree.within(sanction.target_org, org):
            raise PermanentError(
                "the sanction is about another organisation", [FieldError("sanction_id", "not this organisation's")]
            )
    rectification_id = uuid.uuid4()
    await uow.session.execute(
        t.rectifications.insert().values(
            id=rectification_id,
            org=org,
            tenant=record.tenant,
            category=category,
            complaint_ids=complaint_ids,
            measures=measures,
            at=at,
            source="http",
            sanction_id=sanction_id,
        )
    )
    return {
        "id": str(rectification_id),
        "org": org,
        "category": category,
        "complaint_ids": complaint_ids,
        "at": iso(at),
        "sanction_id": str(sanction_id) if sanction_id else None,
    }


async def of_org(uow: UnitOfWork, org: str) -> list[dict[str, Any]]:
    r = t.rectifications.c
    rows = (await uow.session.execute(sa.select(t.rectifications).where(r.org == org).order_by(r.at))).all()
    return [
        {
            "id": str(x.id),
            "org": x.org,
            "category": x.category,
            "complaint_ids": x.complaint_ids,
            "measures": x.measures,
            "at": iso(x.at),
            "source": x.source,
        }
        for x in rows
    ]
