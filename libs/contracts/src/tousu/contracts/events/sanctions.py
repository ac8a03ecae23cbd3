"""Events produced by sanctions (ARCHITECTURE §1): responsibility, accountability, KPIs, points.

Persons are named by staff id only (e.g. `emp-22`, `csr-1088`), never by name.
"""

from pydantic import Field

from tousu.contracts.events.base import EventData, event
from tousu.contracts.types import BusinessTime, Id
from tousu.contracts.vocab import Money, Part, ResponsibilityType

Figure = int | float | str
"""A number that explains a decision (a count, a ratio, a threshold) or, for exact decimals, its string."""


class Evidence(Part):
    """What a sanction rests on: the complaints that triggered it and the figures the rule compared."""

    complaint_ids: list[str] = Field(default_factory=list)
    figures: dict[str, Figure] = Field(default_factory=dict)
    event_ids: list[str] = Field(default_factory=list)
    """CloudEvents ids of the facts (breaches, escalations, evaluations) the rule evaluated."""


@event("responsibility.determined", "sanctions")
class ResponsibilityDetermined(EventData):
    """A responsibility determination (SAN-30…33, SAN-43…46); `responsible` false is a non-responsibility one."""

    determination_id: str
    responsible: bool
    clause: str | None = None
    """The clause applied, e.g. 第十九条(四) or 第二十条(二)."""
    type: ResponsibilityType | None = None
    """service_attitude, negligence or dereliction; None for a non-responsibility determination."""
    persons: list[str] = Field(default_factory=list)
    """Staff ids of the responsible persons."""
    units: list[Id] = Field(default_factory=list)
    """The responsible units."""
    disputed_fee_borne: Money | None = None
    """The disputed fee the staff member bears (SAN-33)."""
    determining_body: Id | None = None
    final: bool = False
    """A re-determination by the next level is final (RCN-04)."""
    supersedes: str | None = None
    """The determination this re-determination replaces."""
    complaint_level: str | None = None
    """The complaint level where the regime sets one (INT-39)."""


@event("responsibility.appealed", "sanctions")
class ResponsibilityAppealed(EventData):
    """An employee disputes a determination and asks the next level to re-determine (RCN-04)."""

    determination_id: str
    appellant: str | None = None
    """Staff id of the employee who appeals."""
    to_body: Id | None = None
    reason: str | None = None
    accepted: bool = True
    """False: refused, e.g. a further request after a final re-determination."""


@event("sanction.imposed", "sanctions")
class SanctionImposed(EventData):
    """A sanction on an organisation or persons. `kind` is one of vocab.SANCTION_KINDS or a kind a policy names.

    `rule` is the sanction rule (e.g. SAN-01(3)); `evidence` names the complaints and figures behind it.
    """

    sanction_id: str
    kind: str
    target_org: Id
    target_persons: list[str] = Field(default_factory=list)
    """Staff ids."""
    issuer: str | None = None
    """Who imposes it, e.g. the association's leader in charge or service committee."""
    evidence: Evidence = Field(default_factory=Evidence)
    reason: str
    counterpart: str | None = None
    """Who receives it on the target's side, e.g. the member unit's leader in charge (an interview, SAN-01)."""
    requirement: str | None = None
    """What the target must do, e.g. rectification."""
    scope: str | None = None
    """Where it is published: industry, jurisdiction, city-wide, ..."""
    amount: Money | None = None
    """Settlement deductions (SAN-19/20)."""
    period: str | None = None
    """The period it concerns, e.g. 2026-Q3 or 2026 for an award season or year."""
    due_at: BusinessTime | None = None
    """By when it must be fulfilled (an interview's date, a rectification deadline)."""
    until: BusinessTime | None = None
    """End of a suspension that lasts a fixed time."""
    step: int | None = None
    """The step of an accountability ladder (SAN-01…03: 1 interview, 2 public criticism, 3 award loss)."""
    recommendation: str | None = None
    """e.g. disciplinary action (SAN-02)."""


@event("sanction.fulfilled", "sanctions")
class SanctionFulfilled(EventData):
    """What a sanction required was done: an interview held, a rectification completed."""

    sanction_id: str
    kind: str | None = None
    target_org: Id | None = None
    note: str | None = None


@event("sanction.lifted", "sanctions")
class SanctionLifted(EventData):
    """A sanction ends early or on compliance (e.g. settlement resumes once the SI complies, SAN-12)."""

    sanction_id: str
    reason: str
    kind: str | None = None
    target_org: Id | None = None


@event("reward.recommended", "sanctions")
class RewardRecommended(EventData):
    """Praise, a reward or an award nomination (SAN-38, SAN-68)."""

    kind: str
    """praise, reward, annual_excellence, ..."""
    reason: str
    persons: list[str] = Field(default_factory=list)
    """Staff ids."""
    org: Id | None = None
    period: str | None = None


@event("kpi.evaluated", "sanctions")
class KpiEvaluated(EventData):
    """A KPI of an organisation for a period, compared with its threshold (CONV-10: exactly as written)."""

    org: Id
    period: str
    """e.g. 2026-06, 2026-Q3, 2026-H1."""
    metric: str
    value: float
    threshold: float
    compliant: bool
    verdict: str | None = None
    unit: str | None = None
    """percent, per_10000_users, count, ..."""
    comparison: str | None = None
    """How the threshold applies to a compliant value: >=, >, <=, <."""
    inputs: dict[str, Figure] = Field(default_factory=dict)
    """Numerator, denominator and the other figures the value came from."""
    consecutive_periods: int | None = None
    """How many periods in a row, this one included, were not compliant (SAN-12, SAN-15)."""


@event("points.recorded", "sanctions")
class PointsRecorded(EventData):
    """Performance points of a staff member (SAN-6x…11x): a bonus or deduction, or a score set outright."""

    person: str
    """Staff id."""
    org: Id
    period: str
    """The appraisal quarter, e.g. 2026-Q3."""
    points: int
    """Signed change: +5, -10."""
    reason: str
    kind: str | None = None
    """bonus, deduction, score_set."""
    score_set_to: int | None = None
    """Set the period's score to this value instead of adding (SAN-104: 0)."""
    award_ineligible: bool = False
    """The behaviour also loses the annual award eligibility (SAN-85…95)."""
    points_id: str | None = None


__all__ = [
    "Evidence",
    "Figure",
    "KpiEvaluated",
    "PointsRecorded",
    "ResponsibilityAppealed",
    "ResponsibilityDetermined",
    "RewardRecommended",
    "SanctionFulfilled",
    "SanctionImposed",
    "SanctionLifted",
]
