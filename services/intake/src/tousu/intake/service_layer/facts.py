"""What intake learns from routing's and sla's events about a complaint's journey (ARCHITECTURE §1): who held the
case (visibility), the transfer (LC-10), the reply that opens the reconsideration window (RCN-02), and the facts that
explain a repeat complaint (INT-30, SAN-36). Every handler is idempotent and tolerates any order of arrival."""

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from tousu.intake.adapters import tables as t
from tousu.intake.service_layer import orgs
from tousu.kit.consumer import Delivery
from tousu.kit.uow import UnitOfWork

c = t.complaints.c


def _event(delivery: Delivery) -> tuple[uuid.UUID | None, dict[str, Any], datetime]:
    event = delivery.event
    assert event is not None
    try:
        complaint_id = uuid.UUID(str(event.data.get("complaint_id")))
    except ValueError:
        complaint_id = None
    return complaint_id, event.data, event.occurred_at


async def _update(uow: UnitOfWork, complaint_id: uuid.UUID | None, *where: Any, **values: Any) -> None:
    if complaint_id is not None:
        await uow.session.execute(sa.update(t.complaints).where(c.id == complaint_id, *where).values(**values))


def _with_units(*units: str | None) -> Any:
    """The complaint's `units` with these appended, each once."""
    result: Any = c.units
    for unit in units:
        if unit:
            result = sa.case((sa.literal(unit) == sa.any_(c.units), result), else_=sa.func.array_append(result, unit))
    return result


async def on_assigned(uow: UnitOfWork, delivery: Delivery) -> None:
    complaint_id, data, _ = _event(delivery)
    await _update(uow, complaint_id, units=_with_units(data.get("unit")))


async def on_forwarded(uow: UnitOfWork, delivery: Delivery) -> None:
    """The first transfer out of the receiving unit ends the right to withdraw (LC-10)."""
    complaint_id, data, at = _event(delivery)
    values: dict[str, Any] = {"units": _with_units(data.get("from_unit"), data.get("to_unit"))}
    if data.get("transfer"):
        values["transferred_at"] = sa.func.least(sa.func.coalesce(c.transferred_at, at), at)
    await _update(uow, complaint_id, **values)


async def on_replied(uow: UnitOfWork, delivery: Delivery) -> None:
    """The latest notification of the result opens the reconsideration window (RCN-02)."""
    complaint_id, data, at = _event(delivery)
    await _update(
        uow, complaint_id, sa.or_(c.replied_at.is_(None), c.replied_at < at), replied_at=at, replied_by=data.get("by")
    )


async def on_contact_attempted(uow: UnitOfWork, delivery: Delivery) -> None:
    """A failed attempt to reach the complained unit's staff (SAN-36) - not the unit failing to reach its customer."""
    complaint_id, data, _ = _event(delivery)
    if data.get("reached") or complaint_id is None:
        return
    row = (await uow.session.execute(sa.select(c.respondent_unit).where(c.id == complaint_id))).first()
    if row is None:
        return
    by = data.get("by")
    by_respondent = bool(by) and row.respondent_unit in await orgs.ancestors(uow, [by])
    if data.get("party") == "unit" or not by_respondent:
        await _update(uow, complaint_id, unit_unreachable=c.unit_unreachable + 1)


async def on_callback_recorded(uow: UnitOfWork, delivery: Delivery) -> None:
    complaint_id, data, _ = _event(delivery)
    if data.get("satisfied") is False:
        await _update(uow, complaint_id, callback_dissatisfied=True)


async def on_breached(uow: UnitOfWork, delivery: Delivery) -> None:
    complaint_id, data, at = _event(delivery)
    raw = data.get("breached_at")
    breached = datetime.fromisoformat(raw) if isinstance(raw, str) else at
    await _update(
        uow,
        complaint_id,
        sa.or_(c.breached_at.is_(None), c.breached_at > breached),
        breached_at=breached,
        breached_stage=data.get("stage"),
    )


async def on_breach_withdrawn(uow: UnitOfWork, delivery: Delivery) -> None:
    complaint_id, data, _ = _event(delivery)
    await _update(uow, complaint_id, c.breached_stage == data.get("stage"), breached_at=None, breached_stage=None)


async def on_closed(uow: UnitOfWork, delivery: Delivery) -> None:
    complaint_id, _, at = _event(delivery)
    await _update(uow, complaint_id, c.closed_at.is_(None), closed_at=at)
    await _update(uow, complaint_id, c.status == "received", status="closed")


HANDLERS = {
    "org.updated": orgs.on_org_updated,
    "complaint.assigned": on_assigned,
    "complaint.forwarded": on_forwarded,
    "complaint.replied": on_replied,
    "complaint.customer_contact_attempted": on_contact_attempted,
    "callback.recorded": on_callback_recorded,
    "sla.breached": on_breached,
    "sla.breach_withdrawn": on_breach_withdrawn,
    "complaint.closed": on_closed,
}
"""Event type → handler, for ServiceSpec.handlers."""
