"""Operations on one stage clock: start, stop, end, extend, pause, resume, the next period of a recurring duty.

Each writes the clock row, its durable timers and the sla event it causes in the caller's unit of work, so the
state, the timers and the outbox commit together (ARCHITECTURE §3, §5). Callers lock the clock row first
(`SELECT ... FOR UPDATE`) and the timers after it, in that order, as the sweeper does.
"""

import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
import structlog

from tousu.contracts.events.sla import (
    SlaBreached,
    SlaBreachWithdrawn,
    SlaClockStarted,
    SlaClockStopped,
    SlaExtended,
    SlaMet,
    SlaPaused,
    SlaResumed,
)
from tousu.contracts.policy import ExtensionGrant, Policy, Stage, StartTrigger
from tousu.contracts.types import ClockKind, iso
from tousu.kit.calendar import WorkingCalendar
from tousu.kit.errors import ConflictError, FieldError, PermanentError
from tousu.kit.uow import UnitOfWork
from tousu.sla.adapters import tables as t
from tousu.sla.domain.clocks import (
    Act,
    as_instant,
    breach_after,
    breach_of,
    decide_extension,
    lookup,
    resumed_due,
    stage_length,
    stopped_in_time,
    warning_instant,
    whole_second,
)
from tousu.sla.service_layer.world import Fact, World

log = structlog.get_logger("tousu.sla.clocks")

LIVE = ("running", "extended")
"""States whose timers are armed."""
SKEW = timedelta(seconds=60)
"""How far ahead of the business clock an operator's `at` may be (as routing allows for actions)."""


def instant(data: Mapping[str, Any], field: str) -> datetime:
    """The business time of an event: the field a trigger names, else `occurred_at` (ARCHITECTURE §5)."""
    value = as_instant(data.get(field)) or as_instant(data["occurred_at"])
    assert value is not None
    return value


def common(clock: Any) -> dict[str, Any]:
    """The fields every sla event carries (CONTRACT §9), as the clock stands."""
    return {
        "complaint_id": clock.complaint_id,
        "regime": clock.regime,
        "rule": clock.rule,
        "stage": clock.stage,
        "owner_unit": clock.owner_unit,
        "clock": ClockKind(clock.clock),
        "due_at": clock.due_at,
        "cycle": clock.cycle,
        "reference": clock.reference,
    }


async def disarm(uow: UnitOfWork, clock_id: uuid.UUID) -> None:
    await uow.session.execute(sa.delete(t.timers).where(t.timers.c.clock_id == clock_id, t.timers.c.fired_at.is_(None)))


async def arm(uow: UnitOfWork, clock_id: uuid.UUID, breach_at: datetime, warning_at: datetime | None) -> None:
    """Replace the clock's pending timers: its breach, and its warning when there is one before the breach."""
    await disarm(uow, clock_id)
    await schedule(uow, clock_id, breach_at, warning_at)


async def schedule(uow: UnitOfWork, clock_id: uuid.UUID, breach_at: datetime, warning_at: datetime | None) -> None:
    """The timers of a clock that has none yet (a new run)."""
    timers: list[dict[str, Any]] = [{"clock_id": clock_id, "kind": "breach", "fire_at": breach_at}]
    if warning_at is not None and warning_at < breach_at:
        timers.append({"clock_id": clock_id, "kind": "warning", "fire_at": warning_at})
    await uow.session.execute(t.timers.insert(), timers)


async def update(uow: UnitOfWork, clock: Any, **values: Any) -> Any:
    """Write `values` and return the row as it stands now."""
    row = (
        await uow.session.execute(
            sa.update(t.clocks).where(t.clocks.c.id == clock.id).values(**values).returning(*t.clocks.c)
        )
    ).one()
    return row


async def stage_clocks(uow: UnitOfWork, complaint_id: str, stage: str) -> list[Any]:
    """Every run of a stage for a complaint, latest first, locked."""
    return list(
        (
            await uow.session.execute(
                sa.select(t.clocks)
                .where(t.clocks.c.complaint_id == complaint_id, t.clocks.c.stage == stage)
                .order_by(t.clocks.c.cycle.desc())
                .with_for_update()
            )
        ).all()
    )


def _postpone(policy: Policy, kind: ClockKind) -> bool:
    return kind is ClockKind.CALENDAR_DAYS and policy.calendar.calendar_days_postponed_on_holiday


