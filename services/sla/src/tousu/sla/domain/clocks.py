"""Pure rules of a stage clock: who owns it, how long it runs, when it warns and breaches, how a pause or an
extension moves its due (DOMAIN §4, CONV-02..07, CONTRACT §6). No I/O: the calendar is passed in."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from tousu.contracts.policy import Extension, Stage
from tousu.contracts.types import SHANGHAI, ClockKind
from tousu.kit.calendar import WorkingCalendar

ONE_SECOND = timedelta(seconds=1)
LAST_SECOND = time(23, 59, 59)


def lookup(data: Mapping[str, Any], path: str) -> Any:
    """A dotted field of an event's data (`fault.severity`), or None."""
    current: Any = data
    for part in path.split("."):
        if not isinstance(current, Mapping) or part not in current:
            return None
        current = current[part]
    return current


def owner_of(
    stage: Stage,
    event_data: Mapping[str, Any],
    facts: Mapping[str, Any],
    holder: str | None,
    parent_of: Callable[[str], str | None],
    kind_of: Callable[[str], str | None],
) -> str | None:
    """The unit that owns the clock, from the stage's `owner` keyword (policy data, never a regime branch)."""
    owner = stage.owner
    base = holder or event_data.get("unit") or facts.get("receiving_unit")
    direct: dict[str, Any] = {
        "assignee": event_data.get("unit") or event_data.get("to_unit") or holder,
        "receiving_unit": facts.get("receiving_unit"),
        "respondent_unit": facts.get("respondent_unit"),
        "forward_target": event_data.get("to_unit") or holder,
        "holder": holder or facts.get("receiving_unit"),
        "superior": parent_of(str(base)) if base else None,
        "lodged_with": event_data.get("lodged_with"),
    }
    if owner in direct:
        value = direct[owner]
        return str(value) if value else None
    if owner.startswith("role:"):
        wanted = owner.removeprefix("role:")
        unit: str | None = str(base) if base else None
        while unit is not None:
            if kind_of(unit) == wanted:
                return unit
            unit = parent_of(unit)
        return str(base) if base else None
    return None


def stage_length(stage: Stage, base_length: int, event_data: Mapping[str, Any], facts: Mapping[str, Any]) -> int:
    """`length_by` picks the length from a field of the start event or the complaint (e.g. fault severity);
    a value it does not list, or no value, keeps the stage's own length."""
    if stage.length_by is None:
        return base_length
    value = lookup(event_data, stage.length_by.field)
    if value is None:
        value = lookup(facts, stage.length_by.field)
    return stage.length_by.values.get(str(value), base_length) if value is not None else base_length


def whole_second(value: datetime) -> datetime:
    """An instant as the platform counts and publishes it: to the second (CONTRACT §6 stamps), in +08:00.

    Producers stamp events with the business clock, which runs with microseconds; every instant a clock derives
    (start, due, warning, breach, stop) would carry that fraction. The second the event happened in is its time.
    """
    return value.astimezone(SHANGHAI).replace(microsecond=0)


def as_instant(value: Any) -> datetime | None:
    """An instant from event data, to the second: an aware ISO-8601 string or datetime; a bare date is its last
    second (CONV-07)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        return end_of_day(value)
    elif len(text := str(value)) == 10:
        return end_of_day(date.fromisoformat(text))
    else:
        parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        raise ValueError("instants must carry their offset (CONV-01)")
    return whole_second(parsed)


def breach_after(due_at: datetime) -> datetime:
    """The breach instant of a due given as an instant (an extension, a promised reply time, a transfer's own
    deadline): a day's last second breaches at the next second, like a day count; any other instant at itself."""
    local = due_at.astimezone(SHANGHAI)
    return due_at + ONE_SECOND if local.time() == LAST_SECOND else due_at


def breach_of(kind: ClockKind, due_at: datetime) -> datetime:
    """CONTRACT §6: day counts breach at the next second after 23:59:59, hour counts at the instant itself."""
    return due_at + ONE_SECOND if kind.counts_days else due_at


def warning_instant(started_at: datetime, due_at: datetime, fraction: float | None) -> datetime | None:
    """CONV-12: the warning point as a fraction of the stage window (none when the policy names none), to the
    second (floored: a window of whole seconds need not split into whole seconds)."""
    if fraction is None or due_at <= started_at:
        return None
    return whole_second(started_at + (due_at - started_at) * fraction)


def stopped_in_time(stopped_at: datetime, breach_at: datetime) -> bool:
    """A stop is in time when it happened before the breach instant (CONTRACT §6 stamps)."""
    return stopped_at < breach_at


def end_of_day(d: date) -> datetime:
    return datetime.combine(d, LAST_SECOND, SHANGHAI)


# -- pauses ---------------------------------------------------------------------------------------------------------


