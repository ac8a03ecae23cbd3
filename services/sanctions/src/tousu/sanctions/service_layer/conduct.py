"""Conduct findings (`POST /v1/conduct-findings`, DOMAIN §1.3): a unit (and its staff) found breaching a conduct rule
of its regime. The regime's conduct entry scores it: a sanction of the entry's kind on its target (and what is
chained to it, SAN-57), the points entry the breach maps to for each person (CND-05), or a count for the regime's
`conduct_findings` KPIs (the SI response rate, SAN-18)."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from tousu.contracts.types import iso
from tousu.kit.errors import FieldError, PermanentError
from tousu.kit.uow import UnitOfWork
from tousu.sanctions.adapters import tables as t
from tousu.sanctions.domain import conduct
from tousu.sanctions.domain.orgs import Orgs
from tousu.sanctions.domain.points import EntryInput
from tousu.sanctions.domain.rules import ConductTrigger, Rule, RuleBook
from tousu.sanctions.service_layer import orgs, points, schedule
from tousu.sanctions.service_layer.imposing import Subject, impose
from tousu.sanctions.service_layer.policies import RuleBooks


@dataclass(frozen=True)
class Finding:
    org: str
    rule: str
    """The conduct entry id or its CND id."""
    breach: str
    persons: tuple[str, ...]
    complaint_id: str | None
    verified: bool
    at: datetime
    regime: str | None
    note: str | None
    by: str


def _find(books: RuleBooks, regimes: list[str], ref: str) -> tuple[RuleBook, Rule]:
    known: list[str] = []
    for regime in regimes:
        book = books.get(regime)
        if book is None:
            continue
        rule = book.conduct_rule(ref)
        if rule is not None:
            return book, rule
        known += [f"{r.id} ({c.conduct})" for r, c in book.of_type(ConductTrigger)]
    hint = f": one of {', '.join(known)}" if known else ": the organisation's regimes score no conduct"
    raise PermanentError("unknown conduct rule", [FieldError("rule", f"no such conduct rule{hint}")])


async def record(uow: UnitOfWork, books: RuleBooks, tree: Orgs, finding: Finding) -> dict[str, Any]:
    org = orgs.known(tree, finding.org)
    book, rule = _find(books, [finding.regime] if finding.regime else list(org.regimes), finding.rule)
    trigger = rule.trigger
    assert isinstance(trigger, ConductTrigger)
    errors = conduct.check(trigger, finding.breach, finding.verified, finding.persons)
    if errors:
        raise PermanentError("not a finding of this conduct rule", errors)
    finding_id = uuid.uuid4()
    await uow.session.execute(
        t.conduct_findings.insert().values(
            id=finding_id,
            org=finding.org,
            tenant=org.tenant,
            regime=book.regime,
            policy_rule=rule.id,
            rule=trigger.conduct,
            breach=finding.breach,
            persons=list(finding.persons),
            complaint_id=finding.complaint_id,
            verified=finding.verified,
            at=finding.at,
            by=finding.by,
            note=finding.note,
        )
    )
    imposed: list[str] = []
    scored: list[str] = []
    if trigger.scored_as == "points":
        for person in finding.persons:
            entry = await points.record(
                uow,
                books,
                tree,
                points.Request(
                    person=person,
                    org=finding.org,
                    rule=trigger.points_entries[finding.breach],
                    at=finding.at,
                    given=EntryInput(verified=finding.verified),
                    regime=book.regime,
                    complaint_id=finding.complaint_id,
                    note=f"conduct finding {finding_id} ({trigger.conduct}: {finding.breach})",
                    by=finding.by,
                ),
            )
            scored.append(entry["id"])
            imposed += entry["sanctions"]
    elif trigger.scored_as == "sanction":
        assert rule.target is not None  # parse_rule
        values = {"org": finding.org}
        target = rule.target.resolve(values, tree)
        if target is not None:
            subject = Subject(
                target_org=target,
                tenant=org.tenant,
                occurred_at=finding.at,
                regime=book.regime,
                subject_key=f"finding={finding_id}",
                persons=list(finding.persons),
                complaint_id=finding.complaint_id,
                complaint_ids=[finding.complaint_id] if finding.complaint_id else [],
                figures={"breach": finding.breach},
                source={"type": "conduct.finding", "finding_id": str(finding_id)},
                values=values,
            )
            found = await impose(uow, tree, rule.kind, rule.rule_id, subject, rule=rule, book=book, issuer=finding.by)
            imposed += [str(found)] if found else []
    await schedule.for_org(uow, book, "finding", finding.org, org.tenant, finding.at, rule.id)
    return {
        "id": str(finding_id),
        "org": finding.org,
        "rule": trigger.conduct,
        "policy_rule": rule.id,
        "breach": finding.breach,
        "persons": list(finding.persons),
        "complaint_id": finding.complaint_id,
        "verified": finding.verified,
        "at": iso(finding.at),
        "scored_as": trigger.scored_as,
        "points": scored,
        "sanctions": imposed,
    }


async def of_org(uow: UnitOfWork, org: str) -> list[dict[str, Any]]:
    c = t.conduct_findings.c
    rows = (await uow.session.execute(sa.select(t.conduct_findings).where(c.org == org).order_by(c.at))).all()
    return [
        {
            "id": str(r.id),
            "org": r.org,
            "rule": r.rule,
            "policy_rule": r.policy_rule,
            "breach": r.breach,
            "persons": r.persons,
            "complaint_id": r.complaint_id,
            "verified": r.verified,
            "at": iso(r.at),
        }
        for r in rows
    ]
