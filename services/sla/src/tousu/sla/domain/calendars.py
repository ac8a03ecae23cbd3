"""Which calendar a clock counts on: the loaded years, the owner's organisation overrides along its hierarchy,
and business hours (the organisation's, else the regime's). Pure: the caller reads the data."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from tousu.contracts.policy import CalendarRules
from tousu.kit.calendar import BusinessHours, OrgOverrides, WorkingCalendar, YearCalendar


@dataclass(frozen=True)
class OrgCalendar:
    """An organisation's own extra rest days, extra working days and business hours; they apply to its whole
    subtree, a nearer organisation winning on a date both name."""

    org_id: str
    holidays: frozenset[date]
    working_days: frozenset[date]
    business_hours: BusinessHours | None
    source: str

    def __post_init__(self) -> None:
        OrgOverrides(self.holidays, self.working_days, self.source)  # validates: no date both rest and work

    @classmethod
    def from_dict(cls, org_id: str, data: dict[str, Any]) -> "OrgCalendar":
        hours = data.get("business_hours")
        return cls(
            org_id=org_id,
            holidays=frozenset(date.fromisoformat(str(d)) for d in data.get("holidays") or ()),
            working_days=frozenset(date.fromisoformat(str(d)) for d in data.get("working_days") or ()),
            business_hours=BusinessHours.of(*hours) if hours else None,
            source=str(data.get("source") or f"override of {org_id}"),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "org_id": self.org_id,
            "holidays": sorted(d.isoformat() for d in self.holidays),
            "working_days": sorted(d.isoformat() for d in self.working_days),
            "business_hours": self.business_hours.to_dict()["periods"] if self.business_hours else None,
            "source": self.source,
        }


def regime_hours(rules: CalendarRules) -> BusinessHours:
    return BusinessHours(tuple((w.start, w.end) for w in rules.business_hours))


def build_calendar(
    years: Iterable[YearCalendar], chain: Sequence[OrgCalendar], rules: CalendarRules
) -> WorkingCalendar:
    """The calendar of a unit whose overrides along the hierarchy are `chain`, root first."""
    holidays: set[date] = set()
    working: set[date] = set()
    for override in chain:
        holidays = (holidays - override.working_days) | override.holidays
        working = (working - override.holidays) | override.working_days
    hours = next((o.business_hours for o in reversed(chain) if o.business_hours), None) or regime_hours(rules)
    source = "; ".join(f"{o.org_id}: {o.source}" for o in chain) or "organisation override"
    return WorkingCalendar(list(years), overrides=OrgOverrides(holidays, working, source=source), business_hours=hours)
