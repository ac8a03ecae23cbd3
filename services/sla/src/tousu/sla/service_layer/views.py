"""What `GET .../clocks` and `.../explain` show of a clock (CONTRACT §6): its row as the platform publishes it, and
the days and hours its deadline counted."""

from typing import Any

from tousu.contracts.policy import Policy
from tousu.contracts.types import ClockKind, iso
from tousu.sla.service_layer.world import World


def clock_view(c: Any) -> dict[str, Any]:
    """A clock as CONTRACT §6 lists it. `clock` is the kind and `length` counts in its unit: working days, hours,
    minutes (CONTRACT §6 names `minutes` among the hour counts but not in its list of kinds), working hours,
    calendar days, or the occurrence of a `daily_at` time; `same_day` has length 0."""
    return {
        "stage": c.stage,
        "cycle": c.cycle,
        "owner_unit": c.owner_unit,
        "clock": c.clock,
        "length": float(c.length) if c.length % 1 else int(c.length),
        "started_at": iso(c.started_at),
        "due_at": iso(c.due_at),
        "breach_at": iso(c.breach_at),
        "warning_at": iso(c.warning_at),
        "stopped_at": iso(c.stopped_at),
        "state": c.state,
        "breach_withdrawn": c.breach_withdrawn,
        "provisional": c.provisional,
        "provisional_years": c.provisional_years,
        "due_basis": c.due_basis,
        "cap_at": iso(c.cap_at),
        "paused_at": iso(c.paused_at),
        "pauses": c.pauses,
        "extensions": c.extensions,
        "start_event": c.start_event,
        "rule": c.rule,
        "policy_version": c.policy_version,
    }


def explain_view(world: World, policy: Policy, clock: Any) -> dict[str, Any]:
    """The clock, the calendar its owner counts on (business hours, overrides), and every day from day 0 through
    the due day with why it counted or not; pauses and extensions are on the clock itself."""
    stage = policy.stage(clock.stage)
    calendar = world.calendar(clock.owner_unit, policy)
    kind = ClockKind(clock.clock)
    days = calendar.explain(
        clock.started_at,
        kind,
        clock.length,
        daily_at=stage.daily_at if kind is ClockKind.DAILY_AT else None,
        postpone_to_working_day=kind is ClockKind.CALENDAR_DAYS and policy.calendar.calendar_days_postponed_on_holiday,
    )
    return {
        **clock_view(clock),
        "calendar": {
            "business_hours": calendar.business_hours.to_dict()["periods"],
            "overrides": calendar.overrides.to_dict(),
        },
        "days": [d.to_dict() for d in days],
    }
