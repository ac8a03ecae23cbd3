"""Impose, fulfil and lift sanctions: one row and one event each, in the same transaction (the outbox).

A sanction is about a subject: one per rule entry, target and subject key until lifted (the ladder climbs rather
than repeating a step). A sanction that no rule entry of its own imposes (award ineligibility from points, a
serious case's dismissal) is one per kind, target and subject key.
"""

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from tousu.contracts.events.sanctions import Evidence, Figure, SanctionFulfilled, SanctionImposed, SanctionLifted
from tousu.contracts.types import iso
from tousu.contracts.vocab import Money
from tousu.kit.errors import ConflictError, NotFoundError
from tousu.kit.uow import UnitOfWork
from tousu.sanctions.adapters import tables as t
from tousu.sanctions.domain.orgs import Orgs
from tousu.sanctions.domain.periods import period_of
from tousu.sanctions.domain.rules import Consequence, Rule, RuleBook
from tousu.sanctions.service_layer import schedule

ONE_SECOND = timedelta(seconds=1)


@dataclass
class Subject:
    """What a sanction is imposed on and why."""

    target_org: str
    tenant: str
    occurred_at: datetime
    regime: str | None
    subject_key: str
    persons: list[str] = field(default_factory=list)
    complaint_id: str | None = None
    complaint_ids: list[str] = field(default_factory=list)
    figures: dict[str, Figure] = field(default_factory=dict)
    event_ids: list[str] = field(default_factory=list)
    source: dict[str, Any] | None = None
    """The fact behind it (lifted when that fact is withdrawn): type, complaint_id, stage, cycle, determination_id."""
    values: dict[str, Any] = field(default_factory=dict)
    """The fields rules may target (the event's data over the complaint's), for chained rules."""
    period: str | None = None
    until: datetime | None = None
    amount: Money | None = None


async def imposed_already(uow: UnitOfWork, policy_rule: str | None, kind: str, target: str, subject_key: str) -> bool:
    """Whether this subject already has this sanction (not lifted)."""
    s = t.sanctions.c
    query = sa.select(s.id).where(s.target_org == target, s.subject_key == subject_key, s.status != "lifted")
    query = query.where(s.policy_rule == policy_rule) if policy_rule else query.where(s.kind == kind)
    return (await uow.session.execute(query.limit(1))).first() is not None


@dataclass(frozen=True)
class Asked:
    """What a rule about to act on a subject needs to know of the sanctions it already has."""

    rule: str | None
    """The entry whose sanction would make it a repeat (None: no such check)."""
    escalates: list[str]
    """The entries of the previous ladder step, when it needs one of them held."""
    target: str
    subject_key: str


@dataclass(frozen=True)
class Standing:
    """The not-lifted sanctions of the subjects asked about: (policy rule, target, key) → fulfilled_at or None."""

    rows: dict[tuple[str, str, str], list[datetime | None]]

    def imposed(self, asked: Asked) -> bool:
        return asked.rule is not None and (asked.rule, asked.target, asked.subject_key) in self.rows

    def held_at(self, asked: Asked) -> datetime | None:
        """When the previous step's sanction on the same subject was last fulfilled (held)."""
        held = [at for rule in asked.escalates for at in self.rows.get((rule, asked.target, asked.subject_key), [])]
        return max((at for at in held if at is not None), default=None)


async def standing(uow: UnitOfWork, asked: list[Asked]) -> Standing:
    """One read for every rule an event may fire (`imposed_already`, and the ladder step each escalates)."""
    keys = {(rule, a.target, a.subject_key) for a in asked for rule in [*([a.rule] if a.rule else []), *a.escalates]}
    if not keys:
        return Standing({})
    s = t.sanctions.c
    fulfilled = sa.case((s.status == "fulfilled", s.fulfilled_at))
    query = sa.select(s.policy_rule, s.target_org, s.subject_key, fulfilled).where(
        s.status != "lifted", sa.tuple_(s.policy_rule, s.target_org, s.subject_key).in_(sorted(keys))
    )
    rows: dict[tuple[str, str, str], list[datetime | None]] = {}
    for rule, target, key, at in (await uow.session.execute(query)).all():
        rows.setdefault((rule, target, key), []).append(at)
    return Standing(rows)


