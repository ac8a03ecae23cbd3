"""Events produced by routing (ARCHITECTURE §1): the organisation registry and a case's journey through units.

A handling action (CONTRACT §5, over HTTP or ingress `case.act`) yields one event; its `by` is the acting unit and
`staff` the acting person's staff id (never a name). `occurred_at` is the action's business time `at`.
"""

from typing import Literal

from pydantic import ConfigDict, Field

from tousu.contracts.events.base import EventData, event
from tousu.contracts.types import BusinessTime, Id
from tousu.contracts.vocab import HandlerRole, Money, Part, ReplyMethod


class OrgHandler(Part):
    """A complaint handler of an organisation. Only the id travels: a handler's name stays in routing."""

    model_config = ConfigDict(extra="ignore")

    id: str
    role: HandlerRole = HandlerRole.A
    available: bool = True


class IngressUser(Part):
    """A RabbitMQ user that may publish ingress commands for the organisation (CONTRACT §9)."""

    model_config = ConfigDict(extra="ignore")

    user: str
    roles: list[str] = Field(default_factory=list)


class Organisation(Part):
    """An organisation of the registry (CONTRACT §2). Fields not declared here are dropped, never forwarded."""

    model_config = ConfigDict(extra="ignore")

    id: Id
    name: str
    kind: str
    """regulator, association, member, branch, outlet, department, vendor, ..."""
    parent: Id | None = None
    tenant: Id
    regimes: list[str] = Field(default_factory=list)
    handlers: list[OrgHandler] = Field(default_factory=list)
    authority_level: str | None = None
    ingress_users: list[IngressUser] = Field(default_factory=list)
    superior: Id | None = None
    """The escalation target when it is not the parent."""


@event("org.updated", "routing")
class OrgUpdated(EventData):
    """An organisation was created or changed; other services keep replicas from it.

    `version` grows by one with every change of the organisation: a replica ignores a version older than the one
    it holds (delivery order is not guaranteed).
    """

    org_id: Id
    org: Organisation
    version: int


@event("complaint.assigned", "routing")
class ComplaintAssigned(EventData):
    """A case's owner: the first owner from the regime's routing ladder, or a new handler (A → B, ORG-04).

    Never the transfer of LC-10: that is `complaint.forwarded` with `transfer`.
    """

    complaint_id: str
    regime: str
    unit: Id
    handler: str | None = None
    """Staff id of the handler."""
    handler_role: HandlerRole | None = None
    reason: str | None = None
    """first_owner, handler_unavailable, acknowledgement_breached, ..."""
    previous_unit: Id | None = None
    previous_handler: str | None = None
    owner_role: str | None = None
    """The accountable role where the regime names one (futures: vp_business, cro, gm; ORG-13)."""
    accountable_unit: Id | None = None
    """The unit holding `owner_role` in the registry (an organisation of that kind), when there is one."""
    cc_units: list[Id] = Field(default_factory=list)
    """Units the regime copies in parallel (e.g. the department manager, RTE-35)."""
    reference: str | None = None


@event("complaint.forwarded", "routing")
class ComplaintForwarded(EventData):
    """The case moved to another unit. The first forward out of the receiving unit is the transfer (LC-10)."""

    complaint_id: str
    regime: str
    from_unit: Id
    to_unit: Id
    transfer: bool = False
    by: Id
    staff: str | None = None
    from_kind: str | None = None
    """Organisation kind of `from_unit` (association, member, outlet, ...), for stage start conditions."""
    to_kind: str | None = None
    purpose: str | None = None
    """e.g. handling, verification, study_and_resolve (RTE-07)."""
    method: str | None = None
    """How it was dispatched: e_work_order, email, fax, system, ..."""
    form: str | None = None
    """The form that carried it where the regime names one (e.g. 《客戶投訴受理監督記錄表》)."""
    online_transfer_after_minutes: int | None = None
    reference: str | None = None


@event("complaint.acknowledged", "routing")
class ComplaintAcknowledged(EventData):
    """The unit (its A or B handler) confirmed receipt / accepted the case."""

    complaint_id: str
    regime: str
    by: Id
    staff: str | None = None
    handler_role: HandlerRole | None = None
    reference: str | None = None


@event("complaint.verified", "routing")
class ComplaintVerified(EventData):
    """The facts (or a need, by `kind`) were checked; `valid` says whether they were confirmed."""

    complaint_id: str
    regime: str
    by: Id
    staff: str | None = None
    valid: bool
    kind: str | None = None
    """What was verified: facts (default), onsite_need (SLA-46), cs_system_fault (SLA-52), ..."""
    reference: str | None = None


