"""Working-day calendar: statutory holidays and make-up working days, deadlines per clock kind (DOMAIN §0.3).

Pure: no I/O, no database. sla stores clocks and calls `WorkingCalendar.deadline`; routing counts working days
with `add_working_days` / `working_days_between`.
"""

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
from tousu.kit.calendar.package import PACKAGE_SOURCE, chinese_calendar_years
from tousu.kit.calendar.working import PROVISIONAL_SOURCE, WorkingCalendar

__all__ = [
    "DEFAULT_BUSINESS_HOURS",
    "PACKAGE_SOURCE",
    "PROVISIONAL_SOURCE",
    "BusinessHours",
    "DayInfo",
    "DayReason",
    "Deadline",
    "ExplainedDay",
    "OrgOverrides",
    "WorkingCalendar",
    "YearCalendar",
    "chinese_calendar_years",
]