def _tenant(orgs: Orgs, subject: Subject) -> str:
    record = orgs.get(subject.target_org)
    return record.tenant if record else subject.tenant


async def impose(
    uow: UnitOfWork,
    orgs: Orgs,
    kind: str,
    rule_id: str,
    subject: Subject,
    *,
    rule: Rule | None = None,
    book: RuleBook | None = None,
    consequence: Consequence | None = None,
    reason: str | None = None,
    issuer: str | None = None,
    parent_id: uuid.UUID | None = None,
) -> uuid.UUID | None:
    """Impose unless the same subject already has it; then impose what the rule's followers chain to it."""
    policy_rule = rule.id if rule else None
    if await imposed_already(uow, policy_rule, kind, subject.target_org, subject.subject_key):
        return None
    c = consequence or (rule.consequence if rule else Consequence())
    sanction_id = uuid.uuid4()
    issuer_org = orgs.nearest(subject.target_org, c.issuer_kind) if c.issuer_kind else None
    period = subject.period or (period_of(c.period, subject.occurred_at).label if c.period else None)
    data = SanctionImposed(
        complaint_id=subject.complaint_id,
        regime=subject.regime,
        occurred_at=subject.occurred_at,
        rule=rule_id,
        sanction_id=str(sanction_id),
        kind=kind,
        target_org=subject.target_org,
        target_persons=subject.persons,
        issuer=c.issuer or issuer,
        evidence=Evidence(complaint_ids=subject.complaint_ids, figures=subject.figures, event_ids=subject.event_ids),
        reason=reason or c.reason or (rule.description if rule and rule.description else rule_id),
        counterpart=c.counterpart,
        requirement=c.requirement,
        scope=c.scope,
        amount=subject.amount,
        period=period,
        until=subject.until,
        step=c.step,
        recommendation=c.recommendation,
    )
    payload = data.model_dump(mode="json")
    await uow.session.execute(
        t.sanctions.insert().values(
            id=sanction_id,
            kind=kind,
            rule=rule_id,
            tenant=_tenant(orgs, subject),
            target_org=subject.target_org,
            target_persons=subject.persons,
            evidence=data.evidence.model_dump(mode="json"),
            issuer=data.issuer,
            reason=data.reason,
            status="active",
            imposed_at=subject.occurred_at,
            regime=subject.regime,
            policy_rule=policy_rule,
            subject_key=subject.subject_key,
            issuer_org=issuer_org,
            until=subject.until,
            parent_id=parent_id,
            source=subject.source,
            data=payload,
        )
    )
    uow.emit("sanction.imposed", SanctionImposed.model_validate(payload), tenant=_tenant(orgs, subject))
    if rule is not None and book is not None:
        await schedule.for_org(
            uow, book, "sanction", subject.target_org, _tenant(orgs, subject), subject.occurred_at, rule.id
        )
        for follower in book.chained(rule.id):
            assert follower.target is not None  # RuleBook.check
            values = {**subject.values, "target_org": subject.target_org}
            target = follower.target.resolve(values, orgs)
            if target is None:
                continue
            chained = Subject(
                target_org=target,
                tenant=subject.tenant,
                occurred_at=subject.occurred_at,
                regime=subject.regime,
                subject_key=subject.subject_key,
                persons=subject.persons,
                complaint_id=subject.complaint_id,
                complaint_ids=subject.complaint_ids,
                figures=subject.figures,
                event_ids=[*subject.event_ids],
                source=subject.source,
                values=values,
            )
            await impose(
                uow, orgs, follower.kind, follower.rule_id, chained, rule=follower, book=book, parent_id=sanction_id
            )
    return sanction_id


def fixed_term(after: datetime, months: int) -> datetime:
    """The last second of `months` whole months that start at `after` (a settlement suspension of one month)."""
    end = after
    for _ in range(months):
        end = period_of("monthly", end).end
    return end - ONE_SECOND


async def row(uow: UnitOfWork, sanction_id: uuid.UUID, *, lock: bool = False) -> Any:
    query = sa.select(t.sanctions).where(t.sanctions.c.id == sanction_id)
    found = (await uow.session.execute(query.with_for_update() if lock else query)).first()
    if found is None:
        raise NotFoundError("no such sanction")
    return found