@event("complaint.approval_decided", "routing")
class ComplaintApprovalDecided(EventData):
    """A leader's instruction or approval (批示, RTE-19/24) was given or refused."""

    complaint_id: str
    regime: str
    by: Id
    staff: str | None = None
    approved: bool
    kind: str | None = None
    """What was approved: instruction, solution, handling_form, ..."""
    reason: str | None = None
    reference: str | None = None


@event("complaint.joint_investigation_opened", "routing")
class ComplaintJointInvestigationOpened(EventData):
    """Several units investigate together (RTE-17, RTE-28)."""

    complaint_id: str
    regime: str
    by: Id
    staff: str | None = None
    units: list[Id]
    lead_unit: Id | None = None
    reference: str | None = None


@event("complaint.customer_contact_attempted", "routing")
class ComplaintCustomerContactAttempted(EventData):
    """A contact attempt. `party` customer: the handler tried to reach the customer (SLA-31, SLA-46);
    `party` unit: a superior tried to reach the complained unit's staff (RTE-09; unreachable → SAN-36)."""

    complaint_id: str
    regime: str
    by: Id
    staff: str | None = None
    reached: bool
    on_site: bool = False
    party: Literal["customer", "unit"] = "customer"
    target_unit: Id | None = None
    """With party unit: the unit whose staff were sought."""
    visit_number: int | None = None
    """With on_site: 1 for the first visit, 2 for the second (SLA-47)."""
    method: str | None = None
    reference: str | None = None


@event("complaint.progress_reported", "routing")
class ComplaintProgressReported(EventData):
    """A progress report, with the next reply promised to the customer where there is one (SLA-05)."""

    complaint_id: str
    regime: str
    by: Id
    staff: str | None = None
    promised_reply_at: BusinessTime | None = None
    to_unit: Id | None = None
    """The unit reported to (the superior), when the report went up."""
    customer_informed: bool | None = None
    reference: str | None = None


@event("complaint.extension_requested", "routing")
class ComplaintExtensionRequested(EventData):
    """More time asked, inside the limit, explained to the customer and reported to the superior (SLA-14)."""

    complaint_id: str
    regime: str
    by: Id
    staff: str | None = None
    reason: str
    until: BusinessTime
    stage: str | None = None
    """The stage to extend; None: the open handling stage of `by`."""
    reported_to: Id | None = None
    explained_to_customer: bool | None = None
    reference: str | None = None


@event("complaint.extension_decided", "routing")
class ComplaintExtensionDecided(EventData):
    """The superior's decision on an extension; an approval leads to `sla.extended`."""

    complaint_id: str
    regime: str
    by: Id
    staff: str | None = None
    approved: bool
    until: BusinessTime | None = None
    stage: str | None = None
    approver: str | None = None
    """The approving unit (defaults to `by`), as `sla.extended` names it."""
    reason: str | None = None
    reference: str | None = None


class Refund(Money):
    """A refund to the customer (SAN-19/20): `multiple` 2 for a double refund."""

    multiple: int | None = None
    method: str | None = None


@event("complaint.result_submitted", "routing")
class ComplaintResultSubmitted(EventData):
    """The handling result (futures 第十七条(四), Liaoning 第九條(二), mobile 第七節)."""

    complaint_id: str
    regime: str
    by: Id
    staff: str | None = None
    to_unit: Id | None = None
    """Whom the result was reported to (e.g. member → association)."""
    kind: str | None = None
    """final (default), interim_measure, permanent_measure, information_notice, fix, ..."""
    fact_determination: str | None = None
    solution: str | None = None
    rectification_measures: str | None = None
    responsible_handling: str | None = None
    refund: Refund | None = None
    satisfaction: str | None = None
    """The customer's satisfaction with the result, where the regime requires it (SAT-04)."""
    reference: str | None = None


@event("complaint.result_rejected", "routing")
class ComplaintResultRejected(EventData):
    """A superior sent the result back (RTE-38)."""

    complaint_id: str
    regime: str
    by: Id
    staff: str | None = None
    reason: str
    to_unit: Id | None = None
    reference: str | None = None


@event("complaint.replied", "routing")
class ComplaintReplied(EventData):
    """The customer was answered (`to_unit` set: a unit's reply to a dispatch, e.g. the SI's to the operator)."""

    complaint_id: str
    regime: str
    by: Id
    staff: str | None = None
    method: ReplyMethod | None = None
    reconsideration_notice: bool = False
    """The customer was told how and where to apply for reconsideration (RCN-01)."""
    to_unit: Id | None = None
    reference: str | None = None


