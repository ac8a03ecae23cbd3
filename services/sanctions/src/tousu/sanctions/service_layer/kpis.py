"""Periodic evaluations: KPIs (`kpi.evaluated` and the sanctions they trigger) and award nominations.

Every fact that feeds a KPI schedules the evaluation of its organisation and period: a row in `evaluations`, due at
the period's end (plus the rule's `evaluate_after_hours`). The background sweeper (entrypoints/ticks.py) evaluates
due rows by the business clock, locking them with SKIP LOCKED so replicas share the work, once each. A KPI whose
input is missing at its due time (fee-paying users not reported yet) waits as `no_data` and is evaluated when the
input arrives. An evaluation is final: a fact about a period already evaluated does not reopen it.
"""

from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from tousu.contracts.events.sanctions import KpiEvaluated, RewardRecommended
from tousu.contracts.policy import conditions_match
from tousu.contracts.types import iso
from tousu.kit.errors import ConflictError, FieldError, PermanentError
from tousu.kit.uow import UnitOfWork
from tousu.sanctions.adapters import tables as t
from tousu.sanctions.domain import kpis
from tousu.sanctions.domain.orgs import Orgs
from tousu.sanctions.domain.periods import Period, parse_period, period_of
from tousu.sanctions.domain.points import quarter_score
from tousu.sanctions.domain.rules import KpiTrigger, NominationTrigger, Rule, RuleBook
from tousu.sanctions.service_layer import orgs as org_replica
from tousu.sanctions.service_layer.imposing import Subject, expire, fixed_term, impose, lift_where
from tousu.sanctions.service_layer.policies import RuleBooks
from tousu.sanctions.service_layer.schedule import inputs_of, schedule

BATCH = 50
SETTLE_S = 2.0


async def record_input(
    uow: UnitOfWork,
    books: RuleBooks,
    tree: Orgs,
    org: str,
    period: str,
    metric: str,
    value: Decimal,
    source: str | None,
) -> dict[str, Any]:
    """`POST /v1/kpi-inputs`: a figure the platform does not see itself (fee-paying users, headcount)."""
    record = org_replica.known(tree, org)
    try:
        parsed = parse_period(period)
    except ValueError as exc:
        raise PermanentError("the period is not valid", [FieldError("period", str(exc))]) from exc
    users: list[tuple[RuleBook, Rule, KpiTrigger | NominationTrigger]] = []
    for regime in record.regimes:
        book = books.get(regime)
        if book is None:
            continue
        periodic: list[tuple[Rule, KpiTrigger | NominationTrigger]] = [
            *book.of_type(KpiTrigger),
            *book.of_type(NominationTrigger),
        ]
        for rule, trigger in periodic:
            if metric in inputs_of(trigger) and trigger.period == parsed.kind:
                users.append((book, rule, trigger))
    e = t.evaluations.c
    for book, rule, _ in users:
        done = (
            await uow.session.execute(
                sa.select(e.state).where(
                    e.regime == book.regime, e.policy_rule == rule.id, e.org == org, e.period == parsed.label
                )
            )
        ).scalar()
        if done == "done":
            raise ConflictError(
                f"{rule.id} of {org} for {parsed.label} is already evaluated: an evaluation is final", rule.rules[0]
            )
    stmt = insert(t.kpi_inputs).values(
        org=org, period=parsed.label, metric=metric, value=value, source=source, recorded_at=uow.now()
    )
    await uow.session.execute(
        stmt.on_conflict_do_update(
            index_elements=[t.kpi_inputs.c.org, t.kpi_inputs.c.period, t.kpi_inputs.c.metric],
            set_={c: stmt.excluded[c] for c in ("value", "source", "recorded_at")},
        )
    )
    for book, rule, trigger in users:
        after = trigger.evaluate_after_hours if isinstance(trigger, KpiTrigger) else 0
        await schedule(uow, book, rule, org, record.tenant, parsed, after)
        # A KPI that waited for this input is due again (at once when its period is over).
        await uow.session.execute(
            sa.update(t.evaluations)
            .where(
                e.regime == book.regime,
                e.policy_rule == rule.id,
                e.org == org,
                e.period == parsed.label,
                e.state == "no_data",
            )
            .values(state="pending")
        )
    return {
        "org": org,
        "period": parsed.label,
        "metric": metric,
        "value": str(value),
        "used_by": sorted({f"{b.regime}:{r.id}" for b, r, _ in users}),
    }


