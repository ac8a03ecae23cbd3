"""The quarterly point ledger of call-centre staff (DOMAIN §5.7, `POST /v1/points`).

One entry names a rule of the regime (its entry id, e.g. `asleep-on-night-shift`, or its DOMAIN id, `SAN-87`). It
records the points (`points.recorded`), a deduction also as a `penalty_points` sanction, the loss of the year's
award eligibility where the rule says so (once per person and year), a serious case's sanction, and the rule's
own sanction (dismissal, off-post training) on the occurrence that reaches its count.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import Any

import sqlalchemy as sa

from tousu.contracts.events.sanctions import PointsRecorded
from tousu.contracts.types import iso
from tousu.kit.errors import ConflictError, FieldError, PermanentError
from tousu.kit.uow import UnitOfWork
from tousu.sanctions.adapters import tables as t
from tousu.sanctions.domain import points as ledger
from tousu.sanctions.domain.orgs import Orgs
from tousu.sanctions.domain.periods import period_of
from tousu.sanctions.domain.rules import PointsTrigger, Rule, RuleBook
from tousu.sanctions.service_layer import orgs, schedule
from tousu.sanctions.service_layer.imposing import Subject, impose
from tousu.sanctions.service_layer.policies import RuleBooks


@dataclass(frozen=True)
class Request:
    person: str
    org: str
    rule: str
    at: datetime
    given: ledger.EntryInput
    regime: str | None
    complaint_id: str | None
    note: str | None
    by: str


def _find(books: RuleBooks, regimes: list[str], ref: str) -> tuple[RuleBook, Rule]:
    known: list[str] = []
    for regime in regimes:
        book = books.get(regime)
        if book is None:
            continue
        rule = book.points_rule(ref)
        if rule is not None:
            return book, rule
        known += [r.id for r, _ in book.of_type(PointsTrigger)]
    hint = f": one of {', '.join(known)}" if known else ": the organisation's regimes have no point rules"
    raise PermanentError("unknown points rule", [FieldError("rule", f"no such rule{hint}", "SAN-60")])


async def record(uow: UnitOfWork, books: RuleBooks, tree: Orgs, request: Request) -> dict[str, Any]:
    org = orgs.known(tree, request.org)
    book, rule = _find(books, [request.regime] if request.regime else list(org.regimes), request.rule)
    trigger = rule.trigger
    assert isinstance(trigger, PointsTrigger)
    entry, errors = ledger.entry(rule, request.given)
    if entry is None:
        raise PermanentError("not an entry of this rule", errors)
    periods = {
        "month": period_of("monthly", request.at).label,
        "quarter": period_of("quarterly", request.at).label,
        "year": period_of("annual", request.at).label,
    }
    p = t.points.c
    mine = sa.and_(p.person == request.person, p.org == request.org, p.policy_rule == rule.id)
    if trigger.once_per is not None:
        column = p[trigger.once_per]
        if (
            await uow.session.execute(sa.select(p.id).where(mine, column == periods[trigger.once_per]).limit(1))
        ).first():
            raise ConflictError(
                f"{rule.id} is credited once per {trigger.once_per}: {periods[trigger.once_per]} has it", rule.rules[0]
            )
    if trigger.requires is not None and not await _has_sanction(uow, request.org, request.person, trigger.requires):
        raise ConflictError(f"{rule.id} follows a {trigger.requires} of this person, and there is none", rule.rules[0])
    entry_id = uuid.uuid4()
    await uow.session.execute(
        t.points.insert().values(
            id=entry_id,
            person=request.person,
            org=request.org,
            tenant=org.tenant,
            regime=book.regime,
            policy_rule=rule.id,
            rule=rule.rules[0],
            at=request.at,
            points=entry.points,
            score_set_to=entry.score_set_to,
            award_ineligible=entry.award_ineligible,
            complaint_id=request.complaint_id,
            note=request.note,
            **periods,
        )
    )
    reason = rule.description or trigger.points
    if entry.adjusts:
        uow.emit(
            "points.recorded",
            PointsRecorded(
                complaint_id=request.complaint_id,
                regime=book.regime,
                occurred_at=request.at,
                rule=rule.rules[0],
                person=request.person,
                org=request.org,
                period=periods["quarter"],
                points=entry.points,
                reason=reason,
                kind=entry.kind,
                score_set_to=entry.score_set_to,
                award_ineligible=entry.award_ineligible,
                points_id=str(entry_id),
            ),
            tenant=org.tenant,
        )

    figures: dict[str, int | float | str] = {"points": entry.points}
    if entry.score_set_to is not None:
        figures["score_set_to"] = entry.score_set_to

    def subject(key: str, period: str) -> Subject:
        return Subject(
            target_org=request.org,
            tenant=org.tenant,
            occurred_at=request.at,
            regime=book.regime,
            subject_key=key,
            persons=[request.person],
            complaint_id=request.complaint_id,
            complaint_ids=[request.complaint_id] if request.complaint_id else [],
            figures=figures,
            source={"type": "points.recorded", "points_id": str(entry_id)},
            period=period,
        )

    imposed: list[str] = []
    if rule.kind == "penalty_points" and entry.adjusts:
        found = await impose(
            uow,
            tree,
            "penalty_points",
            rule.rules[0],
            subject(f"points={entry_id}", periods["quarter"]),
            rule=rule,
            book=book,
            reason=reason,
            issuer=request.by,
        )
        imposed += [str(found)] if found else []
    if entry.award_ineligible:
        found = await impose(
            uow,
            tree,
            "award_ineligible",
            rule.rules[0],
            subject(f"person={request.person}", periods["year"]),
            reason=f"loses the {periods['year']} annual award eligibility: {reason}",
            issuer=request.by,
        )
        imposed += [str(found)] if found else []
    if entry.serious_kind is not None:
        found = await impose(
            uow,
            tree,
            entry.serious_kind,
            rule.rules[0],
            subject(f"serious={entry_id}", periods["quarter"]),
            reason=f"serious case: {reason}",
            issuer=request.by,
        )
        imposed += [str(found)] if found else []
    if ledger.is_sanction_kind(rule) and await _occurrences(uow, mine, trigger) == trigger.occurrences:
        found = await impose(
            uow,
            tree,
            rule.kind,
            rule.rules[0],
            subject(f"person={request.person}", periods["quarter"]),
            rule=rule,
            book=book,
            reason=reason,
            issuer=request.by,
        )
        imposed += [str(found)] if found else []
    await schedule.for_nominations(uow, book, request.org, org.tenant, request.at)
    return {
        "id": str(entry_id),
        "person": request.person,
        "org": request.org,
        "rule": rule.rules[0],
        "policy_rule": rule.id,
        "period": periods["quarter"],
        "points": entry.points,
        "score_set_to": entry.score_set_to,
        "award_ineligible": entry.award_ineligible,
        "sanctions": imposed,
    }


async def _occurrences(uow: UnitOfWork, mine: sa.ColumnElement[bool], trigger: PointsTrigger) -> int:
    p = t.points.c
    counted = sa.func.count(sa.distinct(p[trigger.distinct])) if trigger.distinct else sa.func.count()
    return int((await uow.session.execute(sa.select(counted).where(mine))).scalar_one())


async def _has_sanction(uow: UnitOfWork, org: str, person: str, kind: str) -> bool:
    s = t.sanctions.c
    query = sa.select(s.id).where(
        s.target_org == org, s.kind == kind, s.status != "lifted", s.target_persons.contains([person])
    )
    return (await uow.session.execute(query.limit(1))).first() is not None


async def ledger_of(
    uow: UnitOfWork, books: RuleBooks, org: str | None, person: str | None, period: str | None
) -> dict[str, Any]:
    """Entries with each person's quarterly adjustment, any score set outright, and the score: the regime's base
    adjusted by the quarter's points, or the score set outright (SAN-60)."""
    p = t.points.c
    query = sa.select(t.points).order_by(p.at)
    if org:
        query = query.where(p.org == org)
    if person:
        query = query.where(p.person == person)
    if period:
        query = query.where(sa.or_(p.quarter == period, p.year == period, p.month == period))
    rows = (await uow.session.execute(query)).all()
    summary: dict[tuple[str, str], tuple[list[int], list[int], bool]] = {}
    regimes: dict[tuple[str, str], str] = {}
    for r in rows:
        adjustments, set_to, _ = summary.setdefault((r.person, r.quarter), ([], [], False))
        regimes.setdefault((r.person, r.quarter), r.regime)
        adjustments.append(r.points)
        if r.score_set_to is not None:
            set_to.append(r.score_set_to)
        if r.award_ineligible:
            summary[(r.person, r.quarter)] = (adjustments, set_to, True)

    def score(key: tuple[str, str], adjustments: list[int], set_to: list[int]) -> int | float:
        book = books.get(regimes[key])
        value = ledger.quarter_score(Fraction(book.score_base()) if book else Fraction(0), adjustments, set_to)
        return int(value) if value.denominator == 1 else float(value)

    return {
        "entries": [
            {
                "id": str(r.id),
                "person": r.person,
                "org": r.org,
                "rule": r.rule,
                "policy_rule": r.policy_rule,
                "at": iso(r.at),
                "period": r.quarter,
                "points": r.points,
                "score_set_to": r.score_set_to,
                "award_ineligible": r.award_ineligible,
                "complaint_id": r.complaint_id,
            }
            for r in rows
        ],
        "quarters": [
            {
                "person": person,
                "period": quarter,
                "adjustment": sum(adjustments),
                "score_set_to": min(set_to) if set_to else None,
                "award_ineligible": ineligible,
                "score": score((person, quarter), adjustments, set_to),
            }
            for (person, quarter), (adjustments, set_to, ineligible) in sorted(summary.items())
        ],
    }
