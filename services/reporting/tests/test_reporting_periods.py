"""Report periods and due times from the policies (RPT-04, RPT-14, RPT-16, RPT-18, CONV-07, AS-24)."""

from datetime import datetime

import pytest

from tousu.contracts.policy import find_policies_dir, load_policies
from tousu.contracts.types import SHANGHAI
from tousu.reporting.domain.periods import (
    PeriodError,
    announced_at,
    due_at,
    following,
    overdue_at,
    parse_period,
    period_of,
    previous,
)

POLICIES = load_policies(find_policies_dir())


def policy_due(regime: str, kind: str) -> str | None:
    return next(r.due for r in POLICIES[regime].reports if r.kind == kind)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.mark.parametrize(
    ("regime", "kind", "period", "due"),
    [
        ("cbrc-2012-banking", "regulator-semiannual", "2026-H1", "2026-07-30T23:59:59+08:00"),
        # 2027-01-30 is a Saturday: no postponement rule in the seed (AS-24)
        ("cbrc-2012-banking", "regulator-semiannual", "2026-H2", "2027-01-30T23:59:59+08:00"),
        ("credit-union-province", "mechanism-annual", "2026", "2026-12-31T23:59:59+08:00"),
        ("property-management", "monthly-statistics", "2026-03", "2026-03-25T23:59:59+08:00"),
        ("futures-company", "monthly-compliance", "2026-07", "2026-08-10T23:59:59+08:00"),
    ],
)
def test_rpt04_as24_due_times_of_the_report_calendar(regime: str, kind: str, period: str, due: str) -> None:
    assert due_at(policy_due(regime, kind), parse_period(period)) == at(due)


def test_rpt01_liaoning_bulletin_has_no_due_and_falls_due_when_the_half_year_ends() -> None:
    h1 = parse_period("2026-H1")
    assert due_at(policy_due("liaoning-banking-association", "association-bulletin"), h1) is None
    assert announced_at(h1, None) == at("2026-07-01T00:00:00+08:00")


def test_rpt18_property_table_due_inside_its_month_is_announced_on_its_due_day() -> None:
    march = parse_period("2026-03")
    due = due_at("period_start+24d", march)
    assert announced_at(march, due) == at("2026-03-25T00:00:00+08:00")
    assert overdue_at(due) == at("2026-03-26T00:00:00+08:00")  # type: ignore[arg-type]


def test_rpt07_event_due_counts_hours_from_the_fact_and_working_days_skip_rest_days() -> None:
    fact = at("2026-11-03T10:00:00+08:00")
    assert due_at("event+24h", None, event_at=fact) == at("2026-11-04T10:00:00+08:00")
    # Friday 2026-04-03 + 2 WD: 04-04..04-06 are Qingming rest days → Wednesday 04-08 (CONV-02)
    assert due_at("event+2wd", None, event_at=at("2026-04-03T15:00:00+08:00")) == at("2026-04-08T23:59:59+08:00")


@pytest.mark.parametrize(
    ("name", "start", "end"),
    [
        ("2026", "2026-01-01", "2027-01-01"),
        ("2026-H2", "2026-07-01", "2027-01-01"),
        ("2026-Q4", "2026-10-01", "2027-01-01"),
        ("2026-02", "2026-02-01", "2026-03-01"),
        ("2026-W01", "2025-12-29", "2026-01-05"),
    ],
)
def test_periods_cover_their_days_in_shanghai(name: str, start: str, end: str) -> None:
    p = parse_period(name)
    assert p.start == datetime.fromisoformat(start).replace(tzinfo=SHANGHAI)
    assert p.end == datetime.fromisoformat(end).replace(tzinfo=SHANGHAI)


@pytest.mark.parametrize("bad", ["2026-13", "2026-H3", "26-01", "2026-W60", "H1-2026"])
def test_a_bad_period_is_refused(bad: str) -> None:
    with pytest.raises(PeriodError):
        parse_period(bad)


@pytest.mark.parametrize("kind", ["weekly", "monthly", "quarterly", "semiannual", "annual"])
def test_periods_follow_one_another_without_gaps(kind: str) -> None:
    p = period_of(kind, at("2026-12-31T23:00:00+08:00"))
    assert following(kind, p).start == p.end
    assert previous(kind, following(kind, p)) == p
