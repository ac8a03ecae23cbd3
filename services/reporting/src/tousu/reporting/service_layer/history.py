"""Keep every event (the history the read models are rebuilt from) and the units each complaint concerns."""

from sqlalchemy.dialects.postgresql import insert

from tousu.contracts.envelope import CloudEvent
from tousu.kit.uow import UnitOfWork
from tousu.reporting.adapters import tables as t
from tousu.reporting.domain.complaint import UNIT_FIELDS


async def store(uow: UnitOfWork, event: CloudEvent) -> None:
    """Record the event once (a redelivery or a replayed copy changes nothing)."""
    await uow.session.execute(
        insert(t.events)
        .values(
            event_id=event.id,
            type=event.type,
            source=event.source,
            tenant=event.tenant,
            complaint_id=event.complaint_id,
            occurred_at=event.occurred_at,
            time=event.time,
            envelope=event.model_dump(mode="json"),
        )
        .on_conflict_do_nothing()
    )
    if event.complaint_id:
        units = {str(event.data[f]) for f in UNIT_FIELDS if event.data.get(f)}
        if units:
            await uow.session.execute(
                insert(t.complaint_units)
                .values([{"complaint_id": event.complaint_id, "unit": u} for u in sorted(units)])
                .on_conflict_do_nothing()
            )
