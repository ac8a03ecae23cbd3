"""Pure rules of sanctions: periods, KPI arithmetic at its boundaries (CONV-10), recurrence counting, nominations,
determination checks. No I/O."""

from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest

from tousu.contracts.types import SHANGHAI
from tousu.sanctions.domain import determinations, kpis, ladder
from tousu.sanctions.domain.orgs import OrgRecord, Orgs, TargetSpec
from tousu.sanctions.domain.periods import parse_period, period_of
from tousu.sanctions.domain.rules import Clause, DeterminationConfig, KpiTrigger, Recurrence


def t(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def test_periods_in_business_time() -> None:
    # 2026-07-01T00:30+08:00 is still June 30 in UTC, but July here (CONV-01).
    assert period_of("monthly", t("2026-07-01T00:30")).label == "2026-07"
    q3 = period_of("quarterly", t("2026-08-20T03:10"))
    assert (q3.label, q3.start, q3.end) == ("2026-Q3", t("2026-07-01T00:00"), t("2026-10-01T00:00"))
    assert q3.previous().label == "2026-Q2"
    assert q3.next().next().label == "2027-Q1"
    assert parse_period("2026-H2").start == t("2026-07-01T00:00")
    assert parse_period("2026").end == t("2027-01-01T00:00")
    assert parse_period("2026-12").next().label == "2027-01"
    for bad in ("2026-13", "26-01", "2026-Q5", "2026-06-01"):
        with pytest.raises(ValueError, match=r"period|month"):
            parse_period(bad)


def kpi(**fields: object) -> KpiTrigger:
    base: dict[str, object] = {"metric": "m", "measure": "complaint_count", "period": "monthly", "compliant_if": "<"}
    return KpiTrigger.model_validate({**base, **fields})


def test_san15_conv10_five_per_ten_thousand_is_not_compliant() -> None:
    rule = kpi(
        measure="complaints_per_users", users_input="fee_paying_users", per=10000, threshold=5, unit="per_10000_users"
    )
    at_five = kpis.per_users(rule, Fraction(5), 10, Decimal(20000))
    assert at_five is not None
    assert at_five.value == 5
    assert at_five.compliant is False
    assert at_five.verdict == "not compliant: 5.0 per_10000_users >= 5.0 per_10000_users"
    just_below = kpis.per_users(rule, Fraction(5), 10, Decimal(20001))
    assert just_below is not None
    assert just_below.compliant is True
    assert just_below.shown(just_below.value) == 4.9998
    # Floats would get these wrong: 3 per 6,000 users is exactly 5 per 10,000.
    exact = kpis.per_users(rule, Fraction(5), 3, Decimal(6000))
    assert exact is not None
    assert exact.compliant is False
    assert kpis.per_users(rule, Fraction(5), 3, Decimal(0)) is None


def test_san16_conv10_seventy_five_percent_is_compliant() -> None:
    rule = kpi(measure="timely_ratio", within_hours=24, threshold="0.75", compliant_if=">=", unit="percent")
    received = t("2026-05-31T22:00")
    on_time, late = received + timedelta(hours=24), received + timedelta(hours=24, seconds=1)
    three_of_four = kpis.timely(rule, Fraction(3, 4), [(received, on_time)] * 3 + [(received, late)])
    assert three_of_four is not None
    assert three_of_four.compliant is True
    assert (three_of_four.shown(three_of_four.value), three_of_four.shown(three_of_four.threshold)) == (75.0, 75.0)
    not_done = kpis.timely(rule, Fraction(3, 4), [(received, on_time)] * 2 + [(received, None)] * 1)
    assert not_done is not None
    assert not_done.compliant is False  # 66.7 %
    assert kpis.timely(rule, Fraction(3, 4), []) is None


def test_cb01_conv09_callback_quota_is_ceil_of_thirty_percent() -> None:
    rule = kpi(measure="callback_ratio", callback="superior-sample", compliant_if=">=", unit="percent")
    two = kpis.coverage(rule, Fraction(3, 10), 7, 2)
    assert two is not None
    assert (two.shown(two.value), two.compliant, two.inputs["required"]) == (28.6, False, 3)
    three = kpis.coverage(rule, Fraction(3, 10), 7, 3)
    assert three is not None
    assert three.compliant is True
    assert kpis.coverage(rule, Fraction(3, 10), 0, 0) is None


def test_san12_san15_consecutive_failures_count_newest_first() -> None:
    assert kpis.consecutive_failures([False, False, False, True, False]) == 3
    assert kpis.consecutive_failures([True, False]) == 0
    assert kpis.consecutive_failures([False]) == 1


def test_san68_nominees_top_within_quota_without_the_ineligible() -> None:
    scores = {"a": [Fraction(10)], "b": [Fraction(6)], "c": [Fraction(5)], "d": [Fraction(5)], "e": [Fraction(9)]}
    chosen, cap = kpis.nominees(scores, {"e"}, top=3, quota=Decimal("0.15"), headcount=40)
    assert (chosen, cap) == (["a", "b", "c"], 3)
    chosen, cap = kpis.nominees(scores, set(), top=10, quota=Decimal("0.15"), headcount=40)
    assert (len(chosen), cap) == (5, 6)  # at most 6 of 40; five candidates
    assert kpis.nominees(scores, set(), top=3, quota=Decimal("0.15"), headcount=6) == ([], 0)


def test_san01_san02_recurrence_restarted_by_rectification_and_escalated_after_the_step_was_held() -> None:
    rec = Recurrence(same=["respondent_unit", "category"], at_least=2, at_least_unrectified=1)
    facts = [(t("2026-05-11T10:00"), "c1"), (t("2026-05-20T10:00"), "c2"), (t("2026-06-02T09:00"), "c3")]
    at_second = ladder.recurrence(rec, facts[:2], t("2026-05-20T10:00"), rectified_at=None)
    assert (at_second.fires, at_second.count, at_second.complaint_ids) == (True, 2, ["c1", "c2"])
    after_measure = ladder.recurrence(rec, facts[:2], t("2026-05-20T10:00"), rectified_at=t("2026-05-12T10:00"))
    assert after_measure.fires is False
    held = t("2026-05-28T15:00")
    unrectified = ladder.recurrence(rec, facts, t("2026-06-02T09:00"), rectified_at=None, held_at=held)
    assert (unrectified.fires, unrectified.complaint_ids, unrectified.threshold) == (True, ["c3"], 1)
    rectified = ladder.recurrence(rec, facts, t("2026-06-02T09:00"), rectified_at=t("2026-05-30T09:00"), held_at=held)
    assert (rectified.fires, rectified.threshold) == (False, 2)
    window = Recurrence(same=["respondent_unit"], at_least=2, within_days=7)
    assert ladder.recurrence(window, facts[:2], t("2026-05-20T10:00"), None).fires is False
    chain = Recurrence(same=["parent_complaint_id"], at_least=2, counts_parent=True)
    assert ladder.recurrence(chain, facts[:1], t("2026-05-20T10:00"), None).count == 2


def test_targets_resolve_along_the_tree() -> None:
    orgs = Orgs(
        {
            "assoc": OrgRecord(None, "association", "assoc"),
            "bank": OrgRecord("assoc", "member", "bank"),
            "heping": OrgRecord("bank", "outlet", "bank"),
        }
    )
    values = {"respondent_unit": "heping"}
    assert TargetSpec.parse("respondent_unit").resolve(values, orgs) == "heping"
    assert TargetSpec.parse("parent of respondent_unit").resolve(values, orgs) == "bank"
    assert TargetSpec.parse("member of respondent_unit").resolve(values, orgs) == "bank"
    assert TargetSpec.parse("association of respondent_unit").resolve(values, orgs) == "assoc"
    assert TargetSpec.parse("regulator of respondent_unit").resolve(values, orgs) is None
    assert TargetSpec.parse("owner_unit").resolve(values, orgs) is None
    with pytest.raises(ValueError, match="write <field>"):
        TargetSpec.parse("the member of the outlet")


CU = DeterminationConfig(
    clauses={
        "第十九条(四)": Clause(responsible=True, fee_borne=True, description="fee"),
        "第二十条(二)": Clause(responsible=False, description="outage"),
    }
)


def proposed(**fields: object) -> determinations.Proposed:
    base: dict[str, object] = {
        "responsible": True,
        "clause": "第十九条(四)",
        "type": None,
        "persons": ("li",),
        "disputed_fee_borne": None,
        "severity": None,
        "tolerant_persons": (),
    }
    return determinations.Proposed(**{**base, **fields})  # type: ignore[arg-type]


def test_san31_san32_rcn04_determination_checks() -> None:
    assert determinations.check(CU, proposed(), "cu") == []
    assert determinations.fee_borne(CU, proposed(), Decimal("50.00")) == Decimal("50.00")
    assert determinations.fee_borne(CU, proposed(disputed_fee_borne=Decimal(20)), Decimal(50)) == Decimal(20)
    outage = proposed(responsible=False, clause="第二十条(二)", persons=())
    assert determinations.check(CU, outage, "cu") == []
    assert determinations.fee_borne(CU, outage, Decimal(50)) is None
    wrong_side = determinations.check(CU, proposed(clause="第二十条(二)"), "cu")
    assert [(e.field, e.rule) for e in wrong_side] == [("responsible", "SAN-32")]
    tolerant_but_responsible = determinations.check(CU, proposed(tolerant_persons=("zhao",)), "cu")
    assert [e.rule for e in tolerant_but_responsible] == ["SAN-38"]
    assert determinations.appeal_refusal(0, CU, final=False, pending=False) is None
    assert determinations.appeal_refusal(1, CU, final=True, pending=False) is not None
    assert determinations.appeal_refusal(0, CU, final=False, pending=True) is not None
