"""Acceptance and classification under the real regime policies (DOMAIN §2), pure: no I/O."""

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from tousu.contracts.policy import Policy, load_policies
from tousu.contracts.vocab import FaultSeverity, Priority, Scope, Validity
from tousu.intake.domain.assessment import (
    CLOSED_AT_INTAKE,
    RECEIVED,
    REFERRED,
    Assessment,
    apply_defaults,
    assess,
)
from tousu.intake.domain.submission import Submission

POLICIES = load_policies(Path(__file__).resolve().parents[3] / "policies")


def submission(regime: str, **overrides: Any) -> Submission:
    body: dict[str, Any] = {
        "regime": regime,
        "received_at": "2026-04-30T11:00:00+08:00",
        "receiving_unit": "unit-a",
        "receiver_staff": "emp-17",
        "channel": "walk_in",
        "kind": "complaint",
        "complainant": {"name": "王五", "phone": "13800000000", "standing": "direct"},
        "respondent": {"unit": "unit-a", "staff": ["emp-22"]},
        "category": "service_attitude",
        "facts": "The teller was rude.",
    }
    for key, value in overrides.items():
        if value is None:
            body.pop(key, None)
        else:
            body[key] = value
    policy = POLICIES[regime]
    return Submission.model_validate(apply_defaults(body, policy.intake.defaults))


def judged(regime: str, **overrides: Any) -> Assessment:
    return assess(POLICIES[regime], submission(regime, **overrides))


def rules_of(verdict: Assessment) -> dict[str, str | None]:
    return {e.field: e.rule for e in verdict.errors}


# -- credit union: acceptance conditions and scope (AS-10) ------------------------------------------------------------


def test_int21_as10a_anonymous_rude_staff_without_outlet_person_or_facts_is_refused_with_conditions_4_and_5() -> None:
    verdict = judged("credit-union-province", respondent={"staff": []}, facts=None, complainant={})
    assert not verdict.accepted
    messages = " ".join(e.message for e in verdict.errors)
    assert rules_of(verdict) == {"respondent": "INT-21", "facts": "INT-21"}
    assert "004-B 第五条(四)" in messages
    assert "004-B 第五条(五)" in messages


def test_int21_as10b_agent_without_authorisation_is_refused_and_with_it_accepted_as_agent() -> None:
    refused = judged("credit-union-province", complainant={"name": "邻居", "standing": "agent"})
    assert rules_of(refused) == {"complainant": "INT-21"}
    assert "004-B 第五条(三)" in refused.errors[0].message
    accepted = judged(
        "credit-union-province", complainant={"name": "邻居", "standing": "agent", "authorisation_ref": "auth-9"}
    )
    assert accepted.accepted
    assert accepted.status == RECEIVED


def test_int21_as10c_fee_objection_is_accepted() -> None:
    verdict = judged("credit-union-province", category="fees", disputed_amount={"amount": "2.00", "currency": "CNY"})
    assert verdict.accepted
    assert verdict.classification.validity is Validity.VALID


def test_int22_as10d_staff_violation_is_recorded_and_referred_not_handled_as_a_complaint() -> None:
    verdict = judged("credit-union-province", category="staff_violation", facts="The teller embezzled deposits.")
    assert verdict.accepted
    assert verdict.status == REFERRED
    assert verdict.classification.scope is Scope.REFERRED
    assert verdict.classification.referral_target == "role:supervision-security"
    assert "INT-22" in verdict.classification.reasons


def test_int23_futures_staff_violation_stays_in_scope() -> None:
    verdict = judged("futures-company", category="staff_violation", channel="phone")
    assert verdict.accepted
    assert verdict.status == RECEIVED
    assert verdict.classification.scope is Scope.IN_SCOPE


def test_int05_as10e_government_referral_channel_is_accepted() -> None:
    assert judged("credit-union-province", channel="government_referral").accepted


def test_int21_a_consultation_is_not_held_to_the_complaint_conditions() -> None:
    verdict = judged("credit-union-province", kind="consultation", respondent={"staff": []}, facts=None)
    assert verdict.accepted


# -- required capture, channels, kinds, categories --------------------------------------------------------------------


def test_int50_liaoning_complaint_without_staff_or_customer_phone_is_refused_citing_int50() -> None:
    verdict = judged("liaoning-banking-association", respondent={"unit": "unit-a", "staff": []}, complainant={})
    assert not verdict.accepted
    fields = rules_of(verdict)
    assert set(fields) == {"respondent.staff", "complainant.name", "complainant.phone"}
    assert set(fields.values()) == {"INT-50"}


