"""Stage clocks started, stopped, extended and re-armed by events, as each regime's policy says (DOMAIN §4,
CONTRACT §6). Business time comes from the events (`occurred_at`, or the field a trigger names), never from arrival.

Delivery order is not guaranteed (ARCHITECTURE §3), so every event of a complaint is kept: one that arrives before
`complaint.received` waits and is replayed after it, and a stop that arrives before its stage started is applied
when the stage starts.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from tousu.contracts.envelope import CloudEvent
from tousu.contracts.policy import Policy, Stage, Trigger, conditions_match
from tousu.contracts.types import iso
from tousu.kit.consumer import Delivery
from tousu.kit.uow import UnitOfWork
from tousu.sla.adapters import tables as t
from tousu.sla.domain.clocks import APPROVALS, REQUIREMENT_ACTS, owner_of
from tousu.sla.service_layer import clocks
from tousu.sla.service_layer.world import (
    ENDS_EVERYTHING,
    EXTENSION_ACTS,
    Fact,
    Policies,
    World,
    WorldCache,
    changed_world,
)

UNIT_FIELDS = ("receiving_unit", "respondent_unit", "unit", "to_unit", "from_unit", "lodged_with", "by")
HOLDER_MOVES = {"complaint.assigned": "unit", "complaint.forwarded": "to_unit", "complaint.redispatched": "to_unit"}

_COMPLAINT: sa.BindParameter[str] = sa.bindparam("complaint_id", type_=sa.Text)
STATE = (
    sa.select(
        *t.complaints.c,
        sa.exists().where(t.clocks.c.complaint_id == _COMPLAINT).label("has_clocks"),
        sa.exists().where(t.clocks.c.complaint_id == _COMPLAINT, t.clocks.c.stopped_at.is_(None)).label("has_open"),
        sa.select(sa.func.array_agg(sa.distinct(t.case_events.c.type)))
        .where(t.case_events.c.complaint_id == _COMPLAINT, sa.not_(t.case_events.c.pending))
        .scalar_subquery()
        .label("kept"),
    )
    .where(t.complaints.c.complaint_id == _COMPLAINT)
    .with_for_update(of=t.complaints)
)
"""A complaint locked, whether it has any clock and any open clock, and the types of its kept (not pending)
events: one statement, so that an event that cannot touch a clock costs no further lookup."""


@dataclass(frozen=True)
class Case:
    """A complaint as an event finds it (its row locked)."""

    row: Any
    has_clocks: bool
    has_open: bool
    kept: frozenset[str]
    """Types of the complaint's kept events before this one."""


def catch_up_types(stage: Stage) -> set[str]:
    """Events that, delivered before a run of `stage` started, still apply to it."""
    wanted = {tr.event for tr in stage.stop} | {g.event for g in stage.extension.granted_by}
    if stage.recurring is not None:
        wanted |= {c.event for c in stage.recurring.checkpoint}
    return wanted


async def on_org_updated(uow: UnitOfWork, event: CloudEvent) -> None:
    data = event.data
    org, version = data["org"], int(data.get("version", 0))
    stmt = insert(t.orgs).values(id=org["id"], parent=org.get("parent"), kind=org.get("kind", ""), version=version)
    await uow.session.execute(
        stmt.on_conflict_do_update(
            index_elements=[t.orgs.c.id],
            set_={"parent": stmt.excluded.parent, "kind": stmt.excluded.kind, "version": stmt.excluded.version},
            where=t.orgs.c.version <= stmt.excluded.version,
        )
    )
    await changed_world(uow)


