"""Value types of the working-day calendar: loaded years, organisation overrides, business hours, results.

Plain frozen dataclasses: no I/O, cheap to build, each with `to_dict()` giving JSON-ready values (ISO dates,
ISO-8601 instants with +08:00, CONV-01).
"""

from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any

from tousu.contracts.types import SHANGHAI, ClockKind


class DayReason(StrEnum):
    """Why a day is a working day or a rest day (CONTRACT §6 explain view)."""

    WORKING_DAY = "working_day"
    WEEKEND = "weekend"
    HOLIDAY = "holiday"
    MAKE_UP_WORKING_DAY = "make_up_working_day"
    """調休上班: a Saturday or Sunday declared a working day."""
    OVERRIDE_HOLIDAY = "override_holiday"
    OVERRIDE_WORKING_DAY = "override_working_day"
    PROVISIONAL = "provisional"
    """The year is known to neither the package nor loaded data: weekends are the only rest days."""


def _date_set(values: Iterable[date], what: str) -> frozenset[date]:
    out = frozenset(values)
    for d in out:
        # datetime is a subclass of date; a datetime here is almost certainly a caller's mistake.
        if not isinstance(d, date) or isinstance(d, datetime):
            raise TypeError(f"{what}: expected dates, got {d!r}")
    return out


def _iso_dates(values: Iterable[date]) -> list[str]:
    return [d.isoformat() for d in sorted(values)]


@dataclass(frozen=True, slots=True)
class YearCalendar:
    """One year's rest days and make-up working days, loaded as data (CONV-08, CONTRACT §6 `PUT /v1/calendars`).

    Loading a year replaces what the chinese-calendar package says for it. `holidays` are rest days (weekdays in
    practice; a weekend date may be listed too and is then reported as a holiday), `working_days` are make-up
    working days (调休上班, weekends in practice). Any other Saturday or Sunday is rest, any other weekday is work.
    """

    year: int
    holidays: Set[date]
    working_days: Set[date]
    source: str

    def __post_init__(self) -> None:
        holidays = _date_set(self.holidays, "holidays")
        working = _date_set(self.working_days, "working_days")
        stray = sorted(d for d in holidays | working if d.year != self.year)
        if stray:
            raise ValueError(f"calendar {self.year} lists dates of another year: {_iso_dates(stray)}")
        both = holidays & working
        if both:
            raise ValueError(f"calendar {self.year} lists dates as both holiday and working day: {_iso_dates(both)}")
        object.__setattr__(self, "holidays", holidays)
        object.__setattr__(self, "working_days", working)

    def to_dict(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "holidays": _iso_dates(self.holidays),
            "working_days": _iso_dates(self.working_days),
            "source": self.source,
        }

    @classmethod
    def from_dict(cls, year: int, data: Mapping[str, Any]) -> "YearCalendar":
        """Build from the JSON body of `PUT /v1/calendars/{year}`: ISO date strings, and a `source`."""
        return cls(
            year=year,
            holidays={date.fromisoformat(s) for s in data.get("holidays", ())},
            working_days={date.fromisoformat(s) for s in data.get("working_days", ())},
            source=str(data.get("source", "")),
        )


@dataclass(frozen=True, slots=True)
class OrgOverrides:
    """An organisation's own extra rest days and extra working days; they win over every year source."""

    holidays: Set[date] = frozenset()
    working_days: Set[date] = frozenset()
    source: str = "organisation override"

    def __post_init__(self) -> None:
        holidays = _date_set(self.holidays, "holidays")
        working = _date_set(self.working_days, "working_days")
        both = holidays & working
        if both:
            raise ValueError(f"override lists dates as both holiday and working day: {_iso_dates(both)}")
        object.__setattr__(self, "holidays", holidays)
        object.__setattr__(self, "working_days", working)

    def to_dict(self) -> dict[str, Any]:
        return {
            "holidays": _iso_dates(self.holidays),
            "working_days": _iso_dates(self.working_days),
            "source": self.source,
        }


def _parse_time(text: str) -> time:
    return time.fromisoformat(text.strip())