async def start(
    uow: UnitOfWork,
    world: World,
    complaint: Any,
    policy: Policy,
    stage: Stage,
    trigger: StartTrigger,
    event: Fact,
    owner: str,
    runs: list[Any],
) -> Any | None:
    """Start a run of `stage` (`runs`: its earlier runs, latest first, locked); None when it already ran and this
    trigger does not restart it."""
    latest = runs[0] if runs else None
    if latest is not None and not trigger.restarts:
        return None  # a stage starts once unless the policy says a new round restarts it
    started_at = instant(event.data, trigger.at)
    if latest is not None and latest.stopped_at is None:
        await end(uow, latest, started_at, "superseded", event.type)
    calendar = world.calendar(owner, policy)
    length = stage_length(stage, policy.stage_length(stage), event.data, complaint.facts)
    kind = stage.clock
    deadline = calendar.deadline(
        started_at,
        kind,
        length,
        daily_at=stage.daily_at if kind is ClockKind.DAILY_AT else None,
        postpone_to_working_day=_postpone(policy, kind),
    )
    due_at, breach_at, basis = deadline.due_at, deadline.breach_at, "count"
    provisional = set(deadline.provisional_years)
    override = stage.due_override_field and as_instant(
        lookup(event.data, stage.due_override_field) or lookup(complaint.facts, stage.due_override_field)
    )
    if override:
        due_at, breach_at, basis, provisional = override, breach_after(override), "override", set()
    cap_at = None
    if stage.extension.cap is not None:
        cap = calendar.deadline(started_at, stage.extension.cap.clock, stage.extension.cap.length)
        cap_at = cap.due_at
        provisional |= set(cap.provisional_years)
    warning_at = warning_instant(started_at, due_at, stage.warning)
    clock = (
        await uow.session.execute(
            t.clocks.insert()
            .values(
                id=uuid.uuid4(),
                complaint_id=complaint.complaint_id,
                reference=complaint.facts.get("reference"),
                stage=stage.id,
                cycle=(latest.cycle if latest else 0) + 1,
                tenant=complaint.tenant,
                regime=complaint.regime,
                policy_version=policy.version,
                owner_unit=owner,
                clock=kind.value,
                length=length,
                started_at=started_at,
                due_at=due_at,
                breach_at=breach_at,
                warning_at=warning_at,
                state="running",
                provisional=bool(provisional),
                provisional_years=sorted(provisional),
                rule=stage.rule[0],
                due_basis=basis,
                cap_at=cap_at,
                start_event=event.type,
            )
            .returning(*t.clocks.c)
        )
    ).one()
    await schedule(uow, clock.id, breach_at, warning_at)
    announce_start(uow, clock)
    return clock


def announce_start(uow: UnitOfWork, clock: Any) -> None:
    uow.emit(
        "sla.clock_started",
        SlaClockStarted(
            **common(clock),
            occurred_at=clock.started_at,
            started_at=clock.started_at,
            warning_at=clock.warning_at,
            provisional=clock.provisional,
            policy_version=clock.policy_version,
            start_event=clock.start_event,
        ),
        tenant=clock.tenant,
    )
    if clock.provisional:
        # ARCHITECTURE §5: never a silent guess. The gauge (tousu_provisional_clocks) counts these.
        log.warning(
            "provisional clock: its deadline reaches into a year the calendar does not know",
            complaint_id=clock.complaint_id,
            stage=clock.stage,
            due_at=iso(clock.due_at),
            years=list(clock.provisional_years),
        )


async def stop(uow: UnitOfWork, clock: Any, stopped_at: datetime, stop_event: str) -> None:
    """The stage's stop happened at `stopped_at`. In time: `sla.met`, withdrawing a breach already published.
    Late: the breach stands (published now if the timer had not fired yet)."""
    in_time = not clock.breached if clock.state == "paused" else stopped_in_time(stopped_at, clock.breach_at)
    if not in_time and not clock.breached:
        # The stop came after the breach instant before the timer fired (a clock jump): the breach is real.
        uow.emit(
            "sla.breached",
            SlaBreached(
                **common(clock), occurred_at=clock.breach_at, breached_at=clock.breach_at, started_at=clock.started_at
            ),
            tenant=clock.tenant,
        )
    if in_time and clock.breached:
        uow.emit(
            "sla.breach_withdrawn",
            SlaBreachWithdrawn(
                **common(clock),
                occurred_at=stopped_at,
                breached_at=clock.breach_at,
                stopped_at=stopped_at,
                stop_event=stop_event,
            ),
            tenant=clock.tenant,
        )
    if in_time:
        uow.emit(
            "sla.met",
            SlaMet(
                **common(clock),
                occurred_at=stopped_at,
                stopped_at=stopped_at,
                stop_event=stop_event,
                started_at=clock.started_at,
            ),
            tenant=clock.tenant,
        )
    await update(
        uow,
        clock,
        state="met" if in_time else "breached",
        stopped_at=stopped_at,
        breached=not in_time,
        breach_withdrawn=clock.breach_withdrawn or (in_time and clock.breached),
        paused_at=None,
    )
    await disarm(uow, clock.id)


