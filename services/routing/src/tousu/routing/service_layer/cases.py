"""Use cases of a case's journey: first assignment and escalation after a breach."""

from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from tousu.contracts.events.routing import ComplaintAssigned, ComplaintEscalated
from tousu.kit.consumer import Delivery
from tousu.kit.uow import UnitOfWork
from tousu.routing.adapters import tables as t


async def on_complaint_received(uow: UnitOfWork, delivery: Delivery) -> None:
    """Open the case and name its first owner (ARCHITECTURE §1: often the receiving unit itself)."""
    event = delivery.event
    assert event is not None
    data = event.data
    owner = data["receiving_unit"]
    result = await uow.session.execute(
        insert(t.cases)
        .values(
            complaint_id=UUID(data["complaint_id"]),
            reference=data["reference"],
            tenant=event.tenant,
            regime=data["regime"],
            policy_version=data.get("policy_version", ""),
            receiving_unit=data["receiving_unit"],
            respondent_unit=data["respondent_unit"],
            owner_unit=owner,
            status="assigned",
            received_at=event.occurred_at,
            units=sorted({data["receiving_unit"], data["respondent_unit"]}),
            facts={"classification": data.get("classification", {}), "kind": data.get("kind")},
        )
        .on_conflict_do_nothing()
        .returning(t.cases.c.complaint_id)
    )
    if result.first() is None:
        return
    uow.emit(
        "complaint.assigned",
        ComplaintAssigned(
            complaint_id=data["complaint_id"],
            regime=data["regime"],
            occurred_at=event.occurred_at,
            unit=owner,
            reason="first_owner",
        ),
        tenant=event.tenant,
    )


async def on_sla_breached(uow: UnitOfWork, delivery: Delivery) -> None:
    """Escalate a breach to the owner unit's superior (ARCHITECTURE §6), one event per breach."""
    event = delivery.event
    assert event is not None
    data = event.data
    case = (
        await uow.session.execute(
            sa.select(t.cases).where(t.cases.c.complaint_id == UUID(data["complaint_id"])).with_for_update()
        )
    ).first()
    if case is None:
        return
    owner = data.get("owner_unit") or case.owner_unit
    parent = (await uow.session.execute(sa.select(t.orgs.c.parent).where(t.orgs.c.id == owner))).scalar()
    level = case.escalations + 1
    await uow.session.execute(
        sa.update(t.cases).where(t.cases.c.complaint_id == case.complaint_id).values(escalations=level)
    )
    uow.emit(
        "complaint.escalated",
        ComplaintEscalated(
            complaint_id=data["complaint_id"],
            reference=case.reference,
            regime=case.regime,
            occurred_at=data.get("breached_at") or event.occurred_at,
            stage=data["stage"],
            owner_unit=owner,
            due_at=data["due_at"],
            breached_at=data.get("breached_at"),
            level=level,
            target_unit=parent or owner,
            reason="sla_breached",
            rule=data.get("rule"),
        ),
        tenant=event.tenant,
    )
