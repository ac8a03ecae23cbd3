"""Use case: accept (or reject) a complaint submission, once per idempotency key (CONTRACT §4, §9).

HTTP and the ingress consumer both hand the raw JSON body here: one validation, one outcome, one stored answer.
"""

import hashlib
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.dialects.postgresql import insert

from tousu.contracts.events.intake import (
    ComplaintClosedAtIntake,
    ComplaintLargeScaleDetected,
    ComplaintReceived,
    ComplaintRejected,
    ComplaintRepeatDetected,
    Violation,
)
from tousu.contracts.policy import Policy
from tousu.contracts.vocab import Channel, ComplaintKind
from tousu.intake.adapters import tables as t
from tousu.intake.domain import assessment as rules
from tousu.intake.domain.assessment import Assessment, apply_defaults, assess, resolve
from tousu.intake.domain.detection import ParentFacts, crosses, group_key, repeat_cause
from tousu.intake.domain.reference import SHARDS, format_reference, reference_number
from tousu.intake.domain.submission import Submission
from tousu.intake.service_layer import orgs
from tousu.intake.service_layer.context import IntakeContext
from tousu.kit.auth import Principal
from tousu.kit.errors import FieldError
from tousu.kit.uow import UnitOfWork

MAX_GROUP_IDS = 1000
UNIT_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")
"""CONTRACT §2 ids: a raw value is looked up only when it could be one."""


@dataclass(frozen=True)
class Outcome:
    """An HTTP status and body; over the bus the same body is the reply."""

    status: int
    body: dict[str, Any]

    @property
    def failed(self) -> bool:
        return self.status >= 400

    def park_reason(self) -> str:
        """Field names, messages and rules only: never a submitted value."""
        errors = self.body.get("errors", [])
        parts = [f"{e['field']}: {e['message']}" + (f" [{e['rule']}]" if e.get("rule") else "") for e in errors]
        return "; ".join([str(self.body.get("title", "refused")), *parts])


def problem(title: str, errors: list[FieldError], status: int = 422) -> dict[str, Any]:
    return {"type": "about:blank", "title": title, "status": status, "errors": [e.as_dict() for e in errors]}


def fingerprint(raw: Any) -> str:
    """The same body is the same JSON, whatever the order of its keys."""
    return hashlib.sha256(orjson.dumps(raw, option=orjson.OPT_SORT_KEYS)).hexdigest()


async def submit(uow: UnitOfWork, ctx: IntakeContext, raw: Any, caller: Principal, key: str) -> Outcome:
    """Idempotency-Key semantics: the same key and body answer with the first outcome (200 for a created
    complaint), another body with 422; concurrent duplicates create one complaint. Keys are per organisation and
    kept `ctx.keep_keys` (system time: retention is operational, not business time)."""
    session = uow.session
    # Concurrent duplicates queue behind one another here, so exactly one complaint is created.
    await session.execute(sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtextextended(f"{caller.org}|{key}", 0))))
    digest = fingerprint(raw)
    earlier = (
        await session.execute(
            sa.select(t.idempotency).where(
                t.idempotency.c.org == caller.org,
                t.idempotency.c.key == key,
                t.idempotency.c.created_at > sa.func.now() - ctx.keep_keys,
            )
        )
    ).first()
    if earlier is not None:
        if earlier.body_hash != digest:
            error = FieldError("Idempotency-Key", "already used with another body", "CONTRACT §4")
            return Outcome(422, problem("the Idempotency-Key was already used with another body", [error]))
        return Outcome(200 if earlier.status_code == 201 else earlier.status_code, earlier.response)

    outcome = await accept(uow, ctx, raw, caller)
    if outcome.failed and not uow.emitted:
        # A refusal that left no trace (an organisation intake's replica does not know yet, a unit outside the
        # caller's) is not "the first outcome" of the key: the same request is evaluated afresh when retried.
        return outcome
    stmt = insert(t.idempotency).values(
        org=caller.org, key=key, body_hash=digest, status_code=outcome.status, response=outcome.body
    )
    await session.execute(
        stmt.on_conflict_do_update(  # an expired key is used afresh
            index_elements=[t.idempotency.c.org, t.idempotency.c.key],
            set_={
                "body_hash": digest,
                "status_code": outcome.status,
                "response": outcome.body,
                "created_at": sa.func.now(),
            },
        )
    )
    return outcome


