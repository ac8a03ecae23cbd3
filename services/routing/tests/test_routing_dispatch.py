"""Dispatch by each regime's routing ladder (policy data), on the demo organisation trees."""

import pytest
from routing_world import only, open_, received, registry, types

from tousu.routing.domain.orgs import Handler, Org


@pytest.mark.parametrize(
    ("authority", "owner"),
    [("outlet", "cu-county-a-outlet-3"), ("city", "cu-city-a"), ("province", "cu-province")],
)
def test_rte_04_rte_05_org_10_credit_union_first_owner_by_competence_level(authority: str, owner: str) -> None:
    data = received("credit-union-province", "cu-county-a-outlet-3", "cu-county-a-outlet-3", authority=authority)
    case, _, emitted = open_(data)
    assigned = only(emitted, "complaint.assigned")
    assert assigned["unit"] == owner == case.owner_unit == case.holder_unit
    assert assigned["reason"] == "first_owner"
    assert assigned["occurred_at"] == data["received_at"]  # stages count from receipt (policy convention)


def test_rte_01_lc_01_liaoning_association_owns_what_it_receives() -> None:
    _, _, emitted = open_(received("liaoning-banking-association", "ln-assoc", "ln-icbc-sy-heping"))
    assert only(emitted, "complaint.assigned") | {"unit": "ln-assoc", "handler": "ln-assoc-a"} == only(
        emitted, "complaint.assigned"
    )


def test_rte_26_org_26_mobile_fault_in_a_vendor_domain_goes_to_that_vendor_else_stays_with_the_operator() -> None:
    fault = {"service_stopped": True, "root_cause_domain": "vendor"}
    data = received("mobile-operator-si", "cmcc-hn-10086", "adc-builder", kind="fault_report", fault=fault)
    assert only(open_(data)[2], "complaint.assigned")["unit"] == "adc-builder"
    operator = received(
        "mobile-operator-si", "cmcc-hn-10086", "cmcc-hn", kind="fault_report", fault={"root_cause_domain": "operator"}
    )
    assert only(open_(operator)[2], "complaint.assigned")["unit"] == "cmcc-hn-10086"


@pytest.mark.parametrize(
    ("changes", "role", "unit"),
    [
        ({"flags": {"violation_suspected": True}}, "cro", "ft-cro"),
        ({"flags": {"litigation": True}}, "cro", "ft-cro"),
        ({"category": "staff_violation"}, "cro", "ft-cro"),
        ({}, "vp_business", "ft-vp-business"),
    ],
)
def test_org_13_rte_14_futures_owner_by_subject(changes: dict[str, object], role: str, unit: str) -> None:
    """AS-12 (b)-(d): violations and lawsuits to the chief risk officer, ordinary complaints to the business VP;
    the CS Centre receiver keeps the case (ORG-14, RTE-16)."""
    case, _, emitted = open_(received("futures-company", "ft-cs-centre", "ft-sales-suzhou", **changes))
    assigned = only(emitted, "complaint.assigned")
    assert (assigned["unit"], assigned["owner_role"], assigned["accountable_unit"]) == ("ft-cs-centre", role, unit)
    assert unit in case.units  # the accountable post sees the case


def test_rte_15_org_16_futures_violation_referred_to_compliance_and_still_handled() -> None:
    """AS-12 (b): compliance.referred at once, and the complaint stays in the process (INT-23)."""
    case, _, emitted = open_(received("futures-company", "ft-cs-centre", flags={"violation_suspected": True}))
    assert types(emitted) == ["complaint.assigned", "compliance.referred"]
    referred = only(emitted, "compliance.referred")
    assert (referred["to_unit"], referred["rule"], referred["occurred_at"]) == (
        "ft-compliance",
        "RTE-15",
        "2026-04-08T10:00:00+08:00",
    )
    assert case.status == "assigned"


