"""Repeat complaints (INT-30, SAN-36) and large-scale complaints (CBRC 十五, RTE-11, CONV-11). Pure."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tousu.contracts.vocab import RepeatCause


@dataclass(frozen=True)
class ParentFacts:
    """What intake learnt about an earlier complaint from routing's and sla's events."""

    replied_at: datetime | None
    breached_at: datetime | None
    unit_unreachable: int
    callback_dissatisfied: bool


def repeat_cause(parent: ParentFacts, at: datetime) -> RepeatCause:
    """Why the customer complains again (DOMAIN §7 repeat cause), judged from the first complaint's journey at `at`.

    The unit could not be reached (SAN-36: charged to it whatever the merits) outweighs the rest; a deadline missed
    without a reply is `no_timely_reply` (INT-30); a reply the customer did not accept is `dissatisfied`.
    """
    if parent.unit_unreachable > 0:
        return RepeatCause.UNREACHABLE
    replied = parent.replied_at is not None and parent.replied_at <= at
    if not replied and parent.breached_at is not None and parent.breached_at <= at:
        return RepeatCause.NO_TIMELY_REPLY
    if replied or parent.callback_dissatisfied:
        return RepeatCause.DISSATISFIED
    return RepeatCause.OTHER


def group_key(same: Sequence[str], values: Mapping[str, Any]) -> str:
    """What complaints of one large-scale group share, e.g. `respondent_unit=bank-x|category=product|product=wm-1`.
    A field a complaint leaves out groups with the others that leave it out."""
    return "|".join(f"{name}={values.get(name) or ''}" for name in same)


def crosses(count: int, threshold: int, already_alerted: bool) -> bool:
    """CONV-10: "≥ threshold" includes the threshold; one alert per group and window."""
    return count >= threshold and not already_alerted
