"""Dispatch by a regime's routing ladder, read from its policy (`routing:` of policies/<regime>.yaml).

Pure: the policy, the complaint as received (`facts`) and the registry in, units out. Nothing here knows a
regime by name: the first owner comes from `routing.assign`, referrals from `routing.refer` and the
classification, the accountable post from `routing.accountable` (a role resolved to the nearest unit of that kind).
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import TypeAdapter

from tousu.contracts.policy import Policy, UnitSelector, When, conditions_match
from tousu.routing.domain.orgs import Registry

Facts = Mapping[str, Any]
_WHEN: TypeAdapter[When] = TypeAdapter(When)

FORWARD_REFUSED_PARAMETER = "forward_refused"
"""A policy parameter listing conditions (on the forward and the complaint) under which a forward is refused."""
ROLE_PREFIX = "role:"


def params_of(policy: Policy) -> dict[str, Any]:
    return policy.parameter_values()


def matches(when: Mapping[str, Any], data: Facts, facts: Facts, policy: Policy, registry: Registry) -> bool:
    return conditions_match(when, data, fallback=facts, params=params_of(policy), org_kind=registry.kind)


def select_unit(selector: UnitSelector, facts: Facts, registry: Registry) -> str:
    """A UnitSelector of the policy schema; a level or kind the tree does not have leaves the unit itself."""
    unit = str(facts.get(selector.unit) or facts["receiving_unit"])
    if unit not in registry:
        return unit
    if selector.authority_level is not None:
        return registry.with_authority(unit, selector.authority_level) or unit
    if selector.kind is not None:
        return registry.ancestor_of_kind(unit, selector.kind) or registry.nearest_of_kind(unit, selector.kind) or unit
    if selector.tenant_root:
        return registry.tenant_root(unit)
    return unit


@dataclass(frozen=True)
class Assignment:
    unit: str
    rule: str | None


def first_owner(policy: Policy, facts: Facts, registry: Registry) -> Assignment:
    """The first matching `routing.assign` rule names the first owner (RTE-04, ORG-40/41, RTE-26 ...)."""
    for rule in policy.routing.assign:
        if matches(rule.when, facts, facts, policy, registry):
            return Assignment(select_unit(rule.to, facts, registry), rule.rule[0])
    return Assignment(str(facts["receiving_unit"]), None)


def resolve_role(target: str, near: str, registry: Registry) -> str | None:
    """`role:<kind>` (or a bare kind): the nearest unit of that kind."""
    return registry.nearest_of_kind(near, target.removeprefix(ROLE_PREFIX))


@dataclass(frozen=True)
class Referral:
    reason: str
    target: str
    to_unit: str | None
    exclusive: bool
    rule: str | None


def referrals(policy: Policy, facts: Facts, registry: Registry) -> list[Referral]:
    """Where a matter goes besides (or instead of) the complaint process: the classification's referral (intake
    found it out of scope, ARCHITECTURE §1), then the regime's matching `routing.refer` rules (RTE-08, RTE-15)."""
    near = str(facts.get("respondent_unit") or facts["receiving_unit"])
    found: list[Referral] = []
    classification = facts.get("classification") or {}
    rules = [r for r in policy.routing.refer if matches(r.when, facts, facts, policy, registry)]
    if classification.get("scope") == "referred":
        target = str(classification.get("referral_target") or (rules[0].to if rules else "compliance"))
        unit = target if target in registry else resolve_role(target, near, registry)
        reasons = classification.get("reasons") or []
        found.append(
            Referral(
                reason=rules[0].reason if rules else "out of scope",
                target=target,
                to_unit=unit,
                exclusive=True,
                rule=(rules[0].rule[0] if rules else (str(reasons[0]) if reasons else None)),
            )
        )
        return found
    seen: set[str] = set()
    for rule in rules:
        if rule.to in seen:
            continue  # one referral per destination, however many rules send it there
        seen.add(rule.to)
        found.append(
            Referral(rule.reason, rule.to, resolve_role(rule.to, near, registry), rule.exclusive, rule.rule[0])
        )
    return found


@dataclass(frozen=True)
class Accountability:
    """The post responsible for solving it (ORG-13, RTE-14) and those copied in parallel (RTE-35, RTE-18)."""

    role: str | None = None
    unit: str | None = None
    rule: str | None = None
    cc_units: list[str] = field(default_factory=list)


def accountability(policy: Policy, facts: Facts, registry: Registry, near: str) -> Accountability:
    """Every matching `routing.accountable` rule: the first names the responsible post, the others are copied."""
    matched = [a for a in policy.routing.accountable if matches(a.when, facts, facts, policy, registry)]
    if not matched:
        return Accountability()
    units = [resolve_role(a.role, near, registry) for a in matched]
    cc = [u for u in dict.fromkeys(units[1:]) if u is not None and u != units[0]]
    return Accountability(matched[0].role, units[0], matched[0].rule[0], cc)


def forward_refusal(policy: Policy, forward: Facts, facts: Facts, registry: Registry) -> str | None:
    """The rule that forbids this forward, if the regime lists one (mobile: an SI may not shift its own
    application complaints onto the operator, RTE-27)."""
    parameter = policy.parameters.get(FORWARD_REFUSED_PARAMETER)
    if parameter is None:
        return None
    for raw in parameter.default or []:
        if matches(_WHEN.validate_python(raw), forward, facts, policy, registry):
            return parameter.rule[0] if parameter.rule else FORWARD_REFUSED_PARAMETER
    return None


def parameter_minimum(policy: Policy, name: str) -> tuple[float, str | None] | None:
    """A regime parameter that a same-named action field must reach (e.g. `online_transfer_after_minutes`,
    SLA-62: the seat may transfer the call only after 15 minutes on the line)."""
    parameter = policy.parameters.get(name)
    if parameter is None or not isinstance(parameter.default, int | float):
        return None
    return float(parameter.default), (parameter.rule[0] if parameter.rule else None)


def is_major(facts: Facts) -> bool:
    return facts.get("priority") == "major" or bool((facts.get("classification") or {}).get("major"))