async def evaluate_due(uow: UnitOfWork, books: RuleBooks, now: datetime) -> int:
    """End fixed terms that ran out, then evaluate what is due by `now` (business time); how many evaluated.

    A period is evaluated SETTLE_S seconds (system time) after a sweep first found it due: the events of its last
    moments are still on their way (CONTRACT §1: effects are visible within 2 s), and a clock jump over the
    period's end does not overtake them.
    """
    e = t.evaluations.c
    s = t.sanctions.c
    # Idle sweeps are most sweeps: one probe instead of the three statements below.
    pending = sa.exists().where(e.state == "pending", e.due_at <= now)
    ended = sa.exists().where(s.status == "active", s.until.is_not(None), s.until < now)
    if not (await uow.session.execute(sa.select(sa.or_(pending, ended)))).scalar():
        return 0
    await expire(uow, now)
    await uow.session.execute(
        sa.update(t.evaluations)
        .where(e.state == "pending", e.due_at <= now, e.due_seen_at.is_(None))
        .values(due_seen_at=sa.func.now())
    )
    settled = sa.func.now() - sa.func.make_interval(0, 0, 0, 0, 0, 0, SETTLE_S)
    due = (
        await uow.session.execute(
            sa.select(t.evaluations)
            .where(e.state == "pending", e.due_at <= now, e.due_seen_at <= settled)
            .order_by(e.due_at)
            .limit(BATCH)
            .with_for_update(skip_locked=True)
        )
    ).all()
    if not due:
        return 0
    tree = await org_replica.load(uow)
    for row in due:
        book = books.get(row.regime)
        rule = next((r for r in book.rules if r.id == row.policy_rule), None) if book else None
        state, compliant, result = "done", None, None
        if book is None or rule is None:
            state = "no_data"  # the rule left the policy in force
        elif isinstance(rule.trigger, KpiTrigger):
            period = parse_period(row.period)
            outcome = await _measure(uow, book, tree, rule, rule.trigger, row.org, period, now)
            if outcome is not None:
                for name in rule.trigger.basis_inputs:
                    basis = await _input(uow, row.org, period, name)
                    if basis is not None:
                        outcome.inputs[name] = kpis.plain(basis)
            if outcome is None:
                state = "no_data"
            else:
                compliant = outcome.compliant
                result = await _evaluated(uow, book, tree, rule, rule.trigger, row, outcome)
        elif isinstance(rule.trigger, NominationTrigger):
            result = await _nominate(uow, book, rule, rule.trigger, row)
            state = "done" if result is not None else "no_data"
        await uow.session.execute(
            sa.update(t.evaluations)
            .where(e.regime == row.regime, e.policy_rule == row.policy_rule, e.org == row.org, e.period == row.period)
            .values(state=state, compliant=compliant, result=result, evaluated_at=now)
        )
    return len(due)


async def _complaints(
    uow: UnitOfWork, book: RuleBook, tree: Orgs, rule: Rule, trigger: KpiTrigger, org: str, period: Period, at: str
) -> list[Any]:
    """The complaints of the period (received or closed in it) that count for `org` under this KPI."""
    c = t.complaints.c
    column = c.received_at if at == "received" else c.closed_at
    query = sa.select(t.complaints).where(c.regime == book.regime, column >= period.start, column < period.end)
    assert rule.target is not None
    if rule.target.field == "respondent_unit":
        units = [u for u in tree.records if tree.within(u, org)] or [org]
        query = query.where(c.respondent_unit.in_(units))
    return [
        r
        for r in (await uow.session.execute(query)).all()
        if rule.target.resolve(r.data, tree) == org
        and conditions_match(trigger.when, r.data, params=book.params, org_kind=tree.kind)
    ]