@event("complaint.objected", "routing")
class ComplaintObjected(EventData):
    """The customer objects to the result or the handling."""

    complaint_id: str
    regime: str
    by: Id
    staff: str | None = None
    reason: str
    reference: str | None = None


@event("complaint.redispatched", "routing")
class ComplaintRedispatched(EventData):
    """A 2nd or 3rd dispatch (RTE-25), or a ticket sent back until the customer is satisfied (CB-05)."""

    complaint_id: str
    regime: str
    by: Id
    staff: str | None = None
    to_unit: Id
    dispatch_number: int
    reason: str
    from_unit: Id | None = None
    supervisor_unit: Id | None = None
    """Who supervises the re-handling (the rectification office, RTE-25)."""
    reference: str | None = None


@event("complaint.escalated", "routing")
class ComplaintEscalated(EventData):
    """One step up the escalation ladder; carries what a subscriber needs to act without calling back (§9).

    After an sla warning or breach `stage` and `due_at` are the stage's; an escalation by action
    (`escalate`, e.g. media exposure) may have no stage.
    """

    complaint_id: str
    reference: str
    regime: str
    stage: str | None = None
    owner_unit: Id
    due_at: BusinessTime | None = None
    breached_at: BusinessTime | None = None
    warning_at: BusinessTime | None = None
    level: int
    """The step of the escalation ladder, 1 first."""
    target_unit: Id
    cc_units: list[Id] = Field(default_factory=list)
    """Units told in parallel (e.g. the CS supervisor and the department head)."""
    reason: str
    """sla_breached, sla_warning, media_exposure, beyond_authority, ..."""
    by: Id | None = None
    staff: str | None = None


@event("complaint.closed", "routing")
class ComplaintClosed(EventData):
    """The case is closed (also after a withdrawal or a closure at intake)."""

    complaint_id: str
    regime: str
    archive_class: str | None = None
    """e.g. normal, or 客户投诉处理不满意 (ARC-08)."""
    reason: str | None = None
    """resolved, withdrawn, closed_at_intake, referred, ..."""
    satisfied: bool | None = None
    by: Id | None = None
    staff: str | None = None
    reference: str | None = None


@event("callback.required", "routing")
class CallbackRequired(EventData):
    """A unit must call the customer back (CB-*): every case by the complained unit, a sample by its superior."""

    complaint_id: str
    regime: str
    by_unit: Id
    due_at: BusinessTime | None = None
    sample: bool = False
    reason: str | None = None
    reference: str | None = None


@event("callback.recorded", "routing")
class CallbackRecorded(EventData):
    """A callback was made and its result recorded."""

    complaint_id: str
    regime: str
    satisfied: bool
    by_unit: Id
    staff: str | None = None
    sample: bool = False
    method: str | None = None
    satisfaction_level: str | None = None
    written_record: bool | None = None
    reference: str | None = None


@event("reconsideration.decided", "routing")
class ReconsiderationDecided(EventData):
    """The reconsideration decision, communicated to the applicant (RCN-03)."""

    complaint_id: str
    regime: str
    by: Id
    staff: str | None = None
    upheld: bool
    """True: the original decision stands."""
    reason: str | None = None
    reference: str | None = None


@event("compliance.referred", "routing")
class ComplianceReferred(EventData):
    """A matter sent to compliance / supervision instead of (or besides) handling it as a complaint.

    From intake's classification (scope referred), a `refer_compliance` action, or a late change notice of an
    organisation (SLA-54: then `complaint_id` is None and `org` names the organisation).
    """

    reason: str
    to_unit: Id | None = None
    source: str | None = None
    """classification, action, change_notice."""
    org: Id | None = None
    by: Id | None = None
    staff: str | None = None
    change: str | None = None
    effective_at: BusinessTime | None = None
    notified_at: BusinessTime | None = None
    reference: str | None = None


__all__ = [
    "CallbackRecorded",
    "CallbackRequired",
    "ComplaintAcknowledged",
    "ComplaintApprovalDecided",
    "ComplaintAssigned",
    "ComplaintClosed",
    "ComplaintCustomerContactAttempted",
    "ComplaintEscalated",
    "ComplaintExtensionDecided",
    "ComplaintExtensionRequested",
    "ComplaintForwarded",
    "ComplaintJointInvestigationOpened",
    "ComplaintObjected",
    "ComplaintProgressReported",
    "ComplaintRedispatched",
    "ComplaintReplied",
    "ComplaintResultRejected",
    "ComplaintResultSubmitted",
    "ComplaintVerified",
    "ComplianceReferred",
    "IngressUser",
    "OrgHandler",
    "OrgUpdated",
    "Organisation",
    "ReconsiderationDecided",
    "Refund",
]
