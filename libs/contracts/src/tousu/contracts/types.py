"""Value types shared by every contract."""

from datetime import datetime, timedelta, timezone
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, StringConstraints

SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")


def _to_shanghai(value: datetime) -> datetime:
    # CONV-01: every timestamp the platform emits is ISO-8601 with +08:00.
    return value.astimezone(SHANGHAI)


BusinessTime = Annotated[AwareDatetime, AfterValidator(_to_shanghai)]
"""An aware instant, normalised to +08:00 (CONV-01). Naive datetimes are refused."""

Id = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=100)]
"""Organisation, tenant, unit and regime ids: lowercase letters, digits and hyphens, no dots (CONTRACT §2)."""


class ClockKind(StrEnum):
    """How a stage's length is counted (CONV-02..07, CONTRACT §6)."""

    WORKING_DAYS = "working_days"
    HOURS = "hours"
    MINUTES = "minutes"
    WORKING_HOURS = "working_hours"
    CALENDAR_DAYS = "calendar_days"
    SAME_DAY = "same_day"
    DAILY_AT = "daily_at"

    @property
    def counts_days(self) -> bool:
        """Day counts end at 23:59:59 and breach at the next second; the others breach at the instant."""
        return self in (ClockKind.WORKING_DAYS, ClockKind.CALENDAR_DAYS, ClockKind.SAME_DAY)


def iso(value: datetime | None) -> str | None:
    """An instant as the platform shows it: ISO-8601 in +08:00 (CONV-01); the database hands back UTC."""
    return value.astimezone(SHANGHAI).isoformat() if value is not None else None