async def _input(uow: UnitOfWork, org: str, period: Period, metric: str | None) -> Decimal | None:
    i = t.kpi_inputs.c
    value: Decimal | None = (
        await uow.session.execute(sa.select(i.value).where(i.org == org, i.period == period.label, i.metric == metric))
    ).scalar()
    return value


async def _measure(
    uow: UnitOfWork,
    book: RuleBook,
    tree: Orgs,
    rule: Rule,
    trigger: KpiTrigger,
    org: str,
    period: Period,
    now: datetime,
) -> kpis.Outcome | None:
    coverage = book.callbacks.get(trigger.callback or "", ("", None))[1]
    threshold = kpis.threshold_of(trigger, coverage)
    m = trigger.measure
    if m in ("complaints_per_users", "complaint_count", "timely_ratio"):
        found = await _complaints(uow, book, tree, rule, trigger, org, period, "received")
        if m == "complaint_count":
            return kpis.count(trigger, threshold, len(found), "complaints")
        if m == "timely_ratio":
            return kpis.timely(trigger, threshold, [(r.received_at, r.completed_at) for r in found])
        users = await _input(uow, org, period, trigger.users_input)
        return None if users is None else kpis.per_users(trigger, threshold, len(found), users)
    if m == "callback_ratio":
        closed = await _complaints(uow, book, tree, rule, trigger, org, period, "closed")
        f = t.facts.c
        called = (
            await uow.session.execute(
                sa.select(sa.func.count(sa.distinct(f.complaint_id))).where(
                    f.type == "callback.recorded",
                    f.complaint_id.in_([r.complaint_id for r in closed]),
                    f.data["by_unit"].astext == org,
                    f.occurred_at < now,
                )
            )
        ).scalar_one()
        return kpis.coverage(trigger, threshold, len(closed), called)
    if m == "satisfied_ratio":
        closed = await _complaints(uow, book, tree, rule, trigger, org, period, "closed")
        f = t.facts.c
        made = (
            await uow.session.execute(
                sa.select(f.data["satisfied"].as_boolean()).where(
                    f.type == "callback.recorded",
                    f.complaint_id.in_([r.complaint_id for r in closed]),
                    f.occurred_at < now,
                )
            )
        ).scalars()
        answers = list(made)
        satisfied = sum(1 for a in answers if a)
        return kpis.share(
            trigger, threshold, satisfied, len(answers), {"callbacks": len(answers), "satisfied": satisfied}
        )
    if m == "in_time_ratio":
        closed = await _complaints(uow, book, tree, rule, trigger, org, period, "closed")
        breached = await _breached(uow, [r.complaint_id for r in closed])
        in_time = len(closed) - breached
        return kpis.share(trigger, threshold, in_time, len(closed), {"closed": len(closed), "breached": breached})
    if m == "conduct_findings":
        c = t.conduct_findings.c
        by_breach = (
            await uow.session.execute(
                sa.select(c.breach, sa.func.count())
                .where(c.org == org, c.policy_rule.in_(trigger.rules), c.at >= period.start, c.at < period.end)
                .group_by(c.breach)
                .order_by(c.breach)
            )
        ).all()
        outcome = kpis.count(trigger, threshold, sum(n for _, n in by_breach), "findings")
        outcome.inputs.update({breach: n for breach, n in by_breach})
        return outcome
    if m in ("responsibility_count", "unrectified_responsibility"):
        d = t.determinations.c
        rows = (
            await uow.session.execute(
                sa.select(d.complaint_id).where(
                    d.regime == book.regime,
                    d.responsible.is_(True),
                    d.superseded_by.is_(None),
                    d.units.contains([org]),
                    d.determined_at >= period.start,
                    d.determined_at < period.end,
                )
            )
        ).all()
        n = len(rows)
        if m == "responsibility_count" or n == 0:
            return kpis.count(trigger, threshold, n, "responsibility_complaints")
        first = (
            await uow.session.execute(
                sa.select(sa.func.min(t.complaints.c.received_at)).where(
                    t.complaints.c.complaint_id.in_([r.complaint_id for r in rows])
                )
            )
        ).scalar()
        r = t.rectifications.c
        rectified = (
            await uow.session.execute(
                sa.select(sa.func.count()).where(r.org == org, r.at >= (first or period.start), r.at <= now)
            )
        ).scalar_one()
        outcome = kpis.count(trigger, threshold, 0 if rectified else n, "unrectified")
        outcome.inputs.update({"responsibility_complaints": n, "rectifications": rectified})
        return outcome
    if m == "sanction_count":
        s = t.sanctions.c
        n = (
            await uow.session.execute(
                sa.select(sa.func.count()).where(
                    s.target_org == org,
                    s.policy_rule.in_(trigger.rules),
                    s.status != "lifted",
                    s.imposed_at >= period.start,
                    s.imposed_at < period.end,
                )
            )
        ).scalar_one()
        return kpis.count(trigger, threshold, n, "sanctions")
    a = await _input(uow, org, period, trigger.inputs[0])
    b = await _input(uow, org, period, trigger.inputs[1])
    return None if a is None or b is None else kpis.ratio_of_inputs(trigger, threshold, a, b)


