"""Use cases on a recorded complaint: the masked record and the audited reveal, withdrawal (LC-10),
reconsideration (RCN-*), reclassification (INT-36). Every one answers 404 outside the caller's visibility."""

import uuid
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tousu.contracts.events.intake import (
    ComplaintReclassified,
    ComplaintWithdrawalRefused,
    ComplaintWithdrawn,
    ReconsiderationRejectedLate,
    ReconsiderationRequested,
)
from tousu.contracts.policy import Policy
from tousu.contracts.types import Id, iso
from tousu.contracts.vocab import ComplaintKind, Priority, Scope
from tousu.intake.adapters import tables as t
from tousu.intake.domain.assessment import CONTRACT, RECEIVED, assess
from tousu.intake.domain.lifecycle import reclassification_refusal, window_closes_at, withdrawal_refusal
from tousu.intake.domain.masking import masked
from tousu.intake.domain.submission import Instant, Key, Submission
from tousu.intake.service_layer import orgs
from tousu.intake.service_layer.context import IntakeContext
from tousu.intake.service_layer.submit import Outcome, problem
from tousu.kit.auth import Principal
from tousu.kit.errors import FieldError, NotFoundError, PermanentError
from tousu.kit.logging import mask_text
from tousu.kit.uow import UnitOfWork

WITHDRAWN = "withdrawn"


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)


class Withdrawal(_Request):
    requested_at: Instant
    reason: str | None = Field(default=None, max_length=1000)


class Reconsideration(_Request):
    requested_at: Instant
    lodged_with: Id
    """The superior unit of the body that decided, or the same-level banking association (RCN-02)."""
    reason: str | None = Field(default=None, max_length=1000)


class Reclassification(_Request):
    at: Instant
    reason: str = Field(min_length=1, max_length=1000)
    kind: ComplaintKind | None = None
    priority: Priority | None = None
    category: Key | None = None


def _short(text: str | None) -> str | None:
    """A caller's short reason may travel on an event, with phone, ID and account numbers masked; the complaint's
    narrative (facts, demand) never leaves intake."""
    return mask_text(text)[:500] if text else None


async def visible(uow: UnitOfWork, caller: Principal, complaint_id: uuid.UUID, *, lock: bool = False) -> Any:
    query = sa.select(t.complaints).where(t.complaints.c.id == complaint_id)
    row = (await uow.session.execute(query.with_for_update() if lock else query)).first()
    units = [row.receiving_unit, row.respondent_unit, row.submitted_by, *row.units] if row is not None else []
    if row is None or not await orgs.sees(uow, caller, units):
        raise NotFoundError("no such complaint")
    return row


def _policy(ctx: IntakeContext, row: Any) -> Policy:
    return ctx.policy_of(row.regime, row.policy_version)


def _personal(ctx: IntakeContext, row: Any) -> dict[str, Any]:
    if row.personal_data is None or row.key_id is None:
        return {}
    return ctx.vault.open(row.personal_data, row.key_id, aad=str(row.id))


