"""What reporting does with each event: keep it, fold it into the read models, and publish what it obliges.

* A fact a regime's report names as its `trigger` (a large-scale detection, a public criticism) obliges a report
  to the regulator: `regulator.report_required` with the due time the policy counts from the fact (RPT-07, SAN-02).
* A complaint the projector finds closed, closed at intake or withdrawn is filed: `complaint.archived` with its
  archive class, the retention its regime sets (ARC-05, ARC-14) and the items of the file still missing (ARC-02,
  ARC-03).

Both are published once, whatever redeliveries or replays (`emitted`).
"""

import asyncio
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from tousu.contracts.envelope import CloudEvent
from tousu.contracts.events.reporting import ComplaintArchived, RegulatorReportRequired
from tousu.contracts.policy import conditions_match
from tousu.kit.calendar import WorkingCalendar
from tousu.kit.consumer import Delivery
from tousu.kit.uow import UnitOfWork
from tousu.reporting.adapters import tables as t
from tousu.reporting.domain.archive import archive_class, missing_items, years_after
from tousu.reporting.domain.complaint import ComplaintView
from tousu.reporting.domain.periods import due_at
from tousu.reporting.service_layer.catalogue import Catalogue, Owed
from tousu.reporting.service_layer.history import store
from tousu.reporting.service_layer.projections import project

ORG_FIELDS = ("respondent_unit", "target_org", "org", "unit")
"""Fields naming the organisation a fact is about, whose regimes may oblige a report."""


async def first_time(uow: UnitOfWork, key: str, at: datetime) -> bool:
    result = await uow.session.execute(
        insert(t.emitted).values(key=key, at=at).on_conflict_do_nothing().returning(t.emitted.c.key)
    )
    return result.first() is not None


class Reactions:
    def __init__(
        self,
        catalogue: Catalogue,
        calendar: WorkingCalendar | None = None,
        orgs_changed: asyncio.Event | None = None,
    ) -> None:
        self.catalogue = catalogue
        self.calendar = calendar or WorkingCalendar()
        self.orgs_changed = orgs_changed or asyncio.Event()
        """Set on `org.updated`: the report calendar looks at who owes what again."""

    async def on_event(self, uow: UnitOfWork, delivery: Delivery) -> None:
        event = delivery.event
        assert event is not None
        await store(uow, event)
        await project(uow, event)
        if event.type == "org.updated":
            self.orgs_changed.set()
        for owed in self.catalogue.triggered_by(event.type):
            await self._regulator_report(uow, event, owed)

    async def _regimes(self, uow: UnitOfWork, event: CloudEvent) -> set[str]:
        """The fact's regime and those of the organisations it concerns and their ancestors (a bank that stacks
        CBRC on its association's regime owes CBRC's reports too)."""
        regimes = {str(event.data["regime"])} if event.data.get("regime") else set()
        units = {str(event.data[f]) for f in ORG_FIELDS if event.data.get(f)} | {event.tenant}
        rows: dict[str, str | None] = {
            r.id: r.parent for r in await uow.session.execute(sa.select(t.orgs.c.id, t.orgs.c.parent))
        }
        chain: set[str] = set()
        for unit in units:
            current: str | None = unit
            while current is not None and current not in chain:
                chain.add(current)
                current = rows.get(current)
        found = await uow.session.execute(sa.select(t.orgs.c.regimes).where(t.orgs.c.id.in_(sorted(chain))))
        for (listed,) in found:
            regimes.update(listed or [])
        return regimes

    async def _regulator_report(self, uow: UnitOfWork, event: CloudEvent, owed: Owed) -> None:
        report = owed.report
        assert report.trigger is not None
        if not conditions_match(report.trigger.when, event.data):
            return
        if owed.regime not in await self._regimes(uow, event):
            return
        if not await first_time(uow, f"regulator:{event.id}:{report.kind}", uow.now()):
            return
        at = event.occurred_at
        due = due_at(report.due, None, event_at=at, calendar=self.calendar) or at
        data = event.data
        evidence = data.get("evidence") or {}
        complaint_ids = list(data.get("complaint_ids") or evidence.get("complaint_ids") or [])
        if event.complaint_id and event.complaint_id not in complaint_ids:
            complaint_ids.append(event.complaint_id)
        uow.emit(
            "regulator.report_required",
            RegulatorReportRequired(
                occurred_at=at,
                regime=owed.regime,
                rule=report.rule[0],
                reason=report.name,
                due_at=due,
                to=", ".join(report.to) or None,
                source_event=str(event.id),
                source_type=event.type,
                org=event.tenant,
                urgency=report.urgency,
                recommendation=data.get("recommendation"),
                complaint_ids=complaint_ids,
            ),
            tenant=event.tenant,
            subject=event.subject,
        )

    async def archive(self, uow: UnitOfWork, views: list[ComplaintView]) -> None:
        """File the complaints the projector found ended, each once."""
        for view in views:
            ended = view.status in ("closed", "withdrawn") and view.closed_at and view.tenant
            if ended and await first_time(uow, f"archive:{view.complaint_id}", uow.now()):
                self._archived(uow, view)

    def _archived(self, uow: UnitOfWork, view: ComplaintView) -> None:
        regime = view.regime or ""
        years = self.catalogue.parameter(regime, "retention_years")
        at = datetime.fromisoformat(str(view.closed_at))
        missing = missing_items(view)
        uow.emit(
            "complaint.archived",
            ComplaintArchived(
                occurred_at=at,
                complaint_id=view.complaint_id,
                regime=regime,
                rule="ARC-08" if view.archive_class else None,  # the class the closure gave
                archive_class=archive_class(view),
                archived_by=view.closed_by or view.owner_unit,
                retention_class=f"{years}y" if isinstance(years, int) else None,
                retain_until=years_after(at, years) if isinstance(years, int) else None,
                complete=not missing,
                missing=missing,
                reference=view.reference,
            ),
            tenant=str(view.tenant),
        )
