"""Record the facts sanctions rules are evaluated over (breaches, escalations, outcomes of complaints)."""

from sqlalchemy.dialects.postgresql import insert

from tousu.kit.consumer import Delivery
from tousu.kit.uow import UnitOfWork
from tousu.sanctions.adapters import tables as t

FACT_TYPES = (
    "complaint.received",
    "complaint.assigned",
    "complaint.escalated",
    "sla.breached",
    "sla.breach_withdrawn",
)


async def record_fact(uow: UnitOfWork, delivery: Delivery) -> None:
    event = delivery.event
    assert event is not None
    await uow.session.execute(
        insert(t.facts)
        .values(
            event_id=event.id,
            type=event.type,
            tenant=event.tenant,
            complaint_id=event.complaint_id,
            regime=event.data.get("regime"),
            occurred_at=event.occurred_at,
            data=event.data,
        )
        .on_conflict_do_nothing()
    )
