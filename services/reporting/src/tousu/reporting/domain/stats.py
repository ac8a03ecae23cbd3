"""The figures of every report over complaint views (pure); `GET /v1/stats` computes the same in SQL
(service_layer.queries). Definitions (services/reporting/README.md):

* volume: complaints received in the period (every kind; rejected submissions are not complaints);
* timely rate: of complaints whose timeliness is decided (a clock breached and not withdrawn: untimely; closed
  without such a breach: timely), the timely share; per stage: met / (met + breached) of that stage's clocks;
* handling time: received → closed, hours, of closed complaints (closed at intake included; withdrawn and
  referred ones are not handled), average and nearest-rank percentiles 50 and 90;
* satisfaction rate: satisfied / complaints whose satisfaction is known (last callback, or the closure's answer);
* repeat rate: repeats / volume; escalations: complaint.escalated events; responsibility rate: responsible /
  complaints with a responsibility determination (the latest one counts).

Rates are None when nothing is counted, else rounded to four decimals.
"""

import math
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from tousu.reporting.domain.complaint import ComplaintView


def rate(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def percentile(values: list[float], p: int) -> float | None:
    """Nearest rank: the smallest value with at least p % of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def figures(views: Iterable[ComplaintView]) -> dict[str, Any]:
    items = list(views)
    decided = [v.timely for v in items if v.timely is not None]
    hours = [h for v in items if (h := v.handling_hours) is not None]
    known = [v.satisfied for v in items if v.satisfied is not None]
    determined = [v.responsible for v in items if v.responsible is not None]
    stages: dict[str, dict[str, int]] = defaultdict(lambda: {"met": 0, "breached": 0, "running": 0, "stopped": 0})
    for v in items:
        for c in v.clocks:
            state = c.state
            stages[c.stage]["running" if c.open else state] += 1
    escalations = sum(len(v.escalations) for v in items)
    return {
        "volume": len(items),
        "by_kind": _count(v.kind for v in items),
        "open": sum(1 for v in items if v.status == "open"),
        "closed": sum(1 for v in items if v.closed),
        "withdrawn": sum(1 for v in items if v.status == "withdrawn"),
        "referred": sum(1 for v in items if v.status == "referred"),
        "breached": sum(1 for v in items if v.breached),
        "timely": sum(1 for t in decided if t),
        "timeliness_decided": len(decided),
        "timely_rate": rate(sum(1 for t in decided if t), len(decided)),
        "stages": {
            stage: {**counts, "timely_rate": rate(counts["met"], counts["met"] + counts["breached"])}
            for stage, counts in sorted(stages.items())
        },
        "handling_hours": {
            "count": len(hours),
            "average": round(sum(hours) / len(hours), 2) if hours else None,
            "p50": percentile(hours, 50),
            "p90": percentile(hours, 90),
        },
        "satisfied": sum(1 for s in known if s),
        "satisfaction_known": len(known),
        "satisfaction_rate": rate(sum(1 for s in known if s), len(known)),
        "repeats": sum(1 for v in items if v.repeat),
        "repeat_rate": rate(sum(1 for v in items if v.repeat), len(items)),
        "escalations": escalations,
        "escalated_complaints": sum(1 for v in items if v.escalations),
        "responsible": sum(1 for r in determined if r),
        "determined": len(determined),
        "responsibility_rate": rate(sum(1 for r in determined if r), len(determined)),
    }


def _count(values: Iterable[str | None]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for value in values:
        counts[value or "unknown"] += 1
    return dict(sorted(counts.items()))
