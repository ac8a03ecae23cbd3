"""A regime's `sanctions:` entries read as typed rules (the vocabulary is in services/sanctions/README.md).

`tousu.contracts.policy.SanctionRule` keeps `trigger` and `params` generic; this module gives them their meaning.
Which trigger an entry has is told by one key of its `trigger` mapping:

- `event`: on an event (ARCHITECTURE §1) whose data meet `when` → a sanction, or a responsibility complaint;
- `on_sanction`: when one of the named rules imposes → a sanction on the same subject (a ladder's next rung);
- `metric`: per period, a KPI (rule kind `kpi`) → `kpi.evaluated`;
- `kpi`: on a non-compliant evaluation of that metric → a sanction (lifted by a compliant one, or after a term);
- `determination`: on a responsibility determination → a sanction or a reward;
- `input: determination`: the regime's determination vocabulary → checks of `POST /v1/determinations`;
- `points`: on a performance-point entry (`POST /v1/points`) → points, and sanctions;
- `nominate`: per period, ranking staff by score → `reward.recommended`;
- `score`: the appraisal score the points adjust (its base);
- `conduct`: a conduct rule (DOMAIN §1.3) → on a finding (`POST /v1/conduct-findings`) a sanction, points, or a count
  for the regime's `conduct_findings` KPIs.

Entries with `status: placeholder` document a rule the sources leave unquantified ([GAP]); they are not run.
"""

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from tousu.contracts.policy import ConditionValue, Policy, SanctionRule
from tousu.contracts.vocab import ResponsibilityType
from tousu.sanctions.domain.orgs import TargetSpec
from tousu.sanctions.domain.periods import PeriodKind

