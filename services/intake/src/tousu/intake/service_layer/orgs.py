"""The organisation replica, built from routing's `org.updated` (ARCHITECTURE §1: no shared databases),
and what intake asks of it: units, their kinds and ancestors, and the ingress users of CONTRACT §9."""

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from tousu.intake.adapters import tables as t
from tousu.kit.auth import Principal
from tousu.kit.consumer import Delivery
from tousu.kit.uow import UnitOfWork

SUBMITTING_ROLES = ("submitter", "handler", "supervisor")


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


async def load(uow: UnitOfWork, ids: Iterable[str | None]) -> dict[str, dict[str, Any]]:
    """The replica's records of these units (unknown ones are left out)."""
    wanted = sorted({i for i in ids if i})
    if not wanted:
        return {}
    rows = await uow.session.execute(sa.select(t.orgs.c.id, t.orgs.c.record).where(t.orgs.c.id.in_(wanted)))
    return {row.id: dict(row.record) for row in rows}


_ANCESTORS = sa.text(
    """
    WITH RECURSIVE up(id, parent, depth) AS (
        SELECT id, parent, 0 FROM orgs WHERE id = ANY(:units)
        UNION
        SELECT o.id, o.parent, up.depth + 1 FROM orgs o JOIN up ON o.id = up.parent WHERE up.depth < 50
    )
    SELECT DISTINCT id FROM up
    """
)


async def ancestors(uow: UnitOfWork, units: Iterable[str | None]) -> set[str]:
    """The units and every unit above them (the hierarchy of CONTRACT §3)."""
    given = [u for u in units if u]
    found = {row[0] for row in await uow.session.execute(_ANCESTORS, {"units": given})}
    return found | set(given)


async def sees(uow: UnitOfWork, caller: Principal, units: Iterable[str | None]) -> bool:
    """CONTRACT §3: a caller sees what concerns its organisation or a unit below it; admin sees everything."""
    return caller.is_admin or caller.org in await ancestors(uow, units)


async def ingress_principal(uow: UnitOfWork, user: str) -> Principal | None:
    """The organisation and roles a RabbitMQ user submits for (`ingress_users` of the registry, CONTRACT §9).
    A user named by two organisations is refused rather than guessed."""
    rows = (
        await uow.session.execute(
            sa.select(t.orgs.c.id, t.orgs.c.record).where(t.orgs.c.record["ingress_users"].contains([{"user": user}]))
        )
    ).all()
    if len(rows) != 1:
        return None
    org_id, record = rows[0]
    roles = next(u.get("roles", []) for u in record.get("ingress_users", []) if u.get("user") == user)
    return Principal(org=org_id, roles=frozenset(roles), subject=f"amqp:{user}")