async def view(
    uow: UnitOfWork, ctx: IntakeContext, caller: Principal, complaint_id: uuid.UUID, reveal: bool
) -> dict[str, Any]:
    """The record, personal data masked; `reveal` (auditor) unmasks it and leaves an audit row naming the fields,
    never their values. A confidential informant's identity stays hidden even then (CONF-01/02)."""
    row = await visible(uow, caller, complaint_id)
    personal = _personal(ctx, row)
    revealed = False
    if reveal:
        if not caller.has_any(["auditor"]):
            raise PermanentError("revealing personal data needs the auditor role", status=403, rule="CONF-04")
        revealed = not row.confidential
        await uow.session.execute(
            t.reveals.insert().values(
                complaint_id=row.id,
                caller_org=caller.org,
                caller=caller.subject,
                roles=sorted(caller.roles),
                fields=sorted(personal),
                outcome="revealed" if revealed else "withheld",
            )
        )
    record = dict(row.record)
    shown = {k: str(v) for k, v in personal.items()} if revealed else masked(personal, row.confidential)
    record["complainant"] = {**record.get("complainant", {}), **shown, "confidential": row.confidential}
    return {
        **record,
        "id": str(row.id),
        "reference": row.reference,
        "status": row.status,
        "tenant": row.tenant,
        "regime": row.regime,
        "policy_version": row.policy_version,
        "kind": row.kind,
        "priority": row.priority,
        "category": row.category,
        "respondent": {**record.get("respondent", {}), "unit": row.respondent_unit},
        "classification": row.classification,
        "complainant_ref": row.complainant_ref,
        "revealed": revealed,
        "repeat": (
            {"parent_complaint_id": str(row.parent_id), "cause": row.repeat_cause}
            if row.parent_id is not None
            else None
        ),
        "transferred_at": iso(row.transferred_at),
        "replied_at": iso(row.replied_at),
        "breached_at": iso(row.breached_at),
        "breached_stage": row.breached_stage,
        "unit_unreachable_attempts": row.unit_unreachable,
        "callback_dissatisfied": row.callback_dissatisfied,
        "withdrawn_at": iso(row.withdrawn_at),
        "closed_at": iso(row.closed_at),
        "reconsideration": row.reconsideration,
    }


async def reveals(uow: UnitOfWork, caller: Principal, complaint_id: uuid.UUID) -> list[dict[str, Any]]:
    """The audit trail of reveals of one complaint (auditor)."""
    if not caller.has_any(["auditor"]):
        raise PermanentError("the reveal audit needs the auditor role", status=403, rule="CONF-05")
    await visible(uow, caller, complaint_id)
    rows = await uow.session.execute(
        sa.select(t.reveals).where(t.reveals.c.complaint_id == complaint_id).order_by(t.reveals.c.id)
    )
    return [
        {
            "caller_org": r.caller_org,
            "caller": r.caller,
            "roles": list(r.roles),
            "fields": list(r.fields),
            "outcome": r.outcome,
            "at": iso(r.at),
        }
        for r in rows
    ]


def _refused(title: str, rule: str | None, status: int = 409, errors: list[FieldError] | None = None) -> Outcome:
    body = problem(title, errors or [], status=status)
    if rule:
        body["rule"] = rule
    return Outcome(status, body)


async def withdraw(
    uow: UnitOfWork, ctx: IntakeContext, caller: Principal, complaint_id: uuid.UUID, req: Withdrawal
) -> Outcome:
    """LC-10: 200 and `complaint.withdrawn` before the transfer; 409 and `complaint.withdrawal_refused` after."""
    row = await visible(uow, caller, complaint_id, lock=True)
    if row.status == WITHDRAWN:
        return _refused("the complaint is already withdrawn", "LC-10")
    if row.status not in (RECEIVED, "closed"):
        return _refused(f"a complaint {row.status.replace('_', ' ')} has no case to withdraw", "LC-10")
    if req.requested_at < row.received_at:
        error = FieldError("requested_at", "is before the complaint was received", "LC-10")
        return _refused("the withdrawal is not valid", None, 422, [error])
    policy = _policy(ctx, row)
    refusal = withdrawal_refusal(policy.intake.withdrawal, req.requested_at, row.transferred_at, row.closed_at)
    if refusal is not None:
        uow.emit(
            "complaint.withdrawal_refused",
            ComplaintWithdrawalRefused(
                complaint_id=str(row.id),
                regime=row.regime,
                occurred_at=req.requested_at,
                rule=refusal.rule,
                requested_at=req.requested_at,
                refusal_reason=refusal.code,
                reason=_short(req.reason),
                transferred_at=row.transferred_at,
                reference=row.reference,
            ),
            tenant=row.tenant,
        )
        return _refused(refusal.message, refusal.rule)
    await uow.session.execute(
        sa.update(t.complaints)
        .where(t.complaints.c.id == row.id)
        .values(status=WITHDRAWN, withdrawn_at=req.requested_at)
    )
    uow.emit(
        "complaint.withdrawn",
        ComplaintWithdrawn(
            complaint_id=str(row.id),
            regime=row.regime,
            occurred_at=req.requested_at,
            rule="LC-10",
            requested_at=req.requested_at,
            reason=_short(req.reason),
            reference=row.reference,
        ),
        tenant=row.tenant,
    )
    return Outcome(200, {"id": str(row.id), "status": WITHDRAWN, "withdrawn_at": iso(req.requested_at)})


