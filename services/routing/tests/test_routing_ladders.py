"""The routing ladders of the remaining regimes (brokerage, property, manufacturer, auto dealer, consulting, gov
centre, bank call centre, CBRC overlay) on small trees of their own, and the organisation duties routing keeps."""

from typing import Any

import pytest
from routing_world import act, only, open_, received, registry, types

from tousu.kit.errors import ConflictError, PermanentError
from tousu.routing.domain.orgs import Org, Registry


def tree(*rows: tuple[str, str, str | None], regime: str, handlers: dict[str, int] | None = None) -> Registry:
    """(id, kind, parent) rows under one tenant; `handlers`: unit → how many available (A, then B)."""
    orgs = []
    for unit, kind, parent in rows:
        count = (handlers or {}).get(unit, 0)
        listed = [{"id": f"{unit}-{r.lower()}", "name": r, "role": r} for r in "AB"[:count]]
        orgs.append(
            Org.model_validate(
                {
                    "id": unit,
                    "name": unit,
                    "kind": kind,
                    "parent": parent,
                    "tenant": rows[0][0],
                    "regimes": [regime],
                    "handlers": listed,
                }
            )
        )
    return Registry.of(orgs)


BROKERAGE = tree(
    ("bk-hq", "company", None),
    ("bk-hq-call-centre", "call-centre", "bk-hq"),
    ("bk-hq-audit", "audit-assessment", "bk-hq"),
    ("bk-branch", "branch", "bk-hq"),
    regime="brokerage-branch-hq",
)


def test_rte_18_lc_09_org_17_brokerage_major_complaints_go_to_hq_ordinary_stay_at_the_branch() -> None:
    major = received("brokerage-branch-hq", "bk-branch", priority="major")
    assert only(open_(major, BROKERAGE)[2], "complaint.assigned")["unit"] == "bk-hq"
    ordinary = received("brokerage-branch-hq", "bk-branch")
    case, _journey, _ = open_(ordinary, BROKERAGE)
    assert case.owner_unit == "bk-branch"
    assert case.owner_role == "relevant department head"  # a post in words: no unit of that kind, none copied


def test_cb_07_brokerage_hq_call_centre_calls_back_after_the_reply() -> None:
    journey = open_(received("brokerage-branch-hq", "bk-hq"), BROKERAGE)[1]
    act(journey, "reply_customer", "2026-04-08T12:00:00", "bk-hq", method="phone")
    recorded = only(
        act(journey, "record_callback", "2026-04-08T15:00:00", "bk-hq-call-centre", satisfied=True), "callback.recorded"
    )
    assert recorded["by_unit"] == "bk-hq-call-centre"


PROPERTY = tree(
    ("pm-co", "company", None),
    ("pm-front-desk", "front-desk", "pm-co"),
    ("pm-engineering", "department", "pm-co"),
    ("pm-security", "department", "pm-co"),
    ("pm-cs-supervisor", "cs-supervisor", "pm-co"),
    ("pm-dept-head", "department-head", "pm-co"),
    regime="property-management",
)


def test_rte_37_lc_11_org_31_org_43_property_dispatch_sheet_and_the_24_hour_escalation_to_supervisor_and_head() -> None:
    case, journey, _ = open_(received("property-management", "pm-front-desk", "pm-engineering"), PROPERTY)
    assert case.owner_unit == "pm-front-desk"  # whoever first receives passes it to the front desk, which owns it
    dispatched = only(
        act(journey, "forward", "2026-04-08T10:04:00", "pm-front-desk", form="客户服务派工单"), "complaint.forwarded"
    )
    assert (dispatched["to_unit"], dispatched["form"], dispatched["rule"]) == (
        "pm-engineering",
        "客户服务派工单",
        "SLA-80",
    )
    breach = {
        "stage": "COMPLETION_24H",
        "owner_unit": "pm-front-desk",
        "occurred_at": "2026-04-09T10:00:00+08:00",
        "due_at": "2026-04-09T10:00:00+08:00",
        "breached_at": "2026-04-09T10:00:00+08:00",
    }
    escalated = only(journey.on_clock("breach", breach), "complaint.escalated")
    assert (escalated["target_unit"], escalated["cc_units"]) == ("pm-cs-supervisor", ["pm-dept-head"])