When = dict[str, ConditionValue]
_PARAM_REF = re.compile(r"^\$\{([a-z][a-z0-9_]*)\}$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Consequence(_Model):
    """What a sanction says besides its kind (a rule's `params`)."""

    cause: str | None = None
    """The rule id the sanction records when finer than the entry's first id, e.g. SAN-01(3)."""
    reason: str | None = None
    issuer: str | None = None
    """Who imposes it, as the source names the post (the association's leader in charge)."""
    issuer_kind: str | None = None
    """The issuing organisation: the target's nearest ancestor of this organisation kind."""
    counterpart: str | None = None
    requirement: str | None = None
    scope: str | None = None
    recommendation: str | None = None
    step: int | None = None
    """The step of an accountability ladder (1 interview, 2 public criticism, 3 award loss)."""
    persons: str | None = None
    """The event or complaint field holding the staff ids it targets (e.g. respondent_staff)."""
    period: PeriodKind | None = None
    """The sanction concerns the period of this kind that holds it (an award season: annual)."""
    until: Literal["compliant"] | None = None
    """Lifted by the next compliant evaluation of the KPI that triggered it."""
    months: int | None = Field(default=None, ge=1)
    """A fixed term: the settlement months after the evaluated period."""
    amount: str | None = None
    """The event field holding the amount (a settlement deduction: the refund the operator made, SAN-19/20)."""
    multiple: Decimal | None = None
    """The refund multiple the regime applies (SAN-19: 2, SAN-20: 1), recorded with the deduction."""
    clause: str | None = None
    """For a responsibility complaint counted by rule (SAN-36): the clause it is charged under."""


class Recurrence(_Model):
    """The rule needs `at_least` facts of its event sharing the values of `same`."""

    same: list[str] = Field(min_length=1)
    at_least: int = Field(ge=1)
    within_days: int | None = Field(default=None, ge=1)
    counts_parent: bool = False
    """A repeat chain also counts the complaint it repeats (facts + 1)."""
    reset_by_rectification_of: str | None = None
    """The field naming the unit whose recorded rectification (same category, or none named) restarts the count."""
    at_least_unrectified: int | None = Field(default=None, ge=1)
    """With `escalates`: the threshold when nothing was rectified after the previous step was held."""


class EventTrigger(_Model):
    event: str
    when: When = Field(default_factory=dict)
    unless: list[str] = Field(default_factory=list)
    """Event types: the rule does not fire when the complaint already has such a fact."""
    key: list[str] = Field(default_factory=lambda: ["complaint_id"])
    """What one sanction is about (fires once per key until lifted); with `count`: the `same` fields."""
    count: Recurrence | None = None
    escalates: list[str] = Field(default_factory=list)
    """Rule ids of the previous ladder step: this step needs one of them held for the same subject."""
    effect: Literal["sanction", "responsibility_complaint"] = "sanction"


class ChainTrigger(_Model):
    on_sanction: list[str] = Field(min_length=1)


Measure = Literal[
    "complaints_per_users",
    "complaint_count",
    "timely_ratio",
    "callback_ratio",
    "responsibility_count",
    "unrectified_responsibility",
    "sanction_count",
    "input_ratio",
    "conduct_findings",
    "satisfied_ratio",
    "in_time_ratio",
]
Comparison = Literal["<", "<=", ">", ">="]
Feed = Literal["received", "closed", "determination", "sanction", "input", "finding"]
FEEDS: dict[Measure, Feed] = {
    "complaints_per_users": "received",
    "complaint_count": "received",
    "timely_ratio": "received",
    "callback_ratio": "closed",
    "responsibility_count": "determination",
    "unrectified_responsibility": "determination",
    "sanction_count": "sanction",
    "input_ratio": "input",
    "conduct_findings": "finding",
    "satisfied_ratio": "closed",
    "in_time_ratio": "closed",
}
"""The fact that schedules a measure's evaluation for an organisation and period."""


class KpiTrigger(_Model):
    """A KPI evaluated per period for every organisation the rule's `target` names (ratios as fractions)."""

    metric: str
    measure: Measure
    period: PeriodKind
    compliant_if: Comparison
    """How a compliant value relates to the threshold (CONV-10: exactly as written)."""
    threshold: Decimal | None = None
    callback: str | None = None
    """callback_ratio: the policy's callback entry whose `coverage` is the threshold and whose `by` says who calls."""
    unit: str | None = None
    """percent: ratios are shown ×100; per_10000_users, count, …"""
    when: When = Field(default_factory=dict)
    """Which complaints count (conditions on complaint.received)."""
    per: int = Field(default=1, ge=1)
    users_input: str | None = None
    within_hours: Decimal | None = None
    rules: list[str] = Field(default_factory=list)
    """sanction_count: the entries whose sanctions count; conduct_findings: the conduct entries whose findings count."""
    inputs: list[str] = Field(default_factory=list)
    """input_ratio: numerator and denominator metrics of `POST /v1/kpi-inputs`."""
    basis_inputs: list[str] = Field(default_factory=list)
    """Reported figures the evaluation states as its data basis when present (SAN-13: signed group customers)."""
    evaluate_after_hours: int = Field(default=0, ge=0)
    """Evaluate this long after the period ends (complaints of its last day get their full window)."""

    @model_validator(mode="after")
    def _settings_of_measure(self) -> "KpiTrigger":
        needs = {
            "complaints_per_users": self.users_input is not None,
            "timely_ratio": self.within_hours is not None,
            "callback_ratio": self.callback is not None,
            "sanction_count": bool(self.rules),
            "conduct_findings": bool(self.rules),
            "input_ratio": len(self.inputs) == 2,
        }
        if not needs.get(self.measure, True):
            what = {
                "complaints_per_users": "users_input",
                "timely_ratio": "within_hours",
                "callback_ratio": "callback",
                "sanction_count": "rules",
                "conduct_findings": "rules",
                "input_ratio": "inputs (numerator, denominator)",
            }[self.measure]
            raise ValueError(f"measure {self.measure} needs {what}")
        return self


class KpiSanctionTrigger(_Model):
    kpi: str
    consecutive: int = Field(default=1, ge=1)


class DeterminationTrigger(_Model):
    determination: Literal["responsible", "non_responsible"]
    severity: list[str] = Field(default_factory=list)
    """Severities of `POST /v1/determinations` this applies to; empty: any."""
    tolerant: bool = False
    """Applies to the staff the determination names as tolerant (SAN-38)."""


class InputTrigger(_Model):
    input: Literal["determination"]


class Clause(_Model):
    responsible: bool
    description: str
    fee_borne: bool = False
    """The responsible staff member bears the disputed fee (SAN-31(4))."""


class Grounds(_Model):
    """What a determination of one responsibility type must establish (SAN-44, SAN-45), as conditions on the
    `grounds` it states."""

    rule: str
    when: When
    description: str


class Scope(_Model):
    """Whom a regime's responsibility rules and penalties apply to (ORG-12, ORG-21), as conditions on the `grounds`
    a responsible determination naming persons states: `when` must hold, and one of `any` if given."""

    rule: str
    description: str
    when: When = Field(default_factory=dict)
    any: list[When] = Field(default_factory=list)


class DeterminationConfig(_Model):
    clauses: dict[str, Clause] = Field(default_factory=dict)
    """Empty: any clause text is accepted."""
    types: list[ResponsibilityType] = Field(default_factory=list)
    type_required: bool = False
    persons_required: bool = True
    """A responsible determination names the specific persons (SAN-25, SAN-30)."""
    appeal_levels: int = Field(default=1, ge=0)
    """How many re-determinations an employee may ask for; the last is final (RCN-04: one, by the next level)."""
    severities: list[str] = Field(default_factory=lambda: ["minor", "ordinary", "serious", "grave"])
    determined_by: str | None = None
    grounds: dict[ResponsibilityType, Grounds] = Field(default_factory=dict)
    """Per responsibility type, what its determination must establish; a type not named needs nothing."""
    applies_to: list[Scope] = Field(default_factory=list)
    """Who the rules apply to: a responsible determination naming persons outside it is refused."""


class PointsTrigger(_Model):
    points: str
    """The behaviour or achievement as the source words it."""
    once_per: Literal["month", "quarter", "year"] | None = None
    occurrences: int = Field(default=1, ge=1)
    """The rule's own sanction follows the N-th entry of this person (distinct `distinct` periods when set)."""
    distinct: Literal["quarter", "year"] | None = None
    requires: str | None = None
    """A sanction kind the person must already have (the assessment after off-post training)."""
    verified: bool = False
    """The entry must state that an investigation verified it (SAN-92, SAN-94, SAN-103)."""
    over_minutes: int | None = None
    """A private call off the seat system counts only when longer than this (SAN-73)."""


class PointsParams(_Model):
    points: int = 0
    points_by_rank: list[int] = Field(default_factory=list)
    score_set_to: int | None = None
    """The quarter's score is set to this (以0分计, SAN-104/105/109/112)."""
    award_ineligible: Literal["annual"] | None = None
    serious: str | None = None
    """The sanction kind a serious case adds (termination: dismissal)."""
    not_if_credited_by_appraisal: bool = False
    pay_for_damage: bool = False
    compensate_customer: bool = False
    refer_to: str | None = None


class NominationTrigger(_Model):
    nominate: str
    period: PeriodKind
    top: int = Field(ge=1)
    quota: Decimal = Field(gt=0, le=1)
    """Nominees at most this share of the headcount (floor)."""
    headcount_input: str


class ScoreTrigger(_Model):
    """The appraisal score the points adjust (SAN-60): `base` plus the period's bonuses and deductions, or a score
    set outright."""

    score: Literal["quarterly"]
    base: Decimal = Decimal(0)
    """[GAP] 《客服代表绩效考核办法》 is not in the seeds: 0, so the score shows the adjustment itself."""


class ConductTrigger(_Model):
    """A conduct rule (DOMAIN §1.3), scored when a finding names one of its `breaches` (`POST /v1/conduct-findings`)."""

    conduct: str
    """The CND id."""
    breaches: list[str] = Field(min_length=1)
    """What the rule forbids or requires, as the source words it (snake case): a finding names one."""
    scored_as: Literal["sanction", "points", "kpi"] = "sanction"
    """sanction: the entry's kind on its target; points: the points entry `points_entries` names for the breach, for
    each person; kpi: counted only, by the regime's `conduct_findings` KPIs (SAN-18)."""
    points_entries: dict[str, str] = Field(default_factory=dict)
    """scored as points: breach → the points entry it is scored as (CND-05 → SAN-76, SAN-92)."""
    verified: bool = False
    """A finding counts only when an investigation verified it."""


Trigger = (
    EventTrigger
    | ChainTrigger
    | KpiTrigger
    | KpiSanctionTrigger
    | DeterminationTrigger
    | InputTrigger
    | PointsTrigger
    | NominationTrigger
    | ScoreTrigger
    | ConductTrigger
)
Params = Consequence | PointsParams | DeterminationConfig | None
_TRIGGERS: dict[str, type[Trigger]] = {
    "event": EventTrigger,
    "on_sanction": ChainTrigger,
    "metric": KpiTrigger,
    "kpi": KpiSanctionTrigger,
    "determination": DeterminationTrigger,
    "input": InputTrigger,
    "points": PointsTrigger,
    "nominate": NominationTrigger,
    "score": ScoreTrigger,
    "conduct": ConductTrigger,
}
_PARAMS: dict[type[Trigger], type[BaseModel] | None] = {
    EventTrigger: Consequence,
    ChainTrigger: Consequence,
    KpiSanctionTrigger: Consequence,
    DeterminationTrigger: Consequence,
    KpiTrigger: None,
    NominationTrigger: None,
    InputTrigger: DeterminationConfig,
    PointsTrigger: PointsParams,
    ScoreTrigger: None,
    ConductTrigger: Consequence,
}
POINT_KINDS = frozenset({"points_bonus", "penalty_points"})
"""Points entries whose kind adjusts the score rather than naming a sanction of its own."""

T = TypeVar("T", bound=Trigger)


@dataclass(frozen=True)
class Rule:
    id: str
    rules: tuple[str, ...]
    kind: str
    trigger: Trigger
    target: TargetSpec | None = None
    params: Params = None
    description: str | None = None

    @property
    def rule_id(self) -> str:
        """The DOMAIN rule id a sanction records."""
        cause = self.params.cause if isinstance(self.params, Consequence) else None
        return cause or self.rules[0]

    @property
    def consequence(self) -> Consequence:
        return self.params if isinstance(self.params, Consequence) else Consequence()


def _resolve(value: Any, params: Mapping[str, Any]) -> Any:
    if isinstance(value, str):
        ref = _PARAM_REF.match(value)
        return params[ref.group(1)] if ref else value
    if isinstance(value, Mapping):
        return {k: _resolve(v, params) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, params) for v in value]
    return value


