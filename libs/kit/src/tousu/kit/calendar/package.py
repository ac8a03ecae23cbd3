"""The chinese-calendar package as a source of statutory holidays and make-up working days (ARCHITECTURE §5).

The package raises NotImplementedError outside the years it ships data for; we read that range from its own
table (the same one it checks) instead of catching the error per day.
"""

from datetime import date
from functools import cache

import chinese_calendar
from chinese_calendar import constants as _constants

from tousu.kit.calendar.model import DayInfo, DayReason

PACKAGE_SOURCE = f"chinese-calendar {getattr(chinese_calendar, '__version__', '?')}"


@cache
def chinese_calendar_years() -> range:
    """The years the installed chinese-calendar package has data for (it refuses any other year)."""
    years = {d.year for d in _constants.holidays}
    return range(min(years), max(years) + 1)


def package_day_status(d: date) -> DayInfo:
    """The package's status for `d`; the caller makes sure `d.year` is in `chinese_calendar_years()`."""
    working = bool(chinese_calendar.is_workday(d))
    weekend = d.weekday() >= 5
    if working:
        reason = DayReason.MAKE_UP_WORKING_DAY if weekend else DayReason.WORKING_DAY
    elif not weekend:
        reason = DayReason.HOLIDAY
    else:
        # A weekend inside a holiday run (e.g. Qingming 04-04 Sat) is reported as holiday, like loaded data.
        reason = DayReason.HOLIDAY if d in _constants.holidays else DayReason.WEEKEND
    return DayInfo(d, working, reason, provisional=False, source=PACKAGE_SOURCE)
