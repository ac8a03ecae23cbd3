"""KPI arithmetic: exact fractions compared with thresholds exactly as written (CONV-10).

Ratios are fractions (0.75), shown ×100 when the metric's unit is percent. `≥ 5` includes 5.00 and `< 75 %`
excludes 75 %: the comparison is on exact fractions, never on floats, so 10 complaints per 20,000 users is
exactly 5 and 3 timely completions out of 4 exactly 75 %.
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from tousu.sanctions.domain.rules import Comparison, KpiTrigger

Figure = int | float | str


def plain(number: Decimal) -> str:
    """A decimal as written, never in exponent form (20000, not 2E+4)."""
    return format(number, "f")


def holds(value: Fraction, comparison: Comparison, threshold: Fraction) -> bool:
    return {
        "<": value < threshold,
        "<=": value <= threshold,
        ">": value > threshold,
        ">=": value >= threshold,
    }[comparison]


_NEGATION: dict[Comparison, Comparison] = {"<": ">=", "<=": ">", ">": "<=", ">=": "<"}


@dataclass(frozen=True)
class Outcome:
    """One evaluation of one KPI of one organisation for one period."""

    metric: str
    value: Fraction
    threshold: Fraction
    compliant_if: Comparison
    unit: str | None
    inputs: dict[str, Figure] = field(default_factory=dict)

    @property
    def compliant(self) -> bool:
        return holds(self.value, self.compliant_if, self.threshold)

    def shown(self, number: Fraction) -> float:
        """Percent to one decimal (28.6 %), other figures to four (4.9998 per 10,000 is not 5)."""
        if self.unit == "percent":
            return round(float(number * 100), 1)
        return round(float(number), 4)

    @property
    def verdict(self) -> str:
        op = self.compliant_if if self.compliant else _NEGATION[self.compliant_if]
        unit = "%" if self.unit == "percent" else f" {self.unit}" if self.unit else ""
        word = "compliant" if self.compliant else "not compliant"
        return f"{word}: {self.shown(self.value)}{unit} {op} {self.shown(self.threshold)}{unit}"


def threshold_of(trigger: KpiTrigger, coverage: Decimal | None) -> Fraction:
    value = trigger.threshold if trigger.threshold is not None else coverage
    assert value is not None  # RuleBook.check
    return Fraction(value)


def per_users(trigger: KpiTrigger, threshold: Fraction, complaints: int, users: Decimal) -> Outcome | None:
    """Complaints per `per` users (SAN-15: per 10,000 fee-paying users); no users, no evaluation."""
    if users <= 0:
        return None
    value = Fraction(complaints * trigger.per) / Fraction(users)
    inputs: dict[str, Figure] = {"complaints": complaints, str(trigger.users_input): plain(users), "per": trigger.per}
    return Outcome(trigger.metric, value, threshold, trigger.compliant_if, trigger.unit, inputs)


def count(trigger: KpiTrigger, threshold: Fraction, n: int, what: str) -> Outcome:
    return Outcome(trigger.metric, Fraction(n), threshold, trigger.compliant_if, trigger.unit, {what: n})


def timely(
    trigger: KpiTrigger, threshold: Fraction, handled: Iterable[tuple[datetime, datetime | None]]
) -> Outcome | None:
    """Completed within `within_hours` of receipt / all complaints of the period (SAN-14, SLA-55)."""
    assert trigger.within_hours is not None
    window = timedelta(hours=float(trigger.within_hours))
    pairs = list(handled)
    if not pairs:
        return None
    done = sum(1 for received, completed in pairs if completed is not None and completed - received <= window)
    inputs: dict[str, Figure] = {"complaints": len(pairs), "timely": done, "within_hours": plain(trigger.within_hours)}
    return Outcome(trigger.metric, Fraction(done, len(pairs)), threshold, trigger.compliant_if, trigger.unit, inputs)


def coverage(trigger: KpiTrigger, threshold: Fraction, closed: int, called_back: int) -> Outcome | None:
    """Callbacks made / complaints closed (CB-01); `required` is ceil(p × n) (CONV-09)."""
    if closed == 0:
        return None
    inputs: dict[str, Figure] = {
        "closed": closed,
        "called_back": called_back,
        "required": math.ceil(threshold * closed),
    }
    return Outcome(trigger.metric, Fraction(called_back, closed), threshold, trigger.compliant_if, trigger.unit, inputs)


def share(trigger: KpiTrigger, threshold: Fraction, part: int, whole: int, inputs: dict[str, Figure]) -> Outcome | None:
    """`part` of `whole` (satisfied callbacks of those made, complaints closed without a breach); none of a whole:
    no evaluation."""
    if whole == 0:
        return None
    return Outcome(trigger.metric, Fraction(part, whole), threshold, trigger.compliant_if, trigger.unit, inputs)


def ratio_of_inputs(
    trigger: KpiTrigger, threshold: Fraction, numerator: Decimal, denominator: Decimal
) -> Outcome | None:
    if denominator <= 0:
        return None
    names = trigger.inputs
    inputs: dict[str, Figure] = {names[0]: plain(numerator), names[1]: plain(denominator)}
    value = Fraction(numerator) / Fraction(denominator)
    return Outcome(trigger.metric, value, threshold, trigger.compliant_if, trigger.unit, inputs)


def consecutive_failures(history: Iterable[bool]) -> int:
    """How many evaluations in a row, newest first, were not compliant."""
    n = 0
    for compliant in history:
        if compliant:
            break
        n += 1
    return n


def nominees(
    scores: dict[str, list[Fraction]], ineligible: set[str], top: int, quota: Decimal, headcount: int
) -> tuple[list[str], int]:
    """The top `top` by average quarterly score, never more than floor(quota × headcount) (SAN-68),
    leaving out the award-ineligible; ties broken by staff id so the choice is reproducible."""
    cap = min(top, math.floor(Fraction(quota) * headcount))
    ranked = sorted(
        ((sum(q, Fraction(0)) / len(q), person) for person, q in scores.items() if person not in ineligible and q),
        key=lambda item: (-item[0], item[1]),
    )
    return [person for _, person in ranked[:cap]], cap
