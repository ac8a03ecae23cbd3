"""Deadlines per clock kind: DOMAIN §10 scenarios on TC-2026 and the CONV-02..06 counting conventions."""

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest

from tousu.contracts.types import SHANGHAI, ClockKind
from tousu.kit.calendar import BusinessHours, Deadline, OrgOverrides, WorkingCalendar, YearCalendar

WD = ClockKind.WORKING_DAYS
CD = ClockKind.CALENDAR_DAYS


def at(text: str) -> datetime:
    """A +08:00 instant from 'YYYY-MM-DDTHH:MM[:SS]'."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def d(text: str) -> date:
    return date.fromisoformat(text)


def assert_day_deadline(deadline: Deadline, last_day: str) -> None:
    """Day counts: due at 23:59:59 of the last day, breached at 00:00:00 of the next (CONTRACT §6)."""
    assert deadline.due_at == at(f"{last_day}T23:59:59")
    assert deadline.breach_at == at(f"{last_day}T00:00:00") + timedelta(days=1)
    assert deadline.due_at.utcoffset() == timedelta(hours=8)


# -- DOMAIN §10 acceptance scenarios (TC-2026) ----------------------------------------------------------------


def test_as01_sla01_assoc_forward_across_qingming(tc_calendar: WorkingCalendar) -> None:
    deadline = tc_calendar.deadline(at("2026-04-03T15:20"), WD, 2)
    assert_day_deadline(deadline, "2026-04-08")  # WD1 04-07 Tue, WD2 04-08 Wed
    assert deadline.breach_at.isoformat() == "2026-04-09T00:00:00+08:00"
    assert deadline.due_at.isoformat() == "2026-04-08T23:59:59+08:00"
    assert (deadline.provisional, deadline.years, deadline.provisional_years) == (False, (2026,), ())
    # The package's own 2026 gives the same answer.
    assert WorkingCalendar().deadline(at("2026-04-03T15:20"), WD, 2).due_at == deadline.due_at


@pytest.mark.parametrize(
    ("start", "n", "last_day", "stage"),
    [
        ("2026-04-08T10:00", 2, "2026-04-10", "VERIFY"),  # 04-09, 04-10
        ("2026-04-08T10:00", 5, "2026-04-15", "MEMBER_REPORT"),  # 04-09, 10, 13, 14, 15
        ("2026-04-09T09:00", 3, "2026-04-14", "OUTLET_RESULT"),  # 04-10, 13, 14
    ],
)
def test_as02_sla02_member_and_outlet_timers(
    tc_calendar: WorkingCalendar, start: str, n: int, last_day: str, stage: str
) -> None:
    assert_day_deadline(tc_calendar.deadline(at(start), WD, n), last_day)


def test_as02_sla04_breach_stamps(tc_calendar: WorkingCalendar) -> None:
    assert tc_calendar.deadline(at("2026-04-08T10:00"), WD, 5).breach_at == at("2026-04-16T00:00:00")
    assert tc_calendar.deadline(at("2026-04-09T09:00"), WD, 3).breach_at == at("2026-04-15T00:00:00")


def test_as05_sla11_credit_union_across_national_day(tc_calendar: WorkingCalendar) -> None:
    deadline = tc_calendar.deadline(at("2026-09-29T10:00"), WD, 2)
    assert_day_deadline(deadline, "2026-10-08")  # WD1 09-30, WD2 10-08
    assert deadline.breach_at == at("2026-10-09T00:00:00")


def test_as06_rcn01_conv05_reconsideration_window_is_15_calendar_days(tc_calendar: WorkingCalendar) -> None:
    deadline = tc_calendar.deadline(at("2026-06-02T16:00"), CD, 15)
    assert_day_deadline(deadline, "2026-06-17")
    assert (deadline.provisional, deadline.years) == (False, ())  # a plain calendar count needs no calendar
    # Filed 06-16 or 06-17: inside the window; 06-18: late.
    assert at("2026-06-17T10:00") <= deadline.due_at < at("2026-06-18T00:00") == deadline.breach_at


@pytest.mark.parametrize(
    ("filed", "last_day"), [("2026-06-16T10:00", "2026-07-01"), ("2026-06-17T09:00", "2026-07-02")]
)
def test_as06_sla15_reconsideration_decision_in_10_working_days(
    tc_calendar: WorkingCalendar, filed: str, last_day: str
) -> None:
    assert_day_deadline(tc_calendar.deadline(at(filed), WD, 10), last_day)


def test_as06_sla15_counted_days_are_the_listed_ones(tc_calendar: WorkingCalendar) -> None:
    counted = [day.date for day in tc_calendar.explain(at("2026-06-16T10:00"), WD, 10) if day.counted]
    listed = ["06-17", "06-18", "06-22", "06-23", "06-24", "06-25", "06-26", "06-29", "06-30", "07-01"]
    assert counted == [d(f"2026-{md}") for md in listed]


def test_as20_sla22_tobacco_deadlines_and_extension_cap(tc_calendar: WorkingCalendar) -> None:
    assert_day_deadline(tc_calendar.deadline(at("2026-09-30T11:30"), ClockKind.SAME_DAY, 0), "2026-09-30")
    assert_day_deadline(tc_calendar.deadline(at("2026-09-30T10:30"), WD, 2), "2026-10-09")  # 10-08, 10-09
    assert_day_deadline(tc_calendar.deadline(at("2026-09-30T10:30"), WD, 7), "2026-10-15")  # extension cap
    # Provincial ticket: the make-up Saturday 10-10 is WD3.
    assert_day_deadline(tc_calendar.deadline(at("2026-09-30T15:00"), WD, 3), "2026-10-10")


def test_as20_rte22_extension_cap_counted_in_working_days(tc_calendar: WorkingCalendar) -> None:
    # Routing refuses an extension whose new due day lies past 7 WD from the event day.
    event_day = d("2026-09-30")
    assert tc_calendar.add_working_days(event_day, 7) == d("2026-10-15")
    assert tc_calendar.working_days_between(event_day, d("2026-10-15")) == 7
    assert tc_calendar.working_days_between(event_day, d("2026-10-16")) == 8


def test_as14_sla40_mobile_wall_clock_hours(tc_calendar: WorkingCalendar) -> None:
    urgent = tc_calendar.deadline(at("2026-05-08T14:00"), ClockKind.HOURS, 24)
    difficult = tc_calendar.deadline(at("2026-05-08T14:00"), ClockKind.HOURS, 72)
    assert (urgent.due_at, urgent.breach_at) == (at("2026-05-09T14:00"), at("2026-05-09T14:00"))
    assert difficult.due_at == difficult.breach_at == at("2026-05-11T14:00")  # through Sat 05-09 make-up and Sun


def test_as25_sla81_manufacturer_working_hours(tc_calendar: WorkingCalendar) -> None:
    hours = BusinessHours.of("08:30-12:00", "13:30-18:00")
    cal = WorkingCalendar(tc_calendar.years, business_hours=hours, package_years=())
    received = at("2026-04-03T15:00")
    assert cal.deadline(received, ClockKind.WORKING_HOURS, 1).due_at == at("2026-04-03T16:00")
    # 8 WH: 3 h on Fri + 3.5 h + 1.5 h on Tue (04-04..04-06 non-working).
    interim = cal.deadline(received, ClockKind.WORKING_HOURS, 8)
    assert interim.due_at == interim.breach_at == at("2026-04-07T15:00")
    assert_day_deadline(cal.deadline(received, WD, 2), "2026-04-08")
    assert_day_deadline(cal.deadline(received, WD, 3), "2026-04-09")


def test_as25_sla90_property_and_auto_dealer_minutes_and_daily_report(tc_calendar: WorkingCalendar) -> None:
    assert tc_calendar.deadline(at("2026-03-09T09:00"), ClockKind.MINUTES, 5).due_at == at("2026-03-09T09:05")
    assert tc_calendar.deadline(at("2026-03-09T09:04"), ClockKind.HOURS, 12).due_at == at("2026-03-09T21:04")
    assert tc_calendar.deadline(at("2026-04-03T15:20"), ClockKind.MINUTES, 30).due_at == at("2026-04-03T15:50")
    daily = tc_calendar.deadline(at("2026-03-10T09:00"), ClockKind.DAILY_AT, 1, daily_at=time(17))
    assert daily.due_at == daily.breach_at == at("2026-03-10T17:00")


# -- CONV-02 working days ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "n", "last_day"),
    [
        ("2026-04-04T10:00", 1, "2026-04-07"),  # event on a holiday Saturday: day 0; 04-05, 04-06 rest; WD1 Tue
        ("2026-04-11T10:00", 1, "2026-04-13"),  # event on an ordinary Saturday
        ("2026-10-10T10:00", 1, "2026-10-12"),  # event on a make-up Saturday: still day 0, not counted
        ("2026-01-03T10:00", 1, "2026-01-04"),  # WD1 is the make-up Sunday
        ("2026-02-13T18:00", 2, "2026-02-24"),  # 02-14 make-up Sat is WD1; Spring Festival; WD2 02-24
        ("2026-04-03T00:00", 1, "2026-04-07"),  # first second of day 0
        ("2026-04-03T23:59:59", 1, "2026-04-07"),  # last second of day 0
    ],
)
def test_conv02_event_day_is_day_0_and_never_counted(
    tc_calendar: WorkingCalendar, start: str, n: int, last_day: str
) -> None:
    assert_day_deadline(tc_calendar.deadline(at(start), WD, n), last_day)


def test_conv02_zero_working_days_ends_on_day_0(tc_calendar: WorkingCalendar) -> None:
    assert_day_deadline(tc_calendar.deadline(at("2026-04-04T10:00"), WD, 0), "2026-04-04")


def test_conv01_conv02_start_in_another_zone_is_counted_from_its_shanghai_day(tc_calendar: WorkingCalendar) -> None:
    # 2026-04-02T17:30Z is 2026-04-03T01:30+08:00: day 0 is Friday 04-03, not Thursday.
    deadline = tc_calendar.deadline(datetime(2026, 4, 2, 17, 30, tzinfo=UTC), WD, 2)
    assert_day_deadline(deadline, "2026-04-08")
    assert deadline.start == at("2026-04-03T01:30")
    assert deadline.start.utcoffset() == timedelta(hours=8)


def test_conv02_whole_numbers_only_for_day_counts(tc_calendar: WorkingCalendar) -> None:
    start = at("2026-04-03T15:20")
    assert tc_calendar.deadline(start, WD, 2.0).due_at == tc_calendar.deadline(start, WD, Decimal("2")).due_at
    with pytest.raises(ValueError, match="whole"):
        tc_calendar.deadline(start, WD, 1.5)
    with pytest.raises(ValueError, match="negative"):
        tc_calendar.deadline(start, WD, -1)
    with pytest.raises(TypeError):
        tc_calendar.deadline(start, WD, True)
    with pytest.raises(ValueError, match="aware"):
        tc_calendar.deadline(datetime(2026, 4, 3, 15, 20), WD, 2)


def test_conv02_org_override_moves_the_deadline(tc_2026: YearCalendar) -> None:
    overrides = OrgOverrides(holidays={d("2026-04-08")}, working_days={d("2026-04-05")})
    cal = WorkingCalendar({2026: tc_2026}, overrides=overrides, package_years=())
    # WD1 04-05 (override working Sunday), 04-07, 04-08 is an override holiday, WD3 04-09.
    assert_day_deadline(cal.deadline(at("2026-04-03T15:20"), WD, 3), "2026-04-09")


def test_conv02_helpers_count_like_deadlines(tc_calendar: WorkingCalendar) -> None:
    assert tc_calendar.add_working_days(d("2026-04-03"), 2) == d("2026-04-08")
    assert tc_calendar.add_working_days(d("2026-04-03"), 0) == d("2026-04-03")
    assert tc_calendar.add_working_days(d("2026-04-07"), -1) == d("2026-04-03")
    assert tc_calendar.working_days_between(d("2026-04-03"), d("2026-04-08")) == 2
    assert tc_calendar.working_days_between(d("2026-04-03"), d("2026-04-06")) == 0  # rest days only
    assert tc_calendar.working_days_between(d("2026-04-08"), d("2026-04-03")) == -2
    assert tc_calendar.working_days_between(d("2026-04-03"), d("2026-04-03")) == 0


# -- provisional years (ARCHITECTURE §5) ---------------------------------------------------------------------


def test_sla_conv02_deadline_into_unknown_year_is_provisional_then_recomputed(tc_calendar: WorkingCalendar) -> None:
    start = at("2026-12-28T09:00")
    provisional = tc_calendar.deadline(start, WD, 5)
    # 12-29, 12-30, 12-31, 2027-01-01 (Fri, weekends-only guess), 2027-01-04.
    assert_day_deadline(provisional, "2027-01-04")
    assert (provisional.provisional, provisional.years, provisional.provisional_years) == (True, (2026, 2027), (2027,))

    holidays_2027 = {d("2027-01-01")} | {d("2027-02-05") + timedelta(days=i) for i in range(7)}
    loaded = tc_calendar.with_year(YearCalendar(2027, holidays_2027, {d("2027-02-13")}, "2027 (test)"))
    final = loaded.deadline(start, WD, 5)
    assert_day_deadline(final, "2027-01-05")
    assert (final.provisional, final.years, final.provisional_years) == (False, (2026, 2027), ())
    # Spring Festival 2027: 02-05..02-11 rest, WD1 Fri 02-12, WD2 the make-up Saturday 02-13.
    assert loaded.deadline(at("2027-02-04T10:00"), WD, 2).due_at == at("2027-02-13T23:59:59")


def test_sla_conv02_installed_package_limited_to_2026_also_leaves_2027_unknown(tc_2026: YearCalendar) -> None:
    cal = WorkingCalendar({2026: tc_2026}, package_years=range(2004, 2027))
    deadline = cal.deadline(at("2026-12-28T09:00"), WD, 5)
    assert deadline.provisional
    assert deadline.due_at == at("2027-01-04T23:59:59")


def test_sla_provisional_only_for_years_the_count_relied_on(tc_calendar: WorkingCalendar) -> None:
    assert not tc_calendar.deadline(at("2026-12-28T09:00"), WD, 3).provisional  # ends 12-31
    # Wall-clock and plain calendar-day counts do not depend on the calendar at all.
    assert not tc_calendar.deadline(at("2026-12-31T09:00"), ClockKind.HOURS, 48).provisional
    assert not tc_calendar.deadline(at("2026-12-28T09:00"), CD, 15).provisional
    assert tc_calendar.deadline(at("2026-12-28T09:00"), CD, 15, postpone_to_working_day=True).provisional
    assert tc_calendar.deadline(at("2026-12-31T16:00"), ClockKind.WORKING_HOURS, 2).provisional


# -- CONV-03 wall-clock hours and minutes -----------------------------------------------------------------


def test_conv03_hours_run_through_nights_and_holidays(tc_calendar: WorkingCalendar) -> None:
    deadline = tc_calendar.deadline(at("2026-09-30T20:00"), ClockKind.HOURS, 10)
    assert deadline.due_at == deadline.breach_at == at("2026-10-01T06:00")
    assert deadline.years == ()


@pytest.mark.parametrize(
    ("clock", "length", "due"),
    [
        (ClockKind.HOURS, 1.5, "2026-04-03T16:50"),
        (ClockKind.HOURS, Decimal("0.25"), "2026-04-03T15:35"),
        (ClockKind.HOURS, 0.1, "2026-04-03T15:26"),  # exactly 6 minutes, no float residue
        (ClockKind.MINUTES, 90, "2026-04-03T16:50"),
        (ClockKind.MINUTES, 0, "2026-04-03T15:20"),
    ],
)
def test_conv03_fractional_hours_and_minutes(
    tc_calendar: WorkingCalendar, clock: ClockKind, length: float | Decimal, due: str
) -> None:
    assert tc_calendar.deadline(at("2026-04-03T15:20"), clock, length).due_at == at(due)


# -- CONV-04 working hours --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "hours", "due"),
    [
        ("2026-04-04T10:00", 1, "2026-04-07T09:30"),  # on a holiday: counting starts at Tuesday's opening
        ("2026-04-07T07:00", 1, "2026-04-07T09:30"),  # before opening
        ("2026-04-07T12:30", 1, "2026-04-07T15:30"),  # in the lunch break: starts at 14:30
        ("2026-04-07T18:00", 1, "2026-04-08T09:30"),  # after closing
        ("2026-04-07T08:30", 3.5, "2026-04-07T12:00"),  # runs out at closing: due at closing, not 14:30
        ("2026-04-07T11:00", 2, "2026-04-07T15:30"),  # 1 h before lunch, 1 h after
        ("2026-04-07T11:00", 0, "2026-04-07T11:00"),
        ("2026-04-07T13:00", 0, "2026-04-07T13:00"),  # nothing to count: the start itself
        ("2026-10-09T17:00", 1, "2026-10-10T09:00"),  # Sat 10-10 is a make-up working day
        ("2026-04-03T15:00", 6.5, "2026-04-07T15:00"),  # 2.5 h Fri, Qingming, 3.5 h + 0.5 h Tue
    ],
)
def test_conv04_working_hours_only_inside_business_hours(
    tc_2026: YearCalendar, office_hours: BusinessHours, start: str, hours: float, due: str
) -> None:
    cal = WorkingCalendar({2026: tc_2026}, business_hours=office_hours, package_years=())
    deadline = cal.deadline(at(start), ClockKind.WORKING_HOURS, hours)
    assert deadline.due_at == deadline.breach_at == at(due)


def test_conv04_default_business_hours_are_nine_to_five(tc_calendar: WorkingCalendar) -> None:
    assert tc_calendar.deadline(at("2026-04-07T16:00"), ClockKind.WORKING_HOURS, 2).due_at == at("2026-04-08T10:00")


# -- CONV-05 calendar days, CONV-06 same day, daily_at --------------------------------------------------------


def test_conv05_last_day_on_a_holiday_is_not_postponed_by_default(tc_calendar: WorkingCalendar) -> None:
    start = at("2026-09-26T10:00")
    assert_day_deadline(tc_calendar.deadline(start, CD, 5), "2026-10-01")
    postponed = tc_calendar.deadline(start, CD, 5, postpone_to_working_day=True)
    assert_day_deadline(postponed, "2026-10-08")
    assert postponed.years == (2026,)
    # A last day that is already a working day does not move.
    assert_day_deadline(tc_calendar.deadline(start, CD, 4, postpone_to_working_day=True), "2026-09-30")


def test_conv05_day_0_is_the_event_day_whatever_the_hour(tc_calendar: WorkingCalendar) -> None:
    assert_day_deadline(tc_calendar.deadline(at("2026-06-02T23:59:59"), CD, 15), "2026-06-17")
    assert_day_deadline(tc_calendar.deadline(at("2026-06-02T00:00"), CD, 0), "2026-06-02")


def test_conv06_same_day_ends_at_midnight_whatever_the_day(tc_calendar: WorkingCalendar) -> None:
    assert_day_deadline(tc_calendar.deadline(at("2026-09-30T10:00"), ClockKind.SAME_DAY, 1), "2026-09-30")
    assert_day_deadline(tc_calendar.deadline(at("2026-10-01T10:00"), ClockKind.SAME_DAY, 0), "2026-10-01")


def test_daily_at_is_the_next_occurrence_strictly_after_the_start(tc_calendar: WorkingCalendar) -> None:
    daily = ClockKind.DAILY_AT
    five = time(17)
    assert tc_calendar.deadline(at("2026-03-10T09:00"), daily, 1, daily_at=five).due_at == at("2026-03-10T17:00")
    # Re-armed at its own due instant, a daily duty falls due the next day, never at once.
    assert tc_calendar.deadline(at("2026-03-10T17:00"), daily, 1, daily_at=five).due_at == at("2026-03-11T17:00")
    assert tc_calendar.deadline(at("2026-03-10T18:00"), daily, 2, daily_at=five).due_at == at("2026-03-12T17:00")
    # Rest days are not skipped: 'daily' means every day.
    assert tc_calendar.deadline(at("2026-10-01T09:00"), daily, 1, daily_at=five).due_at == at("2026-10-01T17:00")
    aware = time(17, tzinfo=SHANGHAI)
    assert tc_calendar.deadline(at("2026-03-10T09:00"), daily, 1, daily_at=aware).due_at == at("2026-03-10T17:00")


def test_clock_arguments_are_checked(tc_calendar: WorkingCalendar) -> None:
    start = at("2026-03-10T09:00")
    with pytest.raises(ValueError, match="needs daily_at"):
        tc_calendar.deadline(start, ClockKind.DAILY_AT, 1)
    with pytest.raises(ValueError, match="only for the daily_at"):
        tc_calendar.deadline(start, WD, 1, daily_at=time(17))
    with pytest.raises(ValueError, match="only for calendar_days"):
        tc_calendar.deadline(start, WD, 1, postpone_to_working_day=True)
    with pytest.raises(ValueError, match="starts at 1"):
        tc_calendar.deadline(start, ClockKind.DAILY_AT, 0, daily_at=time(17))
    with pytest.raises(ValueError, match=r"\+08:00"):
        tc_calendar.deadline(start, ClockKind.DAILY_AT, 1, daily_at=time(17, tzinfo=UTC))
    with pytest.raises(ValueError, match="negative"):
        tc_calendar.deadline(start, ClockKind.HOURS, -1)
    with pytest.raises(ValueError, match="finite"):
        tc_calendar.deadline(start, ClockKind.HOURS, float("inf"))


def test_deadline_to_dict_is_json_ready(tc_calendar: WorkingCalendar) -> None:
    assert tc_calendar.deadline(at("2026-04-03T15:20"), WD, 2).to_dict() == {
        "start": "2026-04-03T15:20:00+08:00",
        "clock": "working_days",
        "due_at": "2026-04-08T23:59:59+08:00",
        "breach_at": "2026-04-09T00:00:00+08:00",
        "provisional": False,
        "years": [2026],
        "provisional_years": [],
    }
