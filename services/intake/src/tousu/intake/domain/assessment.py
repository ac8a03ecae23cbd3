"""Acceptance and classification of a submission under its regime's policy (DOMAIN §2, INT-*).

Pure: the regime is data (policies/<regime>.yaml), never a branch on its name. Every refusal names the field and
the rule it breaks; the messages never repeat a submitted value (it may be personal data).
"""

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tousu.contracts.events.intake import Classification
from tousu.contracts.policy import Policy, conditions_match
from tousu.contracts.vocab import Channel, FaultSeverity, Priority, Scope, Standing, Validity
from tousu.intake.domain.submission import Submission
from tousu.kit.errors import FieldError

OrgKind = Callable[[str], str | None]

RECEIVED = "received"
REFERRED = "referred"
CLOSED_AT_INTAKE = "closed_at_intake"

CONTRACT = "CONTRACT §4"

# DOMAIN §2's sections, by rule number: which of a regime's intake rules a kind of check cites.
CHANNEL_RULES = range(1, 20)  # §2.1 channels and contact points
DEFINITION_RULES = range(20, 30)  # §2.2 definitions, acceptance conditions, scope
CAPTURE_RULES = range(50, 60)  # §2.4 what must be captured at intake
_INT = re.compile(r"^INT-(\d+)")

# Submissions that are telephone calls: what a regime's `call_recording_required` parameter holds to a recording.
CALLS = frozenset({Channel.PHONE, Channel.HOTLINE})
RECORDING = "call_recording_required"


def cite(rules: Iterable[str], section: range) -> str | None:
    """The regime's intake rules that belong to one DOMAIN section, else all of them, as one citation."""
    rules = list(rules)
    inside = [r for r in rules if (m := _INT.match(r)) and int(m.group(1)) in section]
    return ", ".join(inside or rules) or None


def resolve(value: Any, params: Mapping[str, Any]) -> Any:
    """A policy value that may be a `${parameter}` reference."""
    if isinstance(value, str) and value.startswith("${") and value.endswith("}"):
        return params[value[2:-1]]
    return value


def lookup(data: Mapping[str, Any], path: str) -> Any:
    current: Any = data
    for part in path.split("."):
        if not isinstance(current, Mapping):
            return None
        current = current.get(part)
    return current


def given(value: Any) -> bool:
    return value not in (None, "", [], {})


def apply_defaults(raw: dict[str, Any], defaults: Mapping[str, Any]) -> dict[str, Any]:
    """The policy's values for fields a raw submission left out (dotted paths), on a copy."""
    out: dict[str, Any] = {k: (dict(v) if isinstance(v, dict) else v) for k, v in raw.items()}
    for path, value in defaults.items():
        *parents, last = path.split(".")
        node: Any = out
        for part in parents:
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            if not isinstance(child, dict):
                break
            node = child
        else:
            if node.get(last) is None:
                node[last] = value
    return out


def _paths(whens: Iterable[Mapping[str, Any]]) -> list[str]:
    return [path for when in whens for path in when]


def _field_of(paths: list[str]) -> str:
    """The field a failed condition is about: the common dotted prefix of its paths."""
    if not paths:
        return "body"
    common = paths[0].split(".")
    for path in paths[1:]:
        parts = path.split(".")
        n = 0
        while n < min(len(common), len(parts)) and common[n] == parts[n]:
            n += 1
        common = common[:n]
    return ".".join(common) or paths[0]


def _overlaps(a: str, b: str) -> bool:
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


@dataclass
class Assessment:
    """What intake decided about one submission."""

    errors: list[FieldError] = field(default_factory=list)
    status: str = RECEIVED
    priority: Priority = Priority.ORDINARY
    classification: Classification = field(default_factory=Classification)
    confidential: bool = False
    fault_severity: FaultSeverity | None = None

    @property
    def accepted(self) -> bool:
        return not self.errors

    def refuse(self, error: FieldError) -> None:
        """Record a refusal unless one about the same field (or a part of it) is already there."""
        if not any(_overlaps(e.field, error.field) for e in self.errors):
            self.errors.append(error)

    def summary(self) -> str:
        return "; ".join(f"{e.field}: {e.message}" for e in self.errors)


def confidential(policy: Policy | None, sub: Submission) -> bool:
    """CONF-01/02: an informant, or a kind the regime keeps confidential (the tobacco `report`). Such a complainant's
    identity is shown to nobody, and not even its keyed hash leaves intake, so nobody can link an informant's
    reports."""
    return sub.complainant.confidential or (policy is not None and sub.kind in policy.intake.confidential_kinds)