async def _breached(uow: UnitOfWork, complaint_ids: list[str]) -> int:
    """How many of these complaints breached a stage limit, a withdrawn breach (the stage ended in time) aside."""
    breach, withdrawn = t.facts.alias("breach"), t.facts.alias("withdrawn")
    undone = sa.exists().where(
        withdrawn.c.type == "sla.breach_withdrawn",
        withdrawn.c.complaint_id == breach.c.complaint_id,
        withdrawn.c.data["stage"].astext == breach.c.data["stage"].astext,
    )
    query = sa.select(sa.func.count(sa.distinct(breach.c.complaint_id))).where(
        breach.c.type == "sla.breached", breach.c.complaint_id.in_(complaint_ids), ~undone
    )
    return int((await uow.session.execute(query)).scalar_one())


async def _history(uow: UnitOfWork, regime: str, rule_id: str, org: str, period: Period) -> list[bool]:
    """Compliance of the periods before `period`, newest first, while they follow each other without a gap."""
    e = t.evaluations.c
    found = await uow.session.execute(
        sa.select(e.period, e.compliant).where(
            e.regime == regime, e.policy_rule == rule_id, e.org == org, e.state == "done"
        )
    )
    rows = {r.period: r.compliant for r in found}
    out: list[bool] = []
    current = period.previous()
    while current.label in rows and rows[current.label] is not None:
        out.append(bool(rows[current.label]))
        current = current.previous()
    return out


async def _evaluated(
    uow: UnitOfWork, book: RuleBook, tree: Orgs, rule: Rule, trigger: KpiTrigger, row: Any, outcome: kpis.Outcome
) -> dict[str, Any]:
    period = parse_period(row.period)
    streak = kpis.consecutive_failures([outcome.compliant, *await _history(uow, book.regime, rule.id, row.org, period)])
    at = max(period.end, row.due_at)
    data = KpiEvaluated(
        regime=book.regime,
        occurred_at=at,
        rule=rule.rule_id,
        org=row.org,
        period=row.period,
        metric=trigger.metric,
        value=outcome.shown(outcome.value),
        threshold=outcome.shown(outcome.threshold),
        compliant=outcome.compliant,
        verdict=outcome.verdict,
        unit=trigger.unit,
        comparison=trigger.compliant_if,
        inputs=outcome.inputs,
        consecutive_periods=streak,
    )
    uow.emit("kpi.evaluated", data, tenant=row.tenant)
    sanctioning = book.kpi_sanctions(trigger.metric)
    if outcome.compliant:
        lifted = [r.id for r, _ in sanctioning if r.consequence.until == "compliant"]
        if lifted:
            await lift_where(
                uow,
                at,
                f"{trigger.metric} {outcome.verdict} in {row.period}",
                t.sanctions.c.policy_rule.in_(lifted),
                t.sanctions.c.target_org == row.org,
            )
    else:
        for srule, strigger in sanctioning:
            if streak < strigger.consecutive:
                continue
            c = srule.consequence
            subject = Subject(
                target_org=row.org,
                tenant=row.tenant,
                occurred_at=at,
                regime=book.regime,
                # Until compliant, or after consecutive periods: one at a time; otherwise one per period.
                subject_key=trigger.metric
                if c.until == "compliant" or strigger.consecutive > 1
                else f"{trigger.metric}|{row.period}",
                figures={
                    "value": data.value,
                    "threshold": data.threshold,
                    "consecutive_periods": streak,
                    **outcome.inputs,
                },
                source={"type": "kpi.evaluated", "metric": trigger.metric, "period": row.period},
                values={"org": row.org},
                period=row.period,
                until=fixed_term(period.end, c.months) if c.months else None,
            )
            await impose(uow, tree, srule.kind, srule.rule_id, subject, rule=srule, book=book)
    return data.model_dump(mode="json")


