"""The organisation replica, built from routing's `org.updated` (ARCHITECTURE §1: no shared databases)."""

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, insert

from tousu.contracts.envelope import CloudEvent
from tousu.kit.errors import FieldError, PermanentError
from tousu.kit.uow import UnitOfWork
from tousu.sanctions.adapters import tables as t
from tousu.sanctions.domain.orgs import OrgRecord, Orgs


class UnknownOrg(Exception):
    """An event names a unit the replica does not hold yet: retried until `org.updated` is in."""


async def on_org_updated(uow: UnitOfWork, event: CloudEvent) -> None:
    org: dict[str, Any] = event.data["org"]
    version = int(event.data.get("version", 0))
    stmt = insert(t.orgs).values(
        id=org["id"],
        parent=org.get("parent"),
        kind=org.get("kind", ""),
        tenant=org["tenant"],
        regimes=list(org.get("regimes", [])),
        version=version,
    )
    # Out-of-order delivery: an older version never overwrites a newer one.
    await uow.session.execute(
        stmt.on_conflict_do_update(
            index_elements=[t.orgs.c.id],
            set_={c: stmt.excluded[c] for c in ("parent", "kind", "tenant", "regimes", "version")},
            where=t.orgs.c.version <= stmt.excluded.version,
        )
    )


async def load(uow: UnitOfWork) -> Orgs:
    return tree_of((await uow.session.execute(sa.select(TREE))).scalar_one())


_o = t.orgs.c
TREE = (
    sa.select(
        sa.func.coalesce(
            sa.func.jsonb_agg(sa.func.jsonb_build_array(_o.id, _o.parent, _o.kind, _o.tenant, _o.regimes)),
            sa.func.jsonb_build_array(),
            type_=JSONB,
        )
    )
    .scalar_subquery()
    .label("orgs")
)
"""The whole replica as one value, for a statement that reads it beside other things (`tree_of` reads it)."""


def tree_of(rows: list[list[Any]]) -> Orgs:
    return Orgs({id_: OrgRecord(parent, kind, tenant, tuple(regimes)) for id_, parent, kind, tenant, regimes in rows})


def known(orgs: Orgs, org: str, field: str = "org") -> OrgRecord:
    """The organisation a request names, or a 422 naming the field (it may not be replicated yet: retry)."""
    record = orgs.get(org)
    if record is None:
        raise PermanentError("unknown organisation", [FieldError(field, "no such organisation (CONTRACT §2)")])
    return record