def assess(policy: Policy, sub: Submission, org_kind: OrgKind | None = None) -> Assessment:
    """Acceptance conditions, scope exclusions, closure at intake and classification (INT-2x/3x, LC-04)."""
    out = Assessment()
    params = policy.parameter_values()
    data = sub.data()
    intake = policy.intake
    definitions = cite(intake.rule, DEFINITION_RULES)

    exclusion = next(
        (x for x in intake.scope_exclusions if conditions_match(x.when, data, params=params, org_kind=org_kind)),
        None,
    )
    if exclusion is None:
        # A matter the regime sends elsewhere is recorded, not judged by the complaint's acceptance conditions.
        for rule in intake.acceptance:
            if not rule.matches(data, params=params, org_kind=org_kind):
                message = f"{rule.description} ({', '.join(rule.rule)})"
                out.refuse(FieldError(_field_of(_paths([rule.when, *rule.any])), message, rule.rule[0]))

    _vocabulary(policy, sub, out, definitions)
    for path in [*intake.required_fields.get(sub.kind, []), *intake.required_fields.get("*", [])]:
        if not given(lookup(data, path)):
            out.refuse(FieldError(path, f"required under {policy.id}", cite(intake.rule, CAPTURE_RULES)))
    complainant = sub.complainant
    if complainant.standing is not None and complainant.standing not in intake.standings:
        out.refuse(FieldError("complainant.standing", f"{policy.id} accepts {', '.join(intake.standings)}", "INT-21"))
    if (
        complainant.standing == Standing.AGENT
        and intake.agent_requires_authorisation
        and not given(complainant.authorisation_ref)
    ):
        out.refuse(
            FieldError(
                "complainant.authorisation_ref", "an authorised agent (委托人) must name the authorisation", "INT-21"
            )
        )
    _recording(policy, sub, out, params)
    limit = params.get("seat_cause_levels")
    if isinstance(limit, int) and len(sub.cause_levels) > limit:
        out.refuse(FieldError("cause_levels", f"intake sets at most {limit} cause levels", "INT-37"))
    _closure(policy, sub, out)
    if not out.accepted:
        return out

    reasons: list[str] = []
    scope = Scope.IN_SCOPE
    referral: str | None = None
    if exclusion is not None:
        out.status, scope, referral = REFERRED, Scope.REFERRED, exclusion.refer_to
        reasons += exclusion.rule
    validity = Validity.VALID
    for rule in policy.classification.validity:
        if not rule.matches(data, params=params, org_kind=org_kind):
            validity = Validity.COMMUNICATIVE
            reasons += rule.rule
    major_rules = [r for r in policy.classification.major if r.matches(data, params=params, org_kind=org_kind)]
    major = sub.priority == Priority.MAJOR or bool(major_rules)
    for rule in major_rules:
        reasons += rule.rule
    if sub.fault is not None:
        out.fault_severity = sub.fault.severity
        if out.fault_severity is None:
            for severity in policy.classification.fault_severity:
                if conditions_match(severity.when, data, params=params, org_kind=org_kind):
                    out.fault_severity = FaultSeverity(severity.severity)
                    reasons += severity.rule
                    break
    out.priority = Priority.MAJOR if major else (sub.priority or Priority.ORDINARY)
    out.confidential = confidential(policy, sub)
    out.classification = Classification(
        validity=validity,
        scope=scope,
        referral_target=referral,
        major=major,
        large_scale=False,
        fault_severity=out.fault_severity,
        reasons=list(dict.fromkeys(reasons)),
    )
    return out


def _vocabulary(policy: Policy, sub: Submission, out: Assessment, definitions: str | None) -> None:
    intake = policy.intake
    if intake.channels and sub.channel not in intake.channels:
        rule = cite(intake.rule, CHANNEL_RULES)
        out.refuse(FieldError("channel", f"{policy.id} accepts the channels {', '.join(intake.channels)}", rule))
    if sub.kind not in policy.kinds:
        out.refuse(FieldError("kind", f"{policy.id} knows the kinds {', '.join(policy.kinds)}", definitions))
    categories = [c.id for c in policy.categories]
    if sub.category not in categories:
        out.refuse(FieldError("category", f"unknown category; {policy.id} knows {', '.join(categories)}", CONTRACT))
    priorities = policy.classification.priorities
    if sub.priority is not None and sub.priority not in priorities:
        out.refuse(FieldError("priority", f"{policy.id} knows the priorities {', '.join(priorities)}", CONTRACT))


def _recording(policy: Policy, sub: Submission, out: Assessment, params: Mapping[str, Any]) -> None:
    """A call under a regime that records every complaint call must name its recording (CONF-09)."""
    if params.get(RECORDING) is not True or sub.channel not in CALLS or given(sub.recording_ref):
        return
    rule = policy.parameters[RECORDING].rule
    message = f"{policy.id} records every complaint call: name the recording"
    out.refuse(FieldError("recording_ref", message, rule[0] if rule else None))


def _closure(policy: Policy, sub: Submission, out: Assessment) -> None:
    resolved = sub.resolved_at_intake
    if resolved is None:
        return
    closure = policy.intake.closure_at_intake
    if not closure.allowed:
        out.refuse(FieldError("resolved_at_intake", f"{policy.id} does not close complaints at intake", "LC-04"))
        return
    if resolved.at < sub.received_at:
        out.refuse(
            FieldError("resolved_at_intake.at", "is before received_at", closure.rule[0] if closure.rule else None)
        )
        return
    values = resolved.model_dump()
    if all(values.get(name) is True for name in closure.requires):
        out.status = CLOSED_AT_INTAKE