def test_rte_08_int_22_credit_union_staff_violation_is_referred_instead_of_a_case() -> None:
    """AS-10 (d): scope referred → compliance.referred to the same-level supervision & security dept, no case."""
    data = received(
        "credit-union-province",
        "cu-county-a-outlet-3",
        "cu-county-a-outlet-3",
        category="staff_violation",
        classification={"scope": "referred", "referral_target": "role:supervision-security"},
    )
    case, _, emitted = open_(data)
    assert types(emitted) == ["compliance.referred"]
    assert only(emitted, "compliance.referred")["to_unit"] == "cu-county-a-supervision"
    assert case.status == "referred"


def test_rte_36_org_19_fund_sales_violation_goes_to_supervision_and_audit() -> None:
    data = received("fund-sales", "fund-complaints", "fund-nanjing", flags={"violation_suspected": True})
    assert only(open_(data)[2], "compliance.referred")["to_unit"] == "fund-supervision"


def test_rte_35_rte_32_org_20_insurer_major_letter_copied_to_the_executive_in_charge_and_the_department_manager() -> (
    None
):
    """AS-22 (f): a letter at a branch, copied to the department manager; major: also to the 分管总."""
    ordinary = open_(received("insurer-95511", "ins-pc-sz-cs", "ins-pc-sz-claims", channel="letter"))[2]
    assert types(ordinary) == ["complaint.assigned"]
    assert only(ordinary, "complaint.assigned")["accountable_unit"] == "ins-pc-sz-cs-manager"
    major = open_(received("insurer-95511", "ins-pc-sz-cs", "ins-pc-sz-claims", channel="letter", priority="major"))[2]
    escalated = only(major, "complaint.escalated")
    assert (escalated["reason"], escalated["target_unit"], escalated["cc_units"]) == (
        "major_complaint",
        "ins-pc-exec",
        ["ins-pc-sz-cs-manager"],
    )
    assert escalated["rule"] == "RTE-35"


def test_org_04_the_a_handler_takes_the_case_else_b_else_nobody_and_the_superior_hears_of_it() -> None:
    data = received("tobacco-bureau", "tb-monitoring")
    assert only(open_(data)[2], "complaint.assigned")["handler"] == "tb-monitoring-a"
    monitoring = registry().orgs["tb-monitoring"]
    away = [Handler(id=h.id, name=h.name, role=h.role, available=h.role != "A") for h in monitoring.handlers]
    b_only = registry(monitoring.model_copy(update={"handlers": away}))
    assigned = only(open_(data, b_only)[2], "complaint.assigned")
    assert (assigned["handler"], assigned["handler_role"]) == ("tb-monitoring-b", "B")
    nobody = [h.model_copy(update={"available": False}) for h in monitoring.handlers]
    emitted = open_(data, registry(monitoring.model_copy(update={"handlers": nobody})))[2]
    escalated = only(emitted, "complaint.escalated")
    assert (escalated["reason"], escalated["target_unit"], escalated["rule"]) == ("nobody_accepts", "tb-city", "ORG-04")


def test_org_40_org_41_the_receiving_unit_stays_owner_when_no_ladder_rule_moves_the_case() -> None:
    for regime, unit in [
        ("mobile-operator-si", "cmcc-hn-10086"),
        ("tobacco-bureau", "tb-monitoring"),
        ("fund-sales", "fund-complaints"),
        ("cbrc-2012-banking", "ln-icbc-complaints"),
    ]:
        case, _, _ = open_(received(regime, unit, unit))
        assert case.owner_unit == unit


def test_media_exposure_at_receipt_is_escalated_one_step_up() -> None:
    """SAN-01(4): handling that reaches the internet or media; the superior of the owner hears of it."""
    data = received(
        "liaoning-banking-association", "ln-icbc-complaints", "ln-icbc-sy-heping", flags={"media_exposure": True}
    )
    escalated = only(open_(data)[2], "complaint.escalated")
    assert (escalated["reason"], escalated["target_unit"], escalated["level"]) == ("media_exposure", "ln-icbc", 1)


def test_a_parent_cycle_is_refused() -> None:
    from tousu.routing.domain.orgs import tree_errors

    reg = registry()
    looped = Org.model_validate({**reg.orgs["cu-province"].model_dump(), "parent": "cu-county-a-outlet-1"})
    assert tree_errors(looped, reg.parents()) == [("parent", "would make the organisation its own ancestor")]
