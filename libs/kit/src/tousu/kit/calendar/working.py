"""`WorkingCalendar`: which days are worked, and deadlines counted over them (ARCHITECTURE §5, DOMAIN §0.3).

A day's status comes from, in order of precedence:
1. the organisation's overrides (extra holidays, extra working days);
2. the year loaded as data, which replaces the package for that whole year (CONV-08);
3. the chinese-calendar package, for the years it has data for and the caller trusts it for;
4. otherwise the year is unknown: the day is *provisional* and only weekends are rest days, never a refusal.
"""

from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from types import MappingProxyType

from tousu.contracts.types import SHANGHAI, ClockKind
from tousu.kit.calendar import arithmetic
from tousu.kit.calendar.model import (
    DEFAULT_BUSINESS_HOURS,
    BusinessHours,
    DayInfo,
    DayReason,
    Deadline,
    ExplainedDay,
    OrgOverrides,
    YearCalendar,
)
from tousu.kit.calendar.package import PACKAGE_SOURCE, chinese_calendar_years, package_day_status

PROVISIONAL_SOURCE = "provisional: year not known, weekends only"

Length = int | float | Decimal


def _as_shanghai(instant: datetime) -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"start must be an aware datetime, got naive {instant.isoformat()}")
    return instant.astimezone(SHANGHAI)  # CONV-01


def _as_date(d: date) -> date:
    # A datetime is a date too; take its +08:00 calendar day rather than its possibly foreign-zone one.
    if isinstance(d, datetime):
        return _as_shanghai(d).date()
    return d


def _local_time(at: time) -> time:
    if at.tzinfo is not None:
        if at.utcoffset() != timedelta(hours=8):
            raise ValueError(f"daily_at must be a +08:00 or naive time, got {at.isoformat()}")
        at = at.replace(tzinfo=None)
    return at


