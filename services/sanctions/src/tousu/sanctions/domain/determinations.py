"""Responsibility determinations (SAN-30…33, SAN-42…46) and the employee's appeal (RCN-04), as pure checks."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tousu.contracts.policy import conditions_match
from tousu.kit.errors import FieldError
from tousu.sanctions.domain.rules import DeterminationConfig


@dataclass(frozen=True)
class Proposed:
    responsible: bool
    clause: str | None
    type: str | None
    persons: tuple[str, ...]
    disputed_fee_borne: Decimal | None
    severity: str | None
    tolerant_persons: tuple[str, ...]
    grounds: Mapping[str, Any] = field(default_factory=dict)
    """What the determination established (SAN-44: the complainant maintains it; SAN-45: the harm caused)."""


def check(config: DeterminationConfig, proposed: Proposed, regime: str) -> list[FieldError]:
    """What is wrong with a determination under the regime's vocabulary, each error with its rule id."""
    errors: list[FieldError] = []
    clause = config.clauses.get(proposed.clause or "") if config.clauses else None
    if config.clauses:
        if proposed.clause is None or clause is None:
            known = ", ".join(config.clauses)
            errors.append(FieldError("clause", f"one of the clauses of {regime}: {known}", "SAN-31"))
        elif clause.responsible != proposed.responsible:
            side = "a responsibility" if clause.responsible else "a non-responsibility"
            errors.append(FieldError("responsible", f"{proposed.clause} is {side} clause", "SAN-32"))
    if proposed.type is not None and config.types and proposed.type not in config.types:
        errors.append(FieldError("type", f"one of {', '.join(config.types)}", "SAN-43"))
    if proposed.responsible:
        if config.type_required and proposed.type is None:
            errors.append(FieldError("type", f"one of {', '.join(config.types)} is required", "SAN-43"))
        if config.persons_required and not proposed.persons:
            errors.append(FieldError("persons", "name the responsible persons (staff ids)", "SAN-30"))
        if proposed.persons:
            for scope in config.applies_to:
                inside = conditions_match(scope.when, proposed.grounds) and (
                    not scope.any or any(conditions_match(when, proposed.grounds) for when in scope.any)
                )
                if not inside:
                    errors.append(FieldError("grounds", f"the rules apply to {scope.description}", scope.rule))
        grounds = next((g for kind, g in config.grounds.items() if kind == proposed.type), None)
        if grounds is not None and not conditions_match(grounds.when, proposed.grounds):
            errors.append(FieldError("grounds", f"{proposed.type} needs {grounds.description}", grounds.rule))
    else:
        if proposed.type is not None:
            errors.append(FieldError("type", "a non-responsibility determination has no responsibility type", "SAN-32"))
        if proposed.persons:
            errors.append(FieldError("persons", "no staff are held accountable without responsibility", "SAN-32"))
    if proposed.disputed_fee_borne is not None and not (clause is not None and clause.fee_borne):
        errors.append(FieldError("disputed_fee_borne", "only under a clause where staff bear the fee", "SAN-31"))
    if proposed.severity is not None and proposed.severity not in config.severities:
        errors.append(FieldError("severity", f"one of {', '.join(config.severities)}", "SAN-33"))
    if proposed.tolerant_persons and proposed.responsible:
        errors.append(FieldError("tolerant_persons", "only staff blamed for reasons not their own", "SAN-38"))
    return errors


def fee_borne(config: DeterminationConfig, proposed: Proposed, disputed: Decimal | None) -> Decimal | None:
    """The fee the responsible staff member bears: as stated, else the complaint's disputed amount (SAN-31(4))."""
    clause = config.clauses.get(proposed.clause or "")
    if clause is None or not clause.fee_borne:
        return None
    return proposed.disputed_fee_borne if proposed.disputed_fee_borne is not None else disputed


def appeal_refusal(appeals_so_far: int, config: DeterminationConfig, final: bool, pending: bool) -> str | None:
    """Why an appeal cannot be accepted, or None (RCN-04: the next level's re-determination is final)."""
    if pending:
        return "an appeal of this determination is already pending"
    if final or appeals_so_far >= config.appeal_levels:
        return "the re-determination is final: no further appeal"
    return None
