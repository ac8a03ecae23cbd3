"""Organisation duties that are not complaints: a notice of a change must come early enough (SLA-54), and a
changed liaison contact must be notified promptly after the change (SLA-06, SLA-56)."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from pydantic import BaseModel, ConfigDict, Field

from tousu.contracts.policy import Policy
from tousu.contracts.types import SHANGHAI, BusinessTime
from tousu.kit.calendar import WorkingCalendar

LEAD_PARAMETER = "si_change_notice_working_days"
"""The policy parameter: working days before it takes effect that a change must be notified (SLA-54; today only
the mobile regime names one, for its service integrators)."""
PROMPT_PARAMETER = "contact_change_notice_hours"
"""The policy parameter: hours after a liaison contact changed by which the change must be notified (及時 / 第一時間,
CONV-11: SLA-56 for the mobile regime's SIs, SLA-06 for Liaoning's member units)."""


class ChangeNotice(BaseModel):
    """`POST /v1/orgs/{id}/change-notices` (CONTRACT §2), e.g. an SI's change of name or contacts."""

    model_config = ConfigDict(extra="forbid")

    change: str = Field(min_length=1, max_length=500)
    effective_at: BusinessTime
    notified_at: BusinessTime
    liaison_contact: bool = Field(
        default=False,
        description="the change is of the organisation's liaison contact (person, phone): due promptly after it took "
        "effect (SLA-06, SLA-56), where the regime names that duty, rather than ahead of it",
    )


@dataclass(frozen=True)
class Verdict:
    regime: str | None
    required_by: datetime | None
    late: bool
    rule: str | None


def judge(notice: ChangeNotice, policies: Iterable[Policy], calendar: WorkingCalendar) -> Verdict:
    """Late when notified after the last day that still leaves the regime's lead time (CONV-02 counting: the
    notice's day is day 0, the change may take effect on the N-th working day after it at the earliest); a liaison
    contact's change, where the regime has that duty, is late when notified more than its hours after the change."""
    policies = list(policies)
    for policy in policies if notice.liaison_contact else []:
        parameter = policy.parameters.get(PROMPT_PARAMETER)
        if parameter is None or parameter.default is None:
            continue
        required_by = notice.effective_at + timedelta(hours=float(parameter.default))
        rule = parameter.rule[0] if parameter.rule else None
        return Verdict(policy.id, required_by, notice.notified_at > required_by, rule)
    for policy in policies:
        parameter = policy.parameters.get(LEAD_PARAMETER)
        if parameter is None or not parameter.default:
            continue
        last_day = calendar.add_working_days(notice.effective_at.astimezone(SHANGHAI).date(), -int(parameter.default))
        required_by = datetime.combine(last_day, time(23, 59, 59), SHANGHAI)
        rule = parameter.rule[0] if parameter.rule else None
        return Verdict(policy.id, required_by, notice.notified_at > required_by, rule)
    return Verdict(None, None, False, None)