class WorkingCalendar:
    """Working days for one organisation: loaded years, the package, overrides and business hours.

    Immutable; build a new one (e.g. with `with_year`) when a year is loaded. `package_years` limits the years the
    chinese-calendar package is trusted for (default: every year it has data for; `()` never uses it), so a caller
    can state "2027 is not known" whatever version of the package is installed.
    """

    def __init__(
        self,
        years: Mapping[int, YearCalendar] | Iterable[YearCalendar] | None = None,
        *,
        overrides: OrgOverrides | None = None,
        business_hours: BusinessHours | None = None,
        package_years: Iterable[int] | None = None,
    ) -> None:
        loaded: dict[int, YearCalendar] = {}
        if isinstance(years, Mapping):
            for key, year_calendar in years.items():
                if key != year_calendar.year:
                    raise ValueError(f"calendar for {year_calendar.year} given under key {key}")
                loaded[key] = year_calendar
        elif years is not None:
            for year_calendar in years:
                loaded[year_calendar.year] = year_calendar
        supported = chinese_calendar_years()
        trusted = supported if package_years is None else (y for y in package_years if y in supported)
        self._years = MappingProxyType(loaded)
        self._package_years = frozenset(trusted)
        self._overrides = overrides or OrgOverrides()
        self._business_hours = business_hours or DEFAULT_BUSINESS_HOURS
        self._cache: dict[date, DayInfo] = {}

    # -- configuration ------------------------------------------------------------------------------------------

    @property
    def years(self) -> Mapping[int, YearCalendar]:
        """The years loaded as data."""
        return self._years

    @property
    def package_years(self) -> frozenset[int]:
        """The years the package is used for (a loaded year still wins over it)."""
        return self._package_years

    @property
    def overrides(self) -> OrgOverrides:
        return self._overrides

    @property
    def business_hours(self) -> BusinessHours:
        return self._business_hours

    def is_known(self, year: int) -> bool:
        """True when loaded data or the (trusted) package says which days of `year` are worked."""
        return year in self._years or year in self._package_years

    def year_source(self, year: int) -> str | None:
        """Where `year`'s days come from: the loaded year's source, the package, or None when unknown."""
        if year in self._years:
            return self._years[year].source
        if year in self._package_years:
            return PACKAGE_SOURCE
        return None

    def with_year(self, year_calendar: YearCalendar) -> "WorkingCalendar":
        """A calendar with `year_calendar` loaded (replacing any loaded version of that year), the rest unchanged."""
        return WorkingCalendar(
            {**self._years, year_calendar.year: year_calendar},
            overrides=self._overrides,
            business_hours=self._business_hours,
            package_years=self._package_years,
        )

    # -- days ---------------------------------------------------------------------------------------------------

    def day_status(self, d: date) -> DayInfo:
        """Whether `d` is worked and why. An aware datetime is taken as its +08:00 calendar day."""
        d = _as_date(d)
        cached = self._cache.get(d)
        if cached is None:
            cached = self._cache[d] = self._status(d)
        return cached

    def _status(self, d: date) -> DayInfo:
        provisional = not self.is_known(d.year)
        if d in self._overrides.holidays:
            return DayInfo(d, False, DayReason.OVERRIDE_HOLIDAY, provisional, self._overrides.source)
        if d in self._overrides.working_days:
            return DayInfo(d, True, DayReason.OVERRIDE_WORKING_DAY, provisional, self._overrides.source)
        weekend = d.weekday() >= 5
        loaded = self._years.get(d.year)
        if loaded is not None:
            if d in loaded.holidays:
                return DayInfo(d, False, DayReason.HOLIDAY, False, loaded.source)
            if d in loaded.working_days:
                reason = DayReason.MAKE_UP_WORKING_DAY if weekend else DayReason.WORKING_DAY
                return DayInfo(d, True, reason, False, loaded.source)
            reason = DayReason.WEEKEND if weekend else DayReason.WORKING_DAY
            return DayInfo(d, not weekend, reason, False, loaded.source)
        if d.year in self._package_years:
            return package_day_status(d)
        # ARCHITECTURE §5: never a silent guess, never a refusal.
        return DayInfo(d, not weekend, DayReason.PROVISIONAL, True, PROVISIONAL_SOURCE)

    def is_working_day(self, d: date) -> bool:
        return self.day_status(d).working

    def add_working_days(self, d: date, n: int) -> date:
        """The n-th working day after `d` as CONV-02 counts (`d` is day 0, never counted); `d` itself for n == 0,
        the n-th working day before `d` for n < 0."""
        return arithmetic.step_working_days(self.day_status, _as_date(d), n)

    def working_days_between(self, a: date, b: date) -> int:
        """Working days d with a < d <= b, i.e. the CONV-02 number of `b` counted from `a`; negative if b < a.
        `add_working_days(a, working_days_between(a, b)) == b` whenever `b` is a working day."""
        return arithmetic.working_days_between(self.day_status, _as_date(a), _as_date(b))

    # -- deadlines ----------------------------------------------------------------------------------------------

    def deadline(
        self,
        start: datetime,
        clock: ClockKind,
        length: Length,
        *,
        daily_at: time | None = None,
        postpone_to_working_day: bool = False,
    ) -> Deadline:
        """When a clock of kind `clock` and `length` started at `start` falls due (CONV-02..06, CONTRACT §6).

        `length` is in working days, calendar days, hours, minutes or working hours according to `clock`; day
        counts take whole numbers, hour counts fractions too. SAME_DAY ignores `length`. DAILY_AT needs `daily_at`
        and takes `length` as which occurrence (1 = the first occurrence strictly after `start`).
        `postpone_to_working_day` applies to CALENDAR_DAYS only (CONV-05 [GAP], default not postponed).
        """
        start = _as_shanghai(start)
        count = self._count(start, clock, length, daily_at, postpone_to_working_day)
        years = sorted({info.date.year for info in count.relied})
        unknown = sorted({info.date.year for info in count.relied if info.provisional})
        return Deadline(
            start=start,
            clock=clock,
            due_at=count.due_at,
            breach_at=count.breach_at,
            provisional=bool(unknown),
            years=tuple(years),
            provisional_years=tuple(unknown),
        )

    def explain(
        self,
        start: datetime,
        clock: ClockKind,
        length: Length,
        *,
        daily_at: time | None = None,
        postpone_to_working_day: bool = False,
    ) -> list[ExplainedDay]:
        """Every calendar day from day 0 (the start's day) through the due day, each with its status, why, and
        what it counted for (CONTRACT §6 explain view). Same arguments as `deadline`."""
        count = self._count(_as_shanghai(start), clock, length, daily_at, postpone_to_working_day)
        return list(count.days)

    def _count(
        self,
        start: datetime,
        clock: ClockKind,
        length: Length,
        daily_at: time | None,
        postpone_to_working_day: bool,
    ) -> arithmetic.Count:
        if daily_at is not None and clock is not ClockKind.DAILY_AT:
            raise ValueError(f"daily_at is only for the daily_at clock, not {clock.value}")
        if postpone_to_working_day and clock is not ClockKind.CALENDAR_DAYS:
            raise ValueError(f"postpone_to_working_day is only for calendar_days, not {clock.value}")
        status = self.day_status
        match clock:
            case ClockKind.WORKING_DAYS:
                return arithmetic.count_working_days(status, start, arithmetic.whole_number(length))
            case ClockKind.CALENDAR_DAYS:
                n = arithmetic.whole_number(length)
                return arithmetic.count_calendar_days(status, start, n, postpone_to_working_day=postpone_to_working_day)
            case ClockKind.SAME_DAY:
                return arithmetic.count_same_day(status, start)
            case ClockKind.HOURS:
                return arithmetic.count_wall_clock(status, start, arithmetic.microseconds(length, timedelta(hours=1)))
            case ClockKind.MINUTES:
                us = arithmetic.microseconds(length, timedelta(minutes=1))
                return arithmetic.count_wall_clock(status, start, us)
            case ClockKind.WORKING_HOURS:
                us = arithmetic.microseconds(length, timedelta(hours=1))
                return arithmetic.count_working_hours(status, start, us, self._business_hours)
            case ClockKind.DAILY_AT:
                if daily_at is None:
                    raise ValueError("the daily_at clock needs daily_at, the time of day it falls due")
                n = arithmetic.whole_number(length, "daily_at occurrence")
                if n < 1:
                    raise ValueError("daily_at length is the occurrence number and starts at 1")
                return arithmetic.count_daily_at(status, start, _local_time(daily_at), n)
        raise ValueError(f"unknown clock kind {clock!r}")
