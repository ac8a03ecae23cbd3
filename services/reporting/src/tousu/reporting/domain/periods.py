"""Report periods and due times (DOMAIN §6, CONV-07), pure.

A period is named `2026` (annual), `2026-H1` (semiannual), `2026-Q3` (quarterly), `2026-07` (monthly) or `2026-W27`
(ISO week). It covers [start, end) in Asia/Shanghai. A policy's `due` is counted from it:

* `period_end` is the period's last day, `period_start` its first; `+Nd` adds calendar days and `+Nwd` working days
  (CONV-02), and the due is the last second of the day reached (CONV-07 inclusive: "before 30 July" = 07-30T23:59:59;
  no postponement when it is a rest day, AS-24);
* `+Nh` adds hours to the period's end boundary (or to the event for `event+Nh`);
* an ISO date is that day's last second; no due (`None`) is a [GAP] the regime leaves open.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from tousu.contracts.types import SHANGHAI
from tousu.kit.calendar import WorkingCalendar

CALENDAR_PERIODS = ("weekly", "monthly", "quarterly", "semiannual", "annual")
"""Policy periods that fall due on the calendar; `event` reports follow a fact, the others are ad hoc."""

_PERIOD_RE = re.compile(r"^(\d{4})(?:-(H[12]|Q[1-4]|W\d{2}|\d{2}))?$")
_DUE_RE = re.compile(r"^(period_start|period_end|event)(?:\+(\d+)(d|wd|h))?$")


class PeriodError(ValueError):
    """A period name or due expression that cannot be read."""


@dataclass(frozen=True, order=True)
class Period:
    start: datetime
    end: datetime
    """Exclusive."""
    name: str

    @property
    def first_day(self) -> date:
        return self.start.date()

    @property
    def last_day(self) -> date:
        return (self.end - timedelta(days=1)).date()

    def contains(self, instant: datetime) -> bool:
        return self.start <= instant < self.end


def _midnight(d: date) -> datetime:
    return datetime.combine(d, time(0), SHANGHAI)


def _month_start(year: int, month: int) -> date:
    year += (month - 1) // 12
    return date(year, (month - 1) % 12 + 1, 1)


def parse_period(name: str) -> Period:
    """`2026`, `2026-H1`, `2026-Q3`, `2026-07`, `2026-W27`."""
    m = _PERIOD_RE.match(name.strip())
    if not m:
        raise PeriodError(f"{name!r} is not a period (2026, 2026-H1, 2026-Q3, 2026-07 or 2026-W27)")
    year, part = int(m.group(1)), m.group(2)
    if part is None:
        first, after = date(year, 1, 1), date(year + 1, 1, 1)
    elif part[0] == "H":
        half = int(part[1])
        first, after = _month_start(year, 6 * half - 5), _month_start(year, 6 * half + 1)
    elif part[0] == "Q":
        q = int(part[1])
        first, after = _month_start(year, 3 * q - 2), _month_start(year, 3 * q + 1)
    elif part[0] == "W":
        week = int(part[1:])
        try:
            first = date.fromisocalendar(year, week, 1)
        except ValueError as exc:
            raise PeriodError(f"{name!r}: {year} has no ISO week {week}") from exc
        after = first + timedelta(days=7)
    else:
        month = int(part)
        if not 1 <= month <= 12:
            raise PeriodError(f"{name!r}: no month {month}")
        first, after = date(year, month, 1), _month_start(year, month + 1)
    return Period(_midnight(first), _midnight(after), name.strip())


def period_of(kind: str, instant: datetime) -> Period:
    """The period of a policy `kind` (monthly, quarterly, ...) that holds `instant`."""
    d = instant.astimezone(SHANGHAI).date()
    if kind == "annual":
        return parse_period(f"{d.year}")
    if kind == "semiannual":
        return parse_period(f"{d.year}-H{1 if d.month <= 6 else 2}")
    if kind == "quarterly":
        return parse_period(f"{d.year}-Q{(d.month - 1) // 3 + 1}")
    if kind == "monthly":
        return parse_period(f"{d.year}-{d.month:02d}")
    if kind == "weekly":
        iso = d.isocalendar()
        return parse_period(f"{iso.year}-W{iso.week:02d}")
    raise PeriodError(f"{kind!r} is not a calendar period ({', '.join(CALENDAR_PERIODS)})")


def granularity(period: Period) -> str:
    """The policy period kind a period name is of (`2026-H1` → semiannual)."""
    part = period.name.partition("-")[2]
    if not part:
        return "annual"
    return {"H": "semiannual", "Q": "quarterly", "W": "weekly"}.get(part[0], "monthly")


def previous(kind: str, period: Period) -> Period:
    return period_of(kind, period.start - timedelta(seconds=1))


def following(kind: str, period: Period) -> Period:
    return period_of(kind, period.end)


def _end_of_day(d: date) -> datetime:
    return datetime.combine(d, time(23, 59, 59), SHANGHAI)


def due_at(
    due: str | None, period: Period | None, *, event_at: datetime | None = None, calendar: WorkingCalendar | None = None
) -> datetime | None:
    """The due time of a policy `due` expression for a period (or, for `event+…`, an event's instant)."""
    if due is None:
        return None
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", due):
        return _end_of_day(date.fromisoformat(due))
    m = _DUE_RE.match(due)
    if not m:
        raise PeriodError(f"due {due!r} is not period_end[+N(d|wd|h)], period_start+N…, event+N… or a date")
    anchor, amount, unit = m.group(1), int(m.group(2) or 0), m.group(3) or "d"
    if anchor == "event":
        if event_at is None:
            raise PeriodError(f"due {due!r} needs the event's instant")
        start_instant, start_day = event_at, event_at.astimezone(SHANGHAI).date()
    else:
        if period is None:
            raise PeriodError(f"due {due!r} needs a period")
        start_day = period.first_day if anchor == "period_start" else period.last_day
        start_instant = period.start if anchor == "period_start" else period.end
    if unit == "h":
        return start_instant + timedelta(hours=amount)
    if unit == "wd":
        return _end_of_day((calendar or WorkingCalendar()).add_working_days(start_day, amount))
    return _end_of_day(start_day + timedelta(days=amount))


def announced_at(period: Period, due: datetime | None) -> datetime:
    """When a report falls due for preparation: at the end of its period, or on its due day when that comes first
    (the property table of March is due by 03-25, inside March: RPT-18)."""
    if due is not None and due < period.end:
        return _midnight(due.astimezone(SHANGHAI).date())
    return period.end


def overdue_at(due: datetime) -> datetime:
    """Overdue from the second after the due time (a day's 23:59:59 → 00:00:00 next day, as a breach, CONTRACT §6)."""
    return due + timedelta(seconds=1)