def business_time_between(calendar: WorkingCalendar, a: datetime, b: datetime) -> timedelta:
    """Time inside business hours on working days between two instants (CONV-04), 0 when b <= a."""
    if b <= a:
        return timedelta(0)
    a, b = a.astimezone(SHANGHAI), b.astimezone(SHANGHAI)
    total = timedelta(0)
    day = a.date()
    while day <= b.date():
        if calendar.is_working_day(day):
            for opens, closes in calendar.business_hours.periods:
                lo = max(a, datetime.combine(day, opens, SHANGHAI))
                hi = min(b, datetime.combine(day, closes, SHANGHAI))
                if hi > lo:
                    total += hi - lo
        day += timedelta(days=1)
    return total


def resumed_due(
    calendar: WorkingCalendar, kind: ClockKind, due_at: datetime, paused_at: datetime, resumed_at: datetime
) -> datetime:
    """The due after a pause: what was left of the clock at the pause, counted again from the resume.

    Wall-clock kinds move by the paused time. Working hours keep the business time that was left. Working days
    keep the working days after the pause day (the pause day counts as used, the resume day is a new day 0, as
    CONV-02 counts); calendar days and same day keep the calendar days that were left.
    """
    if resumed_at <= paused_at:
        return due_at
    paused_local, resumed_local = paused_at.astimezone(SHANGHAI), resumed_at.astimezone(SHANGHAI)
    due_local = due_at.astimezone(SHANGHAI)
    match kind:
        case ClockKind.WORKING_HOURS:
            left = business_time_between(calendar, paused_at, due_at)
            hours = Decimal(left // timedelta(microseconds=1)) / Decimal(3_600_000_000)
            return calendar.deadline(resumed_at, ClockKind.WORKING_HOURS, hours).due_at
        case ClockKind.WORKING_DAYS:
            left_days = calendar.working_days_between(paused_local.date(), due_local.date())
            day = resumed_local.date()
            if left_days > 0:
                day = calendar.add_working_days(day, left_days)
            elif not calendar.is_working_day(day):
                day = calendar.add_working_days(day, 1)
            return end_of_day(day)
        case ClockKind.CALENDAR_DAYS | ClockKind.SAME_DAY:
            left = due_local.date() - paused_local.date()
            return end_of_day(resumed_local.date() + max(left, timedelta(0)))
        case _:
            return due_at + (resumed_at - paused_at)


# -- extensions -----------------------------------------------------------------------------------------------------

APPROVALS = frozenset({"complaint.extension_decided", "complaint.approval_decided"})
REQUIREMENT_ACTS: dict[str, frozenset[str]] = {
    "approval": APPROVALS,
    "explanation": frozenset({"complaint.extension_requested"}),
    "written_report": frozenset({"complaint.extension_requested"}),
    "progress_report": frozenset({"complaint.progress_reported"}),
    "customer_agreement": frozenset({"complaint.extension_requested"}),
}
"""Which recorded act satisfies each `requires` item of a policy's extension rule (policy.Extension)."""


@dataclass(frozen=True)
class Act:
    """Something the owner or its superior did toward an extension: a request, a progress report, a decision."""

    event: str
    at: datetime
    explained: bool = True
    """False when the request says the customer was not told (no explanation, SLA-14)."""

    def satisfies(self, requirement: str) -> bool:
        if self.event not in REQUIREMENT_ACTS[requirement]:
            return False
        return self.explained if requirement == "explanation" else True


@dataclass(frozen=True)
class ExtensionOutcome:
    granted: bool
    reason: str
    new_due_at: datetime | None = None
    capped: bool = False


def decide_extension(
    rule: Extension,
    grant: Act,
    until: datetime | None,
    *,
    due_at: datetime,
    breach_at: datetime,
    cap_at: datetime | None,
    recorded: list[Act],
) -> ExtensionOutcome:
    """Whether a grant moves the due, and to when (SLA-05, SLA-14, SLA-21).

    Every requirement needs an act: the grant itself or one recorded earlier. With `within_window`, the owner's
    own acts (explanation, written report, progress report, customer agreement) must have happened before the
    breach instant; the superior's approval may come later when the owner asked in time, but an approval that is
    the only requirement must itself be in time. The new due never passes the cap (counted from the start).
    """
    if not rule.allowed:
        return ExtensionOutcome(False, "the regime allows no extension of this stage")
    acts = [grant, *recorded]
    for requirement in rule.requires:
        candidates = [a for a in acts if a.satisfies(requirement)]
        if not candidates:
            return ExtensionOutcome(False, f"requirement {requirement} not met")
        in_time = any(a.at < breach_at for a in candidates)
        if rule.within_window and requirement != "approval" and not in_time:
            return ExtensionOutcome(False, f"requirement {requirement} not met inside the limit")
    only_approval = set(rule.requires) <= {"approval"}
    if rule.within_window and only_approval and grant.at >= breach_at:
        return ExtensionOutcome(False, "granted after the limit had passed")
    target = until if until is not None else cap_at
    if target is None:
        return ExtensionOutcome(False, "no new due time given")
    capped = cap_at is not None and target > cap_at
    if capped:
        assert cap_at is not None
        target = cap_at
    if target <= due_at:
        return ExtensionOutcome(False, "the new due time is not later than the current one")
    return ExtensionOutcome(True, "granted" + (" (capped)" if capped else ""), target, capped)
