"""The policy schema: one regime of DOMAIN §0.2 as data (ARCHITECTURE §6).

A regime is data, never an if-branch on its name. `policies/<regime>.yaml` holds, for one regime, its intake
conditions, kinds, categories, classification rules, stage clocks, routing ladder, named parameters, sanction rules,
reports and callbacks. Every model forbids unknown keys, so a typo fails on load with the field's path in the message.
A complaint keeps the `version` of the policy it was received under (see `load_policy_history`).

Conditions (`when`) are a small, closed language shared by intake, routing and sla (`conditions_match`):
a mapping of dotted field paths to a scalar (equals), a list (any of) or an operator mapping
(`eq`, `ne`, `in`, `not_in`, `exists`, `gt`, `gte`, `lt`, `lte`, `org_kind`, `not_org_kind`, `is`). A string
`"${name}"` anywhere a value goes is the policy parameter `name` (a tenant may override its default).
"""

import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, time
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from tousu.contracts.events import EVENT_TYPES
from tousu.contracts.types import ClockKind, Id

# --------------------------------------------------------------------------------------------------------------------
# Vocabularies

EVENT_CATALOGUE: frozenset[str] = frozenset(EVENT_TYPES)
"""ARCHITECTURE §1's event catalogue, as the event modules register it: start and stop events must be in it."""

KINDS: frozenset[str] = frozenset(
    {
        "complaint",
        "consultation",
        "suggestion",
        "report",
        "dissatisfaction",
        "defused",
        "fault_report",
        "technical_support",
        "reconsideration",
    }
)
"""CONTRACT §4 `kind`."""

CHANNELS: frozenset[str] = frozenset(
    {
        "phone",
        "hotline",
        "letter",
        "fax",
        "email",
        "web",
        "walk_in",
        "suggestion_box",
        "sms",
        "social_media",
        "on_site",
        "regulator_referral",
        "government_referral",
    }
)
"""CONTRACT §4 `channel`."""

COMMON_CATEGORIES: tuple[str, ...] = (
    "service_attitude",
    "service_quality",
    "fees",
    "product",
    "system_fault",
    "staff_violation",
    "other",
)
"""Category ids every regime accepts (CONTRACT §4); a policy adds its own."""

ACTIONS: frozenset[str] = frozenset(
    {
        "acknowledge",
        "forward",
        "verify",
        "approve",
        "open_joint_investigation",
        "record_contact_attempt",
        "report_progress",
        "request_extension",
        "decide_extension",
        "submit_result",
        "reject_result",
        "reply_customer",
        "record_objection",
        "record_callback",
        "redispatch",
        "escalate",
        "refer_compliance",
        "decide_reconsideration",
        "close",
    }
)
"""CONTRACT §5 case action types."""

OWNER_KEYWORDS: frozenset[str] = frozenset(
    {"assignee", "receiving_unit", "respondent_unit", "forward_target", "holder", "superior", "lodged_with"}
)
"""Who owns a stage's clock (besides `role:<kind>`). See `Stage.owner`."""

TARGET_KEYWORDS: frozenset[str] = frozenset(
    {"superior", "record_only", "owner", "assignee", "receiving_unit", "b_handler"}
)
"""Where a warning or breach escalates (besides `role:<kind>`). See `Escalation`."""

_ROLE = r"role:[a-z0-9][a-z0-9_-]*"
_OWNER_RE = re.compile(rf"^(?:{'|'.join(sorted(OWNER_KEYWORDS))}|{_ROLE})$")
_TARGET_RE = re.compile(rf"^(?:{'|'.join(sorted(TARGET_KEYWORDS))}|{_ROLE})$")
_PATH_RE = re.compile(r"^[a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)*$")
_PARAM_REF_RE = re.compile(r"^\$\{([a-z][a-z0-9_]*)\}$")
_RULE_RE = re.compile(
    r"^(?:[A-Z]+-\d+[a-z]?|\d{3}-[A-Z](?: .+)?|(?:CONTRACT|ARCHITECTURE) §\d+|\[(?:GAP|CONV|INTERP|CONFLICT)\].*)$"
)
_DUE_RE = re.compile(r"^(?:(?:period_start|period_end|event)(?:\+\d+(?:d|wd|h))?|\d{4}-\d{2}-\d{2})$")


