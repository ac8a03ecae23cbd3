"""Counting rules per clock kind (DOMAIN §0.3 CONV-02..06), over any function that gives a day's status.

Each count returns its due instant, its breach instant, the days whose status the result depended on (so the
caller can tell whether it is provisional) and the explained days from day 0 through the due day. Hour lengths are
integer microseconds so that working-hour sums are exact.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from tousu.contracts.types import SHANGHAI
from tousu.kit.calendar.model import BusinessHours, DayInfo, ExplainedDay

StatusFn = Callable[[date], DayInfo]

ONE_DAY = timedelta(days=1)
ONE_SECOND = timedelta(seconds=1)
LAST_SECOND = time(23, 59, 59)


@dataclass(frozen=True, slots=True)
class Count:
    due_at: datetime
    breach_at: datetime
    relied: tuple[DayInfo, ...]
    """Days whose working/rest status the due time depends on."""
    days: tuple[ExplainedDay, ...]


def whole_number(length: int | float | Decimal, what: str = "length") -> int:
    """A day count: a non-negative whole number (2, 2.0 and Decimal('2') are all 2)."""
    if isinstance(length, bool):
        raise TypeError(f"{what} must be a number, not a bool")
    value = Decimal(repr(length)) if isinstance(length, float) else Decimal(length)
    if not value.is_finite() or value != value.to_integral_value():
        raise ValueError(f"{what} must be a whole number of days, got {length!r}")
    if value < 0:
        raise ValueError(f"{what} must not be negative, got {length!r}")
    return int(value)


def microseconds(length: int | float | Decimal, unit: timedelta, what: str = "length") -> int:
    """`length` units (hours or minutes, fractions allowed) as whole microseconds, rounded half-even."""
    if isinstance(length, bool):
        raise TypeError(f"{what} must be a number, not a bool")
    # repr() of a float is its shortest round-trip form: 0.1 h is 360 s, not 359.999... s.
    value = Decimal(repr(length)) if isinstance(length, float) else Decimal(length)
    if not value.is_finite():
        raise ValueError(f"{what} must be finite, got {length!r}")
    if value < 0:
        raise ValueError(f"{what} must not be negative, got {length!r}")
    unit_us = unit // timedelta(microseconds=1)
    return int((value * unit_us).to_integral_value(ROUND_HALF_EVEN))


def start_of_day(d: date) -> datetime:
    return datetime.combine(d, time(0), SHANGHAI)


def end_of_day(d: date) -> datetime:
    """Day counts end at the day's last second (CONTRACT §6)."""
    return datetime.combine(d, LAST_SECOND, SHANGHAI)


def explained(
    info: DayInfo,
    *,
    counted: bool,
    number: int | None = None,
    periods: tuple[tuple[datetime, datetime], ...] = (),
    note: str = "",
) -> ExplainedDay:
    return ExplainedDay(
        date=info.date,
        working=info.working,
        reason=info.reason,
        provisional=info.provisional,
        source=info.source,
        counted=counted,
        number=number,
        periods=periods,
        note=note,
    )


def step_working_days(status: StatusFn, d: date, n: int) -> date:
    """The n-th working day after `d` (before it when n < 0); `d` itself when n == 0 (CONV-02 counting)."""
    step = ONE_DAY if n >= 0 else -ONE_DAY
    remaining = abs(n)
    while remaining:
        d += step
        if status(d).working:
            remaining -= 1
    return d


def working_days_between(status: StatusFn, a: date, b: date) -> int:
    """Working days d with a < d <= b (negative, counted the other way, when b < a): CONV-02's count."""
    if b < a:
        return -working_days_between(status, b, a)
    count = 0
    d = a
    while d < b:
        d += ONE_DAY
        if status(d).working:
            count += 1
    return count


def count_working_days(status: StatusFn, start: datetime, n: int) -> Count:
    """CONV-02: the start's calendar day is day 0, never counted, working or not; the deadline is 23:59:59 of the
    n-th working day after it. n == 0 ends with day 0 itself."""
    day = start.date()
    first = status(day)
    relied = [first]
    days = [explained(first, counted=False, note="day 0: the event's day, not counted (CONV-02)")]
    k = 0
    while k < n:
        day += ONE_DAY
        info = status(day)
        relied.append(info)
        if info.working:
            k += 1
            days.append(explained(info, counted=True, number=k, note=f"working day {k} of {n}"))
        else:
            days.append(explained(info, counted=False, note="rest day, not counted"))
    due = end_of_day(day)
    return Count(due, due + ONE_SECOND, tuple(relied), tuple(days))