def test_int06_futures_refuses_a_channel_it_does_not_publish() -> None:
    verdict = judged("futures-company", channel="sms")
    assert rules_of(verdict) == {"channel": "INT-06"}


def test_int26_tobacco_kinds_and_an_unknown_category_lists_the_regimes_categories() -> None:
    assert judged("tobacco-bureau", kind="report", channel="phone").accepted
    verdict = judged("tobacco-bureau", kind="fault_report", category="no_such_category")
    assert set(rules_of(verdict)) == {"kind", "category"}
    category = next(e for e in verdict.errors if e.field == "category")
    assert "monopoly_enforcement" in category.message
    assert category.rule == "CONTRACT §4"


def test_contract4_mobile_accepts_its_own_categories() -> None:
    assert judged("mobile-operator-si", category="si_application", channel="phone").accepted
    assert not judged("credit-union-province", category="si_application").accepted


# -- classification ---------------------------------------------------------------------------------------------------


def test_int42_property_valid_vs_communicative() -> None:
    communicative = judged("property-management", flags={})
    assert communicative.classification.validity is Validity.COMMUNICATIVE
    valid = judged("property-management", flags={"harmed_interests": True})
    assert valid.classification.validity is Validity.VALID


def test_int25_liaoning_a_consultation_is_not_a_valid_complaint() -> None:
    assert judged("liaoning-banking-association", kind="consultation").classification.validity is (
        Validity.COMMUNICATIVE
    )
    assert judged("liaoning-banking-association").classification.validity is Validity.VALID


def test_int44_auto_dealer_media_exposure_or_a_large_loss_is_major() -> None:
    ordinary = judged("auto-dealer-service")
    assert ordinary.priority is Priority.ORDINARY
    assert not ordinary.classification.major
    media = judged("auto-dealer-service", flags={"media_exposure": True})
    assert media.priority is Priority.MAJOR
    assert media.classification.major
    assert "INT-44" in media.classification.reasons
    loss = judged("auto-dealer-service", disputed_amount={"amount": "5000.00", "currency": "CNY"})
    assert loss.priority is Priority.MAJOR


def test_int31_mobile_major_by_definition_and_urgent_or_difficult_as_given() -> None:
    assert judged("mobile-operator-si", channel="phone", flags={"escalation_tendency": True}).priority is Priority.MAJOR
    assert judged("mobile-operator-si", channel="phone", priority="urgent").priority is Priority.URGENT
    assert judged("mobile-operator-si", channel="phone", priority="difficult").priority is Priority.DIFFICULT


def test_int41_brokerage_knows_only_ordinary_and_major() -> None:
    verdict = judged("brokerage-branch-hq", priority="urgent")
    assert rules_of(verdict) == {"priority": "CONTRACT §4"}


@pytest.mark.parametrize(
    ("fault", "severity"),
    [
        ({"service_stopped": True}, FaultSeverity.SEVERE),
        ({"blocks_normal_use": True}, FaultSeverity.IMPORTANT),
        ({}, FaultSeverity.GENERAL),
        ({"service_stopped": True, "severity": "general"}, FaultSeverity.GENERAL),
    ],
)
def test_int33_mobile_fault_severity_from_the_facts_unless_given(
    fault: dict[str, Any], severity: FaultSeverity
) -> None:
    verdict = judged("mobile-operator-si", kind="fault_report", category="system_fault", channel="phone", fault=fault)
    assert verdict.accepted
    assert verdict.fault_severity is severity
    assert verdict.classification.fault_severity is severity


def test_int33_mobile_fault_report_needs_the_fault() -> None:
    verdict = judged("mobile-operator-si", kind="fault_report", category="system_fault", channel="phone")
    assert "fault" in rules_of(verdict)


def test_conf02_tobacco_report_informant_is_confidential() -> None:
    verdict = judged("tobacco-bureau", kind="report", channel="phone", category="monopoly_enforcement")
    assert verdict.confidential
    assert not judged("tobacco-bureau", channel="phone").confidential
    assert judged("futures-company", channel="phone", complainant={"name": "x", "confidential": True}).confidential


def test_conf_09_fund_sales_refuses_a_complaint_call_without_its_recording_naming_field_and_rule() -> None:
    """CONF-09 (`call_recording_required`): every complaint call is recorded; letters and regimes without the
    parameter need no recording."""
    for channel in ("phone", "hotline"):
        for kind in ("complaint", "consultation"):
            verdict = judged("fund-sales", channel=channel, kind=kind)
            assert not verdict.accepted
            assert rules_of(verdict) == {"recording_ref": "CONF-09"}
            assert "recording" in verdict.errors[0].message
            assert judged("fund-sales", channel=channel, kind=kind, recording_ref="rec-2026-0001").accepted
    assert judged("fund-sales", channel="letter").accepted
    assert judged("futures-company", channel="phone").accepted


