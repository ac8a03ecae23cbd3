"""Events produced by sla (ARCHITECTURE §1, §5): one clock per complaint and stage.

Every sla event names the stage (a stage id of the regime's policy, DOMAIN §4), its owner unit, how it is counted
and its due time as it stands after the event. A deadline counted in days is the last second of its last day and
its breach is stamped at the next second; hours, working hours, minutes and `daily_at` breach at the instant
(CONTRACT §6). A stage that ends in time yields `sla.met`; one that ends otherwise `sla.clock_stopped`.
"""

from typing import Any, Self

from pydantic import model_validator

from tousu.contracts.events.base import EventData, event
from tousu.contracts.types import BusinessTime, ClockKind, Id


class StageEventData(EventData):
    """Fields every sla event carries (CONTRACT §9)."""

    complaint_id: str
    regime: str
    stage: str
    owner_unit: Id
    clock: ClockKind
    due_at: BusinessTime
    """The stage's due time as it stands after this event."""
    cycle: int | None = None
    """Which run of the stage this is when a stage can start again for the same complaint (a 2nd dispatch: 2)."""
    reference: str | None = None


@event("sla.clock_started", "sla")
class SlaClockStarted(StageEventData):
    """A stage clock started. `provisional`: the deadline reaches into a year the calendar does not know yet, so
    only weekends were counted as rest days; `sla.rescheduled` follows when that year is loaded (ARCHITECTURE §5)."""

    started_at: BusinessTime
    warning_at: BusinessTime | None = None
    provisional: bool = False
    policy_version: str
    start_event: str | None = None
    """The event type that started it (e.g. complaint.forwarded)."""


@event("sla.warning", "sla")
class SlaWarning(StageEventData):
    """The stage reached its warning point (CONV-12) and is still running."""

    warning_at: BusinessTime


@event("sla.breached", "sla")
class SlaBreached(StageEventData):
    """The stage ran past its due time. `breached_at` is the next second after a day count's 23:59:59,
    the due instant itself otherwise."""

    breached_at: BusinessTime
    started_at: BusinessTime | None = None


@event("sla.breach_withdrawn", "sla")
class SlaBreachWithdrawn(StageEventData):
    """A stop that happened in time arrived after the breach was published: the breach is void, the stage met."""

    breached_at: BusinessTime
    stopped_at: BusinessTime
    stop_event: str | None = None


@event("sla.met", "sla")
class SlaMet(StageEventData):
    """The stage ended in time."""

    stopped_at: BusinessTime
    stop_event: str | None = None
    """The event type that stopped it (e.g. complaint.replied)."""
    started_at: BusinessTime | None = None


@event("sla.clock_stopped", "sla")
class SlaClockStopped(StageEventData):
    """The stage ended otherwise than by meeting it: withdrawn, closed at intake, closed, superseded."""

    stopped_at: BusinessTime
    reason: str
    """withdrawn, closed_at_intake, closed, superseded, ..."""
    stop_event: str | None = None


@event("sla.extended", "sla")
class SlaExtended(StageEventData):
    """The due time moved later: an approved extension or a promised reply time (SLA-05, SLA-14). `due_at` is
    the new due time, equal to `new_due_at` (filled from it when left out)."""

    previous_due_at: BusinessTime
    new_due_at: BusinessTime
    approver: str | None = None
    reason: str
    cap_at: BusinessTime | None = None
    """The latest due time the regime allows (e.g. 7 WD from receipt, SLA-21), where it has one."""
    warning_at: BusinessTime | None = None

    @model_validator(mode="before")
    @classmethod
    def _due_at_is_new_due_at(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("due_at") is None and data.get("new_due_at") is not None:
            return {**data, "due_at": data["new_due_at"]}
        return data

    @model_validator(mode="after")
    def _same_due(self) -> Self:
        if self.due_at != self.new_due_at:
            raise ValueError("due_at must equal new_due_at")
        return self


@event("sla.paused", "sla")
class SlaPaused(StageEventData):
    """The clock was paused where the regime allows it (e.g. waiting for the customer's documents)."""

    at: BusinessTime
    reason: str


@event("sla.resumed", "sla")
class SlaResumed(StageEventData):
    """The clock runs again; `due_at` is the due time moved by the paused time."""

    at: BusinessTime
    reason: str | None = None
    previous_due_at: BusinessTime | None = None


@event("sla.rescheduled", "sla")
class SlaRescheduled(StageEventData):
    """The due time was recomputed after a calendar year was loaded (CONTRACT §6 `PUT /v1/calendars/{year}`)."""

    previous_due_at: BusinessTime
    provisional: bool
    """Whether the new due time is still provisional."""
    reason: str | None = None
    """calendar_loaded, ..."""
    warning_at: BusinessTime | None = None
    year: int | None = None


__all__ = [
    "SlaBreachWithdrawn",
    "SlaBreached",
    "SlaClockStarted",
    "SlaClockStopped",
    "SlaExtended",
    "SlaMet",
    "SlaPaused",
    "SlaRescheduled",
    "SlaResumed",
    "SlaWarning",
    "StageEventData",
]
