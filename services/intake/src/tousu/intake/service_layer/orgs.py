"""The organisation replica, built from routing's `org.updated` (ARCHITECTURE §1: no shared databases)."""

from typing import Any

from sqlalchemy.dialects.postgresql import insert

from tousu.intake.adapters import tables as t
from tousu.kit.consumer import Delivery
from tousu.kit.uow import UnitOfWork


async def on_org_updated(uow: UnitOfWork, delivery: Delivery) -> None:
    assert delivery.event is not None
    org: dict[str, Any] = delivery.event.data["org"]
    version = int(delivery.event.data.get("version", 0))
    stmt = insert(t.orgs).values(
        id=org["id"], tenant=org["tenant"], parent=org.get("parent"), record=org, version=version
    )
    # Out-of-order delivery: an older version never overwrites a newer one.
    await uow.session.execute(
        stmt.on_conflict_do_update(
            index_elements=[t.orgs.c.id],
            set_={
                "tenant": stmt.excluded.tenant,
                "parent": stmt.excluded.parent,
                "record": stmt.excluded.record,
                "version": stmt.excluded.version,
            },
            where=t.orgs.c.version <= stmt.excluded.version,
        )
    )
