"""Use cases of the organisation registry: every change is an `org.updated` event that others replicate."""

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from tousu.contracts.events.routing import OrgUpdated
from tousu.kit.errors import FieldError, PermanentError
from tousu.kit.uow import UnitOfWork
from tousu.routing.adapters import repository
from tousu.routing.adapters import tables as t
from tousu.routing.domain.orgs import Org, tree_errors


async def put_org(uow: UnitOfWork, org: Org, known_regimes: set[str]) -> tuple[dict[str, Any], bool]:
    """(the record, whether it changed). A parent may be loaded after its children; a cycle is refused."""
    errors = [
        FieldError("regimes", f"no policy named {r}", "CONTRACT §2") for r in org.regimes if r not in known_regimes
    ]
    parents = await repository.parents(uow.session)
    errors += [FieldError(field, message, "CONTRACT §2") for field, message in tree_errors(org, parents)]
    if errors:
        raise PermanentError("the organisation cannot be registered", errors)
    record = org.model_dump(mode="json", exclude_none=False)
    current = (await uow.session.execute(sa.select(t.orgs).where(t.orgs.c.id == org.id).with_for_update())).first()
    if current is not None and current.record == record:
        return record, False  # unchanged: no event
    version = (current.version + 1) if current is not None else 1
    stmt = insert(t.orgs).values(id=org.id, tenant=org.tenant, parent=org.parent, record=record, version=version)
    await uow.session.execute(
        stmt.on_conflict_do_update(
            index_elements=[t.orgs.c.id],
            set_={
                "tenant": org.tenant,
                "parent": org.parent,
                "record": record,
                "version": version,
                "updated_at": sa.func.now(),
            },
        )
    )
    uow.emit(
        "org.updated",
        OrgUpdated(occurred_at=uow.now(), org_id=org.id, org=record, version=version),
        tenant=org.tenant,
        subject=org.id,
    )
    return record, True


async def get_org(uow: UnitOfWork, org_id: str) -> dict[str, Any] | None:
    row = (await uow.session.execute(sa.select(t.orgs.c.record).where(t.orgs.c.id == org_id))).first()
    return dict(row.record) if row is not None else None


async def list_orgs(uow: UnitOfWork) -> list[dict[str, Any]]:
    rows = (await uow.session.execute(sa.select(t.orgs.c.record).order_by(t.orgs.c.id))).all()
    return [dict(r.record) for r in rows]
