"""Use case: record an organisation's change notice; a late one is referred to compliance (SLA-54)."""

import uuid
from collections.abc import Callable
from typing import Any

from tousu.contracts.events.routing import ComplianceReferred
from tousu.contracts.policy import Policy
from tousu.contracts.types import iso
from tousu.kit.auth import Principal
from tousu.kit.calendar import WorkingCalendar
from tousu.kit.errors import NotFoundError
from tousu.kit.uow import UnitOfWork
from tousu.routing.adapters import repository
from tousu.routing.domain.notices import ChangeNotice, judge


async def record_notice(
    uow: UnitOfWork,
    caller: Principal,
    org_id: str,
    notice: ChangeNotice,
    policy_of: Callable[[str], Policy | None],
    calendar: WorkingCalendar,
) -> dict[str, Any]:
    registry = await repository.registry(uow.session)
    org = registry.orgs.get(org_id)
    if org is None or not (caller.is_admin or registry.is_within(org_id, caller.org)):
        raise NotFoundError("no such organisation")
    policies = [p for p in (policy_of(r) for r in org.regimes) if p is not None]
    verdict = judge(notice, policies, calendar)
    notice_id = uuid.uuid4()
    await repository.insert_notice(
        uow.session,
        {
            "id": notice_id,
            "org_id": org_id,
            "change": notice.change,
            "effective_at": notice.effective_at,
            "notified_at": notice.notified_at,
            "required_by": verdict.required_by,
            "late": verdict.late,
            "rule": verdict.rule,
        },
    )
    if verdict.late:
        uow.emit(
            "compliance.referred",
            ComplianceReferred(
                regime=verdict.regime,
                occurred_at=notice.notified_at,
                rule=verdict.rule,
                reason="late change notice",
                to_unit=org.parent,
                source="change_notice",
                org=org_id,
                change=notice.change,
                effective_at=notice.effective_at,
                notified_at=notice.notified_at,
            ),
            tenant=org.tenant,
            subject=org_id,
        )
    return {
        "id": str(notice_id),
        "org": org_id,
        "change": notice.change,
        "effective_at": iso(notice.effective_at),
        "notified_at": iso(notice.notified_at),
        "required_by": iso(verdict.required_by),
        "late": verdict.late,
        "rule": verdict.rule,
    }
