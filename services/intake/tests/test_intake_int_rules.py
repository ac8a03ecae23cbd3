"""Every INT rule of DOMAIN §2, one check each under the real policies (pure), or the reason it is not intake's
behaviour. Deeper scenarios of the same rules are in test_intake_assessment.py and the integration/e2e suites."""

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tousu.contracts.policy import load_policies
from tousu.contracts.vocab import Priority, Scope, Validity
from tousu.intake.domain.assessment import CLOSED_AT_INTAKE, REFERRED, Assessment, apply_defaults, assess
from tousu.intake.domain.lifecycle import reclassification_refusal
from tousu.intake.domain.submission import Submission

REPO = Path(__file__).resolve().parents[3]
POLICIES = load_policies(REPO / "policies")
DOMAIN_MD = REPO.parent / "shared" / "DOMAIN.md"

BASE: dict[str, Any] = {
    "received_at": "2026-04-30T11:00:00+08:00",
    "receiving_unit": "unit-a",
    "channel": "phone",
    "kind": "complaint",
    "complainant": {"name": "王五", "phone": "13800000000", "standing": "direct"},
    "respondent": {"unit": "unit-a", "staff": ["emp-22"]},
    "category": "service_attitude",
    "facts": "What happened, in detail.",
}


def judge(regime: str, **overrides: Any) -> Assessment:
    body = {**BASE, "regime": regime, **overrides}
    body = {k: v for k, v in body.items() if v is not None}
    policy = POLICIES[regime]
    return assess(policy, Submission.model_validate(apply_defaults(body, policy.intake.defaults)))


def accepts(regime: str, **overrides: Any) -> bool:
    return judge(regime, **overrides).accepted


def refuses(regime: str, field: str, rule: str, **overrides: Any) -> bool:
    verdict = judge(regime, **overrides)
    return any(e.field == field and rule in (e.rule or "") for e in verdict.errors)


def channels(regime: str, *names: str) -> bool:
    return all(accepts(regime, channel=name) for name in names)


def no_capture(regime: str, kind: str, *fields: str) -> bool:
    """Leaving out what the regime says must be captured is refused, naming each field."""
    verdict = judge(regime, kind=kind, complainant={}, facts=None, respondent={"unit": "unit-a"})
    return set(fields) <= {e.field for e in verdict.errors}


