"""Stage clocks started and stopped by events, as each regime's policy says (DOMAIN §4, CONTRACT §6).

Business time comes from the events (`occurred_at`, or the field a trigger names), never from arrival.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from tousu.contracts.envelope import CloudEvent
from tousu.contracts.events.sla import (
    SlaBreached,
    SlaBreachWithdrawn,
    SlaClockStarted,
    SlaClockStopped,
    SlaMet,
)
from tousu.contracts.policy import Policy, Stage, Trigger, conditions_match
from tousu.contracts.types import ClockKind
from tousu.kit.calendar import WorkingCalendar
from tousu.kit.consumer import Delivery
from tousu.kit.uow import UnitOfWork
from tousu.sla.adapters import tables as t
from tousu.sla.domain.clocks import owner_of, stopped_in_time, warning_instant
from tousu.sla.service_layer.calendars import load_calendar

ENDS_EVERYTHING = frozenset({"complaint.withdrawn", "complaint.closed_at_intake", "complaint.closed"})
"""ARCHITECTURE §1: a complaint withdrawn or closed is closed everywhere; its open clocks stop."""
UNIT_FIELDS = ("receiving_unit", "respondent_unit", "unit", "to_unit", "from_unit", "lodged_with")


class OutOfOrder(Exception):
    """An event about a complaint sla has not heard of yet: retried until `complaint.received` is in."""


@dataclass
class Policies:
    """Regime → version → policy; a complaint keeps the version it was received under."""

    history: dict[str, dict[str, Policy]]

    def get(self, regime: str, version: str) -> Policy:
        versions = self.history[regime]
        return versions.get(version) or next(iter(versions.values()))

    def event_types(self) -> set[str]:
        types = {"complaint.received", "complaint.reclassified", "org.updated", *ENDS_EVERYTHING}
        for versions in self.history.values():
            for policy in versions.values():
                for stage in policy.stages:
                    types.update(trigger.event for trigger in stage.triggers())
        return types


def instant(data: dict[str, Any], field: str) -> datetime:
    raw = data.get(field) or data["occurred_at"]
    return raw if isinstance(raw, datetime) else datetime.fromisoformat(str(raw))


async def on_org_updated(uow: UnitOfWork, delivery: Delivery) -> None:
    assert delivery.event is not None
    data = delivery.event.data
    org, version = data["org"], int(data.get("version", 0))
    stmt = insert(t.orgs).values(id=org["id"], parent=org.get("parent"), kind=org.get("kind", ""), version=version)
    await uow.session.execute(
        stmt.on_conflict_do_update(
            index_elements=[t.orgs.c.id],
            set_={"parent": stmt.excluded.parent, "kind": stmt.excluded.kind, "version": stmt.excluded.version},
            where=t.orgs.c.version <= stmt.excluded.version,
        )
    )


class Engine:
    def __init__(self, policies: Policies) -> None:
        self.policies = policies

    async def on_event(self, uow: UnitOfWork, delivery: Delivery) -> None:
        event = delivery.event
        assert event is not None
        if event.type == "org.updated":
            await on_org_updated(uow, delivery)
            return
        complaint_id = event.complaint_id
        if complaint_id is None:
            return
        if event.type == "complaint.received":
            await self._remember(uow, event)
        row = (
            await uow.session.execute(
                sa.select(t.complaints).where(t.complaints.c.complaint_id == complaint_id).with_for_update()
            )
        ).first()
        if row is None:
            raise OutOfOrder(f"{event.type} before complaint.received for {complaint_id}")
        facts: dict[str, Any] = dict(row.facts)
        if event.type == "complaint.reclassified":
            facts.update({k: v for k, v in event.data.items() if k in ("kind", "priority", "category") and v})
        holder = self._holder_after(event, row.holder)
        units = sorted({*row.units, *(str(event.data[f]) for f in UNIT_FIELDS if event.data.get(f))})
        await uow.session.execute(
            sa.update(t.complaints)
            .where(t.complaints.c.complaint_id == complaint_id)
            .values(facts=facts, holder=holder, units=units, closed=row.closed or event.type in ENDS_EVERYTHING)
        )
        policy = self.policies.get(row.regime, row.policy_version)
        orgs = dict((await uow.session.execute(sa.select(t.orgs.c.id, t.orgs.c.parent))).tuples().all())
        kinds = dict((await uow.session.execute(sa.select(t.orgs.c.id, t.orgs.c.kind))).tuples().all())
        calendar = await load_calendar(uow)
        await self._stop_matching(uow, event, row.tenant, policy, facts, orgs, kinds)
        if event.type in ENDS_EVERYTHING:
            await self._stop_all(uow, event, row.tenant, reason=event.type)
            return
        for stage in policy.stages_started_by(event.type):
            for trigger in stage.start:
                if trigger.event == event.type and self._matches(trigger, event, facts, policy, kinds):
                    owner = owner_of(stage, event.data, facts, holder, orgs.get, kinds.get)
                    await self._start(uow, event, row, policy, stage, trigger, owner, calendar, trigger.restarts)
                    break

    @staticmethod
    def _holder_after(event: CloudEvent, holder: str | None) -> str | None:
        if event.type in ("complaint.assigned",):
            return str(event.data.get("unit") or holder)
        if event.type in ("complaint.forwarded", "complaint.redispatched"):
            return str(event.data.get("to_unit") or holder)
        return holder

    async def _remember(self, uow: UnitOfWork, event: CloudEvent) -> None:
        data = event.data
        await uow.session.execute(
            insert(t.complaints)
            .values(
                complaint_id=event.complaint_id,
                tenant=event.tenant,
                regime=data["regime"],
                policy_version=str(data.get("policy_version", "")),
                facts=data,
                units=sorted({str(data[f]) for f in UNIT_FIELDS if data.get(f)}),
                holder=None,
            )
            .on_conflict_do_nothing()
        )

    @staticmethod
    def _matches(
        trigger: Trigger, event: CloudEvent, facts: dict[str, Any], policy: Policy, kinds: dict[str, str]
    ) -> bool:
        return conditions_match(
            trigger.when, event.data, fallback=facts, params=policy.parameter_values(), org_kind=kinds.get
        )

    async def _start(
        self,
        uow: UnitOfWork,
        event: CloudEvent,
        complaint: Any,
        policy: Policy,
        stage: Stage,
        trigger: Trigger,
        owner: str | None,
        calendar: WorkingCalendar,
        restarts: bool,
    ) -> None:
        previous = (
            await uow.session.execute(
                sa.select(sa.func.max(t.clocks.c.cycle)).where(
                    t.clocks.c.complaint_id == complaint.complaint_id, t.clocks.c.stage == stage.id
                )
            )
        ).scalar()
        if previous is not None and not restarts:
            return  # a stage starts once unless the policy says a new round restarts it
        started_at = instant(event.data, trigger.at)
        length = policy.stage_length(stage)
        deadline = calendar.deadline(
            started_at, stage.clock, length, daily_at=stage.daily_at if stage.clock is ClockKind.DAILY_AT else None
        )
        warning_at = warning_instant(started_at, deadline.due_at, stage.warning)
        clock_id = uuid.uuid4()
        owner_unit = owner or complaint.holder or complaint.facts.get("receiving_unit")
        await uow.session.execute(
            t.clocks.insert().values(
                id=clock_id,
                complaint_id=complaint.complaint_id,
                stage=stage.id,
                cycle=(previous or 0) + 1,
                tenant=complaint.tenant,
                regime=complaint.regime,
                policy_version=policy.version,
                owner_unit=owner_unit,
                clock=stage.clock.value,
                length=length,
                started_at=started_at,
                due_at=deadline.due_at,
                breach_at=deadline.breach_at,
                warning_at=warning_at,
                state="running",
                provisional=deadline.provisional,
                provisional_years=list(deadline.provisional_years),
                rule=stage.rule[0] if stage.rule else None,
            )
        )
        timers = [{"clock_id": clock_id, "kind": "breach", "fire_at": deadline.breach_at}]
        if warning_at is not None:
            timers.append({"clock_id": clock_id, "kind": "warning", "fire_at": warning_at})
        await uow.session.execute(t.timers.insert(), timers)
        uow.emit(
            "sla.clock_started",
            SlaClockStarted(
                complaint_id=complaint.complaint_id,
                regime=complaint.regime,
                occurred_at=started_at,
                rule=stage.rule[0] if stage.rule else None,
                stage=stage.id,
                owner_unit=owner_unit,
                clock=stage.clock,
                due_at=deadline.due_at,
                started_at=started_at,
                warning_at=warning_at,
                provisional=deadline.provisional,
                policy_version=policy.version,
                cycle=(previous or 0) + 1,
                start_event=event.type,
            ),
            tenant=complaint.tenant,
        )

    async def _running(self, uow: UnitOfWork, complaint_id: str) -> list[Any]:
        return list(
            (
                await uow.session.execute(
                    sa.select(t.clocks)
                    .where(t.clocks.c.complaint_id == complaint_id, t.clocks.c.stopped_at.is_(None))
                    .with_for_update()
                )
            ).all()
        )

    async def _stop_matching(
        self,
        uow: UnitOfWork,
        event: CloudEvent,
        tenant: str,
        policy: Policy,
        facts: dict[str, Any],
        orgs: dict[str, str | None],
        kinds: dict[str, str],
    ) -> None:
        assert event.complaint_id is not None
        for clock in await self._running(uow, event.complaint_id):
            stage = policy.stage(clock.stage)
            for trigger in stage.stop:
                if trigger.event == event.type and conditions_match(
                    trigger.when,
                    event.data,
                    fallback=facts,
                    params=policy.parameter_values(),
                    org_kind=kinds.get,
                    owner_unit=clock.owner_unit,
                ):
                    await self._stop(uow, clock, instant(event.data, trigger.at), event.type, tenant)
                    break

    async def _stop(self, uow: UnitOfWork, clock: Any, stopped_at: datetime, stop_event: str, tenant: str) -> None:
        """In time: `sla.met` (withdrawing a breach already published). Late: the breach stands."""
        in_time = stopped_in_time(stopped_at, clock.breach_at)
        common = {
            "complaint_id": clock.complaint_id,
            "regime": clock.regime,
            "rule": clock.rule,
            "stage": clock.stage,
            "owner_unit": clock.owner_unit,
            "clock": ClockKind(clock.clock),
            "due_at": clock.due_at,
            "cycle": clock.cycle,
        }
        breached = clock.breached
        if not in_time and not breached:
            # The stop came after the breach instant before the timer fired (a clock jump): the breach is real.
            uow.emit(
                "sla.breached",
                SlaBreached(occurred_at=clock.breach_at, breached_at=clock.breach_at, **common),
                tenant=tenant,
            )
            breached = True
        if in_time and clock.breached:
            uow.emit(
                "sla.breach_withdrawn",
                SlaBreachWithdrawn(
                    occurred_at=stopped_at, breached_at=clock.breach_at, stopped_at=stopped_at, **common
                ),
                tenant=tenant,
            )
        if in_time:
            uow.emit(
                "sla.met",
                SlaMet(occurred_at=stopped_at, stopped_at=stopped_at, stop_event=stop_event, **common),
                tenant=tenant,
            )
        await uow.session.execute(
            sa.update(t.clocks)
            .where(t.clocks.c.id == clock.id)
            .values(
                state="met" if in_time else "breached",
                stopped_at=stopped_at,
                breached=breached,
                breach_withdrawn=in_time and clock.breached,
            )
        )
        await uow.session.execute(
            sa.delete(t.timers).where(t.timers.c.clock_id == clock.id, t.timers.c.fired_at.is_(None))
        )

    async def _stop_all(self, uow: UnitOfWork, event: CloudEvent, tenant: str, reason: str) -> None:
        assert event.complaint_id is not None
        at = event.occurred_at
        for clock in await self._running(uow, event.complaint_id):
            if clock.breached:
                state = "breached"
            else:
                state = "stopped"
                uow.emit(
                    "sla.clock_stopped",
                    SlaClockStopped(
                        complaint_id=clock.complaint_id,
                        regime=clock.regime,
                        occurred_at=at,
                        stage=clock.stage,
                        owner_unit=clock.owner_unit,
                        clock=ClockKind(clock.clock),
                        due_at=clock.due_at,
                        stopped_at=at,
                        reason=reason,
                        cycle=clock.cycle,
                    ),
                    tenant=tenant,
                )
            await uow.session.execute(
                sa.update(t.clocks).where(t.clocks.c.id == clock.id).values(state=state, stopped_at=at)
            )
            await uow.session.execute(
                sa.delete(t.timers).where(t.timers.c.clock_id == clock.id, t.timers.c.fired_at.is_(None))
            )
