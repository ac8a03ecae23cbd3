"""Use case: accept (or reject) a complaint submission, once per idempotency key (CONTRACT §4)."""

import hashlib
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from tousu.contracts.events.intake import Classification, ComplaintReceived, ComplaintRejected
from tousu.contracts.policy import Policy
from tousu.intake.adapters import tables as t
from tousu.intake.adapters.crypto import PersonalDataVault
from tousu.intake.domain.reference import format_reference
from tousu.intake.domain.submission import Submission
from tousu.kit.errors import FieldError
from tousu.kit.uow import UnitOfWork


@dataclass(frozen=True)
class Outcome:
    status: int
    body: dict[str, Any]


def body_hash(body: bytes | dict[str, Any]) -> str:
    raw = body if isinstance(body, bytes) else orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(raw).hexdigest()


async def submit(
    uow: UnitOfWork,
    *,
    submission: Submission,
    submitter_org: str,
    idempotency_key: str,
    fingerprint: str,
    policies: dict[str, Policy],
    vault: PersonalDataVault,
    keep_keys: timedelta,
) -> Outcome:
    session = uow.session
    # Concurrent duplicates queue behind one another here, so exactly one complaint is created.
    await session.execute(
        sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtextextended(f"{submitter_org}|{idempotency_key}", 0)))
    )
    earlier = (
        await session.execute(
            sa.select(t.idempotency).where(
                t.idempotency.c.org == submitter_org,
                t.idempotency.c.key == idempotency_key,
                t.idempotency.c.created_at > uow.now() - keep_keys,
            )
        )
    ).first()
    if earlier is not None:
        if earlier.body_hash != fingerprint:
            return Outcome(
                422,
                problem(
                    "the Idempotency-Key was already used with another body",
                    [FieldError("Idempotency-Key", "reused with a different body")],
                ),
            )
        return Outcome(200 if earlier.status_code == 201 else earlier.status_code, earlier.response)

    outcome = await _accept(uow, submission, submitter_org, policies, vault)
    await session.execute(
        insert(t.idempotency)
        .values(
            org=submitter_org,
            key=idempotency_key,
            body_hash=fingerprint,
            status_code=outcome.status,
            response=outcome.body,
        )
        .on_conflict_do_update(
            index_elements=[t.idempotency.c.org, t.idempotency.c.key],
            set_={
                "body_hash": fingerprint,
                "status_code": outcome.status,
                "response": outcome.body,
                "created_at": sa.func.now(),
            },
        )
    )
    return outcome


def problem(title: str, errors: list[FieldError], status: int = 422) -> dict[str, Any]:
    return {"type": "about:blank", "title": title, "status": status, "errors": [e.as_dict() for e in errors]}


async def _org(uow: UnitOfWork, org_id: str) -> Any:
    return (await uow.session.execute(sa.select(t.orgs).where(t.orgs.c.id == org_id))).first()


async def _accept(
    uow: UnitOfWork, sub: Submission, submitter_org: str, policies: dict[str, Policy], vault: PersonalDataVault
) -> Outcome:
    errors: list[FieldError] = []
    policy = policies.get(sub.regime)
    if policy is None:
        errors.append(FieldError("regime", f"unknown regime; known: {', '.join(sorted(policies))}"))
    receiving = await _org(uow, sub.receiving_unit)
    if receiving is None:
        errors.append(FieldError("receiving_unit", "unknown organisation"))
    respondent = await _org(uow, sub.respondent.unit)
    if respondent is None:
        errors.append(FieldError("respondent.unit", "unknown organisation"))
    if policy is not None:
        if sub.kind not in policy.kinds:
            errors.append(FieldError("kind", f"not a kind of {policy.id}; allowed: {', '.join(policy.kinds)}"))
        categories = [c.id for c in policy.categories]
        if sub.category not in categories:
            errors.append(FieldError("category", f"unknown category; allowed: {', '.join(categories)}"))
    complaint_id = uuid.uuid4()
    tenant = respondent.tenant if respondent is not None else (receiving.tenant if receiving is not None else None)
    if errors or policy is None or tenant is None:
        if policy is not None and tenant is not None:
            uow.emit(
                "complaint.rejected",
                ComplaintRejected(
                    complaint_id=None,
                    regime=sub.regime,
                    occurred_at=sub.received_at,
                    reasons=[e.as_dict() for e in errors],
                    receiving_unit=sub.receiving_unit,
                    channel=sub.channel,
                ),
                tenant=tenant,
            )
        return Outcome(422, problem("the complaint cannot be accepted", errors))

    year = sub.received_at.year
    number = (
        await uow.session.execute(
            insert(t.reference_counters)
            .values(tenant=tenant, year=year, last=1)
            .on_conflict_do_update(
                index_elements=[t.reference_counters.c.tenant, t.reference_counters.c.year],
                set_={"last": t.reference_counters.c.last + 1},
            )
            .returning(t.reference_counters.c.last)
        )
    ).scalar_one()
    reference = format_reference(tenant, year, number)
    personal = sub.complainant.personal_data()
    sealed, key_id = vault.seal(personal, aad=str(complaint_id)) if personal else (None, None)
    complainant_ref = vault.complainant_ref(sub.complainant.id_number, sub.complainant.phone)
    classification = Classification(
        validity="valid",
        scope="in_scope",
        major=sub.priority == "major",
        large_scale=False,
        reasons=[],
    )
    priority = sub.priority or "ordinary"
    await uow.session.execute(
        t.complaints.insert().values(
            id=complaint_id,
            reference=reference,
            tenant=tenant,
            regime=sub.regime,
            policy_version=policy.version,
            status="received",
            received_at=sub.received_at,
            receiving_unit=sub.receiving_unit,
            respondent_unit=sub.respondent.unit,
            submitted_by=submitter_org,
            complainant_ref=complainant_ref,
            record=sub.record(),
            personal_data=sealed,
            key_id=key_id,
            classification=classification.model_dump(mode="json"),
        )
    )
    uow.emit(
        "complaint.received",
        ComplaintReceived(
            complaint_id=str(complaint_id),
            reference=reference,
            regime=sub.regime,
            policy_version=policy.version,
            occurred_at=sub.received_at,
            received_at=sub.received_at,
            receiving_unit=sub.receiving_unit,
            receiver_staff=sub.receiver_staff,
            channel=sub.channel,
            kind=sub.kind,
            category=sub.category,
            priority=priority,
            respondent_unit=sub.respondent.unit,
            respondent_staff=sub.respondent.staff,
            complainant_ref=complainant_ref,
            authority=sub.authority,
            parent_complaint_id=sub.parent_complaint_id,
            external_ref=sub.external_ref,
            flags=sub.flags,
            classification=classification,
        ),
        tenant=tenant,
    )
    return Outcome(
        201,
        {
            "id": str(complaint_id),
            "reference": reference,
            "status": "received",
            "classification": classification.model_dump(mode="json"),
            "deadlines_url": f"/v1/complaints/{complaint_id}/clocks",
        },
    )
