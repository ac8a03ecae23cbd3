"""Display forms of personal data: masked on every read; an informant's identity hidden altogether."""

from typing import Any

from tousu.intake.domain.submission import PERSONAL_FIELDS

HIDDEN = "***"


def mask(value: str) -> str:
    """The first and the last character or few survive, the rest is starred."""
    if len(value) <= 2:
        return value[0] + "*"
    keep = 1 if len(value) < 7 else 3
    tail = 1 if len(value) < 7 else 4
    return value[:keep] + "*" * (len(value) - keep - tail) + value[-tail:]


def masked(personal: dict[str, Any], confidential: bool) -> dict[str, str]:
    """CONF-01/02: a confidential informant's identity shows nothing at all."""
    return {k: HIDDEN if confidential else mask(str(v)) for k, v in personal.items() if k in PERSONAL_FIELDS and v}
