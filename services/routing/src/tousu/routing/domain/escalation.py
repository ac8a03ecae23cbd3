"""Escalation ladders (ARCHITECTURE §6): who hears of a warning, a breach, media exposure or a repeat.

A stage's `escalation` in the policy decides: `on_breach` / `on_warning` targets, or a `ladder` whose steps apply
to the 1st, 2nd, 3rd escalation of that stage (tobacco: monitoring centre → rectification office → city-bureau
leaders, RTE-25). `superior` climbs one step of the tree per escalation of the same stage, so a case that keeps
failing moves up; `record_only` records the breach and tells nobody; `b_handler` passes an unacknowledged case
from the A to the B handler (ORG-04).
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from tousu.contracts.policy import Escalation, Policy
from tousu.routing.domain.case import CaseState
from tousu.routing.domain.dispatch import ROLE_PREFIX, resolve_role
from tousu.routing.domain.orgs import Registry

CASE_KEY = "case"
"""Escalation-level key of escalations that belong to no stage (media exposure, repeats, actions)."""


@dataclass(frozen=True)
class Plan:
    kind: Literal["escalate", "handover", "record"]
    level: int = 0
    targets: list[str] = field(default_factory=list)
    rule: str | None = None


def resolve_targets(targets: Sequence[str], owner: str, level: int, case: CaseState, registry: Registry) -> list[str]:
    units: list[str] = []
    for target in targets:
        if target == "superior":
            unit: str | None = registry.climb(owner, level)
        elif target in ("owner", "assignee"):
            unit = owner
        elif target == "receiving_unit":
            unit = case.receiving_unit
        elif target.startswith(ROLE_PREFIX):
            unit = resolve_role(target, owner, registry) or registry.climb(owner, level)
        else:
            unit = None
        if unit is not None and unit not in units:
            units.append(unit)
    return units


def _escalation_of(policy: Policy, stage_id: str) -> Escalation:
    try:
        return policy.stage(stage_id).escalation
    except KeyError:
        return Escalation()  # a stage of another policy version: the default, to the superior


def plan_for_clock(
    policy: Policy,
    stage_id: str,
    on: Literal["breach", "warning"],
    owner: str,
    case: CaseState,
    registry: Registry,
    fallback_rule: str | None,
) -> Plan | None:
    """What a stage's warning or breach sets off; None when the regime does nothing on it."""
    escalation = _escalation_of(policy, stage_id)
    rule = escalation.rule[0] if escalation.rule else fallback_rule
    targets = list(escalation.on_breach if on == "breach" else escalation.on_warning)
    if not targets and not (on == "breach" and escalation.ladder):
        return None
    if targets == ["record_only"]:
        return Plan("record", rule=rule)
    if "b_handler" in targets:
        return Plan("handover", rule=rule)
    level = case.next_level(stage_id)
    if on == "breach" and escalation.ladder:
        steps = sorted(escalation.ladder, key=lambda s: s.level)
        step = next((s for s in reversed(steps) if s.level <= level), steps[0])
        targets = [step.target]
    return Plan("escalate", level, resolve_targets(targets, owner, level, case, registry), rule)


def plan_up(case: CaseState, registry: Registry, to_unit: str | None = None) -> Plan:
    """An escalation outside the stage clocks (media exposure, a repeat, an `escalate` action): one step further
    up the tree from the unit holding the case each time, unless the caller names the target."""
    level = case.next_level(CASE_KEY)
    target = to_unit or registry.climb(case.holder_unit, level)
    return Plan("escalate", level, [target])
