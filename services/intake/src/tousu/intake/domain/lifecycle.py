"""After acceptance: withdrawal (LC-10), reconsideration window (RCN-02), reclassification (INT-36). Pure."""

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from tousu.contracts.policy import Policy, Upgrade
from tousu.contracts.types import ClockKind
from tousu.kit.calendar import WorkingCalendar

WithdrawalRule = Literal["before_transfer", "until_closed", "never"]


@dataclass(frozen=True)
class Refusal:
    """Why a step is not allowed: the reason code carried by the event, a sentence, and the rule."""

    code: str
    message: str
    rule: str | None


def withdrawal_refusal(
    rule: WithdrawalRule, requested_at: datetime, transferred_at: datetime | None, closed_at: datetime | None
) -> Refusal | None:
    """LC-10: a complaint may be withdrawn only before it was transferred out (or as the regime says).

    Business time decides: a request made before the transfer happened is still in time.
    """
    if rule == "never":
        return Refusal("not_allowed", "the regime does not allow withdrawing a complaint", "LC-10")
    if rule == "before_transfer" and transferred_at is not None and transferred_at <= requested_at:
        return Refusal("transferred", "the complaint was transferred and is a valid, irrevocable complaint", "LC-10")
    if closed_at is not None and closed_at <= requested_at:
        return Refusal("closed", "the complaint is closed", "LC-10")
    return None


def window_closes_at(policy: Policy, notified_at: datetime, calendar: WorkingCalendar | None = None) -> datetime | None:
    """The last instant a reconsideration may be filed (RCN-02, CONV-05: the notification day is day 0)."""
    procedure = policy.intake.reconsideration
    if procedure is None:
        return None
    window = procedure.window
    postpone = procedure.postponed_on_holiday and window.clock is ClockKind.CALENDAR_DAYS
    deadline = (calendar or WorkingCalendar()).deadline(
        notified_at, window.clock, window.length, postpone_to_working_day=postpone
    )
    return deadline.due_at


Field = Literal["kind", "priority", "category"]


def _is_upgrade(upgrades: list[Upgrade], field: Field, current: str, wanted: str) -> bool:
    return any(u.field == field and current in u.from_ and u.to == wanted for u in upgrades)


def reclassification_refusal(policy: Policy, field: Field, current: str, wanted: str) -> Refusal | None:
    """INT-36: a contact may be upgraded (a consultation or defused case into a complaint, a complaint into a major
    one) but never the reverse. A change of kind must be one of the regime's upgrades; priority and category may
    also be corrected otherwise, except back down an irreversible upgrade."""
    rules = policy.intake.reclassification
    rule = rules.rule[0] if rules.rule else "INT-36"
    if _is_upgrade(rules.upgrades, field, current, wanted):
        return None
    if rules.irreversible and _is_upgrade(rules.upgrades, field, wanted, current):
        return Refusal("irreversible", f"{field} {current} cannot go back to {wanted} (irreversible)", "INT-36")
    if field == "kind":
        return Refusal("not_allowed", f"{policy.id} does not turn a {current} into a {wanted}", rule)
    return None