def test_cb_08_property_front_desk_calls_back_the_same_day_after_the_head_reviews() -> None:
    journey = open_(received("property-management", "pm-front-desk", "pm-engineering"), PROPERTY)[1]
    act(journey, "forward", "2026-04-08T10:04:00", "pm-front-desk")
    act(journey, "submit_result", "2026-04-08T16:00:00", "pm-engineering")
    with pytest.raises(PermanentError, match="satisfied"):  # ARC-12: the record says whether the owner is
        act(journey, "record_callback", "2026-04-08T17:00:00", "pm-front-desk")
    assert types(
        act(journey, "record_callback", "2026-04-08T17:00:00", "pm-front-desk", satisfied=True, written_record=True)
    ) == ["callback.recorded"]


MANUFACTURER = tree(
    ("mf-co", "company", None),
    ("mf-marketing", "department", "mf-co"),
    ("mf-qa", "department", "mf-co"),
    ("mf-production", "department", "mf-co"),
    ("mf-director", "director", "mf-co"),
    regime="manufacturer-qe",
)


def test_rte_38_org_32_manufacturer_approved_form_to_qa_and_inadequate_plans_returned() -> None:
    journey = open_(received("manufacturer-qe", "mf-marketing", "mf-production"), MANUFACTURER)[1]
    with pytest.raises(PermanentError, match="approved"):
        act(journey, "approve", "2026-04-08T10:30:00", "mf-director")
    act(journey, "approve", "2026-04-08T10:30:00", "mf-director", approved=True, kind="handling_form")
    act(journey, "forward", "2026-04-08T10:40:00", "mf-marketing", to_unit="mf-qa")
    act(journey, "forward", "2026-04-08T11:00:00", "mf-qa", to_unit="mf-production")
    act(journey, "submit_result", "2026-04-09T11:00:00", "mf-production", rectification_measures="interim: sort stock")
    returned = only(
        act(journey, "reject_result", "2026-04-09T15:00:00", "mf-qa", reason="root cause not found"),
        "complaint.result_rejected",
    )
    assert returned["to_unit"] == "mf-production"
    again = only(act(journey, "submit_result", "2026-04-10T11:00:00", "mf-production"), "complaint.result_submitted")
    assert again["to_unit"] == "mf-qa"


@pytest.mark.parametrize(
    ("changes", "role"),
    [
        ({"priority": "major"}, "service manager (服务经理)"),
        ({"category": "service_attitude"}, "sales manager (销售经理)"),
        ({}, "general-department manager (综合部经理)"),
    ],
)
def test_rte_39_org_33_auto_dealer_responsible_manager_by_subject(changes: dict[str, Any], role: str) -> None:
    dealer = tree(
        ("ad-co", "company", None), ("ad-customer-dept", "customer-dept", "ad-co"), regime="auto-dealer-service"
    )
    data = received("auto-dealer-service", "ad-customer-dept", **{"category": "other", **changes})
    assert only(open_(data, dealer)[2], "complaint.assigned")["owner_role"] == role


def test_rte_40_lc_12_cb_10_consulting_every_path_converges_on_the_project_service_centre() -> None:
    consulting = tree(
        ("cp-co", "company", None),
        ("cp-centre", "project-service-centre", "cp-co"),
        ("cp-business", "department", "cp-co"),
        ("cp-finance", "department", "cp-co"),
        regime="consulting-project",
    )
    for receiving in ("cp-centre", "cp-business", "cp-finance"):
        case, journey, _ = open_(received("consulting-project", receiving), consulting)
        assert case.owner_unit == "cp-centre"
    act(journey, "reply_customer", "2026-04-08T12:00:00", "cp-centre")
    back = only(
        act(journey, "record_callback", "2026-04-09T12:00:00", "cp-centre", satisfied=False), "complaint.redispatched"
    )
    assert back["reason"] == "callback_dissatisfied"  # followed until the customer is satisfied
    with pytest.raises(ConflictError):
        act(journey, "close", "2026-04-09T13:00:00", "cp-centre")


