"""The case state machine: the actions of CONTRACT §5 and what each yields, with each regime's rules as data.

What differs between regimes comes from the policy, never from its name: the fields an action must carry
(`routing.action_requires`), whether and how far a stage may be extended (`stages[].extension`), whether a case is
re-dispatched and how often (`routing.redispatch`), who calls back and how many (`callbacks`), which forwards are
refused (the `forward_refused` parameter). An action the state does not allow is a ConflictError (409) with the
reason; a missing or bad field is a PermanentError (422) naming the field and the rule.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tousu.contracts.events import routing as ev
from tousu.contracts.events.base import EventData
from tousu.contracts.policy import Callback, Policy, Stage, conditions_match
from tousu.contracts.types import BusinessTime, Id
from tousu.contracts.vocab import ReplyMethod
from tousu.kit.calendar import WorkingCalendar
from tousu.kit.errors import ConflictError, FieldError, PermanentError
from tousu.routing.domain import dispatch
from tousu.routing.domain.case import CaseState, Emission, PendingExtension, PendingReconsideration
from tousu.routing.domain.escalation import CASE_KEY, Plan, plan_for_clock, plan_up, resolve_targets
from tousu.routing.domain.orgs import Registry

ActionType = Literal[
    "acknowledge",
    "forward",
    "verify",
    "approve",
    "open_joint_investigation",
    "record_contact_attempt",
    "report_progress",
    "request_extension",
    "decide_extension",
    "submit_result",
    "reject_result",
    "reply_customer",
    "record_objection",
    "record_callback",
    "redispatch",
    "escalate",
    "refer_compliance",
    "decide_reconsideration",
    "close",
]

ACTION_EVENTS: dict[str, str] = {
    "acknowledge": "complaint.acknowledged",
    "forward": "complaint.forwarded",
    "verify": "complaint.verified",
    "approve": "complaint.approval_decided",
    "open_joint_investigation": "complaint.joint_investigation_opened",
    "record_contact_attempt": "complaint.customer_contact_attempted",
    "report_progress": "complaint.progress_reported",
    "request_extension": "complaint.extension_requested",
    "decide_extension": "complaint.extension_decided",
    "submit_result": "complaint.result_submitted",
    "reject_result": "complaint.result_rejected",
    "reply_customer": "complaint.replied",
    "record_objection": "complaint.objected",
    "record_callback": "callback.recorded",
    "redispatch": "complaint.redispatched",
    "escalate": "complaint.escalated",
    "refer_compliance": "compliance.referred",
    "decide_reconsideration": "reconsideration.decided",
    "close": "complaint.closed",
}
"""CONTRACT §5: each action type and the event it yields."""

CONTRACT = "CONTRACT §5"
REQUIRED: dict[str, tuple[str, ...]] = {
    "verify": ("valid",),
    "approve": ("approved",),
    "open_joint_investigation": ("units",),
    "record_contact_attempt": ("reached",),
    "request_extension": ("reason", "until"),
    "decide_extension": ("approved",),
    "reject_result": ("reason",),
    "record_objection": ("reason",),
    "record_callback": ("satisfied",),
    "redispatch": ("reason",),
    "escalate": ("reason",),
    "refer_compliance": ("reason",),
    "decide_reconsideration": ("upheld",),
}
"""Fields CONTRACT §5 names for every regime; a regime's `routing.action_requires` adds its own."""

UNIT_FIELDS = ("by", "to_unit", "target_unit", "lead_unit", "reported_to", "by_unit", "units")
"""Action fields that name organisations: each must be one of the registry's."""

AFTER_CLOSURE = frozenset({"record_callback", "record_objection", "decide_reconsideration", "redispatch"})
"""Actions that still make sense on a closed case: callbacks come after closure (CB-01), a customer may object or
ask for reconsideration, and a re-dispatch reopens the case (RTE-25, CB-05)."""


class Action(BaseModel):
    """One handling action (CONTRACT §5). `at` is business time; `by` the acting unit; `staff` a staff id."""

    model_config = ConfigDict(extra="forbid")

    type: ActionType
    at: BusinessTime
    by: Id
    staff: str | None = Field(default=None, max_length=100)
    to_unit: Id | None = None
    online_transfer_after_minutes: int | None = Field(default=None, ge=0)
    purpose: str | None = None
    method: str | None = None
    form: str | None = None
    valid: bool | None = None
    kind: str | None = None
    approved: bool | None = None
    units: list[Id] | None = None
    lead_unit: Id | None = None
    reached: bool | None = None
    on_site: bool = False
    party: Literal["customer", "unit"] = "customer"
    target_unit: Id | None = None
    visit_number: int | None = Field(default=None, ge=1)
    promised_reply_at: BusinessTime | None = None
    customer_informed: bool | None = None
    reason: str | None = Field(default=None, max_length=2000)
    until: BusinessTime | None = None
    stage: str | None = None
    reported_to: Id | None = None
    explained_to_customer: bool | None = None
    fact_determination: str | None = None
    solution: str | None = None
    rectification_measures: str | None = None
    responsible_handling: str | None = None
    refund: ev.Refund | None = None
    satisfaction: str | None = None
    reconsideration_notice: bool = False
    """Left false, the customer was not told how to apply for reconsideration (RCN-01)."""
    satisfied: bool | None = None
    by_unit: Id | None = None
    satisfaction_level: str | None = None
    written_record: bool | None = None
    upheld: bool | None = None
    archive_class: str | None = None