class Engine:
    def __init__(self, policies: Policies) -> None:
        self.policies = policies
        self.worlds = WorldCache(policies)

    async def on_event(self, uow: UnitOfWork, delivery: Delivery) -> None:
        event = delivery.event
        assert event is not None
        if event.type == "org.updated":
            await on_org_updated(uow, event)
            return
        if event.complaint_id is None:
            return
        fact = Fact.of(event)
        state = await self._remember(uow, event) if event.type == "complaint.received" else None
        state = state or await self._state(uow, fact.complaint_id)
        await uow.session.execute(
            insert(t.case_events)
            .values(
                event_id=fact.id,
                complaint_id=fact.complaint_id,
                type=fact.type,
                occurred_at=fact.occurred_at,
                data=fact.data,
                pending=state is None,
            )
            .on_conflict_do_nothing()
        )
        if state is None:
            return  # replayed when complaint.received arrives
        await self.process(uow, fact, state)
        if event.type == "complaint.received":
            await self._replay_pending(uow, fact.complaint_id)

    async def _remember(self, uow: UnitOfWork, event: CloudEvent) -> Case | None:
        """Keep the complaint; a new one has no clocks and no kept events to catch up with yet."""
        data = event.data
        row = (
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
                .returning(*t.complaints.c)
            )
        ).first()
        return None if row is None else Case(row, has_clocks=False, has_open=False, kept=frozenset())

    async def _state(self, uow: UnitOfWork, complaint_id: str) -> Case | None:
        """The complaint locked, with what its clocks and kept events are (None: not received yet)."""
        row = (await uow.session.execute(STATE, {"complaint_id": complaint_id})).first()
        if row is None:
            return None
        return Case(row, has_clocks=row.has_clocks, has_open=row.has_open, kept=frozenset(row.kept or ()))

    async def _replay_pending(self, uow: UnitOfWork, complaint_id: str) -> None:
        pending = (
            await uow.session.execute(
                sa.update(t.case_events)
                .where(t.case_events.c.complaint_id == complaint_id, t.case_events.c.pending)
                .values(pending=False)
                .returning(*t.case_events.c)
            )
        ).all()
        for row in sorted(pending, key=lambda r: r.occurred_at):
            state = await self._state(uow, complaint_id)
            assert state is not None
            await self.process(uow, Fact(row.event_id, row.type, complaint_id, dict(row.data), row.occurred_at), state)

    # -- one fact -----------------------------------------------------------------------------------------------

    async def process(self, uow: UnitOfWork, fact: Fact, state: Case) -> None:
        """Apply `fact` to the complaint `state` holds (locked). Lookups whose answer the state already gives
        (no open clock, no run of a stage, no kept event to catch up with) are not made."""
        row = state.row
        facts: dict[str, Any] = dict(row.facts)
        if fact.type == "complaint.reclassified":
            facts.update({k: v for k, v in fact.data.items() if k in ("kind", "priority", "category") and v})
        moved_to = fact.data.get(HOLDER_MOVES.get(fact.type, ""))
        holder = str(moved_to) if moved_to else row.holder
        units = sorted({*row.units, *(str(fact.data[f]) for f in UNIT_FIELDS if fact.data.get(f))})
        closed = row.closed or fact.type in ENDS_EVERYTHING
        complaint = row
        if (facts, holder, units, closed) != (row.facts, row.holder, row.units, row.closed):
            complaint = (
                await uow.session.execute(
                    sa.update(t.complaints)
                    .where(t.complaints.c.complaint_id == fact.complaint_id)
                    .values(facts=facts, holder=holder, units=units, closed=closed)
                    .returning(*t.complaints.c)
                )
            ).one()
        policy = self.policies.get(complaint.regime, complaint.policy_version)
        world = await self.worlds.get(uow)
        if state.has_open:
            if holder != row.holder and holder is not None:
                await self._follow_case(uow, policy, fact.complaint_id, holder)
            await self._stops(uow, world, policy, complaint, fact)
            granted = await self._grants(uow, world, policy, complaint, fact)
            if fact.type in EXTENSION_ACTS:
                await self._acts(uow, policy, fact, skip=granted)
            if fact.type in ENDS_EVERYTHING:
                for clock in await self._open(uow, fact.complaint_id):
                    at = clocks.instant(fact.data, "occurred_at")
                    await clocks.end(uow, clock, at, fact.type.removeprefix("complaint."), fact.type)
        if fact.type not in ENDS_EVERYTHING:
            await self._starts(uow, world, policy, complaint, fact, state)

    async def _open(self, uow: UnitOfWork, complaint_id: str) -> list[Any]:
        """The complaint's open clocks, locked in id order (as a calendar recount locks them, so the two never
        deadlock), handled in the order they started."""
        rows = (
            await uow.session.execute(
                sa.select(t.clocks)
                .where(t.clocks.c.complaint_id == complaint_id, t.clocks.c.stopped_at.is_(None))
                .order_by(t.clocks.c.id)
                .with_for_update()
            )
        ).all()
        return sorted(rows, key=lambda c: (c.started_at, c.stage, c.cycle))

    def _matches(
        self, trigger: Trigger, fact: Fact, facts: dict[str, Any], policy: Policy, world: World, owner: str | None
    ) -> bool:
        return trigger.event == fact.type and conditions_match(
            trigger.when,
            fact.data,
            fallback=facts,
            params=policy.parameter_values(),
            org_kind=world.kinds.get,
            owner_unit=owner,
        )

    async def _follow_case(self, uow: UnitOfWork, policy: Policy, complaint_id: str, holder: str) -> None:
        """`owner_follows_case`: a forward while the stage runs moves its owner (the next events name it)."""
        for clock in await self._open(uow, complaint_id):
            if policy.stage(clock.stage).owner_follows_case and clock.owner_unit != holder:
                await clocks.update(uow, clock, owner_unit=holder)

    # -- stops --------------------------------------------------------------------------------------------------

    async def _stops(self, uow: UnitOfWork, world: World, policy: Policy, complaint: Any, fact: Fact) -> None:
        for clock in await self._open(uow, fact.complaint_id):
            await self._stop_clock(uow, world, policy, complaint, fact, clock)

    async def _stop_clock(
        self, uow: UnitOfWork, world: World, policy: Policy, complaint: Any, fact: Fact, clock: Any
    ) -> None:
        """Apply `fact` to one clock if it is one of its stage's stops or checkpoints."""
        stage = policy.stage(clock.stage)
        if stage.recurring is not None:
            for trigger in stage.recurring.checkpoint:
                if self._matches(trigger, fact, complaint.facts, policy, world, clock.owner_unit):
                    at = clocks.instant(fact.data, trigger.at)
                    await self._checkpoint(uow, world, policy, stage, clock, at, fact.type)
                    return
        hits = [
            (i, clocks.instant(fact.data, trigger.at))
            for i, trigger in enumerate(stage.stop)
            if self._matches(trigger, fact, complaint.facts, policy, world, clock.owner_unit)
        ]
        if not hits:
            return
        at = max(at for _, at in hits)
        if stage.recurring is not None:
            await self._end_duty(uow, stage, clock, at, fact.type)
            return
        if at < clock.started_at:
            return  # it happened before this run of the stage began
        if stage.stop_mode == "all":
            seen = {**clock.stops, **{str(i): iso(at) for i, at in hits}}
            if len(seen) < len(stage.stop):
                await clocks.update(uow, clock, stops=seen)
                return
            at = max(datetime.fromisoformat(v) for v in seen.values())
            clock = await clocks.update(uow, clock, stops=seen)
        await clocks.stop(uow, clock, at, fact.type)

    async def _checkpoint(
        self, uow: UnitOfWork, world: World, policy: Policy, stage: Stage, clock: Any, at: datetime, event: str
    ) -> None:
        """A recurring duty's checkpoint (a daily progress report) meets the period whose window holds it."""
        for run in reversed(await clocks.stage_clocks(uow, clock.complaint_id, stage.id)):
            if not run.started_at <= at < run.breach_at:
                continue
            if run.stopped_at is None:
                await clocks.stop(uow, run, at, event)
                await clocks.next_period(uow, stage, run, world.calendar(run.owner_unit, policy))
            elif run.state == "breached":
                run = await clocks.withdraw_breach(uow, run, at, event)
                await clocks.update(uow, run, state="met")
            return

    async def _end_duty(self, uow: UnitOfWork, stage: Stage, clock: Any, at: datetime, stop_event: str) -> None:
        """A recurring duty ends at `at`: the period holding it is met; periods that opened after it are void."""
        for run in reversed(await clocks.stage_clocks(uow, clock.complaint_id, stage.id)):
            if run.started_at > at:
                if run.breached:
                    run = await clocks.withdraw_breach(uow, run, at, stop_event)
                if run.stopped_at is None:
                    await clocks.end(uow, run, run.started_at, "duty ended before this period", stop_event)
                else:
                    await clocks.update(uow, run, state="stopped")
            elif run.stopped_at is None:
                await clocks.stop(uow, run, at, stop_event)
            elif run.state == "breached" and at < run.breach_at:
                run = await clocks.withdraw_breach(uow, run, at, stop_event)
                await clocks.update(uow, run, state="met")

    # -- extensions ---------------------------------------------------------------------------------------------

    async def _grants(
        self, uow: UnitOfWork, world: World, policy: Policy, complaint: Any, fact: Fact
    ) -> set[uuid.UUID]:
        """Extension grants (SLA-05, SLA-14, SLA-21): `sla.extended`, or a refusal kept on the clock."""
        candidates = []
        for clock in await self._open(uow, fact.complaint_id):
            stage = policy.stage(clock.stage)
            for grant in stage.extension.granted_by:
                if self._matches(grant, fact, complaint.facts, policy, world, clock.owner_unit) and self._targets(
                    fact, clock
                ):
                    candidates.append((clock, stage, grant))
                    break
        if fact.type in APPROVALS and not fact.data.get("stage") and len(candidates) > 1:
            # A decision that names no stage decides the request(s) made for it.
            asked = [c for c in candidates if any(e.get("kind") == "act" for e in c[0].extensions)]
            candidates = asked or candidates
        for clock, stage, grant in candidates:
            await clocks.extend(uow, stage, clock, grant, fact, uow.now())
        return {clock.id for clock, _, _ in candidates}

    @staticmethod
    def _targets(fact: Fact, clock: Any) -> bool:
        """Which clocks an extension act or decision is about: the stage it names, else (for the owner's own
        acts) the clocks the acting unit owns; a superior's decision may concern any."""
        named = fact.data.get("stage")
        if named:
            return bool(named == clock.stage)
        return fact.type in APPROVALS or fact.data.get("by") == clock.owner_unit

    async def _acts(self, uow: UnitOfWork, policy: Policy, fact: Fact, skip: set[uuid.UUID]) -> None:
        for clock in await self._open(uow, fact.complaint_id):
            if clock.id in skip:
                continue
            rule = policy.stage(clock.stage).extension
            needs = any(fact.type in REQUIREMENT_ACTS[r] for r in rule.requires)
            if rule.allowed and needs and self._targets(fact, clock):
                await clocks.record_act(uow, clock, fact, clocks.instant(fact.data, "occurred_at"))

    # -- starts -------------------------------------------------------------------------------------------------

    async def _starts(
        self, uow: UnitOfWork, world: World, policy: Policy, complaint: Any, fact: Fact, state: Case
    ) -> None:
        for stage in policy.stages_started_by(fact.type):
            for trigger in stage.start:
                if not self._matches(trigger, fact, complaint.facts, policy, world, None):
                    continue
                owner = owner_of(
                    stage, fact.data, complaint.facts, complaint.holder, world.parents.get, world.kinds.get
                )
                owner = owner or complaint.holder or complaint.facts.get("receiving_unit")
                # Only this stage's own start or catch-up adds a run of it, so none exists without a clock at all.
                runs = await clocks.stage_clocks(uow, complaint.complaint_id, stage.id) if state.has_clocks else []
                clock = await clocks.start(uow, world, complaint, policy, stage, trigger, fact, owner, runs)
                if clock is not None and state.kept & catch_up_types(stage):
                    await self._catch_up(uow, world, policy, complaint, fact, clock)
                break

    async def _catch_up(
        self, uow: UnitOfWork, world: World, policy: Policy, complaint: Any, start: Fact, clock: Any
    ) -> None:
        """Stops and grants of this run that were delivered before its start (out of order)."""
        stage = policy.stage(clock.stage)
        wanted = catch_up_types(stage)
        earlier = (
            await uow.session.execute(
                sa.select(t.case_events)
                .where(
                    t.case_events.c.complaint_id == start.complaint_id,
                    t.case_events.c.event_id != start.id,
                    t.case_events.c.occurred_at >= clock.started_at,
                    t.case_events.c.type.in_(wanted),
                    sa.not_(t.case_events.c.pending),
                )
                .order_by(t.case_events.c.occurred_at)
            )
        ).all()
        for row in earlier:
            fact = Fact(row.event_id, row.type, start.complaint_id, dict(row.data), row.occurred_at)
            current = (
                await uow.session.execute(sa.select(t.clocks).where(t.clocks.c.id == clock.id).with_for_update())
            ).one()
            if current.stopped_at is not None:
                return
            await self._stop_clock(uow, world, policy, complaint, fact, current)
            for grant in stage.extension.granted_by:
                refreshed = (await uow.session.execute(sa.select(t.clocks).where(t.clocks.c.id == clock.id))).one()
                if refreshed.stopped_at is None and self._matches(
                    grant, fact, complaint.facts, policy, world, refreshed.owner_unit
                ):
                    await clocks.extend(uow, stage, refreshed, grant, fact, uow.now())
                    break
