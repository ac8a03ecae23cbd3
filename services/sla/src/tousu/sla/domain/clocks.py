"""Pure rules of a stage clock: who owns it, when it warns, whether a stop came in time."""

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from tousu.contracts.policy import Stage


def owner_of(
    stage: Stage,
    event_data: Mapping[str, Any],
    facts: Mapping[str, Any],
    holder: str | None,
    parent_of: Callable[[str], str | None],
    kind_of: Callable[[str], str | None],
) -> str | None:
    """The unit that owns the clock, from the stage's `owner` keyword (policy data, never a regime branch)."""
    owner = stage.owner
    base = holder or event_data.get("unit") or facts.get("receiving_unit")
    direct: dict[str, Any] = {
        "assignee": event_data.get("unit") or event_data.get("to_unit") or holder,
        "receiving_unit": facts.get("receiving_unit"),
        "respondent_unit": facts.get("respondent_unit"),
        "forward_target": event_data.get("to_unit") or holder,
        "holder": holder or facts.get("receiving_unit"),
        "superior": parent_of(str(base)) if base else None,
        "lodged_with": event_data.get("lodged_with"),
    }
    if owner in direct:
        value = direct[owner]
        return str(value) if value else None
    if owner.startswith("role:"):
        wanted = owner.removeprefix("role:")
        unit: str | None = str(base) if base else None
        while unit is not None:
            if kind_of(unit) == wanted:
                return unit
            unit = parent_of(unit)
        return str(base) if base else None
    return None


def warning_instant(started_at: datetime, due_at: datetime, fraction: float | None) -> datetime | None:
    """CONV-12: the warning point as a fraction of the stage window (none when the policy names none)."""
    if fraction is None or due_at <= started_at:
        return None
    return started_at + (due_at - started_at) * fraction


def stopped_in_time(stopped_at: datetime, breach_at: datetime) -> bool:
    """A stop is in time when it happened before the breach instant (CONTRACT §6 stamps)."""
    return stopped_at < breach_at