async def _lodging_allowed(uow: UnitOfWork, allowed: list[str], lodged: dict[str, Any], decider: str) -> bool:
    """RCN-02: with the superior unit of the body that decided, or with the same-level banking association."""
    above = await orgs.ancestors(uow, [decider])
    decider_record = (await orgs.load(uow, [decider])).get(decider, {})
    checks = {
        "superior_of_decider": lodged["id"] != decider
        and (lodged["id"] in above or lodged["id"] == decider_record.get("superior")),
        "banking_association": lodged.get("kind") == "association",
    }
    known = [name for name in allowed if name in checks]
    return not known or any(checks[name] for name in known)


async def reconsider(
    uow: UnitOfWork, ctx: IntakeContext, caller: Principal, complaint_id: uuid.UUID, req: Reconsideration
) -> Outcome:
    """RCN-02: 201 and `reconsideration.requested` inside the window counted from the notification of the result;
    422 and `reconsideration.rejected_late` after it."""
    row = await visible(uow, caller, complaint_id, lock=True)
    policy = _policy(ctx, row)
    procedure = policy.intake.reconsideration
    if procedure is None:
        return _refused(f"{policy.id} has no reconsideration procedure", None)
    rule = procedure.rule[0]
    if row.reconsideration is not None:
        return _refused("a reconsideration was already requested", rule)
    if row.replied_at is None:
        return _refused("the result has not been notified to the customer yet", rule)
    if req.requested_at < row.replied_at:
        error = FieldError("requested_at", "is before the result was notified", rule)
        return _refused("the reconsideration request is not valid", None, 422, [error])
    closes = window_closes_at(policy, row.replied_at, ctx.calendar)
    assert closes is not None
    if req.requested_at > closes:
        uow.emit(
            "reconsideration.rejected_late",
            ReconsiderationRejectedLate(
                complaint_id=str(row.id),
                regime=row.regime,
                occurred_at=req.requested_at,
                rule=rule,
                requested_at=req.requested_at,
                window_closed_at=closes,
                lodged_with=req.lodged_with,
                notified_at=row.replied_at,
                reference=row.reference,
            ),
            tenant=row.tenant,
        )
        error = FieldError("requested_at", f"after the window closed at {iso(closes)}", rule)
        return _refused("the reconsideration was filed too late", rule, 422, [error])
    lodged = (await orgs.load(uow, [req.lodged_with])).get(req.lodged_with)
    decider = row.replied_by or row.respondent_unit
    if lodged is None or not await _lodging_allowed(uow, procedure.lodged_with, lodged, decider):
        message = "unknown organisation" if lodged is None else f"must be one of: {', '.join(procedure.lodged_with)}"
        return _refused(
            "the reconsideration request is not valid", None, 422, [FieldError("lodged_with", message, rule)]
        )
    filed = {
        "requested_at": iso(req.requested_at),
        "lodged_with": req.lodged_with,
        "notified_at": iso(row.replied_at),
        "window_closes_at": iso(closes),
        "deciding_unit": decider,
    }
    await uow.session.execute(sa.update(t.complaints).where(t.complaints.c.id == row.id).values(reconsideration=filed))
    uow.emit(
        "reconsideration.requested",
        ReconsiderationRequested(
            complaint_id=str(row.id),
            regime=row.regime,
            occurred_at=req.requested_at,
            rule=rule,
            requested_at=req.requested_at,
            lodged_with=req.lodged_with,
            notified_at=row.replied_at,
            window_closes_at=closes,
            deciding_unit=decider,
            reason=_short(req.reason),
            complainant_ref=None if row.confidential else row.complainant_ref,  # CONF-01/02: unlinkable
            reference=row.reference,
        ),
        tenant=row.tenant,
    )
    return Outcome(201, {"id": str(row.id), "status": "reconsideration_requested", **filed})