CHECKS: dict[str, Callable[[], bool]] = {
    "INT-01": lambda: channels("liaoning-banking-association", "phone", "letter", "walk_in", "email", "fax"),
    "INT-04": lambda: channels("credit-union-province", "suggestion_box", "phone"),
    "INT-05": lambda: channels(
        "credit-union-province",
        "hotline",
        "phone",
        "letter",
        "walk_in",
        "suggestion_box",
        "government_referral",
        "regulator_referral",
    ),
    "INT-06": lambda: (
        channels("futures-company", "phone", "letter", "fax", "email", "walk_in")
        and refuses("futures-company", "channel", "INT-06", channel="sms")
    ),
    "INT-09": lambda: channels(
        "insurer-95511", "hotline", "social_media", "web", "walk_in", "letter", "regulator_referral"
    ),
    "INT-10": lambda: channels("tobacco-bureau", "hotline", "fax", "web", "letter", "walk_in"),
    "INT-11": lambda: accepts(
        "tobacco-bureau", channel=POLICIES["tobacco-bureau"].parameter_values()["provincial_ticket_channel"]
    ),
    "INT-12": lambda: channels("mobile-operator-si", "hotline", "walk_in", "web"),
    "INT-14": lambda: (
        channels("bank-call-centre-csr", "phone", "sms", "web", "fax")
        and refuses("bank-call-centre-csr", "channel", "INT-14", channel="walk_in")
    ),
    "INT-15": lambda: channels("property-management", "phone", "walk_in", "letter", "web"),
    "INT-16": lambda: (
        channels("manufacturer-qe", "phone", "walk_in", "letter")
        and channels("auto-dealer-service", "phone", "walk_in", "letter")
    ),
    "INT-17": lambda: accepts("cbrc-2012-banking", channel="regulator_referral", external_ref="cbrc-2026-0007"),
    "INT-20": lambda: all(accepts("credit-union-province", category=c) for c in ("misleading", "service_efficiency")),
    "INT-21": lambda: refuses("credit-union-province", "facts", "INT-21", facts=None),
    "INT-22": lambda: judge("credit-union-province", category="staff_violation").status == REFERRED,
    "INT-23": lambda: judge("futures-company", category="staff_violation").classification.scope is Scope.IN_SCOPE,
    "INT-24": lambda: all(
        accepts("mobile-operator-si", category=c) for c in ("si_application", "boss_billing", "other")
    ),
    "INT-25": lambda: (
        judge("liaoning-banking-association", kind="consultation").classification.validity is Validity.COMMUNICATIVE
    ),
    "INT-26": lambda: all(
        accepts("tobacco-bureau", kind=k) for k in ("complaint", "consultation", "suggestion", "report")
    ),
    "INT-27": lambda: judge("property-management", flags={"employee_relations": True}).status == REFERRED,
    "INT-28": lambda: accepts("fund-sales", category="suitability_mismatch", recording_ref="rec-1"),
    "INT-30": lambda: POLICIES["mobile-operator-si"].classification.repeat is not None,
    "INT-31": lambda: judge("mobile-operator-si", flags={"serious_deficiency": True}).priority is Priority.MAJOR,
    "INT-32": lambda: (
        judge("mobile-operator-si", priority="urgent").priority is Priority.URGENT
        and judge("mobile-operator-si", priority="difficult").priority is Priority.DIFFICULT
    ),
    "INT-33": lambda: (
        judge("mobile-operator-si", kind="fault_report", fault={"service_stopped": True}).fault_severity is not None
    ),
    "INT-34": lambda: (
        accepts("mobile-operator-si", kind="dissatisfaction")
        and reclassification_refusal(POLICIES["mobile-operator-si"], "kind", "dissatisfaction", "complaint") is None
    ),
    "INT-35": lambda: all(accepts("tobacco-bureau", kind=k) for k in ("consultation", "suggestion", "report")),
    "INT-36": lambda: (
        reclassification_refusal(POLICIES["insurer-95511"], "kind", "complaint", "consultation") is not None
    ),
    "INT-37": lambda: refuses("insurer-95511", "cause_levels", "INT-37", cause_levels=["a", "b", "c", "d"]),
    "INT-40": lambda: POLICIES["insurer-95511"].intake.withdrawal == "before_transfer",
    "INT-41": lambda: (
        refuses("brokerage-branch-hq", "priority", "CONTRACT §4", priority="urgent")
        and judge("brokerage-branch-hq", priority="major").priority is Priority.MAJOR
    ),
    "INT-42": lambda: (
        judge("property-management", flags={"verified_by_authority": True}).classification.validity is Validity.VALID
    ),
    "INT-43": lambda: all(
        accepts("property-management", category=c)
        for c in ("equipment", "sudden_incident", "housing_management", "security_management")
    ),
    "INT-44": lambda: judge("auto-dealer-service", channel="government_referral").priority is Priority.MAJOR,
    "INT-45": lambda: judge("manufacturer-qe", flags={"major_customer": True}).priority is Priority.MAJOR,
    "INT-46": lambda: all(
        accepts("consulting-project", category=c) for c in ("consultant_caused", "business_promise", "force_majeure")
    ),
    "INT-48": lambda: (
        judge(
            "futures-company",
            resolved_at_intake={
                "at": "2026-04-30T11:10:00+08:00",
                "resolution": "explained",
                "customer_satisfied": True,
            },
        ).status
        == CLOSED_AT_INTAKE
    ),
    "INT-50": lambda: no_capture(
        "liaoning-banking-association",
        "complaint",
        "facts",
        "respondent.staff",
        "complainant.name",
        "complainant.phone",
    ),
    "INT-51": lambda: (
        no_capture("tobacco-bureau", "complaint", "facts", "complainant.name", "complainant.phone")
        and judge("tobacco-bureau", kind="report").confidential
    ),
    "INT-52": lambda: no_capture("futures-company", "complaint", "facts"),
    "INT-53": lambda: no_capture("insurer-95511", "complaint", "facts"),
    "INT-54": lambda: no_capture("fund-sales", "complaint", "facts"),
    "INT-55": lambda: no_capture("auto-dealer-service", "complaint", "facts", "complainant.name", "complainant.phone"),
    "INT-56": lambda: no_capture("manufacturer-qe", "complaint", "facts"),
    "INT-57": lambda: no_capture(
        "gov-service-centre", "consultation", "facts", "complainant.name", "complainant.phone"
    ),
    "INT-58": lambda: no_capture("bank-call-centre-csr", "consultation", "facts"),
}

NOT_INTAKES = {
    "INT-02": "an outlet's duty to display phone numbers (organisation conduct)",
    "INT-03": "a report to the regulator by a date (reporting)",
    "INT-07": "publishing contact points (organisation conduct)",
    "INT-08": "publishing contact points (organisation conduct)",
    "INT-13": "a vendor's channel obligations (routing's change notices, sanctions)",
    "INT-38": "one call, one complaint: a submission is one complaint; its root cause is its category and first "
    "cause level (INT-37)",
    "INT-39": "the complaint level is set by the handling side after intake ([GAP] levels not in the seed)",
    "INT-47": "guidance on telling the customer the time needed, no regime's rule",
    "INT-49": "responsibility is determined after verification (sanctions)",
    "INT-59": "whose statistics are binding for KPIs (reporting, sanctions)",
}


@pytest.mark.parametrize("rule", sorted(CHECKS))
def test_int_rule_is_applied_from_the_policy(rule: str) -> None:
    assert CHECKS[rule](), rule


def test_int_every_rule_of_domain_section_2_is_checked_or_explained() -> None:
    if not DOMAIN_MD.exists():
        pytest.skip("the shared DOMAIN.md is not beside the repository")
    text = DOMAIN_MD.read_text(encoding="utf-8")
    section = text[text.index("## 2. Intake service") : text.index("## 3. Routing service")]
    rules = set(re.findall(r"^\| (INT-\d+) \|", section, flags=re.MULTILINE))
    assert rules
    assert rules == set(CHECKS) | set(NOT_INTAKES)
    assert not set(CHECKS) & set(NOT_INTAKES)