class RuleError(ValueError):
    """A sanctions entry this service cannot read; the message names the regime, the entry and the field."""


def parse_rule(entry: SanctionRule, params: Mapping[str, Any]) -> Rule:
    where = f"sanctions.{entry.id}"
    keys = [k for k in _TRIGGERS if k in entry.trigger]
    if len(keys) != 1:
        raise RuleError(f"{where}.trigger: needs exactly one of {sorted(_TRIGGERS)}, has {sorted(entry.trigger)}")
    trigger_type = _TRIGGERS[keys[0]]
    params_type = _PARAMS[trigger_type]
    try:
        trigger = trigger_type.model_validate(_resolve(entry.trigger, params))
        parsed = params_type.model_validate(_resolve(entry.params, params)) if params_type else None
    except ValidationError as exc:
        fields = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise RuleError(f"{where}: {fields}") from exc
    if params_type is None and entry.params:
        raise RuleError(f"{where}.params: this trigger takes its settings in `trigger`")
    try:
        target = TargetSpec.parse(entry.target) if entry.target else None
    except ValueError as exc:
        raise RuleError(f"{where}.target: {exc}") from exc
    complaint_kpi = isinstance(trigger, KpiTrigger) and FEEDS[trigger.measure] in ("received", "closed")
    sanctioning_conduct = isinstance(trigger, ConductTrigger) and trigger.scored_as == "sanction"
    if target is None and (isinstance(trigger, EventTrigger | ChainTrigger) or complaint_kpi or sanctioning_conduct):
        raise RuleError(f"{where}.target: this trigger needs a target")
    assert isinstance(parsed, Consequence | PointsParams | DeterminationConfig | None)
    return Rule(
        id=entry.id,
        rules=tuple(entry.rule),
        kind=entry.kind,
        trigger=trigger,
        target=target,
        params=parsed,
        description=entry.description,
    )