def count_calendar_days(status: StatusFn, start: datetime, n: int, *, postpone_to_working_day: bool) -> Count:
    """CONV-05: day 0 is the start's day; the deadline is 23:59:59 of day n. The seeds do not say whether a last
    day on a rest day moves on [GAP]; by default it does not, and only then does the calendar matter."""
    day0 = start.date()
    days = [explained(status(day0), counted=False, note="day 0: the event's day, not counted (CONV-05)")]
    for i in range(1, n + 1):
        days.append(explained(status(day0 + i * ONE_DAY), counted=True, number=i, note=f"day {i} of {n}"))
    due_day = day0 + n * ONE_DAY
    relied: list[DayInfo] = []
    if postpone_to_working_day:
        info = status(due_day)
        relied.append(info)
        while not info.working:
            due_day += ONE_DAY
            info = status(due_day)
            relied.append(info)
            days.append(explained(info, counted=False, note="last day was a rest day: moved on (CONV-05)"))
    due = end_of_day(due_day)
    return Count(due, due + ONE_SECOND, tuple(relied), tuple(days))


def count_same_day(status: StatusFn, start: datetime) -> Count:
    """CONV-06: 23:59:59 of the start's own calendar day, whatever the day is."""
    day = start.date()
    due = end_of_day(day)
    days = (explained(status(day), counted=True, note="same day (CONV-06)"),)
    return Count(due, due + ONE_SECOND, (), days)


def _wall_clock_days(status: StatusFn, start: datetime, due: datetime, note: str) -> tuple[ExplainedDay, ...]:
    days = []
    day = start.date()
    while day <= due.date():
        lo = max(start, start_of_day(day))
        hi = min(due, start_of_day(day + ONE_DAY))
        periods = ((lo, hi),) if lo < hi else ()
        days.append(explained(status(day), counted=bool(periods), periods=periods, note=note if periods else ""))
        day += ONE_DAY
    return tuple(days)


def count_wall_clock(status: StatusFn, start: datetime, us: int) -> Count:
    """CONV-03: hours (or minutes) on the wall clock, through nights, weekends and holidays."""
    due = start + timedelta(microseconds=us)
    days = _wall_clock_days(status, start, due, "wall-clock time, counted whatever the day (CONV-03)")
    return Count(due, due, (), days)


def count_working_hours(status: StatusFn, start: datetime, us: int, hours: BusinessHours) -> Count:
    """CONV-04: only time inside business hours on working days counts. The due time is the earliest instant by
    which `us` of such time has passed since `start`: a start outside business hours effectively begins at the
    next opening, and a count that runs out exactly at a closing time is due at that closing time."""
    day = start.date()
    at = start
    remaining = us
    relied: list[DayInfo] = []
    days: list[ExplainedDay] = []
    due: datetime | None = at if remaining == 0 else None
    while True:
        info = status(day)
        relied.append(info)
        periods: list[tuple[datetime, datetime]] = []
        if info.working and due is None:
            for open_t, close_t in hours.periods:
                lo = max(at, datetime.combine(day, open_t, SHANGHAI))
                hi = datetime.combine(day, close_t, SHANGHAI)
                if hi <= lo:
                    continue
                available = (hi - lo) // timedelta(microseconds=1)
                if available >= remaining:
                    due = lo + timedelta(microseconds=remaining)
                    periods.append((lo, due))
                    break
                remaining -= available
                periods.append((lo, hi))
        if periods:
            note = "business hours counted (CONV-04)"
        elif info.working:
            note = "working day, no business hours left to count" if due is None else ""
        else:
            note = "rest day, not counted (CONV-04)"
        days.append(explained(info, counted=bool(periods), periods=tuple(periods), note=note))
        if due is not None:
            return Count(due, due, tuple(relied), tuple(days))
        day += ONE_DAY
        at = start_of_day(day)


def count_daily_at(status: StatusFn, start: datetime, at: time, n: int) -> Count:
    """A time of day (e.g. a progress report by 17:00 daily): the n-th occurrence of `at` strictly after `start`.

    Strictly after, so a duty re-armed at its own due instant falls due the next day, never at once. Every
    calendar day has an occurrence; rest days are not skipped (the seeds' 'daily' does not exempt them).
    """
    due = datetime.combine(start.date(), at, SHANGHAI)
    if due <= start:
        due += ONE_DAY
    due += (n - 1) * ONE_DAY
    days = []
    day = start.date()
    while day < due.date():
        days.append(explained(status(day), counted=False))
        day += ONE_DAY
    note = f"due at {at.isoformat('minutes')}, occurrence {n} after the start (daily_at)"
    days.append(explained(status(day), counted=True, note=note))
    return Count(due, due, (), tuple(days))
