"""Performance points of call-centre staff (DOMAIN §5.7): what one entry is worth, and a quarter's score."""

from dataclasses import dataclass
from fractions import Fraction

from tousu.kit.errors import FieldError
from tousu.sanctions.domain.rules import POINT_KINDS, PointsParams, PointsTrigger, Rule


@dataclass(frozen=True)
class EntryInput:
    """What `POST /v1/points` says happened (beyond who and when)."""

    rank: int | None = None
    serious: bool = False
    verified: bool = False
    minutes: int | None = None
    via_seat_system: bool = False
    credited_by_appraisal: bool = False


@dataclass(frozen=True)
class Entry:
    points: int
    score_set_to: int | None
    award_ineligible: bool
    serious_kind: str | None
    """A serious case's extra sanction (dismissal), when the entry says serious."""

    @property
    def adjusts(self) -> bool:
        return self.points != 0 or self.score_set_to is not None

    @property
    def kind(self) -> str:
        if self.score_set_to is not None:
            return "score_set"
        return "bonus" if self.points > 0 else "deduction"


def entry(rule: Rule, given: EntryInput) -> tuple[Entry | None, list[FieldError]]:
    """The points of one entry under `rule`, or the reasons it is not an entry of that rule."""
    assert isinstance(rule.trigger, PointsTrigger)
    trigger = rule.trigger
    params = rule.params if isinstance(rule.params, PointsParams) else PointsParams()
    errors: list[FieldError] = []
    rule_id = rule.rules[0]
    if trigger.verified and not given.verified:
        errors.append(FieldError("verified", "this deduction needs a verified finding", rule_id))
    if (
        trigger.over_minutes is not None
        and not given.via_seat_system
        and (given.minutes is None or given.minutes <= trigger.over_minutes)
    ):
        limit = trigger.over_minutes
        errors.append(FieldError("minutes", f"a private call off the seat system counts when over {limit}", rule_id))
    if params.not_if_credited_by_appraisal and given.credited_by_appraisal:
        errors.append(FieldError("credited_by_appraisal", "credited by the appraisal: not added twice", rule_id))
    points = params.points
    if params.points_by_rank:
        if given.rank is None or not 1 <= given.rank <= len(params.points_by_rank):
            errors.append(FieldError("rank", f"a rank from 1 to {len(params.points_by_rank)} is required", rule_id))
        else:
            points = params.points_by_rank[given.rank - 1]
    if errors:
        return None, errors
    return (
        Entry(
            points=points,
            score_set_to=params.score_set_to,
            award_ineligible=params.award_ineligible is not None,
            serious_kind=params.serious if given.serious else None,
        ),
        [],
    )


def is_sanction_kind(rule: Rule) -> bool:
    """A points rule whose kind is a sanction of its own (dismissal, off-post training) rather than points."""
    return rule.kind not in POINT_KINDS


def quarter_score(base: Fraction, adjustments: list[int], set_to: list[int]) -> Fraction:
    """The base adjusted by every bonus and deduction; a score set outright (以0分计) wins."""
    if set_to:
        return Fraction(min(set_to))
    return base + sum(adjustments)
