"""Responsibility determinations and appeals (SAN-30…39, SAN-42…46, RCN-04).

A determination is checked against the regime's vocabulary (its clauses and types), published as
`responsibility.determined`, and runs the regime's determination rules (penalties by severity, a reward for staff
who stayed tolerant). An employee's appeal goes to the determining body's parent; its re-determination
(`supersedes`) is final, lifts what the first one caused and imposes what it says itself.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from tousu.contracts.events.sanctions import ResponsibilityAppealed, ResponsibilityDetermined, RewardRecommended
from tousu.contracts.types import iso
from tousu.contracts.vocab import Money, ResponsibilityType
from tousu.kit.errors import ConflictError, FieldError, NotFoundError, PermanentError
from tousu.kit.uow import UnitOfWork
from tousu.sanctions.adapters import tables as t
from tousu.sanctions.domain import determinations as rules
from tousu.sanctions.domain.orgs import Orgs
from tousu.sanctions.domain.rules import Rule, RuleBook
from tousu.sanctions.service_layer import schedule
from tousu.sanctions.service_layer.imposing import Subject, impose, lift_where, money
from tousu.sanctions.service_layer.policies import RuleBooks


@dataclass(frozen=True)
class Request:
    complaint_id: str
    at: datetime
    proposed: rules.Proposed
    currency: str
    units: tuple[str, ...]
    determining_body: str | None
    supersedes: uuid.UUID | None
    by: str


async def _complaint(uow: UnitOfWork, complaint_id: str) -> Any:
    found = (
        await uow.session.execute(sa.select(t.complaints).where(t.complaints.c.complaint_id == complaint_id))
    ).first()
    if found is None:
        raise NotFoundError("no such complaint (sanctions may not have heard of it yet: retry)")
    return found


async def _row(uow: UnitOfWork, determination_id: uuid.UUID, lock: bool = False) -> Any:
    query = sa.select(t.determinations).where(t.determinations.c.id == determination_id)
    found = (await uow.session.execute(query.with_for_update() if lock else query)).first()
    if found is None:
        raise NotFoundError("no such determination")
    return found


async def determine(uow: UnitOfWork, books: RuleBooks, tree: Orgs, request: Request) -> dict[str, Any]:
    complaint = await _complaint(uow, request.complaint_id)
    book = books.get(complaint.regime, complaint.policy_version)
    config = book.determination() if book else None
    if book is None or config is None:
        raise PermanentError(
            f"{complaint.regime} has no responsibility determination",
            [FieldError("complaint_id", "its regime does not determine responsibility", "SAN-30")],
        )
    previous = None
    if request.supersedes is not None:
        previous = await _row(uow, request.supersedes, lock=True)
        if previous.complaint_id != request.complaint_id:
            raise PermanentError(
                "not a determination of this complaint", [FieldError("supersedes", "another complaint's", "RCN-04")]
            )
        if not previous.appeal_pending:
            raise ConflictError("a re-determination answers an appeal: this determination has none pending", "RCN-04")
    errors = rules.check(config, request.proposed, complaint.regime)
    if errors:
        raise PermanentError("the determination is not valid", errors)
    disputed = money(complaint.data.get("disputed_amount"))
    fee = rules.fee_borne(config, request.proposed, disputed.amount if disputed else None)
    units = list(request.units) or [complaint.respondent_unit]
    body = request.determining_body
    if body is None:
        body = tree.parent(previous.data.get("determining_body") or "") if previous is not None else units[0]
    appeals = previous.appeals if previous is not None else 0
    determination_id = uuid.uuid4()
    data = ResponsibilityDetermined(
        complaint_id=request.complaint_id,
        regime=complaint.regime,
        occurred_at=request.at,
        rule=_rule_of(request.proposed.responsible, config.types),
        determination_id=str(determination_id),
        responsible=request.proposed.responsible,
        clause=request.proposed.clause,
        type=ResponsibilityType(request.proposed.type) if request.proposed.type else None,
        persons=list(request.proposed.persons),
        units=units,
        disputed_fee_borne=Money(amount=fee, currency=disputed.currency if disputed else request.currency)
        if fee is not None
        else None,
        determining_body=body,
        final=previous is not None and appeals >= config.appeal_levels,
        supersedes=str(previous.id) if previous is not None else None,
    )
    await _store(uow, determination_id, complaint.tenant, data, appeals, dict(request.proposed.grounds))
    if previous is not None:
        await uow.session.execute(
            sa.update(t.determinations)
            .where(t.determinations.c.id == previous.id)
            .values(superseded_by=determination_id, appeal_pending=False)
        )
        await lift_where(
            uow,
            request.at,
            f"re-determined on appeal ({determination_id})",
            t.sanctions.c.source["determination_id"].astext == str(previous.id),
        )
    uow.emit("responsibility.determined", data, tenant=complaint.tenant)
    await _consequences(uow, book, tree, data, request, complaint.tenant)
    return view(await _row(uow, determination_id))


def _rule_of(responsible: bool, types: list[ResponsibilityType]) -> str:
    if types:
        return "SAN-43"
    return "SAN-31" if responsible else "SAN-32"


async def _store(
    uow: UnitOfWork,
    determination_id: uuid.UUID,
    tenant: str,
    data: ResponsibilityDetermined,
    appeals: int,
    grounds: dict[str, Any] | None = None,
) -> None:
    """The determination as published, with the grounds it stated (kept here, not on the bus)."""
    await uow.session.execute(
        t.determinations.insert().values(
            id=determination_id,
            complaint_id=data.complaint_id,
            regime=data.regime,
            tenant=tenant,
            responsible=data.responsible,
            units=data.units,
            persons=data.persons,
            final=data.final,
            supersedes=uuid.UUID(data.supersedes) if data.supersedes else None,
            appeals=appeals,
            determined_at=data.occurred_at,
            data={**data.model_dump(mode="json"), **({"grounds": grounds} if grounds else {})},
        )
    )


async def _consequences(
    uow: UnitOfWork, book: RuleBook, tree: Orgs, data: ResponsibilityDetermined, request: Request, tenant: str
) -> None:
    if data.responsible:
        for unit in data.units:
            await schedule.for_org(uow, book, "determination", unit, tenant, data.occurred_at)
    for rule, trigger in book.on_determination(data.responsible):
        severity = request.proposed.severity
        if trigger.severity and (severity or "ordinary") not in trigger.severity:
            continue
        if trigger.tolerant:
            if request.proposed.tolerant_persons:
                uow.emit(
                    "reward.recommended",
                    RewardRecommended(
                        complaint_id=data.complaint_id,
                        regime=data.regime,
                        occurred_at=data.occurred_at,
                        rule=rule.rule_id,
                        kind=rule.kind,
                        reason=rule.consequence.reason or rule.description or rule.rule_id,
                        persons=list(request.proposed.tolerant_persons),
                        org=data.units[0] if data.units else None,
                    ),
                    tenant=tenant,
                )
            continue
        values = {"unit": data.units[0], "determining_body": data.determining_body}
        target = rule.target.resolve(values, tree) if rule.target else data.units[0]
        if target is None:
            continue
        figures: dict[str, int | float | str] = {"clause": data.clause or ""}
        if data.disputed_fee_borne is not None:
            figures["disputed_fee_borne"] = str(data.disputed_fee_borne.amount)
        subject = Subject(
            target_org=target,
            tenant=tenant,
            occurred_at=data.occurred_at,
            regime=data.regime,
            subject_key=f"determination={data.determination_id}",
            persons=list(data.persons),
            complaint_id=data.complaint_id,
            complaint_ids=[str(data.complaint_id)],
            figures=figures,
            source={"type": "responsibility.determined", "determination_id": data.determination_id},
            values=values,
        )
        await impose(uow, tree, rule.kind, rule.rule_id, subject, rule=rule, book=book, issuer=request.by)


async def charge_by_rule(uow: UnitOfWork, book: RuleBook, rule: Rule, subject: Subject) -> None:
    """A responsibility complaint counted by rule, whatever the merits (SAN-36: a repeat because nobody could be
    reached); one per complaint that caused it."""
    d = t.determinations.c
    exists = (
        await uow.session.execute(
            sa.select(d.id).where(d.complaint_id == subject.complaint_id, d.data["rule"].astext == rule.rule_id)
        )
    ).first()
    if exists is not None:
        return
    determination_id = uuid.uuid4()
    data = ResponsibilityDetermined(
        complaint_id=subject.complaint_id,
        regime=book.regime,
        occurred_at=subject.occurred_at,
        rule=rule.rule_id,
        determination_id=str(determination_id),
        responsible=True,
        clause=rule.consequence.clause,
        units=[subject.target_org],
        final=True,
    )
    await _store(uow, determination_id, subject.tenant, data, 0)
    uow.emit("responsibility.determined", data, tenant=subject.tenant)
    await schedule.for_org(uow, book, "determination", subject.target_org, subject.tenant, subject.occurred_at)


async def appeal(
    uow: UnitOfWork,
    books: RuleBooks,
    tree: Orgs,
    determination_id: uuid.UUID,
    appellant: str | None,
    reason: str | None,
    at: datetime,
) -> tuple[bool, dict[str, Any]]:
    """An employee's request for re-determination by the next level (RCN-04). Refused requests are published
    too (`accepted` false) and answered 409 by the HTTP layer."""
    current = await _row(uow, determination_id, lock=True)
    book = books.get(current.regime)
    config = book.determination() if book else None
    refusal = "a later determination superseded this one" if current.superseded_by is not None else None
    if config is None:
        refusal = refusal or "the regime has no appeal of determinations"
    else:
        refusal = refusal or rules.appeal_refusal(current.appeals, config, current.final, current.appeal_pending)
    body = current.data.get("determining_body")
    to_body = tree.parent(body) if body else None
    data = ResponsibilityAppealed(
        complaint_id=current.complaint_id,
        regime=current.regime,
        occurred_at=at,
        rule="RCN-04",
        determination_id=str(determination_id),
        appellant=appellant,
        to_body=to_body,
        reason=refusal,
        accepted=refusal is None,
    )
    if refusal is None:
        # The employee's own words stay with the determination, never on the bus: they may name the customer.
        appeal = {"appellant": appellant, "reason": reason, "at": iso(at), "to_body": to_body}
        await uow.session.execute(
            sa.update(t.determinations)
            .where(t.determinations.c.id == determination_id)
            .values(appeal_pending=True, appeals=current.appeals + 1, data={**current.data, "appeal": appeal})
        )
    uow.emit("responsibility.appealed", data, tenant=current.tenant)
    return refusal is None, data.model_dump(mode="json")


async def get(uow: UnitOfWork, determination_id: uuid.UUID) -> dict[str, Any]:
    return view(await _row(uow, determination_id))


async def of_complaint(uow: UnitOfWork, complaint_id: str) -> list[dict[str, Any]]:
    d = t.determinations.c
    query = sa.select(t.determinations).where(d.complaint_id == complaint_id).order_by(d.determined_at)
    rows = (await uow.session.execute(query)).all()
    return [view(r) for r in rows]


def view(r: Any) -> dict[str, Any]:
    return {
        **r.data,
        "id": str(r.id),
        "status": "superseded" if r.superseded_by else "appealed" if r.appeal_pending else "in_force",
        "superseded_by": str(r.superseded_by) if r.superseded_by else None,
        "appeals": r.appeals,
        "determined_at": iso(r.determined_at),
    }
