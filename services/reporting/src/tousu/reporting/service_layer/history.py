"""Keep every event (the history a read model is rebuilt from) and the units each complaint concerns."""

from sqlalchemy.dialects.postgresql import insert

from tousu.contracts.envelope import CloudEvent
from tousu.kit.consumer import Delivery
from tousu.kit.uow import UnitOfWork
from tousu.reporting.adapters import tables as t

UNIT_FIELDS = ("receiving_unit", "respondent_unit", "unit", "from_unit", "to_unit", "owner_unit", "by_unit")


async def on_event(uow: UnitOfWork, delivery: Delivery) -> None:
    event = delivery.event
    assert event is not None
    await apply(uow, event)


async def apply(uow: UnitOfWork, event: CloudEvent) -> None:
    """Idempotent and order-tolerant: a replay of the history gives the same read models."""
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
    if event.type == "org.updated":
        org = event.data["org"]
        stmt = insert(t.orgs).values(id=org["id"], parent=org.get("parent"), version=int(event.data.get("version", 0)))
        await uow.session.execute(
            stmt.on_conflict_do_update(
                index_elements=[t.orgs.c.id],
                set_={"parent": stmt.excluded.parent, "version": stmt.excluded.version},
                where=t.orgs.c.version <= stmt.excluded.version,
            )
        )
