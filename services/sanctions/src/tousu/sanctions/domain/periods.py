"""Appraisal periods in business time (+08:00): 2026-06, 2026-Q3, 2026-H1, 2026."""

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from tousu.contracts.types import SHANGHAI

PeriodKind = Literal["monthly", "quarterly", "semiannual", "annual"]
MONTHS: dict[PeriodKind, int] = {"monthly": 1, "quarterly": 3, "semiannual": 6, "annual": 12}
_LABEL = re.compile(r"^(\d{4})(?:-(\d{2})|-Q([1-4])|-H([12]))?$")


@dataclass(frozen=True, order=True)
class Period:
    start: datetime
    """First instant of the period."""
    end: datetime
    """First instant after it: a period is [start, end)."""
    kind: PeriodKind
    label: str

    def contains(self, instant: datetime) -> bool:
        return self.start <= instant < self.end

    def previous(self) -> "Period":
        return period_of(self.kind, _add_months(self.start, -MONTHS[self.kind]))

    def next(self) -> "Period":
        return period_of(self.kind, self.end)


def _add_months(instant: datetime, months: int) -> datetime:
    index = instant.year * 12 + instant.month - 1 + months
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=SHANGHAI)


def period_of(kind: PeriodKind, instant: datetime) -> Period:
    """The period of `kind` that holds `instant` (read in +08:00, CONV-01)."""
    local = instant.astimezone(SHANGHAI)
    size = MONTHS[kind]
    first_month = (local.month - 1) // size * size + 1
    start = datetime(local.year, first_month, 1, tzinfo=SHANGHAI)
    index = (first_month - 1) // size + 1
    label = {
        "monthly": f"{local.year}-{first_month:02d}",
        "quarterly": f"{local.year}-Q{index}",
        "semiannual": f"{local.year}-H{index}",
        "annual": f"{local.year}",
    }[kind]
    return Period(start=start, end=_add_months(start, size), kind=kind, label=label)


def parse_period(label: str) -> Period:
    """`2026-06` (monthly), `2026-Q3`, `2026-H1` or `2026`; ValueError otherwise."""
    match = _LABEL.match(label)
    if match is None:
        raise ValueError("a period is YYYY-MM, YYYY-Qn, YYYY-Hn or YYYY")
    year, month, quarter, half = match.groups()
    if month is not None:
        if not 1 <= int(month) <= 12:
            raise ValueError("the month must be 01 to 12")
        return period_of("monthly", datetime(int(year), int(month), 1, tzinfo=SHANGHAI))
    if quarter is not None:
        return period_of("quarterly", datetime(int(year), int(quarter) * 3, 1, tzinfo=SHANGHAI))
    if half is not None:
        return period_of("semiannual", datetime(int(year), int(half) * 6, 1, tzinfo=SHANGHAI))
    return period_of("annual", datetime(int(year), 1, 1, tzinfo=SHANGHAI))
