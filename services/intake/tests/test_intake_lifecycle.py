"""Withdrawal (LC-10), the reconsideration window (RCN-02, AS-06), reclassification (INT-36), repeat causes (INT-30,
SAN-36), large-scale groups and masking (CONF-*): pure rules."""

from datetime import datetime
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag

from tousu.contracts.policy import load_policies
from tousu.contracts.vocab import RepeatCause
from tousu.intake.adapters.crypto import PersonalDataVault
from tousu.intake.domain.detection import ParentFacts, crosses, group_key, repeat_cause
from tousu.intake.domain.lifecycle import reclassification_refusal, window_closes_at, withdrawal_refusal
from tousu.intake.domain.masking import HIDDEN, mask, masked
from tousu.intake.domain.reference import format_reference

POLICIES = load_policies(Path(__file__).resolve().parents[3] / "policies")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_lc10_withdrawal_before_the_transfer_is_allowed_and_after_it_refused() -> None:
    transferred = at("2026-05-06T10:00:00+08:00")
    assert withdrawal_refusal("before_transfer", at("2026-05-06T09:59:59+08:00"), transferred, None) is None
    refusal = withdrawal_refusal("before_transfer", at("2026-05-06T10:00:00+08:00"), transferred, None)
    assert refusal is not None
    assert (refusal.code, refusal.rule) == ("transferred", "LC-10")
    assert withdrawal_refusal("before_transfer", at("2026-05-07T10:00:00+08:00"), None, None) is None


def test_lc10_a_regime_that_never_allows_withdrawal_and_a_closed_complaint() -> None:
    never = withdrawal_refusal("never", at("2026-05-06T09:00:00+08:00"), None, None)
    assert never is not None
    assert never.code == "not_allowed"
    closed = withdrawal_refusal("until_closed", at("2026-05-08T09:00:00+08:00"), None, at("2026-05-07T09:00:00+08:00"))
    assert closed is not None
    assert closed.code == "closed"


def test_rcn02_as06_credit_union_window_is_15_calendar_days_from_the_notification() -> None:
    policy = POLICIES["credit-union-province"]
    closes = window_closes_at(policy, at("2026-06-02T16:00:00+08:00"))
    assert closes is not None
    assert closes.isoformat() == "2026-06-17T23:59:59+08:00"
    assert window_closes_at(POLICIES["futures-company"], at("2026-06-02T16:00:00+08:00")) is None


def test_int36_as22d_insurer_complaint_cannot_go_back_to_a_consultation() -> None:
    policy = POLICIES["insurer-95511"]
    assert reclassification_refusal(policy, "kind", "consultation", "complaint") is None
    assert reclassification_refusal(policy, "kind", "defused", "complaint") is None
    back = reclassification_refusal(policy, "kind", "complaint", "consultation")
    assert back is not None
    assert (back.code, back.rule) == ("irreversible", "INT-36")
    assert reclassification_refusal(policy, "priority", "ordinary", "major") is None
    down = reclassification_refusal(policy, "priority", "major", "ordinary")
    assert down is not None
    assert down.code == "irreversible"


def test_int36_a_kind_change_that_is_no_upgrade_is_refused_and_a_category_correction_allowed() -> None:
    policy = POLICIES["credit-union-province"]
    refused = reclassification_refusal(policy, "kind", "complaint", "suggestion")
    assert refused is not None
    assert refused.code == "irreversible"
    assert reclassification_refusal(POLICIES["tobacco-bureau"], "kind", "report", "suggestion") is not None
    assert reclassification_refusal(policy, "category", "service_attitude", "fees") is None


NOW = at("2026-05-12T10:00:00+08:00")


@pytest.mark.parametrize(
    ("facts", "cause"),
    [
        (ParentFacts(None, None, 2, False), RepeatCause.UNREACHABLE),
        (ParentFacts(None, at("2026-05-11T14:00:00+08:00"), 0, False), RepeatCause.NO_TIMELY_REPLY),
        (ParentFacts(at("2026-05-09T10:00:00+08:00"), None, 0, False), RepeatCause.DISSATISFIED),
        (ParentFacts(None, None, 0, True), RepeatCause.DISSATISFIED),
        (
            ParentFacts(at("2026-05-10T10:00:00+08:00"), at("2026-05-11T00:00:00+08:00"), 0, False),
            RepeatCause.DISSATISFIED,
        ),
        (ParentFacts(None, None, 0, False), RepeatCause.OTHER),
        (ParentFacts(None, at("2026-05-13T00:00:00+08:00"), 0, False), RepeatCause.OTHER),
    ],
)
def test_int30_san36_repeat_cause_from_the_first_complaints_journey(facts: ParentFacts, cause: RepeatCause) -> None:
    assert repeat_cause(facts, NOW) is cause


def test_as24_large_scale_groups_and_threshold_inclusive() -> None:
    key = group_key(["respondent_unit", "category", "product"], {"respondent_unit": "bank-x", "category": "product"})
    assert key == "respondent_unit=bank-x|category=product|product="
    assert crosses(100, 100, already_alerted=False)
    assert not crosses(99, 100, already_alerted=False)
    assert not crosses(120, 100, already_alerted=True)


def test_conf04_masking_and_confidential_informants() -> None:
    assert mask("13912345678") == "139****5678"
    assert mask("张三") == "张*"
    assert mask("王小明") == "王*明"
    shown = masked({"name": "王小明", "phone": "13912345678"}, confidential=False)
    assert shown == {"name": "王*明", "phone": "139****5678"}
    assert masked({"name": "王小明", "phone": "13912345678"}, confidential=True) == {"name": HIDDEN, "phone": HIDDEN}


def test_conf04_sealing_is_authenticated_and_rotation_keeps_old_records_readable() -> None:
    old = PersonalDataVault({"k1": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="}, "hash-key-0123456789")
    blob, kid = old.seal({"name": "王小明"}, aad="complaint-1")
    assert "王小明".encode() not in blob
    rotated = PersonalDataVault(
        {"k2": "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=", "k1": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="},
        "hash-key-0123456789",
    )
    assert rotated.open(blob, kid, aad="complaint-1") == {"name": "王小明"}
    assert rotated.seal({"x": 1}, aad="c")[1] == "k2"
    with pytest.raises(InvalidTag):
        rotated.open(blob, kid, aad="complaint-2")  # bound to its record
    assert old.complainant_ref(None, " 139 ") == old.complainant_ref("", "139")
    assert old.complainant_ref(None, None) is None


def test_reference_is_per_tenant_and_year() -> None:
    assert format_reference("bank-b", 2026, 7) == "BANK-B-2026-000007"
