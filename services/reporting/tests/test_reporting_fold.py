"""The complaint read model is a fold that ignores delivery order and duplicates (ARCHITECTURE §3), and the
statistics of CONTRACT §8 over it."""

import itertools
import random
from datetime import datetime
from typing import Any

from tousu.reporting.domain.complaint import ComplaintView, Fact, fold
from tousu.reporting.domain.stats import figures, percentile


def fact(n: int, type_: str, at: str, **data: Any) -> Fact:
    return Fact(id=f"00000000-0000-0000-0000-{n:012d}", type=type_, occurred_at=datetime.fromisoformat(at), data=data)


C = "c-1"
BASE = {"complaint_id": C, "regime": "tobacco-bureau", "reference": "R-1"}
RECEIVED = fact(
    1,
    "complaint.received",
    "2026-09-30T10:30:00+08:00",
    **BASE,
    received_at="2026-09-30T10:30:00+08:00",
    receiving_unit="tb-centre",
    respondent_unit="tb-county",
    channel="hotline",
    kind="complaint",
    category="supply_allocation",
    priority="ordinary",
    classification={"major": False},
)
STAGE = {**BASE, "stage": "UNIT_HANDLE", "owner_unit": "tb-county", "clock": "working_days"}
HISTORY = [
    RECEIVED,
    fact(2, "complaint.assigned", "2026-09-30T10:31:00+08:00", **BASE, unit="tb-county"),
    fact(
        3,
        "sla.clock_started",
        "2026-09-30T10:31:00+08:00",
        **STAGE,
        due_at="2026-10-09T23:59:59+08:00",
        started_at="2026-09-30T10:31:00+08:00",
    ),
    fact(
        4,
        "sla.breached",
        "2026-10-10T00:00:00+08:00",
        **STAGE,
        due_at="2026-10-09T23:59:59+08:00",
        breached_at="2026-10-10T00:00:00+08:00",
    ),
    fact(
        5,
        "complaint.escalated",
        "2026-10-10T00:00:01+08:00",
        **BASE,
        owner_unit="tb-county",
        level=1,
        target_unit="tb-city",
        reason="sla_breached",
        stage="UNIT_HANDLE",
    ),
    fact(6, "complaint.replied", "2026-10-10T09:00:00+08:00", **BASE, by="tb-county"),
    fact(7, "callback.recorded", "2026-10-10T15:00:00+08:00", **BASE, by_unit="tb-centre", satisfied=False),
    fact(8, "complaint.closed", "2026-10-10T16:30:00+08:00", **BASE, archive_class="normal"),
]


def test_int_lc_fold_is_the_same_whatever_the_order_and_duplicates() -> None:
    expected = fold(C, HISTORY).to_json()
    rng = random.Random(7)
    for _ in range(30):
        shuffled = HISTORY + rng.sample(HISTORY, 3)
        rng.shuffle(shuffled)
        assert fold(C, shuffled).to_json() == expected


def test_fold_gives_the_complaints_state_clocks_and_figures() -> None:
    v = fold(C, HISTORY)
    assert (v.status, v.owner_unit, v.satisfied, v.archive_class) == ("closed", "tb-county", False, "normal")
    assert [(c.stage, c.state, c.breached_at) for c in v.clocks] == [
        ("UNIT_HANDLE", "breached", "2026-10-10T00:00:00+08:00")
    ]
    assert (v.breached, v.timely) == (True, False)
    assert v.handling_hours == 246.0
    assert v.units == ["tb-centre", "tb-county"]
    assert ComplaintView.from_json(v.to_json()) == v


def test_sla_breach_withdrawn_makes_the_stage_met_even_when_it_arrives_first() -> None:
    withdrawn = fact(
        9,
        "sla.breach_withdrawn",
        "2026-10-10T00:00:05+08:00",
        **STAGE,
        due_at="2026-10-09T23:59:59+08:00",
        breached_at="2026-10-10T00:00:00+08:00",
        stopped_at="2026-10-09T20:00:00+08:00",
    )
    for order in itertools.permutations([HISTORY[3], withdrawn]):
        v = fold(C, [*HISTORY[:3], *order])
        assert v.clocks[0].state == "met"
        assert not v.breached


def test_events_before_the_complaint_itself_keep_it_unknown_until_it_arrives() -> None:
    early = fold(C, HISTORY[1:3])
    assert (early.status, early.received_at) == ("unknown", None)
    assert fold(C, HISTORY[:3]).status == "open"


def test_closed_at_intake_alone_is_a_complaint_closed_satisfied() -> None:
    v = fold(
        "c-2",
        [
            fact(
                1,
                "complaint.closed_at_intake",
                "2026-07-01T10:05:00+08:00",
                complaint_id="c-2",
                regime="futures-company",
                closed_at="2026-07-01T10:05:00+08:00",
                received_at="2026-07-01T10:00:00+08:00",
                channel="phone",
                kind="consultation",
                category="fees",
                respondent_unit="fut-hq",
                receiving_unit="fut-hq",
            )
        ],
    )
    assert (v.status, v.closed_at_intake, v.satisfied, v.timely) == ("closed", True, True, True)
    assert v.handling_hours == round(5 / 60, 4)


def test_stats_figures_and_grouping() -> None:
    a = fold(C, HISTORY)
    b = fold(
        C + "b",
        [
            RECEIVED.__class__(
                RECEIVED.id,
                RECEIVED.type,
                RECEIVED.occurred_at,
                {**RECEIVED.data, "complaint_id": "c-1b", "channel": "web"},
            )
        ],
    )
    f = figures([a, b])
    assert (f["volume"], f["open"], f["closed"], f["breached"]) == (2, 1, 1, 1)
    assert (f["timely_rate"], f["satisfaction_rate"], f["escalations"], f["repeat_rate"]) == (0.0, 0.0, 1, 0.0)
    assert f["stages"]["UNIT_HANDLE"] == {"met": 0, "breached": 1, "running": 0, "stopped": 0, "timely_rate": 0.0}
    assert percentile([5.0, 1.0, 3.0, 2.0, 4.0], 50) == 3.0
    assert percentile([5.0, 1.0, 3.0, 2.0, 4.0], 90) == 5.0


def test_a_fact_missing_what_its_type_promises_is_left_out() -> None:
    broken = fact(20, "complaint.forwarded", "2026-10-01T09:00:00+08:00", **BASE)  # no to_unit
    v = fold(C, [*HISTORY, broken])
    assert (v.status, v.owner_unit, v.satisfied) == ("closed", "tb-county", False)
