"""Property tests against deliberately simple oracles, over random starts in 2026 with TC-2026 loaded.

The oracles share only the TC-2026 date sets with the library, not its logic: working days are looked up in a
precomputed sorted list, working hours are counted minute by minute. 2027 is unknown to the calendar under test,
so it counts weekends only there, and so does the oracle (it has no 2027 dates).
"""

from bisect import bisect_left, bisect_right
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tousu.contracts.types import SHANGHAI, ClockKind
from tousu.kit.calendar import BusinessHours, WorkingCalendar, YearCalendar

FAST = settings(max_examples=200, deadline=None, database=None)
SLOW = settings(max_examples=100, deadline=None, database=None)

starts_2026 = st.datetimes(
    min_value=datetime(2026, 1, 1),
    max_value=datetime(2026, 12, 31, 23, 59, 59, 999_999),
    timezones=st.sampled_from([SHANGHAI, UTC]),
)

OFFICE = (("08:30", "12:00"), ("14:30", "17:30"))


class Oracle:
    def __init__(self, year: YearCalendar) -> None:
        self.rest = set(year.holidays)
        self.make_up = set(year.working_days)
        first, last = date(2026, 1, 1), date(2027, 12, 31)
        every_day = [first + timedelta(days=i) for i in range((last - first).days + 1)]
        self.work = [day for day in every_day if self.working(day)]

    def working(self, day: date) -> bool:
        return day in self.make_up or (day.weekday() < 5 and day not in self.rest)

    def working_days_due(self, start_day: date, n: int) -> date:
        if n == 0:
            return start_day
        return self.work[bisect_right(self.work, start_day) + n - 1]

    def first_working_day_from(self, day: date) -> date:
        return self.work[bisect_left(self.work, day)]

    def working_minutes_due(self, start: datetime, minutes: int) -> datetime:
        """Walk minute by minute; a minute counts when its day is worked and it lies inside an office period."""
        if minutes == 0:
            return start
        periods = [(time.fromisoformat(a), time.fromisoformat(b)) for a, b in OFFICE]
        t = start
        counted = 0
        while True:
            if not self.working(t.date()):
                t = datetime.combine(t.date() + timedelta(days=1), time(0), SHANGHAI)
                continue
            if any(a <= t.time() < b for a, b in periods):
                counted += 1
                if counted == minutes:
                    return t + timedelta(minutes=1)
            t += timedelta(minutes=1)


@pytest.fixture(scope="module")
def oracle(tc_2026: YearCalendar) -> Oracle:
    return Oracle(tc_2026)


def last_second(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=SHANGHAI)


@FAST
@given(start=starts_2026, n=st.integers(0, 40))
def test_conv02_working_days_match_oracle(
    tc_calendar: WorkingCalendar, oracle: Oracle, start: datetime, n: int
) -> None:
    deadline = tc_calendar.deadline(start, ClockKind.WORKING_DAYS, n)
    start_day = start.astimezone(SHANGHAI).date()
    due_day = oracle.working_days_due(start_day, n)
    assert deadline.due_at == last_second(due_day)
    assert deadline.breach_at == last_second(due_day) + timedelta(seconds=1)
    assert deadline.provisional == (due_day.year > 2026)
    # The helpers agree with the deadline.
    assert tc_calendar.add_working_days(start_day, n) == due_day
    assert tc_calendar.working_days_between(start_day, due_day) == n
    # The explanation covers day 0 through the due day and numbers the working days 1..n.
    days = tc_calendar.explain(start, ClockKind.WORKING_DAYS, n)
    assert [day.date for day in days] == [start_day + timedelta(days=i) for i in range((due_day - start_day).days + 1)]
    assert [day.number for day in days if day.counted] == list(range(1, n + 1))


@FAST
@given(a=st.dates(date(2026, 1, 1), date(2026, 12, 31)), b=st.dates(date(2026, 1, 1), date(2026, 12, 31)))
def test_conv02_working_days_between_matches_oracle(
    tc_calendar: WorkingCalendar, oracle: Oracle, a: date, b: date
) -> None:
    lo, hi = min(a, b), max(a, b)
    expected = sum(1 for day in oracle.work if lo < day <= hi)
    assert tc_calendar.working_days_between(a, b) == (expected if a <= b else -expected)


@FAST
@given(start=starts_2026, n=st.integers(0, 60), postpone=st.booleans())
def test_conv05_calendar_days_match_oracle(
    tc_calendar: WorkingCalendar, oracle: Oracle, start: datetime, n: int, postpone: bool
) -> None:
    deadline = tc_calendar.deadline(start, ClockKind.CALENDAR_DAYS, n, postpone_to_working_day=postpone)
    due_day = start.astimezone(SHANGHAI).date() + timedelta(days=n)
    if postpone:
        due_day = oracle.first_working_day_from(due_day)
    assert deadline.due_at == last_second(due_day)
    assert deadline.breach_at - deadline.due_at == timedelta(seconds=1)
    assert deadline.provisional == (postpone and due_day.year > 2026)


@FAST
@given(start=starts_2026, minutes=st.integers(0, 14 * 24 * 60))
def test_conv03_hours_and_minutes_are_wall_clock(tc_calendar: WorkingCalendar, start: datetime, minutes: int) -> None:
    by_minutes = tc_calendar.deadline(start, ClockKind.MINUTES, minutes)
    by_hours = tc_calendar.deadline(start, ClockKind.HOURS, minutes / 60)
    assert by_minutes.due_at.timestamp() - start.timestamp() == minutes * 60
    assert abs(by_hours.due_at - by_minutes.due_at) <= timedelta(microseconds=1)  # minutes / 60 may not be exact
    assert by_minutes.breach_at == by_minutes.due_at
    assert by_minutes.due_at.utcoffset() == timedelta(hours=8)
    assert not by_minutes.provisional


@SLOW
@given(day=st.integers(0, 364), minute=st.integers(0, 24 * 60 - 1), length=st.integers(0, 20 * 60))
def test_conv04_working_hours_match_minute_by_minute_oracle(
    tc_2026: YearCalendar, oracle: Oracle, day: int, minute: int, length: int
) -> None:
    cal = WorkingCalendar(
        {2026: tc_2026}, business_hours=BusinessHours.of(*(f"{a}-{b}" for a, b in OFFICE)), package_years=()
    )
    start = datetime(2026, 1, 1, tzinfo=SHANGHAI) + timedelta(days=day, minutes=minute)
    hours = Decimal(length) / 60
    deadline = cal.deadline(start, ClockKind.WORKING_HOURS, hours)
    assert deadline.due_at == oracle.working_minutes_due(start, length)
    assert deadline.breach_at == deadline.due_at
    assert deadline.provisional == (deadline.due_at.year > 2026)
    # The periods the explanation lists add up to exactly the length asked for.
    days = cal.explain(start, ClockKind.WORKING_HOURS, hours)
    assert sum((end - begin for d in days for begin, end in d.periods), timedelta()) == timedelta(minutes=length)
