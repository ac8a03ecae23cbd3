"""The report calendar on the business clock: `report.due` (with `report.generated`) when a period's report falls
due, `report.overdue` when its due time passes without a submission (CONTRACT §8, AS-24).

Who owes a report: every organisation under the report's regime whose kind is one of the report's `issuer_kinds`,
or, when it names none, the root organisation of each tenant (a bank, not its branches). An organisation owes
the reports due after it was first heard of (its first `org.updated`), so a new tenant is not greeted by years of
past reports. Each (report, organisation, period) is announced once: the row's `announced_at` is set in the
transaction that publishes the event, so replicas never announce twice.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from tousu.contracts.events.reporting import ReportDue, ReportGenerated, ReportOverdue
from tousu.kit.calendar import WorkingCalendar
from tousu.kit.uow import UnitOfWork
from tousu.reporting.adapters import tables as t
from tousu.reporting.domain.periods import Period, announced_at, due_at, following, overdue_at, period_of, previous
from tousu.reporting.service_layer.catalogue import Catalogue, Owed

FORMATS = ["json", "csv", "xlsx", "html"]


@dataclass(frozen=True)
class Instance:
    owed: Owed
    org: str
    tenant: str
    period: Period
    due_at: datetime | None
    announce_at: datetime


def owes(owed: Owed, org: Any) -> bool:
    if owed.regime not in (org.regimes or []):
        return False
    kinds = owed.report.issuer_kinds
    return org.kind in kinds if kinds else org.id == org.tenant


class ReportCalendar:
    def __init__(self, catalogue: Catalogue, calendar: WorkingCalendar | None = None) -> None:
        self.catalogue = catalogue
        self.calendar = calendar or WorkingCalendar()
        self._next: dict[tuple[str, str, str, datetime], datetime] = {}
        """(regime, kind, org, first_seen) → the next announcement instant: nothing to do before it."""
        self.wake_at: datetime | None = None
        """After a tick: the next instant it has something to do (an announcement, an overdue), None for nothing."""

    def instances(self, owed: Owed, org: Any, now: datetime) -> list[Instance]:
        """Every instance owed by `org` whose announcement time has come, the first one after `now` remembered."""
        kind, since = owed.report.period, org.first_seen
        key = (owed.regime, owed.report.kind, org.id, since)
        if now < self._next.get(key, since):
            self._next.setdefault(key, since)
            return []
        out: list[Instance] = []
        period = previous(kind, period_of(kind, since))
        while True:
            due = due_at(owed.report.due, period, calendar=self.calendar)
            announce = announced_at(period, due)
            if announce > now:
                self._next[key] = announce
                return out
            if (due or announce) > since:
                out.append(Instance(owed, org.id, org.tenant or org.id, period, due, announce))
            period = following(kind, period)

    async def tick(self, uow: UnitOfWork, now: datetime) -> int:
        """Announce what has fallen due and flag what is overdue; returns how many events were published."""
        orgs = (
            await uow.session.execute(
                sa.select(t.orgs.c.id, t.orgs.c.tenant, t.orgs.c.kind, t.orgs.c.regimes, t.orgs.c.first_seen).where(
                    t.orgs.c.first_seen.is_not(None)
                )
            )
        ).all()
        published = 0
        upcoming: list[datetime] = []
        for owed in self.catalogue.calendar():
            for org in orgs:
                if owes(owed, org):
                    for instance in self.instances(owed, org, now):
                        published += await self._announce(uow, instance)
                    upcoming.append(self._next[(owed.regime, owed.report.kind, org.id, org.first_seen)])
        published += await self._overdue(uow, now)
        ri = t.report_instances
        pending = await uow.session.scalar(
            sa.select(sa.func.min(ri.c.due_at)).where(ri.c.overdue_at.is_(None), ri.c.submitted_at.is_(None))
        )
        if pending is not None:
            upcoming.append(overdue_at(pending))
        self.wake_at = min(upcoming, default=None)
        return published

    async def _announce(self, uow: UnitOfWork, i: Instance) -> int:
        report = i.owed.report
        key = {"kind": report.kind, "org": i.org, "period": i.period.name}
        await uow.session.execute(
            insert(t.report_instances).values(**key, regime=i.owed.regime, due_at=i.due_at).on_conflict_do_nothing()
        )
        claimed = await uow.session.execute(
            sa.update(t.report_instances)
            .where(*(t.report_instances.c[k] == v for k, v in key.items()), t.report_instances.c.announced_at.is_(None))
            .values(announced_at=i.announce_at)
            .returning(t.report_instances.c.kind)
        )
        if claimed.first() is None:
            return 0
        common = {
            "occurred_at": i.announce_at,
            "regime": i.owed.regime,
            "rule": report.rule[0],
            "kind": report.kind,
            "period": i.period.name,
            "org": i.org,
            "due_at": i.due_at,
            "recipients": list(report.to),
        }
        uow.emit("report.due", ReportDue(**common), tenant=i.tenant, subject=i.org)
        url = f"/v1/reports/{report.kind}?period={i.period.name}&org={i.org}"
        uow.emit(
            "report.generated", ReportGenerated(**common, url=url, formats=FORMATS), tenant=i.tenant, subject=i.org
        )
        return 2

    async def _overdue(self, uow: UnitOfWork, now: datetime) -> int:
        ri = t.report_instances
        rows = (
            await uow.session.execute(
                sa.select(ri, t.orgs.c.tenant)
                .join(t.orgs, t.orgs.c.id == ri.c.org, isouter=True)
                .where(
                    ri.c.overdue_at.is_(None), ri.c.submitted_at.is_(None), ri.c.due_at <= now - timedelta(seconds=1)
                )
                .with_for_update(of=ri, skip_locked=True)
            )
        ).all()
        for row in rows:
            owed = self.catalogue.regime_of(row.kind, row.regime)
            late = overdue_at(row.due_at)
            await uow.session.execute(
                sa.update(ri)
                .where(ri.c.kind == row.kind, ri.c.org == row.org, ri.c.period == row.period)
                .values(overdue_at=late)
            )
            uow.emit(
                "report.overdue",
                ReportOverdue(
                    occurred_at=late,
                    regime=row.regime,
                    rule=owed.report.rule[0],
                    kind=row.kind,
                    period=row.period,
                    org=row.org,
                    due_at=row.due_at,
                    recipients=list(owed.report.to),
                ),
                tenant=row.tenant or row.org,
                subject=row.org,
            )
        return len(rows)