@dataclass(frozen=True, slots=True)
class BusinessHours:
    """Opening periods of a working day, e.g. 08:30-12:00 and 14:30-17:30, for working-hour counts (CONV-04).

    Periods are half-open [start, end), naive local (+08:00) times, sorted and not overlapping. The same periods
    apply on every working day, make-up working days included.
    """

    periods: tuple[tuple[time, time], ...]

    def __post_init__(self) -> None:
        periods = tuple((s, e) for s, e in self.periods)
        if not periods:
            raise ValueError("business hours need at least one period")
        previous_end: time | None = None
        for start, end in periods:
            if start.tzinfo is not None or end.tzinfo is not None:
                raise ValueError("business hours are naive local times (+08:00 implied)")
            if not start < end:
                raise ValueError(f"business period {start}-{end} does not end after it starts")
            if previous_end is not None and start < previous_end:
                raise ValueError("business periods must be sorted and must not overlap")
            previous_end = end
        object.__setattr__(self, "periods", periods)

    @classmethod
    def of(cls, *periods: str) -> "BusinessHours":
        """`BusinessHours.of("08:30-12:00", "14:30-17:30")`."""
        parsed: list[tuple[time, time]] = []
        for text in periods:
            start, sep, end = text.partition("-")
            if not sep:
                raise ValueError(f"business period {text!r} is not 'HH:MM-HH:MM'")
            parsed.append((_parse_time(start), _parse_time(end)))
        return cls(tuple(parsed))

    def to_dict(self) -> dict[str, Any]:
        return {"periods": [f"{s.isoformat('minutes')}-{e.isoformat('minutes')}" for s, e in self.periods]}


DEFAULT_BUSINESS_HOURS = BusinessHours.of("09:00-17:00")
"""Used for working-hour counts when a calendar is built without business hours."""


@dataclass(frozen=True, slots=True)
class DayInfo:
    """A day's status. `provisional`: its year is known to neither the package nor loaded data."""

    date: date
    working: bool
    reason: DayReason
    provisional: bool = False
    source: str = ""
    """Where the status came from: a loaded year's `source`, the package and its version, an override, or
    'weekends only' for a provisional day."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "date": self.date.isoformat(),
            "working": self.working,
            "reason": self.reason.value,
            "provisional": self.provisional,
            "source": self.source,
        }


@dataclass(frozen=True, slots=True)
class Deadline:
    """The result of counting a clock from `start`.

    `due_at` is the last instant in time (23:59:59 of the last day for day counts, CONTRACT §6); `breach_at` is
    the next second for day counts and `due_at` itself for hours, minutes, working hours and `daily_at`.
    `years` are the years whose calendar the result depends on (empty for wall-clock and plain calendar counts);
    `provisional_years` the ones among them known to neither the package nor loaded data, so `provisional` is True
    when it is not empty and the deadline must be recomputed when those years are loaded (ARCHITECTURE §5).
    """

    start: datetime
    clock: ClockKind
    due_at: datetime
    breach_at: datetime
    provisional: bool = False
    years: tuple[int, ...] = ()
    provisional_years: tuple[int, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": self.start.astimezone(SHANGHAI).isoformat(),
            "clock": self.clock.value,
            "due_at": self.due_at.astimezone(SHANGHAI).isoformat(),
            "breach_at": self.breach_at.astimezone(SHANGHAI).isoformat(),
            "provisional": self.provisional,
            "years": list(self.years),
            "provisional_years": list(self.provisional_years),
        }


@dataclass(frozen=True, slots=True)
class ExplainedDay:
    """One calendar day of a count, from day 0 (the start's day) through the due day (CONTRACT §6 explain view).

    `counted`: the day contributed to the count. `number`: the working-day number for working-day counts (WD1..N),
    the day number for calendar-day counts (1..N); None otherwise. `periods`: the stretches of time counted on
    that day for hour counts (wall clock or business hours). `note` says in words what the day did.
    """

    date: date
    working: bool
    reason: DayReason
    provisional: bool
    source: str
    counted: bool
    number: int | None = None
    periods: tuple[tuple[datetime, datetime], ...] = field(default=())
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "date": self.date.isoformat(),
            "working": self.working,
            "reason": self.reason.value,
            "provisional": self.provisional,
            "source": self.source,
            "counted": self.counted,
            "number": self.number,
            "periods": [
                {"from": s.astimezone(SHANGHAI).isoformat(), "to": e.astimezone(SHANGHAI).isoformat()}
                for s, e in self.periods
            ],
            "note": self.note,
        }
