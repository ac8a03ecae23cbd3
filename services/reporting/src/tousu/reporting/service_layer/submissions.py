"""An organisation records that it submitted a report (CONTRACT §8): `report.submitted`, late when after its due."""

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from tousu.contracts.events.reporting import ReportSubmitted
from tousu.contracts.types import iso
from tousu.kit.auth import Principal
from tousu.kit.calendar import WorkingCalendar
from tousu.kit.errors import FieldError, PermanentError
from tousu.kit.uow import UnitOfWork
from tousu.reporting.adapters import tables as t
from tousu.reporting.domain.periods import due_at
from tousu.reporting.service_layer.catalogue import Catalogue
from tousu.reporting.service_layer.queries import period, scope

SKEW_S = 60


async def submit(
    uow: UnitOfWork,
    catalogue: Catalogue,
    caller: Principal,
    kind: str,
    *,
    period_name: str,
    org: str,
    submitted_at: datetime,
    to: str | None,
) -> dict[str, Any]:
    sc = await scope(uow, caller, org)
    if org not in sc.orgs:
        raise PermanentError("unknown organisation", [FieldError("org", f"no organisation {org}", "CONTRACT §2")])
    if (submitted_at - uow.now()).total_seconds() > SKEW_S:
        raise PermanentError(
            "submission in the future", [FieldError("submitted_at", "later than the business clock", "CONTRACT §5")]
        )
    owed = catalogue.find(kind, sc.regimes.get(org, []))
    p = period("period", period_name)
    due = due_at(owed.report.due, p, calendar=WorkingCalendar()) if owed.report.period != "event" else None
    ri = t.report_instances
    stmt = insert(ri).values(
        kind=kind, org=org, period=p.name, regime=owed.regime, due_at=due, submitted_at=submitted_at, submitted_to=to
    )
    await uow.session.execute(
        stmt.on_conflict_do_update(
            index_elements=[ri.c.kind, ri.c.org, ri.c.period],
            set_={
                "submitted_at": sa.func.coalesce(ri.c.submitted_at, stmt.excluded.submitted_at),
                "submitted_to": sa.func.coalesce(ri.c.submitted_to, stmt.excluded.submitted_to),
            },
        )
    )
    tenant = (await uow.session.execute(sa.select(t.orgs.c.tenant).where(t.orgs.c.id == org))).scalar() or org
    late = due is not None and submitted_at > due
    event = uow.emit(
        "report.submitted",
        ReportSubmitted(
            occurred_at=submitted_at,
            regime=owed.regime,
            rule=owed.report.rule[0],
            kind=kind,
            period=p.name,
            org=org,
            due_at=due,
            recipients=list(owed.report.to),
            submitted_at=submitted_at,
            to=to,
            late=late,
        ),
        tenant=tenant,
        subject=org,
    )
    return {
        "id": str(event.id),
        "kind": kind,
        "regime": owed.regime,
        "period": p.name,
        "org": org,
        "due_at": iso(due),
        "submitted_at": iso(submitted_at),
        "to": to,
        "late": late,
    }