def _listify(value: Any) -> Any:
    """Accept a single item where a list is expected (`rule: SLA-01`, `start: {event: ...}`)."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def _check_rule_id(value: str) -> str:
    if not _RULE_RE.match(value):
        raise ValueError(f"{value!r} is not a DOMAIN rule id (e.g. SLA-01, CONV-11, 004-B 第五条, [GAP] …)")
    return value


Rules = Annotated[list[Annotated[str, AfterValidator(_check_rule_id)]], BeforeValidator(_listify)]
"""DOMAIN rule ids (`SLA-01`, `CONV-11`) or a tag (`[GAP] …`); a single id may be written without a list."""


def _owner(value: str) -> str:
    if not _OWNER_RE.match(value):
        raise ValueError(f"owner {value!r} must be one of {sorted(OWNER_KEYWORDS)} or role:<kind>")
    return value


def _target(value: str) -> str:
    if not _TARGET_RE.match(value):
        raise ValueError(f"target {value!r} must be one of {sorted(TARGET_KEYWORDS)} or role:<kind>")
    return value


Owner = Annotated[str, BeforeValidator(_owner)]
Target = Annotated[str, BeforeValidator(_target)]
Targets = Annotated[list[Target], BeforeValidator(_listify)]


def _no_sexagesimal(value: Any) -> Any:
    # YAML 1.1 reads an unquoted 17:00 as the integer 1020; pydantic would then take it as seconds.
    if isinstance(value, int):
        raise ValueError("write times as quoted strings in YAML, e.g. daily_at: '17:00'")
    return value


TimeOfDay = Annotated[time, BeforeValidator(_no_sexagesimal)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


# --------------------------------------------------------------------------------------------------------------------
# Conditions

Scalar = str | bool | int | float | None


class Op(_Model):
    """An operator condition on one field. Several operators in one mapping must all hold."""

    eq: Scalar = None
    ne: Scalar = None
    in_: list[Scalar] | None = Field(default=None, alias="in")
    not_in: list[Scalar] | None = None
    exists: bool | None = None
    gt: float | str | None = None
    gte: float | str | None = None
    lt: float | str | None = None
    lte: float | str | None = None
    org_kind: Annotated[list[str], BeforeValidator(_listify)] | None = None
    not_org_kind: Annotated[list[str], BeforeValidator(_listify)] | None = None
    is_: Literal["owner"] | None = Field(default=None, alias="is")

    @model_validator(mode="after")
    def _one_at_least(self) -> Self:
        if not self.model_fields_set:
            raise ValueError("an operator mapping needs at least one operator")
        return self


ConditionValue = Op | list[Scalar] | Scalar
When = dict[str, ConditionValue]
"""Field path → condition. All entries must hold. An empty mapping always holds."""


def _check_when(when: Mapping[str, Any]) -> None:
    for path in when:
        if not _PATH_RE.match(path):
            raise ValueError(f"condition field {path!r} is not a dotted path of lowercase names")


_MISSING = object()


def _lookup(data: Mapping[str, Any], path: str) -> Any:
    current: Any = data
    for part in path.split("."):
        if isinstance(current, Mapping) and part in current:
            current = current[part]
        else:
            return _MISSING
    return current


def _resolve(value: Any, params: Mapping[str, Any]) -> Any:
    if isinstance(value, str):
        ref = _PARAM_REF_RE.match(value)
        if ref:
            return params[ref.group(1)]
    return value


def _compare(actual: Any, op: str, expected: Any) -> bool:
    if actual is _MISSING or actual is None:
        return False
    try:
        fa, fe = float(actual), float(expected)
        order = (fa > fe) - (fa < fe)
    except (TypeError, ValueError):
        sa, se = str(actual), str(expected)  # ISO-8601 instants of one offset compare as strings
        order = (sa > se) - (sa < se)
    return {"gt": order > 0, "gte": order >= 0, "lt": order < 0, "lte": order <= 0}[op]


def _value_matches(
    cond: ConditionValue | Mapping[str, Any],
    actual: Any,
    params: Mapping[str, Any],
    org_kind: Callable[[str], str | None] | None,
    owner_unit: str | None,
) -> bool:
    if isinstance(cond, Mapping):  # an operator mapping given as plain data rather than a loaded policy
        cond = Op.model_validate(cond)
    if isinstance(cond, list):
        return actual is not _MISSING and actual in [_resolve(v, params) for v in cond]
    if not isinstance(cond, Op):
        return actual is not _MISSING and actual == _resolve(cond, params)
    present = actual is not _MISSING and actual not in (None, "", [], {})
    for name in cond.model_fields_set:
        expected = getattr(cond, name)
        if name == "eq" and not (actual is not _MISSING and actual == _resolve(expected, params)):
            return False
        if name == "ne" and actual is not _MISSING and actual == _resolve(expected, params):
            return False
        if name == "in_" and not (actual is not _MISSING and actual in [_resolve(v, params) for v in expected]):
            return False
        if name == "not_in" and actual is not _MISSING and actual in [_resolve(v, params) for v in expected]:
            return False
        if name == "exists" and present != expected:
            return False
        if name in ("gt", "gte", "lt", "lte") and not _compare(actual, name, _resolve(expected, params)):
            return False
        if name in ("org_kind", "not_org_kind"):
            if org_kind is None:
                raise ValueError("this condition needs an organisation registry (org_kind lookup)")
            kind = org_kind(str(actual)) if present else None
            kinds = [_resolve(k, params) for k in expected]
            if (name == "org_kind") != (kind in kinds):
                return False
        if name == "is_" and not (present and owner_unit is not None and actual == owner_unit):
            return False
    return True


def conditions_match(
    when: Mapping[str, Any],
    data: Mapping[str, Any],
    *,
    fallback: Mapping[str, Any] | None = None,
    params: Mapping[str, Any] | None = None,
    org_kind: Callable[[str], str | None] | None = None,
    owner_unit: str | None = None,
) -> bool:
    """Whether every condition of `when` holds for an event's `data`.

    A field the event does not carry (or carries as null) is looked up in `fallback`: the complaint as received (the
    `data` of `complaint.received`, updated by `complaint.reclassified`), so a stage can start on
    `complaint.assigned` with conditions on the complaint's `kind`, `priority` or `authority`. `params` resolves
    `"${name}"` references (the policy's parameter defaults with the tenant's overrides); `org_kind` maps a unit id
    to its organisation kind
    (routing's registry or a replica of it); `owner_unit` is the stage's owner for `{is: owner}`.
    """
    values = dict(params or {})
    for path, cond in when.items():
        actual = _lookup(data, path)
        if (actual is _MISSING or actual is None) and fallback is not None:
            # An optional field an event carries as null was not given: the complaint's value stands (events
            # serialise every optional field, e.g. complaint.verified's own `kind` when left out).
            actual = _lookup(fallback, path)
        if not _value_matches(cond, actual, values, org_kind, owner_unit):
            return False
    return True


def _walk_values(cond: ConditionValue) -> Iterator[Any]:
    if isinstance(cond, list):
        yield from cond
    elif isinstance(cond, Op):
        for name in cond.model_fields_set:
            value = getattr(cond, name)
            yield from value if isinstance(value, list) else [value]
    else:
        yield cond


def _param_refs(value: Any) -> Iterator[str]:
    """Every `${name}` in a nested structure of mappings, lists and models."""
    if isinstance(value, BaseModel):
        for name in value.model_fields_set:
            yield from _param_refs(getattr(value, name))
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _param_refs(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _param_refs(item)
    elif isinstance(value, str):
        ref = _PARAM_REF_RE.match(value)
        if ref:
            yield ref.group(1)


def _kind_values(when: Mapping[str, ConditionValue]) -> Iterator[str]:
    cond = when.get("kind")
    if cond is not None:
        for value in _walk_values(cond):
            if isinstance(value, str) and not _PARAM_REF_RE.match(value):
                yield value


# --------------------------------------------------------------------------------------------------------------------
# Stages


class Duration(_Model):
    clock: ClockKind
    length: int = Field(gt=0)


class Trigger(_Model):
    """An event (of ARCHITECTURE §1) with optional conditions on its data."""

    event: str
    when: When = Field(default_factory=dict)
    at: str = Field(default="occurred_at", description="the field of the event's data that is the instant")

    @field_validator("when")
    @classmethod
    def _paths(cls, value: When) -> When:
        _check_when(value)
        return value


class StartTrigger(Trigger):
    restarts: bool = Field(
        default=False,
        description="opens a new round when the stage already ran for this complaint (2nd/3rd dispatch); "
        "otherwise a start for a stage already started is ignored",
    )


class ExtensionGrant(Trigger):
    """An event that moves the due time, and the field of its data that holds the new due."""

    until: str = "until"


ExtensionRequirement = Literal["approval", "explanation", "written_report", "progress_report", "customer_agreement"]


class Extension(_Model):
    allowed: bool = False
    requires: list[ExtensionRequirement] = Field(default_factory=list)
    granted_by: list[ExtensionGrant] = Field(default_factory=list)
    within_window: bool = Field(default=True, description="the request or report must happen before the due")
    cap: Duration | None = Field(default=None, description="the latest due, counted from the stage's start")
    rule: Rules = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.allowed and not self.granted_by:
            raise ValueError("an allowed extension needs granted_by (the event that moves the due)")
        if not self.allowed and (self.requires or self.granted_by or self.cap):
            raise ValueError("requires, granted_by and cap need allowed: true")
        return self


class EscalationStep(_Model):
    level: int = Field(ge=1)
    target: Target
    note: str | None = None


class Escalation(_Model):
    """ARCHITECTURE §6: a breach escalates to the owner unit's superior unless a target or record_only is named."""

    on_breach: Targets = Field(default_factory=lambda: ["superior"])
    on_warning: Targets = Field(default_factory=list)
    ladder: list[EscalationStep] = Field(default_factory=list)
    rule: Rules = Field(default_factory=list)

    @field_validator("on_breach")
    @classmethod
    def _record_only_alone(cls, value: list[str]) -> list[str]:
        if "record_only" in value and len(value) > 1:
            raise ValueError("record_only cannot be combined with other targets")
        return value


class Recurrence(_Model):
    """A clock that falls due again each period (daily_at) until a stop event: each checkpoint meets one period."""

    checkpoint: list[Trigger] = Field(min_length=1)


class LengthBy(_Model):
    """A length chosen by a field of the complaint or start event (e.g. fault severity); others use `length`."""

    field: str
    values: dict[str, int]

    @field_validator("values")
    @classmethod
    def _positive(cls, value: dict[str, int]) -> dict[str, int]:
        if not value or any(v <= 0 for v in value.values()):
            raise ValueError("length_by values must be positive lengths")
        return value


class Stage(_Model):
    """One clock of DOMAIN §4. `id` is the contract's stage id (CONTRACT §6 `stage`)."""

    id: str = Field(pattern=r"^[A-Z][A-Z0-9_]*$")
    name: str
    rule: Rules = Field(min_length=1)
    clock: ClockKind
    length: int | None = Field(default=None, ge=0)
    length_param: str | None = Field(default=None, description="a parameter holding the length (CONV-11, [GAP])")
    length_by: LengthBy | None = None
    daily_at: TimeOfDay | None = None
    start: Annotated[list[StartTrigger], BeforeValidator(_listify)] = Field(min_length=1)
    stop: Annotated[list[Trigger], BeforeValidator(_listify)] = Field(min_length=1)
    stop_mode: Literal["any", "all"] = Field(default="any", description="all: met when every stop has happened")
    recurring: Recurrence | None = None
    owner: Owner
    owner_role: str | None = Field(default=None, description="who that is in the regime's words")
    owner_follows_case: bool = Field(default=False, description="a forward while running moves the owner")
    warning: float | None = Field(default=0.75, gt=0, lt=1, description="fraction of the window (CONV-12)")
    extension: Extension = Field(default_factory=Extension)
    pause_allowed: bool = False
    escalation: Escalation = Field(default_factory=Escalation)
    due_override_field: str | None = Field(
        default=None, description="a field of the start event that, when present, is the due instead"
    )
    note: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _implied_length(cls, data: Any) -> Any:
        # same_day counts day 0 only; daily_at falls due once a day.
        implied = {ClockKind.SAME_DAY.value: 0, ClockKind.DAILY_AT.value: 1}
        if isinstance(data, dict) and data.get("clock") in implied and data.get("length") is None:
            return {**data, "length": implied[data["clock"]]}
        return data

    @model_validator(mode="after")
    def _clock_shape(self) -> Self:
        if (self.clock is ClockKind.DAILY_AT) != (self.daily_at is not None):
            raise ValueError("clock daily_at goes with daily_at (e.g. '17:00'), and daily_at only with it")
        if self.clock is ClockKind.SAME_DAY and self.length != 0:
            raise ValueError("a same_day clock has length 0 (the day of the start)")
        if self.clock is not ClockKind.SAME_DAY:
            if self.length is None and self.length_param is None:
                raise ValueError(f"clock {self.clock} needs length or length_param")
            if self.length == 0:
                raise ValueError(f"clock {self.clock} needs a positive length")
        if self.stop_mode == "all" and len(self.stop) < 2:
            raise ValueError("stop_mode all needs at least two stop events")
        return self

    def triggers(self) -> Iterator[Trigger]:
        yield from self.start
        yield from self.stop
        if self.recurring:
            yield from self.recurring.checkpoint
        yield from self.extension.granted_by


# --------------------------------------------------------------------------------------------------------------------
# Intake, classification, routing


class Category(_Model):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str


class ConditionRule(_Model):
    """Holds when `when` holds and (if given) one of `any`. `kinds` limits it to those kinds (empty: all)."""

    rule: Rules = Field(min_length=1)
    description: str
    kinds: list[str] = Field(default_factory=list)
    when: When = Field(default_factory=dict)
    any: list[When] = Field(default_factory=list)

    @model_validator(mode="after")
    def _paths(self) -> Self:
        for when in (self.when, *self.any):
            _check_when(when)
        return self

    def matches(
        self,
        data: Mapping[str, Any],
        *,
        params: Mapping[str, Any] | None = None,
        org_kind: Callable[[str], str | None] | None = None,
    ) -> bool:
        if self.kinds and data.get("kind") not in self.kinds:
            return True  # does not apply to this kind
        if not conditions_match(self.when, data, params=params, org_kind=org_kind):
            return False
        return not self.any or any(conditions_match(w, data, params=params, org_kind=org_kind) for w in self.any)


class ScopeExclusion(_Model):
    """A matter the regime does not handle as a complaint but sends elsewhere: recorded, `status: referred`."""

    rule: Rules = Field(min_length=1)
    when: When
    refer_to: Target
    reason: str


class Reconsideration(_Model):
    """The customer's filing window (checked by intake) and where it may be lodged. The decision is a stage."""

    window: Duration
    starts_on: str = "complaint.replied"
    lodged_with: list[str] = Field(min_length=1)
    postponed_on_holiday: bool = Field(default=False, description="CONV-05: a last day on a holiday is not moved")
    rule: Rules = Field(min_length=1)


class ClosureAtIntake(_Model):
    allowed: bool = False
    requires: list[str] = Field(default_factory=list, description="fields of resolved_at_intake that must be true")
    rule: Rules = Field(default_factory=list)


class Upgrade(_Model):
    field: Literal["kind", "priority", "category"]
    from_: list[str] = Field(alias="from", min_length=1)
    to: str


class Reclassification(_Model):
    upgrades: list[Upgrade] = Field(default_factory=list)
    irreversible: bool = Field(default=True, description="the reverse of an upgrade is refused (INT-36)")
    rule: Rules = Field(default_factory=list)


Standing = Literal["direct", "agent"]


def _all_standings() -> list[Standing]:
    return ["direct", "agent"]


class Intake(_Model):
    defaults: dict[str, Any] = Field(default_factory=dict, description="values for fields left out")
    channels: list[str] = Field(default_factory=list, description="accepted channels; empty: all of CONTRACT §4")
    required_fields: dict[str, list[str]] = Field(
        default_factory=dict, description="kind (or '*') → dotted fields of the submission that must be given"
    )
    standings: list[Standing] = Field(default_factory=_all_standings)
    agent_requires_authorisation: bool = True
    acceptance: list[ConditionRule] = Field(default_factory=list, description="all must hold, else 422")
    scope_exclusions: list[ScopeExclusion] = Field(default_factory=list)
    withdrawal: Literal["before_transfer", "until_closed", "never"] = "before_transfer"
    reconsideration: Reconsideration | None = None
    closure_at_intake: ClosureAtIntake = Field(default_factory=ClosureAtIntake)
    reclassification: Reclassification = Field(default_factory=Reclassification)
    confidential_kinds: list[str] = Field(default_factory=list, description="informant identity never revealed")
    rule: Rules = Field(default_factory=list)

    @field_validator("channels")
    @classmethod
    def _channels(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - CHANNELS)
        if unknown:
            raise ValueError(f"unknown channels {unknown}; known: {sorted(CHANNELS)}")
        return value


class SeverityRule(_Model):
    severity: str
    rule: Rules = Field(min_length=1)
    when: When = Field(default_factory=dict)


class Repeat(_Model):
    window_days: int | str = Field(description="days, or a ${parameter}")
    causes: list[str] = Field(default_factory=list)
    rule: Rules = Field(default_factory=list)


class LargeScale(_Model):
    count: int | str
    window_hours: int | str
    same: list[str] = Field(default_factory=lambda: ["respondent_unit", "category"])
    rule: Rules = Field(default_factory=list)


class Classification(_Model):
    priorities: list[str] = Field(default_factory=lambda: ["ordinary", "urgent", "difficult", "major"])
    major: list[ConditionRule] = Field(default_factory=list, description="any match: priority major")
    validity: list[ConditionRule] = Field(
        default_factory=list, description="all must hold for a 'valid' complaint; empty: every accepted one"
    )
    fault_severity: list[SeverityRule] = Field(default_factory=list, description="first match wins")
    repeat: Repeat | None = None
    large_scale: LargeScale | None = None


class UnitSelector(_Model):
    """A unit of the registry, found from `unit` (the complaint's receiving or respondent unit).

    With nothing else: that unit. `authority_level` / `kind`: its nearest ancestor, itself included, with that
    authority level / organisation kind (for `kind`, else the tenant's unit of that kind). `tenant_root`: the root
    unit of its tenant (a head office).
    """

    unit: Literal["receiving_unit", "respondent_unit"] = "receiving_unit"
    authority_level: str | None = None
    kind: str | None = None
    tenant_root: bool = False

    @model_validator(mode="after")
    def _one_way(self) -> Self:
        if sum((self.authority_level is not None, self.kind is not None, self.tenant_root)) > 1:
            raise ValueError("give at most one of authority_level, kind, tenant_root")
        return self


class AssignRule(_Model):
    when: When = Field(default_factory=dict)
    to: UnitSelector
    rule: Rules = Field(min_length=1)
    note: str | None = None


class ReferRule(_Model):
    when: When
    to: Target
    reason: str
    exclusive: bool = Field(default=True, description="true: referred instead of assigned; false: both")
    rule: Rules = Field(min_length=1)


class Hop(_Model):
    from_: str = Field(alias="from")
    to: str
    stages: list[str] = Field(default_factory=list)
    rule: Rules = Field(default_factory=list)


class Accountable(_Model):
    when: When = Field(default_factory=dict)
    role: str
    rule: Rules = Field(min_length=1)


class RedispatchRound(_Model):
    round: int = Field(ge=2)
    trigger: str
    supervised_by: Target | None = None
    rule: Rules = Field(default_factory=list)


class Redispatch(_Model):
    max_rounds: int | None = Field(default=None, description="null: until the customer is satisfied")
    rounds: list[RedispatchRound] = Field(default_factory=list)
    rule: Rules = Field(default_factory=list)


class Routing(_Model):
    assign: list[AssignRule] = Field(min_length=1, description="first match names the first owner")
    refer: list[ReferRule] = Field(default_factory=list)
    path: list[Hop] = Field(default_factory=list, description="the hops a case takes, for people and reports")
    accountable: list[Accountable] = Field(default_factory=list, description="first match: the responsible post")
    redispatch: Redispatch | None = None
    escalation_ladder: list[str] = Field(default_factory=list)
    action_requires: dict[str, list[str]] = Field(
        default_factory=dict, description="CONTRACT §5 action type → fields it must carry, else 422"
    )
    rule: Rules = Field(default_factory=list)

    @field_validator("action_requires")
    @classmethod
    def _actions(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        unknown = sorted(set(value) - ACTIONS)
        if unknown:
            raise ValueError(f"unknown action types {unknown}; known: {sorted(ACTIONS)}")
        return value


# --------------------------------------------------------------------------------------------------------------------
# Parameters, sanctions, reports, callbacks, calendar


class Parameter(_Model):
    default: Any
    description: str
    rule: Rules = Field(default_factory=list)
    unit: str | None = None


class SanctionRule(_Model):
    """Generic on purpose: sanctions interprets `trigger` and `params`."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    rule: Rules = Field(min_length=1)
    kind: str
    trigger: dict[str, Any] = Field(default_factory=dict)
    target: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    description: str | None = None
    status: Literal["active", "placeholder"] = "active"


Period = Literal["event", "shift", "weekly", "monthly", "quarterly", "semiannual", "annual", "once", "ad_hoc"]


def _due(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    return value


class Report(_Model):
    kind: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    name: str
    period: Period
    due: Annotated[str | None, BeforeValidator(_due)] = Field(
        default=None,
        description="period_end[+Nd|+Nwd|+Nh], period_start+Nd, event+Nh, an ISO date, or null (no due: [GAP])",
    )
    to: list[str] = Field(default_factory=list)
    contents: list[str] = Field(default_factory=list)
    rule: Rules = Field(min_length=1)
    template: str = Field(
        default="summary", pattern=r"^[a-z][a-z0-9-]*$", description="reporting's template that lays the report out"
    )
    issuer_kinds: list[str] = Field(
        default_factory=list,
        description="organisation kinds that owe the report; empty: the root organisation of each tenant",
    )
    trigger: Trigger | None = Field(
        default=None, description="period event: the fact that obliges the report (regulator.report_required)"
    )
    urgency: str | None = Field(default=None, description="how the regulator wants an event report, e.g. prompt")

    @field_validator("due")
    @classmethod
    def _due_grammar(cls, value: str | None) -> str | None:
        if value is not None and not _DUE_RE.match(value):
            raise ValueError(f"due {value!r}: use period_end, period_end+30d, period_start+24d, event+2h or a date")
        return value


class Callback(_Model):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    required_on: Trigger | None = Field(default=None, description="when routing emits callback.required")
    by: Owner
    coverage: float | None = Field(
        default=None, gt=0, le=1, description="share of closed complaints called back (CONV-09: ceil); null: no quota"
    )
    stage: str | None = Field(default=None, description="the stage that times it, if any")
    rule: Rules = Field(min_length=1)
    note: str | None = None


class Window(_Model):
    start: TimeOfDay
    end: TimeOfDay


class CalendarRules(_Model):
    business_hours: list[Window] = Field(
        default_factory=lambda: [
            Window(start=time(8, 30), end=time(12, 0)),
            Window(start=time(13, 30), end=time(17, 30)),
        ],
        description="for working_hours clocks (CONV-04); a tenant may override",
    )
    calendar_days_postponed_on_holiday: bool = Field(default=False, description="CONV-05 [GAP]: default not moved")


# --------------------------------------------------------------------------------------------------------------------
# The policy


class PolicyError(ValueError):
    """A policy file that cannot be loaded; the message names the file and every bad field."""


class Policy(_Model):
    id: Id
    version: Annotated[str, BeforeValidator(str)] = Field(min_length=1)
    name: str
    tier: Literal["core", "secondary"]
    sources: list[str] = Field(min_length=1)
    description: str | None = None
    kinds: list[str] = Field(min_length=1)
    categories: list[Category]
    intake: Intake = Field(default_factory=Intake)
    classification: Classification = Field(default_factory=Classification)
    stages: list[Stage] = Field(default_factory=list)
    routing: Routing
    parameters: dict[str, Parameter] = Field(default_factory=dict)
    sanctions: list[SanctionRule] = Field(default_factory=list)
    reports: list[Report] = Field(default_factory=list)
    callbacks: list[Callback] = Field(default_factory=list)
    calendar: CalendarRules = Field(default_factory=CalendarRules)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        errors: list[str] = []
        unknown_kinds = sorted(set(self.kinds) - KINDS)
        if unknown_kinds:
            errors.append(f"kinds: unknown {unknown_kinds}; known: {sorted(KINDS)}")
        ids = [c.id for c in self.categories]
        errors += [f"categories: {d!r} twice" for d in _duplicates(ids)]
        missing = [c for c in COMMON_CATEGORIES if c not in ids]
        if missing:
            errors.append(f"categories: the common ids {missing} are missing (CONTRACT §4)")
        errors += [f"stages: id {d!r} twice" for d in _duplicates(s.id for s in self.stages)]
        errors += [f"reports: kind {d!r} twice" for d in _duplicates(r.kind for r in self.reports)]
        errors += [f"sanctions: id {d!r} twice" for d in _duplicates(s.id for s in self.sanctions)]
        errors += [f"callbacks: id {d!r} twice" for d in _duplicates(c.id for c in self.callbacks)]
        stage_ids = {s.id for s in self.stages}
        for i, stage in enumerate(self.stages):
            for trigger in stage.triggers():
                if trigger.event not in EVENT_CATALOGUE:
                    errors.append(f"stages.{i} ({stage.id}): {trigger.event!r} is not an event type of ARCHITECTURE §1")
            if stage.length_param is not None and stage.length_param not in self.parameters:
                errors.append(f"stages.{i} ({stage.id}): length_param {stage.length_param!r} is not a parameter")
        for field in self.intake.required_fields:
            if field != "*" and field not in self.kinds:
                errors.append(f"intake.required_fields: {field!r} is not a kind of this regime")
        for kind in self.intake.confidential_kinds:
            if kind not in self.kinds:
                errors.append(f"intake.confidential_kinds: {kind!r} is not a kind of this regime")
        if self.intake.reconsideration and self.intake.reconsideration.starts_on not in EVENT_CATALOGUE:
            errors.append("intake.reconsideration.starts_on: not an event type of ARCHITECTURE §1")
        for where, when in self._conditions():
            for kind in _kind_values(when):
                if kind not in self.kinds:
                    errors.append(f"{where}: kind {kind!r} is not a kind of this regime")
        for name in sorted(set(_param_refs(self)) - set(self.parameters)):
            errors.append(f"${{{name}}} is used but not declared under parameters")
        for report in self.reports:
            if report.trigger is not None and report.trigger.event not in EVENT_CATALOGUE:
                errors.append(
                    f"reports.{report.kind}: {report.trigger.event!r} is not an event type of ARCHITECTURE §1"
                )
        for cb in self.callbacks:
            if cb.stage is not None and cb.stage not in stage_ids:
                errors.append(f"callbacks.{cb.id}: stage {cb.stage!r} is not a stage of this regime")
            if cb.required_on is not None and cb.required_on.event not in EVENT_CATALOGUE:
                errors.append(f"callbacks.{cb.id}: {cb.required_on.event!r} is not an event type")
        for hop in self.routing.path:
            for sid in hop.stages:
                if sid not in stage_ids:
                    errors.append(f"routing.path: stage {sid!r} is not a stage of this regime")
        if errors:
            raise ValueError("; ".join(errors))
        return self

    def _conditions(self) -> Iterator[tuple[str, Mapping[str, ConditionValue]]]:
        for stage in self.stages:
            for trigger in stage.triggers():
                yield f"stages.{stage.id}", trigger.when
        for rule in (*self.intake.acceptance, *self.classification.major, *self.classification.validity):
            yield "intake/classification", rule.when
            for when in rule.any:
                yield "intake/classification", when
        for exclusion in self.intake.scope_exclusions:
            yield "intake.scope_exclusions", exclusion.when
        for assign in self.routing.assign:
            yield "routing.assign", assign.when
        for refer in self.routing.refer:
            yield "routing.refer", refer.when

    # -- reading it --------------------------------------------------------------------------------------------------

    def stage(self, stage_id: str) -> Stage:
        for stage in self.stages:
            if stage.id == stage_id:
                return stage
        raise KeyError(f"{self.id} has no stage {stage_id}")

    def stages_started_by(self, event_type: str) -> list[Stage]:
        """Stages one of whose start triggers is this event type (their `when` still has to be checked)."""
        return [s for s in self.stages if any(t.event == event_type for t in s.start)]

    def parameter_values(self, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Parameter defaults, with a tenant's overrides applied (unknown names are refused)."""
        values = {name: p.default for name, p in self.parameters.items()}
        for name, value in (overrides or {}).items():
            if name not in values:
                raise KeyError(f"{self.id} has no parameter {name}")
            values[name] = value
        return values

    def stage_length(self, stage: Stage, overrides: Mapping[str, Any] | None = None) -> int:
        """The length a stage counts (its `length`, or its `length_param` with overrides); `length_by` aside."""
        if stage.length_param is not None:
            return int(self.parameter_values(overrides)[stage.length_param])
        assert stage.length is not None  # enforced by Stage._clock_shape
        return stage.length

    def describe(self) -> dict[str, Any]:
        """CONTRACT §2 `GET /v1/regimes/{id}`."""
        stages: list[dict[str, Any]] = []
        for stage in self.stages:
            entry: dict[str, Any] = {"id": stage.id, "clock": stage.clock.value, "length": self.stage_length(stage)}
            if stage.daily_at is not None:
                entry["daily_at"] = stage.daily_at.strftime("%H:%M")
            if stage.length_by is not None:
                entry["length_by"] = {"field": stage.length_by.field, "values": dict(stage.length_by.values)}
            stages.append(entry)
        return {
            "id": self.id,
            "version": self.version,
            "name": self.name,
            "kinds": list(self.kinds),
            "categories": [{"id": c.id, "name": c.name} for c in self.categories],
            "stages": stages,
            "reports": [{"kind": r.kind, "period": r.period, "due": r.due} for r in self.reports],
        }


def _duplicates(values: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    dupes: list[str] = []
    for value in values:
        if value in seen and value not in dupes:
            dupes.append(value)
        seen.add(value)
    return dupes


# --------------------------------------------------------------------------------------------------------------------
# Loading


def _read_yaml(path: Path) -> Any:
    import yaml  # imported here: only loading needs it

    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise PolicyError(f"{path}: not valid YAML: {exc}") from exc


def _validate(path: Path, raw: Any) -> Policy:
    if not isinstance(raw, dict):
        raise PolicyError(f"{path}: a policy file is a mapping at the top level")
    try:
        return Policy.model_validate(raw)
    except ValidationError as exc:
        lines = [f"{'.'.join(str(p) for p in err['loc']) or '<policy>'}: {err['msg']}" for err in exc.errors()]
        raise PolicyError(f"{path}: invalid policy:\n  " + "\n  ".join(lines)) from exc


def load_policy(path: str | Path) -> Policy:
    """One policy file, validated; its `id` must equal its file name (or `<id>@<version>` under history/)."""
    file = Path(path)
    policy = _validate(file, _read_yaml(file))
    stem = file.stem
    expected_id, _, expected_version = stem.partition("@")
    if policy.id != expected_id:
        raise PolicyError(f"{file}: id {policy.id!r} must equal the file name {expected_id!r}")
    if expected_version and policy.version != expected_version:
        raise PolicyError(f"{file}: version {policy.version!r} must equal the file name's {expected_version!r}")
    return policy


def load_policies(directory: str | Path) -> dict[str, Policy]:
    """Every `<regime>.yaml` of a directory (the versions in force), by regime id."""
    root = Path(directory)
    if not root.is_dir():
        raise PolicyError(f"{root}: no such policies directory")
    policies: dict[str, Policy] = {}
    for file in sorted([*root.glob("*.yaml"), *root.glob("*.yml")]):
        policy = load_policy(file)
        if policy.id in policies:
            raise PolicyError(f"{file}: regime {policy.id!r} defined twice")
        policies[policy.id] = policy
    return policies


def load_policy_history(directory: str | Path) -> dict[str, dict[str, Policy]]:
    """Regime id → version → policy: the files in force plus `history/<regime>@<version>.yaml`.

    A complaint keeps the version it was received under; a service that meets an older version looks it up here.
    """
    root = Path(directory)
    history: dict[str, dict[str, Policy]] = {}
    for policy in load_policies(root).values():
        history.setdefault(policy.id, {})[policy.version] = policy
    archive = root / "history"
    if archive.is_dir():
        for file in sorted(archive.glob("*.yaml")):
            policy = load_policy(file)
            versions = history.setdefault(policy.id, {})
            if policy.version in versions and versions[policy.version] != policy:
                raise PolicyError(f"{file}: version {policy.version} of {policy.id} differs from the one in force")
            versions.setdefault(policy.version, policy)
    return history


def find_policies_dir(start: str | Path | None = None) -> Path:
    """`TOUSU_POLICIES_DIR`, else the first `policies/` holding YAML files above the cwd (or `start`), else above
    this package (a source checkout)."""
    env = os.environ.get("TOUSU_POLICIES_DIR")
    if env:
        path = Path(env)
        if not path.is_dir():
            raise PolicyError(f"TOUSU_POLICIES_DIR={env}: no such directory")
        return path
    for base in (Path(start) if start else Path.cwd(), Path(__file__).resolve().parent):
        for folder in (base.resolve(), *base.resolve().parents):
            candidate = folder / "policies"
            if candidate.is_dir() and any(candidate.glob("*.yaml")):
                return candidate
    raise PolicyError("no policies/ directory found: set TOUSU_POLICIES_DIR")