async def end(uow: UnitOfWork, clock: Any, at: datetime, reason: str, stop_event: str | None) -> None:
    """The stage ends otherwise than by meeting it (withdrawn, closed, superseded): `sla.clock_stopped`.
    A breach already published stands."""
    if not clock.breached:
        uow.emit(
            "sla.clock_stopped",
            SlaClockStopped(**common(clock), occurred_at=at, stopped_at=at, reason=reason, stop_event=stop_event),
            tenant=clock.tenant,
        )
    await update(uow, clock, state="breached" if clock.breached else "stopped", stopped_at=at, paused_at=None)
    await disarm(uow, clock.id)


async def withdraw_breach(uow: UnitOfWork, clock: Any, at: datetime, because: str) -> Any:
    """A fact that happened in time arrived after the breach was published (ARCHITECTURE §5)."""
    uow.emit(
        "sla.breach_withdrawn",
        SlaBreachWithdrawn(
            **common(clock), occurred_at=at, breached_at=clock.breach_at, stopped_at=at, stop_event=because
        ),
        tenant=clock.tenant,
    )
    return await update(uow, clock, breached=False, breach_withdrawn=True)


# -- recurring duties -------------------------------------------------------------------------------------------


async def next_period(uow: UnitOfWork, stage: Stage, clock: Any, calendar: WorkingCalendar) -> Any:
    """The next period of a recurring duty (e.g. a daily progress report by 17:00, SLA-84): it opens at the
    previous period's due instant, so one report never meets two days."""
    deadline = calendar.deadline(clock.due_at, stage.clock, 1, daily_at=stage.daily_at)
    warning_at = warning_instant(clock.due_at, deadline.due_at, stage.warning)
    row = (
        await uow.session.execute(
            t.clocks.insert()
            .values(
                id=uuid.uuid4(),
                complaint_id=clock.complaint_id,
                reference=clock.reference,
                stage=clock.stage,
                cycle=clock.cycle + 1,
                tenant=clock.tenant,
                regime=clock.regime,
                policy_version=clock.policy_version,
                owner_unit=clock.owner_unit,
                clock=clock.clock,
                length=clock.length,
                started_at=clock.due_at,
                due_at=deadline.due_at,
                breach_at=deadline.breach_at,
                warning_at=warning_at,
                state="running",
                provisional=False,
                provisional_years=[],
                rule=clock.rule,
                due_basis="period",
                start_event=clock.start_event,
            )
            .returning(*t.clocks.c)
        )
    ).one()
    await schedule(uow, row.id, row.breach_at, warning_at)
    announce_start(uow, row)
    return row


# -- extensions -------------------------------------------------------------------------------------------------


def act_of(event: Fact, at: datetime) -> Act:
    # A request is itself the written report to the superior (complaint.extension_requested, SLA-14); it says
    # explicitly when the customer was not told.
    return Act(event=event.type, at=at, explained=event.data.get("explained_to_customer") is not False)


def recorded_acts(clock: Any) -> list[Act]:
    return [
        Act(event=e["event"], at=datetime.fromisoformat(e["at"]), explained=e["explained"])
        for e in clock.extensions
        if e.get("kind") == "act"
    ]


async def record_act(uow: UnitOfWork, clock: Any, event: Fact, at: datetime) -> None:
    """Keep a request or progress report on the clock: a later decision may rest on it (SLA-14)."""
    act = act_of(event, at)
    entry = {
        "kind": "act",
        "event": act.event,
        "at": iso(at),
        "in_window": at < clock.breach_at,
        "explained": act.explained,
        "until": iso(as_instant(event.data.get("until") or event.data.get("promised_reply_at"))),
        "by": event.data.get("by"),
    }
    await update(uow, clock, extensions=[*clock.extensions, entry])


