"""Events produced by intake (ARCHITECTURE §1).

Personal data of the complainant never appears here: only `complainant_ref`, a keyed hash that lets other
services recognise the same complainant without knowing who it is. Free texts of the submission (facts, demand)
stay in intake too.
"""

from typing import Any

from pydantic import Field

from tousu.contracts.events.base import EventData, event
from tousu.contracts.types import BusinessTime, Id
from tousu.contracts.vocab import (
    Channel,
    ComplaintKind,
    FaultSeverity,
    Money,
    Part,
    Priority,
    RepeatCause,
    Scope,
    Standing,
    Validity,
)


class Classification(Part):
    """What intake decided at acceptance (INT-2x/3x); the same object as the HTTP answer's `classification`."""

    validity: Validity | None = None
    """valid (有效投诉) or communicative (沟通性投诉) where the regime distinguishes them; else None."""
    scope: Scope = Scope.IN_SCOPE
    """`referred`: recorded but excluded from the complaint process (no case, no clock); routing refers it."""
    referral_target: str | None = None
    """Where a referred matter goes, e.g. `compliance` or the supervision unit's id."""
    major: bool = False
    large_scale: bool = False
    fault_severity: FaultSeverity | None = None
    reasons: list[str] = Field(default_factory=list)
    """Rule ids or short codes that explain the classification."""


class Violation(Part):
    """One reason a submission was refused: the field, what is wrong, and the rule it breaks."""

    field: str | None = None
    message: str
    rule: str | None = None


@event("complaint.received", "intake")
class ComplaintReceived(EventData):
    """A complaint was accepted and classified. Starts cases (routing) and stage clocks (sla)."""

    complaint_id: str
    reference: str
    regime: str
    policy_version: str
    """The policy version the complaint is handled under, for its whole life (ARCHITECTURE §6)."""
    received_at: BusinessTime
    receiving_unit: Id
    receiver_staff: str | None = None
    """Staff id of the first-contact owner (首問負責), never a name."""
    channel: Channel
    kind: ComplaintKind
    category: str
    priority: Priority
    respondent_unit: Id
    respondent_staff: list[str] = Field(default_factory=list)
    """Staff ids of the complained persons."""
    complainant_ref: str | None = None
    """Keyed hash of the complainant's identity; never the raw personal data."""
    complainant_standing: Standing | None = None
    confidential: bool = False
    """An informant (舉報人) whose identity is never revealed (CONF-01, CONF-02)."""
    authority: str | None = None
    """The competence level (e.g. outlet / city / province) where the regime distinguishes levels."""
    parent_complaint_id: str | None = None
    external_ref: str | None = None
    """The sender's own reference, e.g. a CRM id or the regulator's transfer reference (CBRC, 12378)."""
    flags: dict[str, bool] = Field(default_factory=dict)
    """violation_suspected, litigation, media_exposure, important_customer, ..."""
    classification: Classification
    disputed_amount: Money | None = None
    fault: dict[str, Any] | None = None
    """Fault reports: service_stopped, blocks_normal_use, root_cause_domain, severity (CONTRACT §4)."""
    respondent_domain: str | None = None
    """Responsibility domain where the regime has them (mobile: operator / platform builder / SI)."""
    cause_levels: list[str] = Field(default_factory=list)
    """Cause categories chosen at intake, level 1 first (INT-37)."""
    recording_ref: str | None = None
    """Reference of the call recording (CONF-09)."""


@event("complaint.reclassified", "intake")
class ComplaintReclassified(EventData):
    """The regime allowed a change of kind, priority or category (INT-36: never the reverse of an upgrade)."""

    complaint_id: str
    regime: str
    reason: str
    kind: ComplaintKind | None = None
    priority: Priority | None = None
    category: str | None = None
    previous_kind: ComplaintKind | None = None
    previous_priority: Priority | None = None
    previous_category: str | None = None
    classification: Classification | None = None
    """The classification after the change, when it changed."""
    reference: str | None = None
    by: str | None = None


@event("complaint.rejected", "intake")
class ComplaintRejected(EventData):
    """A submission failed validation or the regime's acceptance conditions (INT-*); no case, no clock.

    The submitted values are carried as given (plain strings): they may be the very thing that was wrong.
    """

    reasons: list[Violation] = Field(default_factory=list)
    reason: str | None = None
    """A one-line summary, e.g. the acceptance condition not met."""
    received_at: BusinessTime | None = None
    receiving_unit: str | None = None
    channel: str | None = None
    kind: str | None = None
    category: str | None = None
    respondent_unit: str | None = None
    complainant_ref: str | None = None
    policy_version: str | None = None
    stored_as: str | None = None
    """What intake kept instead, e.g. `feedback` (AS-10(a))."""