def _given(action: Action, name: str) -> bool:
    value = getattr(action, name, None)
    if name in Action.model_fields and Action.model_fields[name].default is False:
        return value is True  # a flag left at false means the thing was not done
    return value not in (None, "", [])


@dataclass(frozen=True)
class CallbackNeed:
    """A callback the regime asks for; quotas below 100 % are sampled by the service layer (CB-01, CONV-09)."""

    callback: Callback
    by_unit: str
    at: datetime


def sample_due(coverage: float, closed: int, sampled: int) -> bool:
    """Whether this closure joins the sample so that at least ceil(coverage × closures) are called back at every
    moment (CB-01 "not less than 30 %", CONV-09); the product is rounded first so 0.3 × 10 is 3, not 3.0000001."""
    needed = math.ceil(round(coverage * closed, 9))
    return sampled < needed


def first(rules: list[str]) -> str | None:
    return rules[0] if rules else None


def instant(data: dict[str, Any], field: str) -> datetime:
    raw = data.get(field) or data["occurred_at"]
    return raw if isinstance(raw, datetime) else datetime.fromisoformat(str(raw))


class Journey:
    def __init__(self, case: CaseState, policy: Policy, registry: Registry, calendar: WorkingCalendar) -> None:
        self.case = case
        self.policy = policy
        self.registry = registry
        self.calendar = calendar

    # -- shared ------------------------------------------------------------------------------------------------

    def _matches(self, when: Any, data: dict[str, Any], owner_unit: str | None = None) -> bool:
        return conditions_match(
            when,
            data,
            fallback=self.case.facts,
            params=self.policy.parameter_values(),
            org_kind=self.registry.kind,
            owner_unit=owner_unit,
        )

    def emit(self, type_: str, data: EventData, follow: bool = True) -> Emission:
        """An emission; `follow`: callbacks and stage starts may follow from it (not for a withdrawal's closure)."""
        emission = Emission(type=type_, data=data)
        if follow:
            self._track_stages(type_, data.model_dump(mode="json"))
        return emission

    def _track_stages(self, event_type: str, data: dict[str, Any]) -> None:
        """Remember when each stage's latest round started, as sla will count it (for extension caps)."""
        for stage in self.policy.stages_started_by(event_type):
            for trigger in stage.start:
                if trigger.event != event_type or not self._matches(trigger.when, data):
                    continue
                if stage.id not in self.case.stage_starts or trigger.restarts:
                    self.case.stage_starts[stage.id] = instant(data, trigger.at)
                break

    def stage_rule(self, event_type: str) -> str | None:
        """The rule an action's event serves: the first started stage it ends, else the first it starts."""
        for stage in self.policy.stages:
            if stage.id in self.case.stage_starts and any(t.event == event_type for t in stage.stop):
                return stage.rule[0]
        for stage in self.policy.stages_started_by(event_type):
            return stage.rule[0]
        return None

    def callback_needs(self, emissions: list[Emission]) -> list[CallbackNeed]:
        needs: list[CallbackNeed] = []
        for emission in emissions:
            data = emission.data.model_dump(mode="json")
            if emission.type == "complaint.closed" and data.get("reason") not in (None, "resolved"):
                continue  # a withdrawn or otherwise ended complaint was not handled: nothing to call back about
            for callback in self.policy.callbacks:
                trigger = callback.required_on
                if trigger is None or callback.coverage is None or trigger.event != emission.type:
                    continue
                if not self._matches(trigger.when, data):
                    continue
                unit = self._unit_for(callback.by)
                if unit is not None:
                    needs.append(CallbackNeed(callback, unit, emission.data.occurred_at))
        return needs

    def callback_required(self, need: CallbackNeed, sample: bool) -> Emission:
        self.case.callbacks_due[need.by_unit] = sample
        self.case.concern(need.by_unit)
        return self.emit(
            "callback.required",
            ev.CallbackRequired(
                complaint_id=self.case.complaint_id,
                regime=self.case.regime,
                occurred_at=need.at,
                rule=need.callback.rule[0],
                by_unit=need.by_unit,
                sample=sample,
                reason=need.callback.id,
                reference=self.case.reference,
            ),
        )

    def _unit_for(self, keyword: str) -> str | None:
        """A policy owner keyword (callbacks' `by`) as a unit of this case."""
        case = self.case
        units: dict[str, str | None] = {
            "assignee": case.holder_unit,
            "holder": case.holder_unit,
            "receiving_unit": case.receiving_unit,
            "respondent_unit": case.respondent_unit,
            "forward_target": case.last_dispatch_unit or case.holder_unit,
            "superior": self.registry.superior(case.respondent_unit),
            "lodged_with": case.reconsideration.lodged_with if case.reconsideration else None,
        }
        if keyword in units:
            return units[keyword]
        return dispatch.resolve_role(keyword, case.holder_unit, self.registry)

    def escalation(
        self,
        plan: Plan,
        *,
        at: datetime,
        reason: str,
        owner: str,
        stage: str | None = None,
        due_at: datetime | None = None,
        breached_at: datetime | None = None,
        warning_at: datetime | None = None,
        by: str | None = None,
        staff: str | None = None,
    ) -> Emission:
        target, *cc = plan.targets or [owner]
        self.case.concern(target, *cc)
        return self.emit(
            "complaint.escalated",
            ev.ComplaintEscalated(
                complaint_id=self.case.complaint_id,
                reference=self.case.reference,
                regime=self.case.regime,
                occurred_at=at,
                rule=plan.rule,
                stage=stage,
                owner_unit=owner,
                due_at=due_at,
                breached_at=breached_at,
                warning_at=warning_at,
                level=plan.level,
                target_unit=target,
                cc_units=cc,
                reason=reason,
                by=by,
                staff=staff,
            ),
        )

    def nobody_accepts(self, unit: str, at: datetime) -> Emission:
        """A unit listing handlers none of whom is available (ORG-04): its superior hears of it; sanctions
        counts it (SAN-01(1))."""
        plan = Plan("escalate", self.case.next_level(CASE_KEY), [self.registry.superior(unit) or unit], "ORG-04")
        return self.escalation(plan, at=at, reason="nobody_accepts", owner=unit)

    def take_over(self, unit: str, at: datetime) -> list[Emission]:
        """The case arrives at `unit`: its A handler, or B when A is away; nobody available is escalated."""
        pick = self.registry.pick_handler(unit)
        self.case.handler, self.case.handler_role, self.case.lapsed = pick.handler, pick.role, []
        return [self.nobody_accepts(unit, at)] if pick.nobody else []

    def hand_over(self, at: datetime, reason: str, rule: str | None) -> list[Emission]:
        """From the handler holding an unacknowledged case to the other one (A → B, ORG-04)."""
        case = self.case
        if case.acknowledged or not case.is_open:
            return []
        if case.handler is not None:
            case.lapsed.append(case.handler)
        pick = self.registry.pick_handler(case.holder_unit, exclude=case.lapsed)
        if pick.handler is None:
            return [self.nobody_accepts(case.holder_unit, at)]
        previous = case.handler
        case.handler, case.handler_role = pick.handler, pick.role
        return [
            self.emit(
                "complaint.assigned",
                ev.ComplaintAssigned(
                    complaint_id=case.complaint_id,
                    regime=case.regime,
                    occurred_at=at,
                    rule=rule,
                    unit=case.holder_unit,
                    handler=pick.handler,
                    handler_role=pick.role,
                    reason=reason,
                    previous_unit=case.holder_unit,
                    previous_handler=previous,
                    reference=case.reference,
                ),
            )
        ]

    # -- what other services tell routing ----------------------------------------------------------------------

    def on_clock(self, on: Literal["breach", "warning"], data: dict[str, Any]) -> list[Emission]:
        """An sla warning or breach: the stage's escalation decides (ARCHITECTURE §6, CONTRACT §9)."""
        case = self.case
        if not case.is_open:
            return []
        owner = str(data.get("owner_unit") or case.holder_unit)
        plan = plan_for_clock(self.policy, str(data["stage"]), on, owner, case, self.registry, data.get("rule"))
        if plan is None or plan.kind == "record":
            return []
        at = instant(data, "breached_at" if on == "breach" else "warning_at")
        if plan.kind == "handover":
            # The receipt window passed without acknowledgement: A's case goes to B (ORG-04, ARCHITECTURE §1).
            return self.hand_over(at, "acknowledgement_breached", plan.rule) if owner == case.holder_unit else []
        return [
            self.escalation(
                plan,
                at=at,
                reason=f"sla_{'breached' if on == 'breach' else 'warning'}",
                owner=owner,
                stage=str(data["stage"]),
                due_at=data.get("due_at"),
                breached_at=data.get("breached_at"),
                warning_at=data.get("warning_at"),
            )
        ]

    def on_reclassified(self, data: dict[str, Any]) -> list[Emission]:
        changes = {k: data[k] for k in ("kind", "priority", "category") if data.get(k)}
        if data.get("classification"):
            changes["classification"] = data["classification"]
        self.case.facts = {**self.case.facts, **changes}
        return notify_major(self, instant(data, "occurred_at")) if self.case.is_open else []

    def on_ended(self, data: dict[str, Any], reason: Literal["withdrawn", "closed_at_intake"]) -> list[Emission]:
        """Withdrawn before the transfer (LC-10) or closed at intake (LC-04): closed everywhere (ARCHITECTURE §1)."""
        case = self.case
        if not case.is_open:
            return []
        at = instant(data, "requested_at" if reason == "withdrawn" else "closed_at")
        case.outcome, case.closed_at = ("withdrawn" if reason == "withdrawn" else "closed"), at
        closed = ev.ComplaintClosed(
            complaint_id=case.complaint_id,
            regime=case.regime,
            occurred_at=at,
            rule=data.get("rule") or ("LC-10" if reason == "withdrawn" else "LC-04"),
            reason=reason,
            reference=case.reference,
        )
        return [self.emit("complaint.closed", closed, follow=False)]

    def on_repeat(self, data: dict[str, Any]) -> list[Emission]:
        """A repeated complaint goes one step up the ladder (RCN-09, SAN-01(2), INT-30)."""
        if not self.case.is_open:
            return []
        plan = plan_up(self.case, self.registry)
        plan = Plan(plan.kind, plan.level, plan.targets, data.get("rule") or "INT-30")
        return [
            self.escalation(
                plan, at=instant(data, "occurred_at"), reason="repeated_complaint", owner=self.case.holder_unit
            )
        ]

    def on_reconsideration(self, data: dict[str, Any]) -> None:
        """Filed in time (RCN-02): the unit it was lodged with decides (RCN-03) and so sees the case."""
        lodged_with = str(data["lodged_with"])
        self.case.reconsideration = PendingReconsideration(
            lodged_with=lodged_with, requested_at=instant(data, "requested_at")
        )
        self.case.concern(lodged_with)
        self._track_stages("reconsideration.requested", {"occurred_at": data["requested_at"], **data})

    # -- actions -----------------------------------------------------------------------------------------------

    def act(self, action: Action) -> list[Emission]:
        self._check_fields(action)
        self._check_state(action)
        perform: Callable[[Action], list[Emission]] = getattr(self, f"_{action.type}")
        return perform(action)

    def _requirement_rule(self, action_type: str) -> str | None:
        """The rule behind a field a regime requires of an action: the content rule (not a timing rule) of the
        first stage the action's event ends, else the routing section's rule."""
        event_type = ACTION_EVENTS[action_type]
        for stage in self.policy.stages:
            if any(t.event == event_type for t in stage.stop):
                content = [r for r in stage.rule if not r.startswith("SLA-")]
                if content:
                    return content[-1]
        return self.policy.routing.rule[0] if self.policy.routing.rule else None

    def _check_fields(self, action: Action) -> None:
        errors = [
            FieldError(name, f"required for {action.type}", CONTRACT)
            for name in REQUIRED.get(action.type, ())
            if not _given(action, name)
        ]
        for name in self.policy.routing.action_requires.get(action.type, []):
            if name in REQUIRED.get(action.type, ()):
                continue
            if not _given(action, name):
                errors.append(
                    FieldError(
                        name, f"{self.case.regime} requires it for {action.type}", self._requirement_rule(action.type)
                    )
                )
        if action.at < self.case.received_at:
            errors.append(FieldError("at", "before the complaint was received", CONTRACT))
        for name in UNIT_FIELDS:
            value = getattr(action, name)
            if any(
                unit not in self.registry for unit in (value if isinstance(value, list) else [value] if value else [])
            ):
                errors.append(FieldError(name, "unknown organisation", "CONTRACT §2"))
        if errors:
            raise PermanentError(f"the {action.type} action is not valid", errors)

    def _check_state(self, action: Action) -> None:
        case = self.case
        if case.outcome in ("withdrawn", "referred"):
            raise ConflictError(f"the complaint was {case.outcome}: there is no case to act on")
        if case.outcome == "closed" and action.type not in AFTER_CLOSURE:
            raise ConflictError(f"the case is closed; {action.type} is not allowed")
        if not self._has_part(action.by):
            raise ConflictError(f"unit {action.by} has no part in this case")

    def _has_part(self, unit: str) -> bool:
        """A unit the case concerns, one above such a unit, or another unit of the same organisation (a leader
        giving an instruction, the rectification office supervising, IT confirming a fault)."""
        case = self.case
        if unit in case.units or self.registry.sees(unit, case.units):
            return True
        org = self.registry.orgs.get(unit)
        tenants = {self.registry.orgs[u].tenant for u in case.units if u in self.registry}
        return org is not None and org.tenant in tenants

    def _common(self, a: Action) -> dict[str, Any]:
        return {
            "complaint_id": self.case.complaint_id,
            "regime": self.case.regime,
            "occurred_at": a.at,
            "by": a.by,
            "staff": a.staff,
            "reference": self.case.reference,
            "rule": self.stage_rule(ACTION_EVENTS[a.type]),
        }

    def _may_move(self, by: str) -> bool:
        """The unit holding the case, a unit above it, or the first-contact owner may send it on."""
        return self.registry.is_within(self.case.holder_unit, by) or by == self.case.owner_unit

    def _acknowledge(self, a: Action) -> list[Emission]:
        case = self.case
        if not self.registry.is_within(a.by, case.holder_unit):
            raise ConflictError(f"the case is with {case.holder_unit}: only that unit acknowledges it")
        if case.acknowledged:
            raise ConflictError(f"{case.holder_unit} has already acknowledged the case")
        role = self.registry.handler_role(case.holder_unit, a.staff)
        if role is not None:
            case.handler, case.handler_role = a.staff, role
        case.acknowledged = True
        return [
            self.emit(
                ACTION_EVENTS[a.type], ev.ComplaintAcknowledged(**self._common(a), handler_role=case.handler_role)
            )
        ]

    def _forward(self, a: Action) -> list[Emission]:
        case = self.case
        to = a.to_unit or case.respondent_unit
        if to == case.holder_unit:
            raise ConflictError(f"the case is already with {to}")
        if not self._may_move(a.by):
            raise ConflictError(f"the case is with {case.holder_unit}: {a.by} cannot forward it")
        forward = {"by": a.by, "from_unit": case.holder_unit, "to_unit": to}
        refused_by = dispatch.forward_refusal(self.policy, forward, case.facts, self.registry)
        if refused_by is not None:
            raise PermanentError(
                "this forward is refused", [FieldError("to_unit", "the regime forbids this forward", refused_by)]
            )
        if a.online_transfer_after_minutes is not None:
            minimum = dispatch.parameter_minimum(self.policy, "online_transfer_after_minutes")
            if minimum is not None and a.online_transfer_after_minutes < minimum[0]:
                raise PermanentError(
                    "the online transfer is not allowed yet",
                    [FieldError("online_transfer_after_minutes", f"at least {minimum[0]:g} minutes", minimum[1])],
                )
        transfer = case.transferred_at is None and to != case.receiving_unit
        emitted = [
            self.emit(
                ACTION_EVENTS[a.type],
                ev.ComplaintForwarded(
                    **self._common(a),
                    from_unit=case.holder_unit,
                    to_unit=to,
                    transfer=transfer,
                    from_kind=self.registry.kind(case.holder_unit),
                    to_kind=self.registry.kind(to),
                    purpose=a.purpose,
                    method=a.method,
                    form=a.form,
                    online_transfer_after_minutes=a.online_transfer_after_minutes,
                ),
            )
        ]
        if transfer:
            case.transferred_at = a.at
        case.came_from[to] = case.holder_unit
        case.holder_unit, case.last_dispatch_unit = to, to
        case.dispatches += 1
        case.acknowledged = False
        case.concern(to)
        return emitted + self.take_over(to, a.at)

    def _verify(self, a: Action) -> list[Emission]:
        assert a.valid is not None
        return [self.emit(ACTION_EVENTS[a.type], ev.ComplaintVerified(**self._common(a), valid=a.valid, kind=a.kind))]

    def _approve(self, a: Action) -> list[Emission]:
        assert a.approved is not None
        data = ev.ComplaintApprovalDecided(**self._common(a), approved=a.approved, kind=a.kind, reason=a.reason)
        return [self.emit(ACTION_EVENTS[a.type], data)]

    def _open_joint_investigation(self, a: Action) -> list[Emission]:
        units = list(dict.fromkeys(a.units or []))
        if len(units) < 2:
            raise PermanentError(
                "the joint investigation is not valid",
                [FieldError("units", "at least two units investigate together", "RTE-17")],
            )
        self.case.concern(*units)
        data = ev.ComplaintJointInvestigationOpened(**self._common(a), units=units, lead_unit=a.lead_unit or a.by)
        return [self.emit(ACTION_EVENTS[a.type], data)]

    def _record_contact_attempt(self, a: Action) -> list[Emission]:
        assert a.reached is not None
        target = a.target_unit or (self.case.holder_unit if a.party == "unit" else None)
        data = ev.ComplaintCustomerContactAttempted(
            **self._common(a),
            reached=a.reached,
            on_site=a.on_site,
            party=a.party,
            target_unit=target,
            visit_number=a.visit_number,
            method=a.method,
        )
        return [self.emit(ACTION_EVENTS[a.type], data)]

    def _report_progress(self, a: Action) -> list[Emission]:
        if a.promised_reply_at is not None and a.promised_reply_at <= a.at:
            raise PermanentError(
                "the progress report is not valid",
                [FieldError("promised_reply_at", "must be later than the report", "SLA-05")],
            )
        data = ev.ComplaintProgressReported(
            **self._common(a),
            promised_reply_at=a.promised_reply_at,
            to_unit=a.to_unit or self.case.came_from.get(a.by) or self.registry.superior(a.by),
            customer_informed=a.customer_informed,
        )
        return [self.emit(ACTION_EVENTS[a.type], data)]

    def _extendable(self, wanted: str | None) -> Stage:
        """The stage an extension is for: the one named, else the latest started stage the regime lets extend."""
        stages = {s.id: s for s in self.policy.stages}
        if wanted is not None:
            if wanted not in stages:
                raise PermanentError(
                    "unknown stage", [FieldError("stage", f"not a stage of {self.case.regime}", "CONTRACT §6")]
                )
            if not stages[wanted].extension.allowed:
                raise ConflictError(f"{self.case.regime} allows no extension of {wanted}", rule=stages[wanted].rule[0])
            return stages[wanted]
        started = sorted(
            (at, sid) for sid, at in self.case.stage_starts.items() if sid in stages and stages[sid].extension.allowed
        )
        if not started:
            raise ConflictError(f"{self.case.regime} allows no extension of any stage this case has run")
        return stages[started[-1][1]]

    def _check_cap(self, stage: Stage, until: datetime) -> None:
        """An extension beyond the regime's cap, counted from the stage's start, is refused (SLA-21)."""
        extension = stage.extension
        started_at = self.case.stage_starts.get(stage.id)
        if extension.cap is None or started_at is None:
            return
        cap = self.calendar.deadline(started_at, extension.cap.clock, extension.cap.length).due_at
        if until > cap:
            rule = extension.rule[0] if extension.rule else stage.rule[0]
            raise PermanentError(
                "the extension goes past the regime's cap",
                [FieldError("until", f"later than the cap {cap.isoformat()} of {stage.id}", rule)],
            )

    def _request_extension(self, a: Action) -> list[Emission]:
        assert a.until is not None
        assert a.reason is not None
        if self.case.extension is not None:
            raise ConflictError("an extension request is already waiting for a decision")
        if a.until <= a.at:
            raise PermanentError("the extension is not valid", [FieldError("until", "must be later than at", CONTRACT)])
        stage = self._extendable(a.stage)
        self._check_cap(stage, a.until)
        self.case.extension = PendingExtension(stage=stage.id, until=a.until, by=a.by, requested_at=a.at)
        data = ev.ComplaintExtensionRequested(
            **{**self._common(a), "rule": stage.extension.rule[0] if stage.extension.rule else stage.rule[0]},
            reason=a.reason,
            until=a.until,
            stage=stage.id,
            reported_to=a.reported_to or self.case.came_from.get(a.by) or self.registry.superior(a.by),
            explained_to_customer=a.explained_to_customer,
        )
        return [self.emit(ACTION_EVENTS[a.type], data)]

    def _decide_extension(self, a: Action) -> list[Emission]:
        pending = self.case.extension
        if pending is None:
            raise ConflictError("no extension request is waiting for a decision")
        until = (a.until or pending.until) if a.approved else None
        stage = self.policy.stage(pending.stage) if pending.stage else None
        if stage is not None and until is not None:
            self._check_cap(stage, until)
        self.case.extension = None
        rule = (stage.extension.rule or stage.rule)[0] if stage is not None else None
        data = ev.ComplaintExtensionDecided(
            **{**self._common(a), "rule": rule},
            approved=bool(a.approved),
            until=until,
            stage=pending.stage,
            approver=a.by,
            reason=a.reason,
        )
        return [self.emit(ACTION_EVENTS[a.type], data)]

    def _submit_result(self, a: Action) -> list[Emission]:
        case = self.case
        if case.results.get(a.by) == "submitted":
            raise ConflictError(f"{a.by} has already submitted its result; it must be rejected before another")
        case.results[a.by] = "submitted"
        case.last_result_unit = a.by
        data = ev.ComplaintResultSubmitted(
            **self._common(a),
            to_unit=a.to_unit or case.came_from.get(a.by),
            kind=a.kind,
            fact_determination=a.fact_determination,
            solution=a.solution,
            rectification_measures=a.rectification_measures,
            responsible_handling=a.responsible_handling,
            refund=a.refund,
            satisfaction=a.satisfaction,
        )
        return [self.emit(ACTION_EVENTS[a.type], data)]

    def _reject_result(self, a: Action) -> list[Emission]:
        case = self.case
        unit = a.to_unit or case.last_result_unit
        if unit is None or case.results.get(unit) != "submitted":
            raise ConflictError("there is no submitted result to reject")
        case.results[unit] = "rejected"
        assert a.reason is not None
        return [
            self.emit(
                ACTION_EVENTS[a.type], ev.ComplaintResultRejected(**self._common(a), reason=a.reason, to_unit=unit)
            )
        ]

    def _reply_customer(self, a: Action) -> list[Emission]:
        methods = [m.value for m in ReplyMethod]
        if a.method is not None and a.method not in methods:
            raise PermanentError(
                "unknown reply method", [FieldError("method", f"one of {', '.join(methods)}", CONTRACT)]
            )
        self.case.replied = True
        data = ev.ComplaintReplied(
            **self._common(a),
            method=ReplyMethod(a.method) if a.method else None,
            reconsideration_notice=a.reconsideration_notice,
            to_unit=a.to_unit,
        )
        return [self.emit(ACTION_EVENTS[a.type], data)]

    def _record_objection(self, a: Action) -> list[Emission]:
        assert a.reason is not None
        return [self.emit(ACTION_EVENTS[a.type], ev.ComplaintObjected(**self._common(a), reason=a.reason))]

    def _record_callback(self, a: Action) -> list[Emission]:
        case = self.case
        assert a.satisfied is not None
        if not (case.replied or case.results):
            raise ConflictError("nothing has been fed back yet: there is no result to call the customer back about")
        by_unit = a.by_unit or a.by
        case.last_callback_satisfied = a.satisfied
        data = ev.CallbackRecorded(
            **self._common(a),
            satisfied=a.satisfied,
            by_unit=by_unit,
            sample=case.callbacks_due.get(by_unit, False),
            method=a.method,
            satisfaction_level=a.satisfaction_level,
            written_record=a.written_record,
        )
        emitted = [self.emit(ACTION_EVENTS[a.type], data)]
        rounds = self.policy.routing.redispatch
        if not a.satisfied and rounds is not None and self._rounds_left():
            # A dissatisfied customer sends the case back for re-handling (RTE-25, CB-05, RCN-05).
            emitted += self.redispatch(a.at, a.by, a.staff, None, "callback_dissatisfied")
        return emitted

    def _rounds_left(self) -> bool:
        rounds = self.policy.routing.redispatch
        return rounds is not None and (rounds.max_rounds is None or self.case.redispatches + 2 <= rounds.max_rounds)

    def redispatch(self, at: datetime, by: str, staff: str | None, to_unit: str | None, reason: str) -> list[Emission]:
        case = self.case
        rounds = self.policy.routing.redispatch
        if rounds is None:
            raise ConflictError(f"{case.regime} has no re-dispatch")
        number = case.redispatches + 2
        if not self._rounds_left():
            raise ConflictError(f"{case.regime} allows at most {rounds.max_rounds} dispatches", rule=first(rounds.rule))
        to = to_unit or case.last_dispatch_unit or case.holder_unit
        step = next((r for r in sorted(rounds.rounds, key=lambda r: -r.round) if r.round <= number), None)
        supervisor = None
        if step is not None and step.supervised_by is not None:
            found = resolve_targets([step.supervised_by], to, 1, case, self.registry)
            supervisor = found[0] if found else None
        rule = first(step.rule if step is not None and step.rule else rounds.rule)
        data = ev.ComplaintRedispatched(
            complaint_id=case.complaint_id,
            regime=case.regime,
            occurred_at=at,
            rule=rule,
            by=by,
            staff=staff,
            to_unit=to,
            dispatch_number=number,
            reason=reason,
            from_unit=case.holder_unit,
            supervisor_unit=supervisor,
            reference=case.reference,
        )
        emitted = [self.emit("complaint.redispatched", data)]
        case.redispatches += 1
        case.came_from.setdefault(to, case.holder_unit)
        case.holder_unit, case.last_dispatch_unit = to, to
        case.acknowledged, case.replied, case.results = False, False, {}
        case.outcome, case.closed_at = "open", None
        case.concern(to, supervisor)
        return emitted + self.take_over(to, at)

    def _redispatch(self, a: Action) -> list[Emission]:
        assert a.reason is not None
        return self.redispatch(a.at, a.by, a.staff, a.to_unit, a.reason)

    def _escalate(self, a: Action) -> list[Emission]:
        assert a.reason is not None
        plan = plan_up(self.case, self.registry, a.to_unit)
        return [self.escalation(plan, at=a.at, reason=a.reason, owner=self.case.holder_unit, by=a.by, staff=a.staff)]

    def _refer_compliance(self, a: Action) -> list[Emission]:
        assert a.reason is not None
        rules = self.policy.routing.refer
        near = self.case.respondent_unit
        to = a.to_unit or next(
            (u for r in rules if (u := dispatch.resolve_role(r.to, near, self.registry)) is not None), None
        )
        self.case.concern(to)
        data = ev.ComplianceReferred(
            complaint_id=self.case.complaint_id,
            regime=self.case.regime,
            occurred_at=a.at,
            rule=rules[0].rule[0] if rules else None,
            reason=a.reason,
            to_unit=to,
            source="action",
            by=a.by,
            staff=a.staff,
            reference=self.case.reference,
        )
        return [self.emit(ACTION_EVENTS[a.type], data)]

    def _decide_reconsideration(self, a: Action) -> list[Emission]:
        if self.case.reconsideration is None:
            raise ConflictError("no reconsideration was requested", rule="RCN-02")
        assert a.upheld is not None
        self.case.reconsideration = None
        data = ev.ReconsiderationDecided(**self._common(a), upheld=a.upheld, reason=a.reason)
        return [self.emit(ACTION_EVENTS[a.type], data)]

    def _close(self, a: Action) -> list[Emission]:
        case = self.case
        rounds = self.policy.routing.redispatch
        if rounds is not None and rounds.max_rounds is None and case.last_callback_satisfied is False:
            raise ConflictError(
                "the customer is not satisfied: the case goes back until they are", rule=first(rounds.rule)
            )
        case.outcome, case.closed_at = "closed", a.at
        data = ev.ComplaintClosed(
            **self._common(a),
            archive_class=a.archive_class,
            reason=a.reason or "resolved",
            satisfied=case.last_callback_satisfied,
        )
        return [self.emit(ACTION_EVENTS[a.type], data)]