@dataclass(frozen=True)
class RuleBook:
    """The runnable sanction rules of one policy version."""

    regime: str
    version: str
    rules: tuple[Rule, ...]
    params: Mapping[str, Any] = field(default_factory=dict)
    """The policy's parameter values, for `when` conditions that name one."""
    callbacks: Mapping[str, tuple[str, Decimal | None]] = field(default_factory=dict)
    """Callback entry id → (who calls: respondent_unit | superior | …, coverage)."""

    @classmethod
    def of(cls, policy: Policy) -> "RuleBook":
        values = policy.parameter_values()
        rules: list[Rule] = []
        for entry in policy.sanctions:
            if entry.status == "placeholder":
                continue
            try:
                rules.append(parse_rule(entry, values))
            except RuleError as exc:
                raise RuleError(f"policies/{policy.id}.yaml: {exc}") from exc
        book = cls(
            regime=policy.id,
            version=policy.version,
            rules=tuple(rules),
            params=values,
            callbacks={
                cb.id: (cb.by, Decimal(str(cb.coverage)) if cb.coverage is not None else None)
                for cb in policy.callbacks
            },
        )
        book.check()
        return book

    def check(self) -> None:
        """References between entries resolve (a typo fails on load, not on the first complaint)."""
        ids = {r.id for r in self.rules}
        metrics = {t.metric for _, t in self.of_type(KpiTrigger)}
        errors: list[str] = []
        for rule, chain in self.of_type(ChainTrigger):
            errors += [f"{rule.id}: on_sanction {r!r} is not a rule" for r in chain.on_sanction if r not in ids]
        for rule, event in self.of_type(EventTrigger):
            errors += [f"{rule.id}: escalates {r!r} is not a rule" for r in event.escalates if r not in ids]
        for rule, kpi in self.of_type(KpiSanctionTrigger):
            if kpi.kpi not in metrics:
                errors.append(f"{rule.id}: kpi {kpi.kpi!r} is not a metric of this regime")
        for rule, metric in self.of_type(KpiTrigger):
            if metric.threshold is None and (metric.callback is None or self.callbacks.get(metric.callback) is None):
                errors.append(f"{rule.id}: needs a threshold, or a callback entry with a coverage")
        if len(self.of_type(InputTrigger)) > 1:
            errors.append("more than one determination vocabulary")
        if len(self.of_type(ScoreTrigger)) > 1:
            errors.append("more than one score")
        conduct_ids = {r.id for r, _ in self.of_type(ConductTrigger)}
        for rule, metric in self.of_type(KpiTrigger):
            if metric.measure == "conduct_findings":
                errors += [f"{rule.id}: {r!r} is not a conduct entry" for r in metric.rules if r not in conduct_ids]
        for rule, conduct in self.of_type(ConductTrigger):
            for breach in conduct.breaches if conduct.scored_as == "points" else []:
                ref = conduct.points_entries.get(breach)
                if ref is None or self.points_rule(ref) is None:
                    errors.append(f"{rule.id}: breach {breach!r} needs a points entry under `points_entries`")
        if errors:
            raise RuleError(f"policies/{self.regime}.yaml: sanctions: " + "; ".join(errors))

    def of_type(self, trigger_type: type[T]) -> list[tuple[Rule, T]]:
        return [(r, r.trigger) for r in self.rules if isinstance(r.trigger, trigger_type)]

    def rule(self, rule_id: str) -> Rule:
        return next(r for r in self.rules if r.id == rule_id)

    def on_event(self, event_type: str) -> list[tuple[Rule, EventTrigger]]:
        return [(r, t) for r, t in self.of_type(EventTrigger) if t.event == event_type]

    def chained(self, rule_id: str) -> list[Rule]:
        return [r for r, t in self.of_type(ChainTrigger) if rule_id in t.on_sanction]

    def kpi_sanctions(self, metric: str) -> list[tuple[Rule, KpiSanctionTrigger]]:
        return [(r, t) for r, t in self.of_type(KpiSanctionTrigger) if t.kpi == metric]

    def on_determination(self, responsible: bool) -> list[tuple[Rule, DeterminationTrigger]]:
        wanted = "responsible" if responsible else "non_responsible"
        return [(r, t) for r, t in self.of_type(DeterminationTrigger) if t.determination == wanted]

    def determination(self) -> DeterminationConfig | None:
        found = self.of_type(InputTrigger)
        return found[0][0].params if found and isinstance(found[0][0].params, DeterminationConfig) else None

    def points_rule(self, ref: str) -> Rule | None:
        """A points entry names its rule by entry id (`private-call`) or by its first DOMAIN id (`SAN-73`)."""
        candidates = [r for r, _ in self.of_type(PointsTrigger)]
        return next((r for r in candidates if r.id == ref), None) or next(
            (r for r in candidates if r.rules[0] == ref), None
        )

    def conduct_rule(self, ref: str) -> Rule | None:
        """A finding names its conduct entry by entry id or by its CND id."""
        candidates = [r for r, _ in self.of_type(ConductTrigger)]
        return next((r for r in candidates if r.id == ref), None) or next(
            (r for r, t in self.of_type(ConductTrigger) if t.conduct == ref), None
        )

    def score_base(self) -> Decimal:
        """The base of the appraisal score (SAN-60); 0 when the regime states none."""
        found = self.of_type(ScoreTrigger)
        return found[0][1].base if found else Decimal(0)

    def event_types(self) -> Iterator[str]:
        for _, trigger in self.of_type(EventTrigger):
            yield trigger.event
            yield from trigger.unless