@pytest.mark.parametrize(
    ("regime", "rows"),
    [
        ("gov-service-centre", (("gc-bureau", "bureau", None), ("gc-window", "window", "gc-bureau"))),
        ("bank-call-centre-csr", (("cc-bank", "member", None), ("cc-window", "call-centre", "cc-bank"))),
        ("cbrc-2012-banking", (("cb-bank", "member", None), ("cb-window", "department", "cb-bank"))),
        ("fund-sales", (("fs-co", "company", None), ("fs-window", "department", "fs-co"))),
    ],
)
def test_org_34_org_44_org_45_org_07_org_18_the_window_that_receives_owns_with_its_a_and_b_posts(
    regime: str, rows: tuple[tuple[str, str, str | None], ...]
) -> None:
    window = rows[1][0]
    reg = tree(*rows, regime=regime, handlers={window: 2})
    assigned = only(open_(received(regime, window), reg)[2], "complaint.assigned")
    assert (assigned["unit"], assigned["handler"], assigned["handler_role"]) == (window, f"{window}-a", "A")
    away = reg.orgs[window].model_copy(
        update={"handlers": [h.model_copy(update={"available": h.role == "B"}) for h in reg.orgs[window].handlers]}
    )
    b = Registry({**reg.orgs, window: away})
    assert only(open_(received(regime, window), b)[2], "complaint.assigned")["handler_role"] == "B"


def test_org_09_cbrc_legal_and_compliance_hears_of_a_compliance_risk() -> None:
    reg = tree(
        ("cb-bank", "member", None),
        ("cb-dept", "department", "cb-bank"),
        ("cb-legal", "legal-compliance", "cb-bank"),
        regime="cbrc-2012-banking",
    )
    data = received("cbrc-2012-banking", "cb-dept", flags={"violation_suspected": True})
    referred = only(open_(data, reg)[2], "compliance.referred")
    assert (referred["to_unit"], referred["rule"]) == ("cb-legal", "ORG-09")


def test_rte_23_org_22_tobacco_provincial_ticket_is_handled_by_the_monitoring_centre() -> None:
    """AS-20 (c): a ticket of the provincial complaint centre (channel government_referral by default)."""
    data = received("tobacco-bureau", "tb-monitoring", "tb-county-faku", channel="government_referral")
    case, journey, _ = open_(data)
    assert "PROVINCIAL_TICKET" in case.stage_starts
    fed_back = only(
        act(journey, "submit_result", "2026-04-10T10:00:00", "tb-monitoring"),
        "complaint.result_submitted",
    )
    assert fed_back["rule"] == "SLA-24"


def test_org_01_org_02_org_05_liaoning_associate_members_route_like_members_through_three_tiers() -> None:
    journey = open_(received("liaoning-banking-association", "ln-assoc", "ln-yingkou-bank-xishi"))[1]
    assert journey.case.owner_unit == "ln-assoc"  # the Service Expansion Dept accepts
    forwarded = only(
        act(journey, "forward", "2026-04-08T11:00:00", "ln-assoc", to_unit="ln-yingkou-bank"), "complaint.forwarded"
    )
    assert (forwarded["to_kind"], forwarded["transfer"]) == ("member", True)
    assert journey.case.handler == "ln-yingkou-a"


def test_org_03_sla_06_a_member_names_its_handlers_and_a_change_is_an_org_update() -> None:
    member = registry().orgs["ln-icbc-complaints"]
    assert {h.role for h in member.handlers} == {"A", "B"}
    assert registry().pick_handler("ln-icbc-complaints").handler == "ln-icbc-a"


