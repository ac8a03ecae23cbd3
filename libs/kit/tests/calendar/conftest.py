"""The test calendar TC-2026 of DOMAIN §10, loaded as data (it is assumed, not verified: never "the real" one)."""

from datetime import date, timedelta

import pytest

from tousu.kit.calendar import BusinessHours, WorkingCalendar, YearCalendar


def _span(first: str, last: str) -> set[date]:
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    return {start + timedelta(days=i) for i in range((end - start).days + 1)}


TC_2026_HOLIDAYS = (
    _span("2026-01-01", "2026-01-03")
    | _span("2026-02-15", "2026-02-23")  # Spring Festival
    | _span("2026-04-04", "2026-04-06")  # Qingming
    | _span("2026-05-01", "2026-05-05")  # Labour Day
    | _span("2026-06-19", "2026-06-21")  # Dragon Boat
    | _span("2026-09-25", "2026-09-27")  # Mid-Autumn
    | _span("2026-10-01", "2026-10-07")  # National Day
)
TC_2026_MAKE_UP = {
    date.fromisoformat(d) for d in ("2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10")
}


@pytest.fixture(scope="session")
def tc_2026() -> YearCalendar:
    return YearCalendar(2026, TC_2026_HOLIDAYS, TC_2026_MAKE_UP, "TC-2026 (assumed, DOMAIN §10)")


@pytest.fixture(scope="session")
def tc_calendar(tc_2026: YearCalendar) -> WorkingCalendar:
    """TC-2026 loaded; the package is not trusted for any year, so every other year (2027) is unknown."""
    return WorkingCalendar({2026: tc_2026}, package_years=())


@pytest.fixture(scope="session")
def office_hours() -> BusinessHours:
    """Office hours with a lunch break, as the gov-service-centre regime states them (DOMAIN §0.2)."""
    return BusinessHours.of("08:30-12:00", "14:30-17:30")