async def fulfil(uow: UnitOfWork, sanction_id: uuid.UUID, at: datetime, note: str | None) -> Any:
    current = await row(uow, sanction_id, lock=True)
    if current.status != "active":
        raise ConflictError(f"the sanction is {current.status}: only an active one can be fulfilled")
    await uow.session.execute(
        sa.update(t.sanctions)
        .where(t.sanctions.c.id == sanction_id)
        .values(status="fulfilled", fulfilled_at=at, fulfil_note=note)
    )
    uow.emit(
        "sanction.fulfilled",
        SanctionFulfilled(
            complaint_id=(current.data or {}).get("complaint_id"),
            regime=current.regime,
            occurred_at=at,
            rule=current.rule,
            sanction_id=str(sanction_id),
            kind=current.kind,
            target_org=current.target_org,
            note=note,
        ),
        tenant=current.tenant,
    )
    return await row(uow, sanction_id)


async def lift(uow: UnitOfWork, sanction_id: uuid.UUID, at: datetime, reason: str) -> Any:
    """Lift a sanction and what followed from it (an award ineligibility falls with its criticism)."""
    current = await row(uow, sanction_id, lock=True)
    if current.status == "lifted":
        raise ConflictError("the sanction is already lifted")
    await uow.session.execute(
        sa.update(t.sanctions)
        .where(t.sanctions.c.id == sanction_id)
        .values(status="lifted", lifted_at=at, lift_reason=reason)
    )
    uow.emit(
        "sanction.lifted",
        SanctionLifted(
            complaint_id=(current.data or {}).get("complaint_id"),
            regime=current.regime,
            occurred_at=at,
            rule=current.rule,
            sanction_id=str(sanction_id),
            reason=reason,
            kind=current.kind,
            target_org=current.target_org,
        ),
        tenant=current.tenant,
    )
    followers = (
        await uow.session.execute(
            sa.select(t.sanctions.c.id).where(t.sanctions.c.parent_id == sanction_id, t.sanctions.c.status != "lifted")
        )
    ).scalars()
    for follower in list(followers):
        await lift(uow, follower, at, f"{reason} (follows {sanction_id})")
    return await row(uow, sanction_id)


async def lift_where(uow: UnitOfWork, at: datetime, reason: str, *conditions: sa.ColumnElement[bool]) -> int:
    ids = list(
        (await uow.session.execute(sa.select(t.sanctions.c.id).where(t.sanctions.c.status != "lifted", *conditions)))
        .scalars()
        .all()
    )
    for sanction_id in ids:
        current = await row(uow, sanction_id)
        if current.status != "lifted":  # a follower lifted with its parent meanwhile
            await lift(uow, sanction_id, at, reason)
    return len(ids)


async def expire(uow: UnitOfWork, now: datetime) -> int:
    """Fixed terms that have run out end with `sanction.lifted` (settlement resumes after its month)."""
    s = t.sanctions.c
    due = list(
        (
            await uow.session.execute(
                sa.select(s.id, s.until).where(s.status == "active", s.until.is_not(None), s.until < now).limit(100)
            )
        ).all()
    )
    for sanction_id, until in due:
        await lift(uow, sanction_id, until + ONE_SECOND, "term ended")
    return len(due)


def view(r: Any) -> dict[str, Any]:
    """A sanction as `GET /v1/sanctions` shows it (CONTRACT §7)."""
    data: dict[str, Any] = dict(r.data or {})
    return {
        **data,
        "id": str(r.id),
        "kind": r.kind,
        "rule": r.rule,
        "policy_rule": r.policy_rule,
        "regime": r.regime,
        "target_org": r.target_org,
        "target_persons": r.target_persons,
        "evidence": r.evidence,
        "complaint_ids": r.evidence.get("complaint_ids", []),
        "issuer": r.issuer,
        "issuer_org": r.issuer_org,
        "reason": r.reason,
        "status": r.status,
        "imposed_at": iso(r.imposed_at),
        "until": iso(r.until),
        "fulfilled_at": iso(r.fulfilled_at),
        "lifted_at": iso(r.lifted_at),
        "lift_reason": r.lift_reason,
    }


def money(raw: Any) -> Money | None:
    if isinstance(raw, dict) and raw.get("amount") is not None:
        return Money(amount=Decimal(str(raw["amount"])), currency=str(raw.get("currency") or "CNY"))
    return None