def test_org_25_org_27_org_29_lc_08_mobile_single_entrance_work_orders_and_the_it_department() -> None:
    case, journey, _ = open_(received("mobile-operator-si", "cmcc-hn-10086", "si-beta", kind="consultation"))
    assert case.owner_unit == "cmcc-hn-10086"
    order = only(
        act(journey, "forward", "2026-04-08T10:10:00", "cmcc-hn-10086", to_unit="si-beta", method="e_work_order"),
        "complaint.forwarded",
    )
    assert (order["method"], order["to_kind"]) == ("e_work_order", "vendor")
    assert registry().nearest_of_kind("cmcc-hn-10086", "it-dept") == "cmcc-hn-it"


def test_cb_06_cb_11_callbacks_only_where_the_regime_asks_for_them() -> None:
    """Mobile callbacks are a right (no callback.required); Liaoning, the insurer and fund sellers have none."""
    for regime, unit, by in [
        ("mobile-operator-si", "cmcc-hn-10086", "cmcc-hn-10086"),
        ("liaoning-banking-association", "ln-icbc-complaints", "ln-icbc-complaints"),
        ("insurer-95511", "ins-pc-hq-cs", "ins-pc-hq-cs"),
        ("fund-sales", "fund-complaints", "fund-complaints"),
    ]:
        journey = open_(received(regime, unit))[1]
        act(journey, "reply_customer", "2026-04-08T12:00:00", by)
        emitted = act(journey, "close", "2026-04-08T13:00:00", by)
        assert journey.callback_needs(emitted) == [], regime


def test_lc_03_lc_05_lc_13_accept_forward_handle_feed_back_call_back_in_order() -> None:
    """Futures' seven steps and the tobacco flow: accepted, forwarded, acknowledged, handled, fed back, called
    back, closed — each step an event, the state following."""
    journey = open_(received("tobacco-bureau", "tb-monitoring", "tb-county-xinmin"))[1]
    steps = [
        ("forward", "tb-monitoring", {}, "dispatched"),
        ("acknowledge", "tb-county-xinmin", {}, "in_handling"),
        ("submit_result", "tb-county-xinmin", {}, "result_submitted"),
        ("reply_customer", "tb-monitoring", {}, "replied"),
        ("record_callback", "tb-monitoring", {"satisfied": True}, "replied"),
        ("close", "tb-monitoring", {}, "closed"),
    ]
    for minute, (type_, by, fields, status) in enumerate(steps, start=10):
        act(journey, type_, f"2026-04-08T10:{minute}:00", by, **fields)
        assert journey.case.status == status, type_


def test_org_42_org_46_rte_05_the_first_receiver_beyond_its_authority_passes_the_case_up() -> None:
    journey = open_(
        received("credit-union-province", "cu-county-a-outlet-1", "cu-county-a-outlet-1", authority="outlet")
    )[1]
    up = only(
        act(journey, "forward", "2026-04-08T10:30:00", "cu-county-a-outlet-1", to_unit="cu-county-a"),
        "complaint.forwarded",
    )
    assert (up["from_unit"], up["to_unit"], up["to_kind"]) == ("cu-county-a-outlet-1", "cu-county-a", "county-union")
    assert journey.case.owner_unit == "cu-county-a-outlet-1"  # feeds the result back to the customer itself (ORG-42)


def test_org_30_org_44_a_call_centre_escalation_climbs_shift_leader_then_floor_supervisor() -> None:
    centre = tree(
        ("cc-bank", "member", None),
        ("cc-manager", "department-manager", "cc-bank"),
        ("cc-floor", "floor-supervisor", "cc-manager"),
        ("cc-shift", "shift-leader", "cc-floor"),
        ("cc-seat", "call-centre", "cc-shift"),
        regime="bank-call-centre-csr",
    )
    journey = open_(received("bank-call-centre-csr", "cc-seat"), centre)[1]
    targets = [
        only(act(journey, "escalate", "2026-04-08T10:10:00", "cc-seat", reason="urgent_event"), "complaint.escalated")
        for _ in range(3)
    ]
    assert [(e["level"], e["target_unit"]) for e in targets] == [(1, "cc-shift"), (2, "cc-floor"), (3, "cc-manager")]
