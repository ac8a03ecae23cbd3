"""Scheduling periodic evaluations: every fact that feeds a KPI or a nomination names its organisation and period,
and the evaluation falls due when the period ends (entrypoints/ticks.py runs it by the business clock)."""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.dialects.postgresql import insert

from tousu.contracts.policy import conditions_match
from tousu.kit.uow import UnitOfWork
from tousu.sanctions.adapters import tables as t
from tousu.sanctions.domain.orgs import Orgs
from tousu.sanctions.domain.periods import Period, period_of
from tousu.sanctions.domain.rules import FEEDS, Feed, KpiTrigger, NominationTrigger, Rule, RuleBook


def inputs_of(trigger: KpiTrigger | NominationTrigger) -> list[str]:
    """The `POST /v1/kpi-inputs` metrics an evaluation reads."""
    if isinstance(trigger, NominationTrigger):
        return [trigger.headcount_input]
    return [*([trigger.users_input] if trigger.users_input else []), *trigger.inputs, *trigger.basis_inputs]


async def schedule(
    uow: UnitOfWork, book: RuleBook, rule: Rule, org: str, tenant: str, period: Period, after_hours: int
) -> None:
    await uow.session.execute(
        insert(t.evaluations)
        .values(
            regime=book.regime,
            policy_rule=rule.id,
            org=org,
            period=period.label,
            tenant=tenant,
            due_at=period.end + timedelta(hours=after_hours),
            state="pending",
        )
        .on_conflict_do_nothing()
    )


async def for_complaint(
    uow: UnitOfWork, book: RuleBook, tree: Orgs, values: dict[str, Any], feed: Feed, at: datetime, tenant: str
) -> None:
    """A complaint received or closed feeds the KPIs of the organisation each KPI rule targets."""
    for rule, trigger in book.of_type(KpiTrigger):
        if FEEDS[trigger.measure] != feed:
            continue
        if not conditions_match(trigger.when, values, params=book.params, org_kind=tree.kind):
            continue  # a complaint this KPI does not count (EMP vs C mode) does not make it due
        assert rule.target is not None  # parse_rule
        org = rule.target.resolve(values, tree)
        if org is not None:
            await schedule(uow, book, rule, org, tenant, period_of(trigger.period, at), trigger.evaluate_after_hours)


async def for_org(
    uow: UnitOfWork, book: RuleBook, feed: Feed, org: str, tenant: str, at: datetime, rule_id: str | None = None
) -> None:
    """A determination (SAN-34, SAN-37) or a sanction of `rule_id` (SAN-27) feeds the KPIs of its organisation."""
    for rule, trigger in book.of_type(KpiTrigger):
        if FEEDS[trigger.measure] == feed and (rule_id is None or rule_id in trigger.rules):
            await schedule(uow, book, rule, org, tenant, period_of(trigger.period, at), trigger.evaluate_after_hours)


async def for_nominations(uow: UnitOfWork, book: RuleBook, org: str, tenant: str, at: datetime) -> None:
    for rule, trigger in book.of_type(NominationTrigger):
        await schedule(uow, book, rule, org, tenant, period_of(trigger.period, at), 0)