def open_case(
    facts: dict[str, Any], tenant: str, policy: Policy, registry: Registry, calendar: WorkingCalendar
) -> tuple[CaseState, Journey, list[Emission]]:
    """complaint.received: refer it (ARCHITECTURE §1), or open the case with the first owner of the ladder, its
    handler, the accountable post and those the regime copies; a major complaint is notified in parallel."""
    at = instant(facts, "received_at")
    receiving, respondent = str(facts["receiving_unit"]), str(facts["respondent_unit"])
    referrals = dispatch.referrals(policy, facts, registry)
    exclusive = any(r.exclusive for r in referrals)
    owner = receiving if exclusive else dispatch.first_owner(policy, facts, registry).unit
    case = CaseState(
        complaint_id=str(facts["complaint_id"]),
        reference=str(facts["reference"]),
        tenant=tenant,
        regime=str(facts["regime"]),
        policy_version=str(facts.get("policy_version") or policy.version),
        received_at=at,
        receiving_unit=receiving,
        respondent_unit=respondent,
        owner_unit=owner,
        holder_unit=owner,
        facts=facts,
        outcome="referred" if exclusive else "open",
    )
    case.concern(receiving, respondent, owner)
    journey = Journey(case, policy, registry, calendar)
    emitted: list[Emission] = []
    if not exclusive:
        assignment = dispatch.first_owner(policy, facts, registry)
        accountable = dispatch.accountability(policy, facts, registry, owner)
        case.owner_role, case.accountable_unit = accountable.role, accountable.unit
        case.concern(accountable.unit, *accountable.cc_units)
        pick = registry.pick_handler(owner)
        case.handler, case.handler_role = pick.handler, pick.role
        emitted.append(
            journey.emit(
                "complaint.assigned",
                ev.ComplaintAssigned(
                    complaint_id=case.complaint_id,
                    regime=case.regime,
                    occurred_at=at,
                    rule=assignment.rule,
                    unit=owner,
                    handler=pick.handler,
                    handler_role=pick.role,
                    reason="first_owner",
                    owner_role=accountable.role,
                    accountable_unit=accountable.unit,
                    cc_units=accountable.cc_units,
                    reference=case.reference,
                ),
            )
        )
        if pick.nobody:
            emitted.append(journey.nobody_accepts(owner, at))
        emitted += notify_major(journey, at)
        if (facts.get("flags") or {}).get("media_exposure"):
            plan = plan_up(case, registry)
            emitted.append(journey.escalation(plan, at=at, reason="media_exposure", owner=owner))
    for referral in referrals:
        case.concern(referral.to_unit)
        emitted.append(
            journey.emit(
                "compliance.referred",
                ev.ComplianceReferred(
                    complaint_id=case.complaint_id,
                    regime=case.regime,
                    occurred_at=at,
                    rule=referral.rule,
                    reason=referral.reason,
                    to_unit=referral.to_unit,
                    source="classification" if exclusive else "routing",
                    reference=case.reference,
                ),
            )
        )
    return case, journey, emitted


def notify_major(journey: Journey, at: datetime) -> list[Emission]:
    """A major complaint goes in parallel to the post the regime makes accountable, copying the others (RTE-35,
    RTE-18), once."""
    case = journey.case
    if case.major_notified or not dispatch.is_major(case.facts):
        return []
    accountable = dispatch.accountability(journey.policy, case.facts, journey.registry, case.owner_unit)
    if accountable.unit is None or accountable.unit == case.holder_unit:
        return []
    case.major_notified = True
    plan = Plan("escalate", case.next_level(CASE_KEY), [accountable.unit, *accountable.cc_units], accountable.rule)
    return [journey.escalation(plan, at=at, reason="major_complaint", owner=case.holder_unit)]
