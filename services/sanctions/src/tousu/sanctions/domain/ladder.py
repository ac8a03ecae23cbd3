"""Recurrence counting for accountability ladders (SAN-01…03, SAN-10): how many facts of the same problem count.

A recorded rectification restarts the count (the trigger needs "no rectification measures"). A ladder step after
the first (SAN-02) counts only what happened after the previous step was held: a single recurrence when nothing
was rectified since ("no immediate rectification after the interview"), `at_least` when a measure was recorded but
the problem came back repeatedly ("no effective measures").
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from tousu.sanctions.domain.rules import Recurrence


@dataclass(frozen=True)
class Counted:
    fires: bool
    complaint_ids: list[str]
    count: int
    threshold: int


def recurrence(
    rec: Recurrence,
    facts: Sequence[tuple[datetime, str]],
    now: datetime,
    rectified_at: datetime | None,
    held_at: datetime | None = None,
) -> Counted:
    """`facts` are (instant, complaint id) of the same problem, this one included; `held_at` is when the previous
    ladder step was held, for a step that escalates one."""
    since = rectified_at
    threshold = rec.at_least
    if held_at is not None:
        rectified_after_held = rectified_at is not None and rectified_at > held_at
        since = rectified_at if rectified_after_held else held_at
        if not rectified_after_held and rec.at_least_unrectified is not None:
            threshold = rec.at_least_unrectified
    earliest = now - timedelta(days=rec.within_days) if rec.within_days else None
    kept = sorted(
        (at, cid)
        for at, cid in facts
        if at <= now and (since is None or at > since) and (earliest is None or at >= earliest)
    )
    ids = [cid for _, cid in kept]
    n = len(ids) + (1 if rec.counts_parent else 0)
    return Counted(fires=n >= threshold, complaint_ids=ids, count=n, threshold=threshold)