async def _nominate(
    uow: UnitOfWork, book: RuleBook, rule: Rule, trigger: NominationTrigger, row: Any
) -> dict[str, Any] | None:
    """Annual excellence (SAN-68): top by average quarterly score, within the quota, none award-ineligible."""
    period = parse_period(row.period)
    headcount = await _input(uow, row.org, period, trigger.headcount_input)
    if headcount is None:
        return None
    p = t.points.c
    entries = (
        await uow.session.execute(
            sa.select(p.person, p.quarter, p.points, p.score_set_to).where(
                p.org == row.org, p.at >= period.start, p.at < period.end
            )
        )
    ).all()
    quarters = [q.label for q in _quarters(period)]
    adjustments: dict[str, dict[str, tuple[list[int], list[int]]]] = {}
    for person, quarter, points, score_set_to in entries:
        adj, zero = adjustments.setdefault(person, {q: ([], []) for q in quarters})[quarter]
        adj.append(points)
        if score_set_to is not None:
            zero.append(score_set_to)
    base = Fraction(book.score_base())
    scores = {
        person: [quarter_score(base, adj, zero) for adj, zero in by_quarter.values()]
        for person, by_quarter in adjustments.items()
    }
    s = t.sanctions.c
    ineligible = set(
        (
            await uow.session.execute(
                sa.select(sa.func.jsonb_array_elements_text(s.target_persons)).where(
                    s.kind == "award_ineligible", s.status != "lifted", s.data["period"].astext == row.period
                )
            )
        )
        .scalars()
        .all()
    )
    chosen, cap = kpis.nominees(scores, ineligible, trigger.top, trigger.quota, int(headcount))
    data = RewardRecommended(
        regime=book.regime,
        occurred_at=period.end,
        rule=rule.rule_id,
        kind=trigger.nominate,
        reason=(
            f"top {trigger.top} by average quarterly score, at most {cap} "
            f"({trigger.quota:%} of {headcount}), award-ineligible staff excluded"
        ),
        persons=chosen,
        org=row.org,
        period=row.period,
    )
    uow.emit("reward.recommended", data, tenant=row.tenant)
    return data.model_dump(mode="json")


def _quarters(year: Period) -> list[Period]:
    first = period_of("quarterly", year.start)
    return [first, first.next(), first.next().next(), first.next().next().next()]


async def list_evaluations(
    uow: UnitOfWork, org: str | None, period: str | None, metric: str | None, state: str
) -> list[dict[str, Any]]:
    """Done evaluations as their `kpi.evaluated` (or `reward.recommended`) payloads; pending ones and those
    waiting for an input (`no_data`) as what they wait for."""
    e = t.evaluations.c
    query = sa.select(t.evaluations).where(e.state == state).order_by(e.due_at, e.org)
    if org:
        query = query.where(e.org == org)
    if period:
        query = query.where(e.period == period)
    out: list[dict[str, Any]] = []
    for r in (await uow.session.execute(query)).all():
        if r.result is not None:
            out.append(r.result)
        else:
            out.append(
                {
                    "regime": r.regime,
                    "policy_rule": r.policy_rule,
                    "org": r.org,
                    "period": r.period,
                    "state": r.state,
                    "due_at": iso(r.due_at),
                }
            )
    return [x for x in out if metric is None or x.get("metric") == metric]
