"""Conduct findings (DOMAIN §1.3): whether a finding is one the regime's conduct rule scores."""

from tousu.kit.errors import FieldError
from tousu.sanctions.domain.rules import ConductTrigger


def check(trigger: ConductTrigger, breach: str, verified: bool, persons: tuple[str, ...]) -> list[FieldError]:
    """What is wrong with a finding under `trigger`, each error with the conduct rule's id."""
    errors: list[FieldError] = []
    if breach not in trigger.breaches:
        errors.append(FieldError("breach", f"one of {', '.join(trigger.breaches)}", trigger.conduct))
    if trigger.verified and not verified:
        errors.append(FieldError("verified", "this finding counts once an investigation verified it", trigger.conduct))
    if trigger.scored_as == "points" and not persons:
        errors.append(FieldError("persons", "points are scored to named staff (staff ids)", trigger.conduct))
    return errors
