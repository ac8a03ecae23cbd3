"""The explain view: each day from day 0 through the due day, with why (CONTRACT §6)."""

import json
from datetime import date, datetime, timedelta

from tousu.contracts.types import SHANGHAI, ClockKind
from tousu.kit.calendar import BusinessHours, DayReason, ExplainedDay, OrgOverrides, WorkingCalendar, YearCalendar


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def d(text: str) -> date:
    return date.fromisoformat(text)


def summary(days: list[ExplainedDay]) -> list[tuple[str, str, bool, int | None]]:
    return [(day.date.isoformat()[5:], day.reason.value, day.counted, day.number) for day in days]


def test_as01_conv02_explain_across_qingming(tc_calendar: WorkingCalendar) -> None:
    days = tc_calendar.explain(at("2026-04-03T15:20"), ClockKind.WORKING_DAYS, 2)
    assert summary(days) == [
        ("04-03", "working_day", False, None),  # day 0
        ("04-04", "holiday", False, None),
        ("04-05", "holiday", False, None),
        ("04-06", "holiday", False, None),
        ("04-07", "working_day", True, 1),
        ("04-08", "working_day", True, 2),
    ]
    assert "day 0" in days[0].note
    assert all(day.source.startswith("TC-2026") for day in days)


def test_as20_conv02_explain_names_the_make_up_working_day(tc_calendar: WorkingCalendar) -> None:
    days = tc_calendar.explain(at("2026-09-30T15:00"), ClockKind.WORKING_DAYS, 3)
    assert days[-1].date == d("2026-10-10")
    assert (days[-1].reason, days[-1].counted, days[-1].number) == (DayReason.MAKE_UP_WORKING_DAY, True, 3)
    assert [day.date for day in days] == [d("2026-09-30") + timedelta(days=i) for i in range(11)]


def test_sla_conv02_explain_marks_provisional_days(tc_calendar: WorkingCalendar) -> None:
    days = tc_calendar.explain(at("2026-12-28T09:00"), ClockKind.WORKING_DAYS, 5)
    jan_1 = next(day for day in days if day.date == d("2027-01-01"))
    assert (jan_1.reason, jan_1.provisional, jan_1.counted, jan_1.number) == (DayReason.PROVISIONAL, True, True, 4)
    weekend = next(day for day in days if day.date == d("2027-01-02"))
    assert (weekend.working, weekend.reason, weekend.counted) == (False, DayReason.PROVISIONAL, False)
    assert not any(day.provisional for day in days if day.date.year == 2026)


def test_conv02_explain_names_overrides(tc_2026: YearCalendar) -> None:
    cal = WorkingCalendar(
        {2026: tc_2026},
        overrides=OrgOverrides(holidays={d("2026-04-08")}, working_days={d("2026-04-05")}, source="branch notice"),
        package_years=(),
    )
    days = cal.explain(at("2026-04-03T15:20"), ClockKind.WORKING_DAYS, 3)
    by_date = {day.date.isoformat()[5:]: day for day in days}
    assert (by_date["04-05"].reason, by_date["04-05"].number) == (DayReason.OVERRIDE_WORKING_DAY, 1)
    assert (by_date["04-08"].reason, by_date["04-08"].counted) == (DayReason.OVERRIDE_HOLIDAY, False)
    assert by_date["04-08"].source == "branch notice"
    assert days[-1].date == d("2026-04-09")


def test_as25_conv04_explain_working_hours_lists_the_periods_counted(tc_2026: YearCalendar) -> None:
    cal = WorkingCalendar(
        {2026: tc_2026}, business_hours=BusinessHours.of("08:30-12:00", "13:30-18:00"), package_years=()
    )
    days = cal.explain(at("2026-04-03T15:00"), ClockKind.WORKING_HOURS, 8)
    assert [day.date for day in days] == [d("2026-04-03") + timedelta(days=i) for i in range(5)]
    assert days[0].periods == ((at("2026-04-03T15:00"), at("2026-04-03T18:00")),)
    assert [day.counted for day in days] == [True, False, False, False, True]
    assert days[-1].periods == (
        (at("2026-04-07T08:30"), at("2026-04-07T12:00")),
        (at("2026-04-07T13:30"), at("2026-04-07T15:00")),
    )
    counted = sum((end - start for day in days for start, end in day.periods), timedelta())
    assert counted == timedelta(hours=8)


def test_conv03_explain_wall_clock_hours_split_by_day(tc_calendar: WorkingCalendar) -> None:
    days = tc_calendar.explain(at("2026-09-30T20:00"), ClockKind.HOURS, 10)
    assert [day.periods for day in days] == [
        ((at("2026-09-30T20:00"), at("2026-10-01T00:00")),),
        ((at("2026-10-01T00:00"), at("2026-10-01T06:00")),),
    ]
    assert days[1].reason is DayReason.HOLIDAY
    assert days[1].counted  # wall clock counts holidays


def test_conv05_explain_calendar_days_numbers_and_postponement(tc_calendar: WorkingCalendar) -> None:
    plain = tc_calendar.explain(at("2026-06-02T10:00"), ClockKind.CALENDAR_DAYS, 15)
    assert [day.number for day in plain] == [None, *range(1, 16)]
    assert plain[-1].date == d("2026-06-17")
    postponed = tc_calendar.explain(at("2026-09-26T10:00"), ClockKind.CALENDAR_DAYS, 5, postpone_to_working_day=True)
    assert postponed[5].date == d("2026-10-01")
    assert (postponed[5].number, postponed[5].reason) == (5, DayReason.HOLIDAY)
    assert postponed[-1].date == d("2026-10-08")
    assert all("moved on" in day.note for day in postponed[6:])


def test_conv06_explain_same_day_is_one_day(tc_calendar: WorkingCalendar) -> None:
    days = tc_calendar.explain(at("2026-10-01T10:00"), ClockKind.SAME_DAY, 0)
    assert summary(days) == [("10-01", "holiday", True, None)]


def test_explain_is_json_ready(tc_calendar: WorkingCalendar) -> None:
    days = tc_calendar.explain(at("2026-04-03T15:00"), ClockKind.WORKING_HOURS, 2)
    payload = json.loads(json.dumps([day.to_dict() for day in days]))
    assert payload[0] == {
        "date": "2026-04-03",
        "working": True,
        "reason": "working_day",
        "provisional": False,
        "source": "TC-2026 (assumed, DOMAIN §10)",
        "counted": True,
        "number": None,
        "periods": [{"from": "2026-04-03T15:00:00+08:00", "to": "2026-04-03T17:00:00+08:00"}],
        "note": "business hours counted (CONV-04)",
    }
    daily = tc_calendar.explain(at("2026-03-10T18:00"), ClockKind.DAILY_AT, 1, daily_at=datetime(2026, 1, 1, 17).time())
    assert [(day.date, day.counted) for day in daily] == [(d("2026-03-10"), False), (d("2026-03-11"), True)]