async def purge_keys(uow: UnitOfWork, keep: timedelta) -> int:
    result = await uow.session.execute(
        sa.delete(t.idempotency).where(t.idempotency.c.created_at < sa.func.now() - keep)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _field(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(p) for p in loc) or "body"


async def accept(uow: UnitOfWork, ctx: IntakeContext, raw: Any, caller: Principal) -> Outcome:
    if not isinstance(raw, dict):
        return Outcome(422, problem("the complaint is not valid", [FieldError("body", "must be a JSON object")]))
    regime = raw.get("regime")
    policy = ctx.policies.get(regime) if isinstance(regime, str) else None
    try:
        sub = Submission.model_validate(apply_defaults(raw, policy.intake.defaults) if policy else raw)
    except ValidationError as exc:
        # Messages only: pydantic's inputs may be personal data.
        invalid = [FieldError(_field(e["loc"]), e["msg"], rules.CONTRACT) for e in exc.errors(include_input=False)]
        await _reject_invalid(uow, raw, invalid, caller)
        return Outcome(422, problem("the complaint is not valid", invalid))

    errors: list[FieldError] = []
    if policy is None:
        errors.append(FieldError("regime", f"unknown regime; known: {', '.join(sorted(ctx.policies))}", "CONTRACT §2"))
    units = await orgs.load(uow, [sub.receiving_unit, sub.respondent.unit])
    receiving, respondent = units.get(sub.receiving_unit), units.get(sub.respondent.unit or "")
    if receiving is None:
        errors.append(FieldError("receiving_unit", "unknown organisation", "CONTRACT §2"))
    elif not await orgs.sees(uow, caller, [sub.receiving_unit]):
        error = FieldError("receiving_unit", "not within the caller's organisation", "CONTRACT §3")
        return Outcome(403, problem("the caller may not submit for this unit", [error], status=403))
    if sub.respondent.unit and respondent is None:
        errors.append(FieldError("respondent.unit", "unknown organisation", "CONTRACT §2"))
    if policy is not None and receiving is not None:
        listed = {*receiving.get("regimes", []), *(respondent or {}).get("regimes", [])}
        if listed and policy.id not in listed:
            message = f"not a regime of the organisations concerned; they follow {', '.join(sorted(listed))}"
            errors.append(FieldError("regime", message, "CONTRACT §2"))
    tenant = (respondent or receiving or {}).get("tenant")
    parent = None
    if sub.parent_complaint_id is not None:
        parent = await _visible_complaint(uow, caller, sub.parent_complaint_id, tenant)
        if parent is None:
            errors.append(FieldError("parent_complaint_id", "no such complaint", "INT-30"))
    if errors or policy is None or tenant is None:
        await _reject(uow, sub, errors, tenant, caller, policy, ctx, stored=False)
        return Outcome(422, problem("the complaint cannot be accepted", errors))

    def kind_of(unit: str) -> str | None:
        return units.get(unit, {}).get("kind")

    verdict = assess(policy, sub, kind_of)
    if not verdict.accepted:
        await _reject(uow, sub, verdict.errors, tenant, caller, policy, ctx, stored=True)
        return Outcome(422, problem(f"the complaint cannot be accepted under {policy.id}", verdict.errors))
    return await _create(uow, ctx, sub, policy, verdict, tenant, caller, parent)


async def _visible_complaint(uow: UnitOfWork, caller: Principal, complaint_id: str, tenant: str | None) -> Any:
    try:
        key = uuid.UUID(complaint_id)
    except ValueError:
        return None
    row = (await uow.session.execute(sa.select(t.complaints).where(t.complaints.c.id == key))).first()
    if row is None or row.tenant != tenant:
        return None
    if not await orgs.sees(uow, caller, [row.receiving_unit, row.respondent_unit, row.submitted_by, *row.units]):
        return None
    return row


async def _reject_invalid(uow: UnitOfWork, raw: dict[str, Any], errors: list[FieldError], caller: Principal) -> None:
    """A body that is not a submission at all: still a `complaint.rejected` for the receiving unit's tenant, carrying
    only values that are known to be clean (a unit of the registry, a vocabulary word)."""
    unit = raw.get("receiving_unit")
    receiving = (await orgs.load(uow, [unit])).get(unit) if isinstance(unit, str) and UNIT_ID.match(unit) else None
    if receiving is None or not await orgs.sees(uow, caller, [receiving["id"]]):
        return
    channel, kind = raw.get("channel"), raw.get("kind")
    regime = raw.get("regime")
    uow.emit(
        "complaint.rejected",
        ComplaintRejected(
            regime=regime if isinstance(regime, str) and regime in receiving.get("regimes", []) else None,
            occurred_at=uow.now(),
            reasons=[Violation(**e.as_dict()) for e in errors],
            reason="not a valid submission (CONTRACT §4)",
            receiving_unit=receiving["id"],
            channel=channel if isinstance(channel, str) and channel in set(Channel) else None,
            kind=kind if isinstance(kind, str) and kind in set(ComplaintKind) else None,
        ),
        tenant=str(receiving["tenant"]),
    )


async def _reject(
    uow: UnitOfWork,
    sub: Submission,
    errors: list[FieldError],
    tenant: str | None,
    caller: Principal,
    policy: Policy | None,
    ctx: IntakeContext,
    *,
    stored: bool,
) -> None:
    """INT-*: refused, with a `complaint.rejected` naming every reason; a submission that failed the regime's
    acceptance conditions is kept as feedback (AS-10(a)), without a case or a clock."""
    if tenant is None:
        return
    # CONF-01/02: not even the keyed hash of an informant leaves intake (it would link the informant's reports).
    hidden = rules.confidential(policy, sub)
    complainant_ref = None if hidden else ctx.vault.complainant_ref(sub.complainant.id_number, sub.complainant.phone)
    if stored:
        personal = sub.complainant.personal_data()
        rejection_id = uuid.uuid4()
        sealed, key_id = ctx.vault.seal(personal, aad=str(rejection_id)) if personal else (None, None)
        await uow.session.execute(
            t.rejections.insert().values(
                id=rejection_id,
                tenant=tenant,
                regime=sub.regime,
                received_at=sub.received_at,
                receiving_unit=sub.receiving_unit,
                submitted_by=caller.org,
                record=sub.record(),
                personal_data=sealed,
                key_id=key_id,
                reasons=[e.as_dict() for e in errors],
            )
        )
    uow.emit(
        "complaint.rejected",
        ComplaintRejected(
            regime=sub.regime,
            occurred_at=sub.received_at,
            rule=errors[0].rule if errors else None,
            reasons=[Violation(**e.as_dict()) for e in errors],
            reason="; ".join(e.message for e in errors),
            received_at=sub.received_at,
            receiving_unit=sub.receiving_unit,
            channel=sub.channel,
            kind=sub.kind,
            category=sub.category,
            respondent_unit=sub.respondent.unit,
            complainant_ref=complainant_ref,
            policy_version=policy.version if policy else None,
            stored_as="feedback" if stored else None,
        ),
        tenant=tenant,
    )


async def _next_reference(uow: UnitOfWork, tenant: str, year: int) -> str:
    """The next number of the tenant's year from a counter shard no other transaction holds (domain.reference);
    a transaction that already holds one (an ingress batch) keeps taking from it."""
    c = t.reference_counters.c
    held: dict[tuple[str, int], int] = uow.session.info.setdefault("reference_shards", {})

    def take(skip_locked: bool) -> sa.Update:
        pick = (
            sa.select(c.shard)
            .where(c.tenant == tenant, c.year == year)
            .order_by((c.shard == held.get((tenant, year), -1)).desc(), c.last, c.shard)
            .limit(1)
            .with_for_update(skip_locked=skip_locked)
        )
        return (
            sa.update(t.reference_counters)
            .where(c.tenant == tenant, c.year == year, c.shard == pick.scalar_subquery())
            .values(last=c.last + 1)
            .returning(c.base, c.shard, c.last)
        )

    row = (await uow.session.execute(take(skip_locked=True))).first()
    if row is None:  # the year's first number, or every shard held by another transaction
        shards = [{"tenant": tenant, "year": year, "shard": n, "base": 0, "last": 0} for n in range(SHARDS)]
        await uow.session.execute(insert(t.reference_counters).values(shards).on_conflict_do_nothing())
        row = (await uow.session.execute(take(skip_locked=True))).first()
        if row is None:
            row = (await uow.session.execute(take(skip_locked=False))).one()
    held[(tenant, year)] = row.shard
    return format_reference(tenant, year, reference_number(row.base, row.shard, row.last))


async def _create(
    uow: UnitOfWork,
    ctx: IntakeContext,
    sub: Submission,
    policy: Policy,
    verdict: Assessment,
    tenant: str,
    caller: Principal,
    parent: Any,
) -> Outcome:
    complaint_id = uuid.uuid4()
    personal = sub.complainant.personal_data()
    sealed, key_id = ctx.vault.seal(personal, aad=str(complaint_id)) if personal else (None, None)
    complainant_ref = ctx.vault.complainant_ref(
        sub.complainant.id_number, sub.complainant.phone, sub.complainant.account
    )
    # Without a named respondent the complaint is against the receiving organisation itself.
    respondent_unit = sub.respondent.unit or sub.receiving_unit
    record = sub.record()
    if sub.fault is not None and verdict.fault_severity is not None:
        record["fault"]["severity"] = verdict.fault_severity.value
    scale = _ScaleGroup.of(policy, sub, respondent_unit)
    classification = verdict.classification
    closing = sub.resolved_at_intake if verdict.status == rules.CLOSED_AT_INTAKE else None
    closed_at = closing.at if closing is not None else None
    if parent is None and verdict.status == rules.RECEIVED:
        parent = await _earlier_complaint(uow, policy, tenant, complainant_ref, respondent_unit, sub)
    if parent is not None:
        # The repeat's cause rests on the first complaint's journey: catch up with routing's and sla's facts.
        await ctx.inbound.settled()
        fresh = sa.select(t.complaints).where(t.complaints.c.id == parent.id).with_for_update(read=True)
        parent = (await uow.session.execute(fresh)).first()
    # The two locks that serialise submissions (a large-scale group's, a tenant's reference counter) come last, so
    # each is held only for the inserts and the commit that follow, not for the reads above: in a mass incident
    # every complaint of the burst shares both.
    if scale is not None and crosses(await scale.count(uow, tenant, sub), scale.threshold, already_alerted=False):
        classification = classification.model_copy(update={"large_scale": True})
    reference = await _next_reference(uow, tenant, sub.received_at.year)
    await uow.session.execute(
        t.complaints.insert().values(
            id=complaint_id,
            reference=reference,
            tenant=tenant,
            regime=sub.regime,
            policy_version=policy.version,
            status=verdict.status,
            received_at=sub.received_at,
            receiving_unit=sub.receiving_unit,
            respondent_unit=respondent_unit,
            submitted_by=caller.org,
            units=[],
            kind=sub.kind,
            priority=verdict.priority,
            category=sub.category,
            product=sub.product,
            scale_group=scale.key if scale else None,
            confidential=verdict.confidential,
            complainant_ref=complainant_ref,
            record=record,
            personal_data=sealed,
            key_id=key_id,
            classification=classification.model_dump(mode="json"),
            parent_id=parent.id if parent is not None else None,
            repeat_root=(parent.repeat_root or parent.id) if parent is not None else None,
            closed_at=closed_at,
        )
    )
    common: dict[str, Any] = {
        "complaint_id": str(complaint_id),
        "reference": reference,
        "regime": sub.regime,
        "policy_version": policy.version,
        "received_at": sub.received_at,
        "receiving_unit": sub.receiving_unit,
        "receiver_staff": sub.receiver_staff,
        "channel": sub.channel,
        "kind": sub.kind,
        "category": sub.category,
        "respondent_unit": respondent_unit,
        # CONF-01/02: an informant's keyed hash stays in intake's table (repeat detection), never on an event.
        "complainant_ref": None if verdict.confidential else complainant_ref,
    }
    if closing is not None:
        resolved = closing
        uow.emit(
            "complaint.closed_at_intake",
            ComplaintClosedAtIntake(
                **common,
                occurred_at=resolved.at,
                closed_at=resolved.at,
                customer_satisfied=resolved.customer_satisfied,
                resolution="resolved at the first contact",
                rule=policy.intake.closure_at_intake.rule[0] if policy.intake.closure_at_intake.rule else "LC-04",
            ),
            tenant=tenant,
        )
    else:
        uow.emit(
            "complaint.received",
            ComplaintReceived(
                **common,
                occurred_at=sub.received_at,
                priority=verdict.priority,
                respondent_staff=sub.respondent.staff,
                complainant_standing=sub.complainant.standing,
                confidential=verdict.confidential,
                authority=sub.authority,
                parent_complaint_id=str(parent.id) if parent is not None else None,
                external_ref=sub.external_ref,
                flags=sub.flags,
                classification=classification,
                disputed_amount=sub.disputed_amount.model_dump(mode="json") if sub.disputed_amount else None,
                fault=record.get("fault"),
                cause_levels=sub.cause_levels,
                recording_ref=sub.recording_ref,
                rule=classification.reasons[0] if classification.reasons else None,
            ),
            tenant=tenant,
        )
    body: dict[str, Any] = {
        "id": str(complaint_id),
        "reference": reference,
        "status": verdict.status,
        "classification": classification.model_dump(mode="json"),
        "deadlines_url": f"/v1/complaints/{complaint_id}/clocks",
        "tenant": tenant,
        "kind": sub.kind.value,
        "priority": verdict.priority.value,
        "category": sub.category,
    }
    if parent is not None:
        published = common["complainant_ref"]
        body["repeat"] = await _repeat(uow, policy, sub, complaint_id, reference, parent, published, tenant)
    if classification.large_scale and scale is not None:
        await scale.alert(uow, tenant, sub, policy)
    return Outcome(201, body)


async def _earlier_complaint(
    uow: UnitOfWork, policy: Policy, tenant: str, complainant_ref: str | None, respondent_unit: str, sub: Submission
) -> Any:
    """INT-30: the same complainant (keyed hash) about the same unit and subject inside the regime's window."""
    repeat = policy.classification.repeat
    if repeat is None or complainant_ref is None:
        return None
    days = int(resolve(repeat.window_days, policy.parameter_values()))
    c = t.complaints.c
    query = (
        sa.select(t.complaints)
        .where(
            c.tenant == tenant,
            c.complainant_ref == complainant_ref,
            c.respondent_unit == respondent_unit,
            c.category == sub.category,
            c.received_at <= sub.received_at,
            c.received_at >= sub.received_at - timedelta(days=days),
            c.status.not_in(["withdrawn"]),
        )
        .order_by(c.received_at.desc())
        .limit(1)
    )
    if sub.product is not None:
        query = query.where(sa.or_(c.product == sub.product, c.product.is_(None)))
    return (await uow.session.execute(query)).first()


async def _repeat(
    uow: UnitOfWork,
    policy: Policy,
    sub: Submission,
    complaint_id: uuid.UUID,
    reference: str,
    parent: Any,
    complainant_ref: str | None,
    tenant: str,
) -> dict[str, Any]:
    facts = ParentFacts(
        replied_at=parent.replied_at,
        breached_at=parent.breached_at,
        unit_unreachable=parent.unit_unreachable,
        callback_dissatisfied=parent.callback_dissatisfied,
    )
    cause = repeat_cause(facts, sub.received_at)
    root = parent.repeat_root or parent.id
    c = t.complaints.c
    await uow.session.execute(sa.update(t.complaints).where(c.id == complaint_id).values(repeat_cause=cause.value))
    count = (
        await uow.session.execute(sa.select(sa.func.count()).where(sa.or_(c.id == root, c.repeat_root == root)))
    ).scalar_one()
    repeat = policy.classification.repeat
    uow.emit(
        "complaint.repeat_detected",
        ComplaintRepeatDetected(
            complaint_id=str(complaint_id),
            regime=sub.regime,
            occurred_at=sub.received_at,
            rule=repeat.rule[0] if repeat and repeat.rule else "INT-30",
            parent_complaint_id=str(parent.id),
            cause=cause,
            respondent_unit=parent.respondent_unit,
            complainant_ref=complainant_ref,
            reference=reference,
            parent_reference=parent.reference,
            repeat_count=int(count),
            breached_stage=parent.breached_stage if cause.value == "no_timely_reply" else None,
        ),
        tenant=tenant,
    )
    return {"parent_complaint_id": str(parent.id), "cause": cause.value, "count": int(count)}


@dataclass(frozen=True)
class _ScaleGroup:
    """One large-scale group of a regime (`classification.large_scale`): what its complaints share."""

    key: str
    threshold: int
    window: timedelta
    rule: str | None

    @classmethod
    def of(cls, policy: Policy, sub: Submission, respondent_unit: str) -> "_ScaleGroup | None":
        spec = policy.classification.large_scale
        if spec is None:
            return None
        params = policy.parameter_values()
        values = {**sub.data(), "respondent_unit": respondent_unit}
        return cls(
            key=group_key(spec.same, {name: rules.lookup(values, name) for name in spec.same}),
            threshold=int(resolve(spec.count, params)),
            window=timedelta(hours=int(resolve(spec.window_hours, params))),
            rule=spec.rule[0] if spec.rule else None,
        )

    def _members(self, tenant: str, at: datetime) -> sa.Select[Any]:
        c = t.complaints.c
        return sa.select(c.id, c.received_at, c.record["flags"]["mass_incident_risk"].astext).where(
            c.tenant == tenant, c.scale_group == self.key, c.received_at > at - self.window, c.received_at <= at
        )

    async def count(self, uow: UnitOfWork, tenant: str, sub: Submission) -> int:
        """The group's complaints in the window, this one included, counted up to the threshold (all that
        `crosses` needs: a group of thousands is not recounted per complaint); serialised per group so that the
        complaint reaching the threshold sees every one before it and one alert is raised."""
        lock = sa.func.hashtextextended(f"large-scale|{tenant}|{self.key}", 0)
        await uow.session.execute(sa.select(sa.func.pg_advisory_xact_lock(lock)))
        earlier = self._members(tenant, sub.received_at).limit(max(self.threshold - 1, 0))
        counted = sa.select(sa.func.count()).select_from(earlier.subquery())
        return int((await uow.session.execute(counted)).scalar_one()) + 1

    async def alert(self, uow: UnitOfWork, tenant: str, sub: Submission, policy: Policy) -> None:
        """CBRC 十五 (RTE-11): once per group and window, `complaint.large_scale_detected`; reporting decides on the
        report to the regulator (`regulator.report_required`)."""
        at = sub.received_at
        a = t.large_scale_alerts.c
        alerted = (
            await uow.session.execute(
                sa.select(sa.func.count()).where(
                    a.tenant == tenant, a.group_key == self.key, a.detected_at > at - self.window
                )
            )
        ).scalar_one()
        if alerted:
            return
        members = (await uow.session.execute(self._members(tenant, at).order_by(t.complaints.c.received_at))).all()
        if not crosses(len(members), self.threshold, already_alerted=False):
            return
        await uow.session.execute(
            t.large_scale_alerts.insert().values(tenant=tenant, group_key=self.key, detected_at=at, count=len(members))
        )
        spec = policy.classification.large_scale
        uow.emit(
            "complaint.large_scale_detected",
            ComplaintLargeScaleDetected(
                regime=sub.regime,
                occurred_at=at,
                rule=self.rule,
                count=len(members),
                window_hours=int(self.window.total_seconds() // 3600),
                threshold=self.threshold,
                group_key=self.key,
                complaint_ids=[str(m.id) for m in members[-MAX_GROUP_IDS:]],
                respondent_unit=sub.respondent.unit or sub.receiving_unit,
                category=sub.category if spec and "category" in spec.same else None,
                first_received_at=members[0].received_at,
                last_received_at=members[-1].received_at,
                mass_incident_risk=any(m[2] == "true" for m in members),
            ),
            tenant=tenant,
        )