async def extend(uow: UnitOfWork, stage: Stage, clock: Any, grant: ExtensionGrant, event: Fact, now: datetime) -> None:
    """Apply an extension grant (an approved decision, a progress report with a promised reply time, a time
    agreed with the customer) as the stage's extension rule allows: `sla.extended`, or a refusal on record."""
    data = event.data
    at = instant(data, grant.at)
    until = as_instant(data.get(grant.until))
    outcome = decide_extension(
        stage.extension,
        act_of(event, at),
        until,
        due_at=clock.due_at,
        breach_at=clock.breach_at,
        cap_at=clock.cap_at,
        recorded=recorded_acts(clock),
    )
    approver = data.get("approver") or data.get("by")
    if not outcome.granted or outcome.new_due_at is None:
        refused = {"kind": "refused", "event": event.type, "at": iso(at), "reason": outcome.reason, "by": approver}
        await update(uow, clock, extensions=[*clock.extensions, refused])
        log.info("extension refused", complaint_id=clock.complaint_id, stage=clock.stage, reason=outcome.reason)
        return
    if clock.breached:
        clock = await withdraw_breach(uow, clock, at, event.type)
    new_due = outcome.new_due_at
    warning_at = warning_instant(clock.started_at, new_due, stage.warning)
    if warning_at is not None and warning_at <= max(at, now):
        warning_at = None  # the extended window's warning point has passed already
    granted = {
        "kind": "granted",
        "event": event.type,
        "at": iso(at),
        "previous_due_at": iso(clock.due_at),
        "new_due_at": iso(new_due),
        "approver": approver,
        "reason": data.get("reason") or event.type,
        "capped": outcome.capped,
        "cap_at": iso(clock.cap_at),
    }
    paused = clock.state == "paused"
    previous_due = clock.due_at
    clock = await update(
        uow,
        clock,
        due_at=new_due,
        breach_at=breach_after(new_due),
        warning_at=warning_at,
        state="paused" if paused else "extended",
        due_basis="extension",
        extensions=[*clock.extensions, granted],
    )
    if not paused:
        await arm(uow, clock.id, clock.breach_at, warning_at)
    reason = str(data.get("reason") or event.type) + (" (capped by the regime's limit)" if outcome.capped else "")
    uow.emit(
        "sla.extended",
        SlaExtended(
            **{**common(clock), "rule": (stage.extension.rule or stage.rule)[0]},
            occurred_at=at,
            previous_due_at=previous_due,
            new_due_at=new_due,
            approver=approver,
            reason=reason,
            cap_at=clock.cap_at,
            warning_at=warning_at,
        ),
        tenant=clock.tenant,
    )


# -- pause and resume (CONTRACT §6) -----------------------------------------------------------------------------


def _operator_at(at: datetime, now: datetime) -> datetime:
    """An operator's `at`, to the second like every instant sla publishes, at most SKEW ahead of the business
    clock."""
    if at > now + SKEW:
        raise PermanentError(
            "the time is in the future", [FieldError("at", "must not be later than the business clock's now")]
        )
    return whole_second(at)


async def pause(uow: UnitOfWork, stage: Stage, clock: Any, at: datetime, reason: str) -> Any:
    at = _operator_at(at, uow.now())
    if not stage.pause_allowed:
        raise ConflictError(f"the regime does not allow pausing stage {stage.id}", rule=stage.rule[0])
    if clock.stopped_at is not None or clock.state not in LIVE:
        raise ConflictError(f"stage {stage.id} is {clock.state}, not running: it cannot be paused")
    if at < clock.started_at:
        raise PermanentError("the pause is before the stage started", [FieldError("at", "before started_at")])
    if at >= clock.breach_at:
        raise ConflictError(f"stage {stage.id} was already due at {iso(clock.due_at)}", rule=stage.rule[0])
    pauses = [*clock.pauses, {"paused_at": iso(at), "resumed_at": None, "reason": reason}]
    clock = await update(uow, clock, state="paused", paused_at=at, pauses=pauses)
    await disarm(uow, clock.id)
    uow.emit("sla.paused", SlaPaused(**common(clock), occurred_at=at, at=at, reason=reason), tenant=clock.tenant)
    return clock


async def resume(
    uow: UnitOfWork, stage: Stage, clock: Any, at: datetime, calendar: WorkingCalendar, reason: str | None
) -> Any:
    at = _operator_at(at, uow.now())
    if clock.state != "paused" or clock.paused_at is None:
        raise ConflictError(f"stage {stage.id} is {clock.state}, not paused: it cannot be resumed")
    if at < clock.paused_at:
        raise PermanentError("the resumption is before the pause", [FieldError("at", "before the pause")])
    kind = ClockKind(clock.clock)
    new_due = resumed_due(calendar, kind, clock.due_at, clock.paused_at, at)
    breach_at = breach_of(kind, new_due) if clock.due_basis == "count" else breach_after(new_due)
    warning_at = warning_instant(clock.started_at, new_due, stage.warning)
    if warning_at is not None and warning_at <= at:
        warning_at = None
    pauses = [*clock.pauses[:-1], {**clock.pauses[-1], "resumed_at": iso(at)}]
    previous_due = clock.due_at
    state = "extended" if clock.due_basis == "extension" else "running"
    clock = await update(
        uow,
        clock,
        state=state,
        paused_at=None,
        pauses=pauses,
        due_at=new_due,
        breach_at=breach_at,
        warning_at=warning_at,
    )
    await arm(uow, clock.id, breach_at, warning_at)
    uow.emit(
        "sla.resumed",
        SlaResumed(**common(clock), occurred_at=at, at=at, reason=reason, previous_due_at=previous_due),
        tenant=clock.tenant,
    )
    return clock
