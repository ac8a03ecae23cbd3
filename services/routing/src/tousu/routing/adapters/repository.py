"""Reading and writing cases and the registry: the journey is one JSON document, its query keys are columns."""

from typing import Any, Literal
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession

from tousu.routing.adapters import tables as t
from tousu.routing.domain.case import CaseState
from tousu.routing.domain.orgs import Org, Registry

_o = t.orgs.c
_REGISTRY_KEY = (
    sa.select(sa.func.concat_ws(":", sa.func.count(), sa.func.sum(_o.version), sa.func.max(_o.updated_at)))
    .scalar_subquery()
    .label("registry_key")
)
"""What tells whether an organisation changed (versions only grow, updated_at moves on every change)."""
_registry_cache: tuple[str, Registry] | None = None


async def registry(session: AsyncSession) -> Registry:
    """The registry as committed; rebuilt only when an organisation changed (a cheap aggregate tells)."""
    global _registry_cache
    key = (await session.execute(sa.select(_REGISTRY_KEY))).scalar_one()
    if _registry_cache is not None and _registry_cache[0] == key:
        return _registry_cache[1]
    records = (await session.execute(sa.select(t.orgs.c.record))).scalars().all()
    built = Registry.of(Org.model_validate(r) for r in records)
    _registry_cache = (key, built)
    return built


def last_registry() -> Registry | None:
    """The registry last read, for work that checks in its own statement that it is still current."""
    return _registry_cache[1] if _registry_cache is not None else None


async def parents(session: AsyncSession) -> dict[str, str | None]:
    return dict((await session.execute(sa.select(t.orgs.c.id, t.orgs.c.parent))).tuples().all())


async def load_case(session: AsyncSession, complaint_id: str | UUID, lock: bool = True) -> CaseState | None:
    query = sa.select(t.cases.c.state).where(t.cases.c.complaint_id == UUID(str(complaint_id)))
    row = (await session.execute(query.with_for_update() if lock else query)).first()
    return CaseState.model_validate(row.state) if row is not None else None


def _columns(case: CaseState) -> dict[str, Any]:
    return {
        "reference": case.reference,
        "tenant": case.tenant,
        "regime": case.regime,
        "policy_version": case.policy_version,
        "receiving_unit": case.receiving_unit,
        "respondent_unit": case.respondent_unit,
        "owner_unit": case.owner_unit,
        "holder_unit": case.holder_unit,
        "status": case.status,
        "received_at": case.received_at,
        "units": case.units,
        "state": case.model_dump(mode="json"),
    }


async def insert_case(session: AsyncSession, case: CaseState, built_on: Registry) -> Literal["exists", "new", "stale"]:
    """Insert a new case: "exists" when it does already (a redelivered complaint.received), "stale" when an
    organisation changed since `built_on` was read (the case is then to be opened again and saved)."""
    result = await session.execute(
        insert(t.cases)
        .values(complaint_id=UUID(case.complaint_id), **_columns(case))
        .on_conflict_do_nothing()
        .returning(_REGISTRY_KEY)
    )
    key = result.scalar()
    if key is None:
        return "exists"
    current = _registry_cache is not None and _registry_cache[0] == key and _registry_cache[1] is built_on
    return "new" if current else "stale"


async def save_case(session: AsyncSession, case: CaseState) -> None:
    await session.execute(
        sa.update(t.cases)
        .where(t.cases.c.complaint_id == UUID(case.complaint_id))
        .values(**_columns(case), updated_at=sa.func.now())
    )


async def open_cases_held_by(session: AsyncSession, unit: str) -> list[str]:
    rows = await session.execute(
        sa.select(t.cases.c.complaint_id).where(
            t.cases.c.holder_unit == unit, t.cases.c.status.in_(("assigned", "dispatched"))
        )
    )
    return [str(r) for r in rows.scalars().all()]


async def cases_concerning(session: AsyncSession, units: list[str], status: str | None, limit: int) -> list[CaseState]:
    query = (
        sa.select(t.cases.c.state)
        .where(t.cases.c.units.has_any(sa.cast(units, ARRAY(sa.Text))))
        .order_by(t.cases.c.received_at, t.cases.c.complaint_id)
        .limit(limit)
    )
    if status == "open":
        query = query.where(t.cases.c.status.not_in(("closed", "withdrawn", "referred")))
    elif status:
        query = query.where(t.cases.c.status == status)
    return [CaseState.model_validate(s) for s in (await session.execute(query)).scalars().all()]


def _quota(callback_id: str, by_unit: str, period: str) -> sa.ColumnElement[bool]:
    q = t.callback_quotas.c
    return sa.and_(q.callback_id == callback_id, q.by_unit == by_unit, q.period == period)


async def count_closure(session: AsyncSession, callback_id: str, by_unit: str, period: str) -> tuple[int, int]:
    """One more closure under a sampled callback quota: (closures, sampled so far)."""
    q = t.callback_quotas.c
    stmt = insert(t.callback_quotas).values(
        callback_id=callback_id, by_unit=by_unit, period=period, closed=1, sampled=0
    )
    row = (
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=[q.callback_id, q.by_unit, q.period], set_={"closed": q.closed + 1}
            ).returning(q.closed, q.sampled)
        )
    ).one()
    return int(row.closed), int(row.sampled)


async def count_sampled(session: AsyncSession, callback_id: str, by_unit: str, period: str) -> None:
    q = t.callback_quotas.c
    await session.execute(
        sa.update(t.callback_quotas).where(_quota(callback_id, by_unit, period)).values(sampled=q.sampled + 1)
    )


async def insert_notice(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(t.change_notices.insert().values(**values))
