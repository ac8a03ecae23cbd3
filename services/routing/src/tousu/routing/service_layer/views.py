"""Read use cases: one case's routing state, and a unit's work list (no personal data is ever held here)."""

from typing import Any
from uuid import UUID

from tousu.contracts.types import iso
from tousu.kit.auth import Principal
from tousu.kit.errors import NotFoundError
from tousu.kit.uow import UnitOfWork
from tousu.routing.adapters import repository


async def case_view(uow: UnitOfWork, caller: Principal, complaint_id: UUID) -> dict[str, Any]:
    case = await repository.load_case(uow.session, complaint_id, lock=False)
    registry = await repository.registry(uow.session)
    if case is None or not (caller.is_admin or registry.sees(caller.org, case.units)):
        raise NotFoundError("no such case")
    return {**case.view(), "received_at": iso(case.received_at), "closed_at": iso(case.closed_at)}


async def work_list(
    uow: UnitOfWork, caller: Principal, unit: str, status: str | None, limit: int
) -> list[dict[str, Any]]:
    """The cases that concern the unit or any unit below it, including those it received and passed on
    (first-contact responsibility, ORG-40/41); `held_here`: the case is with the unit or below it now."""
    registry = await repository.registry(uow.session)
    if unit not in registry or not (caller.is_admin or registry.is_within(unit, caller.org)):
        raise NotFoundError("no such unit")
    below = list(registry.subtree(unit))
    cases = await repository.cases_concerning(uow.session, below, status, limit)
    return [{**c.view(), "received_at": iso(c.received_at), "held_here": c.holder_unit in below} for c in cases]