@event("complaint.closed_at_intake", "intake")
class ComplaintClosedAtIntake(EventData):
    """Resolved at the first contact, the customer satisfied (LC-04): closed everywhere, no case."""

    complaint_id: str
    regime: str
    closed_at: BusinessTime
    customer_satisfied: bool = True
    resolution: str | None = None
    reference: str | None = None
    received_at: BusinessTime | None = None
    receiving_unit: Id | None = None
    receiver_staff: str | None = None
    channel: Channel | None = None
    kind: ComplaintKind | None = None
    category: str | None = None
    respondent_unit: Id | None = None
    complainant_ref: str | None = None
    policy_version: str | None = None


@event("complaint.repeat_detected", "intake")
class ComplaintRepeatDetected(EventData):
    """This complaint repeats an earlier one (INT-30); `cause` unreachable counts against the unit (SAN-36)."""

    complaint_id: str
    regime: str
    parent_complaint_id: str
    cause: RepeatCause
    respondent_unit: Id | None = None
    """The unit the repeat is charged to."""
    complainant_ref: str | None = None
    reference: str | None = None
    parent_reference: str | None = None
    repeat_count: int | None = None
    """How many complaints of this chain there are now, this one included."""
    breached_stage: str | None = None
    """The stage whose breach caused the repeat, when there was one."""


@event("complaint.large_scale_detected", "intake")
class ComplaintLargeScaleDetected(EventData):
    """Many complaints about one matter inside a window (CBRC 十五, CONV-11); reporting decides on a report."""

    count: int
    window_hours: int
    threshold: int
    group_key: str
    """What the complaints share, e.g. `product:wm-2026-17` or `category:fees`."""
    complaint_ids: list[str] = Field(default_factory=list)
    respondent_unit: Id | None = None
    category: str | None = None
    first_received_at: BusinessTime | None = None
    last_received_at: BusinessTime | None = None
    mass_incident_risk: bool = False


@event("complaint.withdrawn", "intake")
class ComplaintWithdrawn(EventData):
    """Withdrawn before transfer (LC-10): routing closes the case, sla stops its clocks."""

    complaint_id: str
    regime: str
    requested_at: BusinessTime
    reason: str | None = None
    reference: str | None = None


@event("complaint.withdrawal_refused", "intake")
class ComplaintWithdrawalRefused(EventData):
    """Withdrawal asked after the transfer: the complaint stays valid and irrevocable (LC-10, INT-40)."""

    complaint_id: str
    regime: str
    requested_at: BusinessTime
    refusal_reason: str = "transferred"
    reason: str | None = None
    """The requester's reason."""
    transferred_at: BusinessTime | None = None
    reference: str | None = None


@event("reconsideration.requested", "intake")
class ReconsiderationRequested(EventData):
    """Filed inside the window (RCN-02); starts the decision clock (SLA-15)."""

    complaint_id: str
    regime: str
    requested_at: BusinessTime
    lodged_with: Id
    """The superior unit of the deciding body, or the same-level banking association."""
    notified_at: BusinessTime | None = None
    """When the customer was told the result: the start of the filing window."""
    window_closes_at: BusinessTime | None = None
    deciding_unit: Id | None = None
    """The unit whose decision is to be reconsidered."""
    reason: str | None = None
    complainant_ref: str | None = None
    reference: str | None = None


@event("reconsideration.rejected_late", "intake")
class ReconsiderationRejectedLate(EventData):
    """Filed after the window closed (RCN-02, SLA-15)."""

    complaint_id: str
    regime: str
    requested_at: BusinessTime
    window_closed_at: BusinessTime
    lodged_with: Id | None = None
    notified_at: BusinessTime | None = None
    reference: str | None = None


__all__ = [
    "Classification",
    "ComplaintClosedAtIntake",
    "ComplaintLargeScaleDetected",
    "ComplaintReceived",
    "ComplaintReclassified",
    "ComplaintRejected",
    "ComplaintRepeatDetected",
    "ComplaintWithdrawalRefused",
    "ComplaintWithdrawn",
    "ReconsiderationRejectedLate",
    "ReconsiderationRequested",
    "Violation",
]