def test_int36_as22a_insurer_defused_case_is_accepted_as_such() -> None:
    verdict = judged("insurer-95511", kind="defused", channel="hotline", category="claims")
    assert verdict.accepted
    assert verdict.status == RECEIVED


def test_int37_the_seat_sets_at_most_three_cause_levels() -> None:
    three = judged("insurer-95511", channel="hotline", category="claims", cause_levels=["claims", "delay", "survey"])
    assert three.accepted
    four = judged("insurer-95511", channel="hotline", category="claims", cause_levels=["a", "b", "c", "d"])
    assert rules_of(four) == {"cause_levels": "INT-37"}


# -- closure at intake (LC-04) ----------------------------------------------------------------------------------------

RESOLVED = {"at": "2026-04-30T11:20:00+08:00", "resolution": "explained the margin call", "customer_satisfied": True}


def test_lc04_int48_as12a_futures_satisfied_customer_is_closed_at_intake() -> None:
    verdict = judged("futures-company", channel="phone", resolved_at_intake=RESOLVED)
    assert verdict.status == CLOSED_AT_INTAKE


def test_lc04_an_unsatisfied_customer_gets_a_case() -> None:
    verdict = judged("futures-company", channel="phone", resolved_at_intake={**RESOLVED, "customer_satisfied": False})
    assert verdict.status == RECEIVED


def test_lc04_a_regime_without_closure_at_intake_refuses_it() -> None:
    verdict = judged("credit-union-province", resolved_at_intake=RESOLVED)
    assert rules_of(verdict) == {"resolved_at_intake": "LC-04"}


def test_lc04_resolution_before_receipt_is_refused() -> None:
    verdict = judged(
        "futures-company", channel="phone", resolved_at_intake={**RESOLVED, "at": "2026-04-30T10:00:00+08:00"}
    )
    assert "resolved_at_intake.at" in rules_of(verdict)


# -- the schema -------------------------------------------------------------------------------------------------------


def test_contract4_unknown_vocabulary_fails_the_schema_without_echoing_values() -> None:
    with pytest.raises(ValidationError) as caught:
        submission("futures-company", channel="carrier_pigeon", complainant={"name": "王五", "nickname": "小王"})
    errors = caught.value.errors(include_input=False)
    assert {".".join(map(str, e["loc"])) for e in errors} == {"channel", "complainant.nickname"}
    assert all("王五" not in e["msg"] and "小王" not in e["msg"] for e in errors)


def test_contract4_nul_characters_and_lone_surrogates_are_refused_before_storage() -> None:
    for bad in ("a\x00b", "\ud800"):
        with pytest.raises(ValidationError) as caught:
            submission("futures-company", facts=bad)
        assert "facts" in str(caught.value.errors(include_input=False)[0]["msg"])


def test_contract4_respondent_may_be_left_out() -> None:
    sub = submission("mobile-operator-si", channel="phone", respondent=None)
    assert sub.respondent.unit is None
    assert judged("mobile-operator-si", channel="phone", respondent=None).accepted


def _json() -> st.SearchStrategy[Any]:
    scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30)
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
        max_leaves=20,
    )


FIELDS = [
    "regime",
    "received_at",
    "receiving_unit",
    "channel",
    "kind",
    "complainant",
    "respondent",
    "category",
    "facts",
    "priority",
    "flags",
    "fault",
    "resolved_at_intake",
    "disputed_amount",
    "authority",
]


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    regime=st.sampled_from(sorted(POLICIES)),
    replaced=st.dictionaries(st.sampled_from(FIELDS), _json(), max_size=4),
)
def test_contract4_any_json_either_validates_and_is_judged_or_fails_with_field_errors(
    regime: str, replaced: dict[str, Any]
) -> None:
    """No body makes validation or assessment raise anything else (no 5xx at the door)."""
    policy: Policy = POLICIES[regime]
    base = submission(regime, channel="phone").model_dump(mode="json")
    raw = apply_defaults({**base, **replaced}, policy.intake.defaults)
    try:
        sub = Submission.model_validate(raw)
    except ValidationError as exc:
        errors = exc.errors(include_input=False)
    else:
        errors = []
        verdict = assess(policy, sub)
        assert all(e.field and e.message for e in verdict.errors)
    assert all(e["msg"] for e in errors)
