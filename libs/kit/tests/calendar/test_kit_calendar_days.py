"""Day status: loaded years, the chinese-calendar package, overrides, provisional years (CONV-02, CONV-08)."""

from datetime import UTC, date, datetime, time

import chinese_calendar
import pytest

from tousu.contracts.types import SHANGHAI
from tousu.kit.calendar import (
    PACKAGE_SOURCE,
    PROVISIONAL_SOURCE,
    BusinessHours,
    DayReason,
    OrgOverrides,
    WorkingCalendar,
    YearCalendar,
    chinese_calendar_years,
)


def d(text: str) -> date:
    return date.fromisoformat(text)


@pytest.mark.parametrize(
    ("day", "working", "reason"),
    [
        ("2026-04-03", True, DayReason.WORKING_DAY),  # Fri
        ("2026-04-11", False, DayReason.WEEKEND),  # Sat
        ("2026-04-06", False, DayReason.HOLIDAY),  # Mon, Qingming
        ("2026-04-04", False, DayReason.HOLIDAY),  # Sat inside the Qingming run
        ("2026-10-10", True, DayReason.MAKE_UP_WORKING_DAY),  # Sat 调休上班
        ("2026-01-04", True, DayReason.MAKE_UP_WORKING_DAY),  # Sun 调休上班
    ],
)
def test_conv02_tc2026_day_status(tc_calendar: WorkingCalendar, day: str, working: bool, reason: DayReason) -> None:
    info = tc_calendar.day_status(d(day))
    assert (info.working, info.reason, info.provisional) == (working, reason, False)
    assert info.source.startswith("TC-2026")
    assert tc_calendar.is_working_day(d(day)) is working


def test_conv08_loaded_year_replaces_the_package_for_that_year() -> None:
    # A made-up 2026 with no holidays at all: National Day becomes ordinary weekdays.
    bare = YearCalendar(2026, set(), set(), "bare 2026")
    cal = WorkingCalendar({2026: bare})
    assert cal.day_status(d("2026-10-01")).reason is DayReason.WORKING_DAY
    assert cal.day_status(d("2026-10-10")).reason is DayReason.WEEKEND  # the package's make-up day is gone too
    assert cal.year_source(2026) == "bare 2026"
    # Years not loaded still come from the package.
    assert cal.day_status(d("2025-10-01")).reason is DayReason.HOLIDAY
    assert cal.year_source(2025) == PACKAGE_SOURCE


def test_conv08_package_supported_years_are_read_from_the_package() -> None:
    years = chinese_calendar_years()
    assert years.start <= 2004
    assert 2026 in years
    # The package refuses the first year after its data, which is why unknown years are handled here.
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(years.stop, 1, 5))
    cal = WorkingCalendar()
    assert cal.is_known(years.stop - 1)
    assert not cal.is_known(years.stop)
    assert cal.day_status(date(years.stop, 1, 5)).provisional


def test_conv08_package_reasons() -> None:
    # chinese-calendar 1.11 ships 2026; its weekend days inside a holiday run are holidays, as in loaded data.
    package = WorkingCalendar()
    assert package.day_status(d("2026-10-10")).reason is DayReason.MAKE_UP_WORKING_DAY
    assert package.day_status(d("2026-04-04")).reason is DayReason.HOLIDAY
    assert package.day_status(d("2026-04-11")).reason is DayReason.WEEKEND
    assert package.day_status(d("2026-04-03")).source == PACKAGE_SOURCE


def test_conv08_package_years_limits_which_years_the_package_is_trusted_for() -> None:
    cal = WorkingCalendar(package_years=())
    assert not cal.is_known(2026)
    assert cal.year_source(2026) is None
    info = cal.day_status(d("2026-10-01"))  # Thursday: a holiday in fact, but nobody told this calendar
    assert (info.working, info.reason, info.provisional, info.source) == (
        True,
        DayReason.PROVISIONAL,
        True,
        PROVISIONAL_SOURCE,
    )
    weekend = cal.day_status(d("2026-10-10"))  # make-up Saturday in fact; provisional: weekends only
    assert (weekend.working, weekend.reason) == (False, DayReason.PROVISIONAL)
    limited = WorkingCalendar(package_years=range(2004, 2026))
    assert limited.is_known(2025)
    assert not limited.is_known(2026)
    # Trusting a year the package has no data for does not make it known.
    assert not WorkingCalendar(package_years=[chinese_calendar_years().stop]).is_known(chinese_calendar_years().stop)