async def reclassify(
    uow: UnitOfWork, ctx: IntakeContext, caller: Principal, complaint_id: uuid.UUID, req: Reclassification
) -> Outcome:
    """INT-36: 200 and `complaint.reclassified` when the regime allows the change; 409 for the reverse of an
    irreversible upgrade. The classification is worked out again under the regime's rules."""
    row = await visible(uow, caller, complaint_id, lock=True)
    if row.status != RECEIVED:
        return _refused(f"a complaint {row.status.replace('_', ' ')} cannot be reclassified", None)
    policy = _policy(ctx, row)
    current = {"kind": row.kind, "priority": row.priority, "category": row.category}
    wanted = {f: v.value if hasattr(v, "value") else v for f in current if (v := getattr(req, f)) is not None}
    changes = {f: v for f, v in wanted.items() if v != current[f]}
    if not changes:
        error = FieldError("body", "names no kind, priority or category different from the current ones", CONTRACT)
        return _refused("nothing to reclassify", None, 422, [error])
    for field, value in changes.items():
        refusal = reclassification_refusal(policy, field, current[field], value)  # type: ignore[arg-type]
        if refusal is not None:
            return _refused(refusal.message, refusal.rule)
    record = {**row.record, **changes}
    record["complainant"] = {**record.get("complainant", {}), **_personal(ctx, row)}
    record["priority"] = changes.get("priority", row.priority)
    try:
        sub = Submission.model_validate(record)
    except ValidationError as exc:
        errors = [FieldError(".".join(map(str, e["loc"])), e["msg"], CONTRACT) for e in exc.errors(include_input=False)]
        return _refused("the reclassified complaint is not valid", None, 422, errors)
    verdict = assess(policy, sub)
    if not verdict.accepted:
        return _refused(f"the reclassified complaint cannot be accepted under {policy.id}", None, 422, verdict.errors)
    kept = dict(row.classification)
    classification = verdict.classification.model_copy(
        update={"large_scale": bool(kept.get("large_scale")), "scope": Scope(kept.get("scope", Scope.IN_SCOPE))}
    )
    stored = {k: v for k, v in record.items() if k != "complainant"} | {
        "complainant": row.record.get("complainant", {})
    }
    await uow.session.execute(
        sa.update(t.complaints)
        .where(t.complaints.c.id == row.id)
        .values(
            kind=sub.kind.value,
            priority=verdict.priority.value,
            category=sub.category,
            record=stored,
            classification=classification.model_dump(mode="json"),
        )
    )
    uow.emit(
        "complaint.reclassified",
        ComplaintReclassified(
            complaint_id=str(row.id),
            regime=row.regime,
            occurred_at=req.at,
            rule=policy.intake.reclassification.rule[0] if policy.intake.reclassification.rule else "INT-36",
            reason=_short(req.reason) or "",
            kind=sub.kind if sub.kind.value != row.kind else None,
            priority=verdict.priority if verdict.priority.value != row.priority else None,
            category=sub.category if sub.category != row.category else None,
            previous_kind=ComplaintKind(row.kind),
            previous_priority=Priority(row.priority),
            previous_category=row.category,
            classification=classification,
            reference=row.reference,
            by=caller.org,
        ),
        tenant=row.tenant,
    )
    return Outcome(
        200,
        {
            "id": str(row.id),
            "kind": sub.kind.value,
            "priority": verdict.priority.value,
            "category": sub.category,
            "classification": classification.model_dump(mode="json"),
        },
    )


def parse_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise NotFoundError("no such complaint") from exc