def test_org_overrides_win_over_every_source(tc_2026: YearCalendar) -> None:
    overrides = OrgOverrides(
        holidays={d("2026-04-08"), d("2027-03-03")},
        working_days={d("2026-04-11"), d("2026-10-02")},
        source="branch notice 2026-17",
    )
    cal = WorkingCalendar({2026: tc_2026}, overrides=overrides, package_years=())
    wed = cal.day_status(d("2026-04-08"))
    assert (wed.working, wed.reason, wed.source) == (False, DayReason.OVERRIDE_HOLIDAY, "branch notice 2026-17")
    sat = cal.day_status(d("2026-04-11"))
    assert (sat.working, sat.reason) == (True, DayReason.OVERRIDE_WORKING_DAY)
    national_day = cal.day_status(d("2026-10-02"))  # a TC-2026 holiday, worked by this organisation
    assert (national_day.working, national_day.reason) == (True, DayReason.OVERRIDE_WORKING_DAY)
    # An override in an unknown year is applied, and the day stays provisional.
    unknown = cal.day_status(d("2027-03-03"))
    assert (unknown.working, unknown.reason, unknown.provisional) == (False, DayReason.OVERRIDE_HOLIDAY, True)


def test_day_status_takes_an_aware_datetime_as_its_shanghai_day(tc_calendar: WorkingCalendar) -> None:
    # 2026-04-06T17:00Z is 2026-04-07T01:00+08:00: Tuesday, a working day, not Qingming Monday.
    utc = datetime(2026, 4, 6, 17, 0, tzinfo=UTC)
    assert tc_calendar.day_status(utc).date == d("2026-04-07")
    assert tc_calendar.day_status(utc).working
    with pytest.raises(ValueError, match="aware"):
        tc_calendar.day_status(datetime(2026, 4, 7, 1, 0))


def test_with_year_loads_a_year_and_keeps_the_rest(tc_calendar: WorkingCalendar) -> None:
    y2027 = YearCalendar(2027, {d("2027-01-01")}, {d("2027-02-13")}, "State Council 2027 (test)")
    cal = tc_calendar.with_year(y2027)
    assert cal.is_known(2027)
    assert cal.day_status(d("2027-02-13")).reason is DayReason.MAKE_UP_WORKING_DAY
    assert cal.package_years == tc_calendar.package_years == frozenset()
    assert not tc_calendar.is_known(2027)  # the original is unchanged


def test_year_calendar_validation_and_round_trip(tc_2026: YearCalendar) -> None:
    with pytest.raises(ValueError, match="another year"):
        YearCalendar(2026, {d("2027-01-01")}, set(), "x")
    with pytest.raises(ValueError, match="both"):
        YearCalendar(2026, {d("2026-05-01")}, {d("2026-05-01")}, "x")
    with pytest.raises(TypeError):
        YearCalendar(2026, {datetime(2026, 5, 1, tzinfo=SHANGHAI)}, set(), "x")
    with pytest.raises(ValueError, match="key"):
        WorkingCalendar({2027: tc_2026})
    body = tc_2026.to_dict()
    assert body["holidays"][0] == "2026-01-01"
    assert "2026-10-10" in body["working_days"]
    assert YearCalendar.from_dict(2026, body) == tc_2026
    with pytest.raises(ValueError, match="both"):
        OrgOverrides(holidays={d("2026-05-06")}, working_days={d("2026-05-06")})


def test_conv04_business_hours_validation() -> None:
    hours = BusinessHours.of("08:30-12:00", "14:30-17:30")
    assert hours.periods == ((time(8, 30), time(12)), (time(14, 30), time(17, 30)))
    assert hours.to_dict() == {"periods": ["08:30-12:00", "14:30-17:30"]}
    for bad in (("12:00-08:30",), ("08:30-12:00", "11:00-13:00"), ("14:00-15:00", "09:00-10:00"), ("0900",)):
        with pytest.raises(ValueError, match="business"):
            BusinessHours.of(*bad)
    with pytest.raises(ValueError, match="at least one"):
        BusinessHours(())
    with pytest.raises(ValueError, match="naive"):
        BusinessHours(((time(9, tzinfo=SHANGHAI), time(17, tzinfo=SHANGHAI)),))
