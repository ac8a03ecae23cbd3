"""Escalation ladders on sla warnings and breaches, repeats and media exposure (ARCHITECTURE §6, CONTRACT §9)."""

from typing import Any

from routing_world import act, only, open_, received, registry, types

from tousu.routing.domain.journey import Journey
from tousu.routing.domain.notices import ChangeNotice, judge
from tousu.routing.domain.orgs import Org

BREACH = {"due_at": "2026-04-14T23:59:59+08:00", "breached_at": "2026-04-15T00:00:00+08:00", "rule": "SLA-04"}


def breach(stage: str, owner: str, **extra: Any) -> dict[str, Any]:
    return {"stage": stage, "owner_unit": owner, "occurred_at": BREACH["breached_at"], **BREACH, **extra}


def _liaoning_at_the_outlet() -> Journey:
    journey = open_(received("liaoning-banking-association", "ln-assoc", "ln-icbc-sy-heping"))[1]
    act(journey, "forward", "2026-04-08T10:00:00", "ln-assoc", to_unit="ln-icbc-complaints")
    act(journey, "forward", "2026-04-09T09:00:00", "ln-icbc-complaints", to_unit="ln-icbc-sy-heping")
    return journey


def test_as_02c_an_outlet_breach_goes_to_the_member_complaint_department_with_all_a_subscriber_needs() -> None:
    journey = _liaoning_at_the_outlet()
    escalated = only(journey.on_clock("breach", breach("OUTLET_RESULT", "ln-icbc-sy-heping")), "complaint.escalated")
    assert {k: escalated[k] for k in ("stage", "owner_unit", "due_at", "breached_at", "level", "target_unit")} == {
        "stage": "OUTLET_RESULT",
        "owner_unit": "ln-icbc-sy-heping",
        "due_at": BREACH["due_at"],
        "breached_at": BREACH["breached_at"],
        "level": 1,
        "target_unit": "ln-icbc-complaints",
    }
    assert (escalated["reason"], escalated["rule"], escalated["reference"]) == (
        "sla_breached",
        "SLA-04",
        "T-2026-000001",
    )
    assert escalated["occurred_at"] == BREACH["breached_at"]


def test_as_01_sla_01_an_association_forwarding_breach_is_only_recorded() -> None:
    journey = open_(received("liaoning-banking-association", "ln-assoc", "ln-icbc-sy-heping"))[1]
    assert journey.on_clock("breach", breach("ASSOC_FORWARD", "ln-assoc")) == []


def test_each_escalation_of_a_stage_climbs_one_step() -> None:
    """A stage breached again (a new round) goes one step higher than before; the top of the tree is the end."""
    journey = _liaoning_at_the_outlet()
    targets = [
        only(journey.on_clock("breach", breach("OUTLET_RESULT", "ln-icbc-sy-heping")), "complaint.escalated")
        for _ in range(4)
    ]
    assert [(e["level"], e["target_unit"]) for e in targets] == [
        (1, "ln-icbc-complaints"),
        (2, "ln-icbc"),
        (3, "ln-assoc"),
        (4, "ln-assoc"),
    ]


def test_conv_12_warnings_escalate_only_where_the_regime_says_so() -> None:
    journey = _liaoning_at_the_outlet()
    warning = {**breach("OUTLET_RESULT", "ln-icbc-sy-heping"), "warning_at": "2026-04-14T06:00:00+08:00"}
    assert journey.on_clock("warning", warning) == []


def test_rte_25_san_28_tobacco_unit_handling_ladder_monitoring_centre_rectification_office_city_leaders() -> None:
    journey = open_(received("tobacco-bureau", "tb-monitoring", "tb-county-faku"))[1]
    act(journey, "forward", "2026-04-08T10:30:00", "tb-monitoring", to_unit="tb-county-faku")
    steps = [
        only(
            journey.on_clock("breach", breach("UNIT_HANDLING", "tb-county-faku", rule="SLA-21")), "complaint.escalated"
        )
        for _ in range(3)
    ]
    assert [(e["level"], e["target_unit"], e["rule"]) for e in steps] == [
        (1, "tb-monitoring", "RTE-25"),
        (2, "tb-rectification", "RTE-25"),
        (3, "tb-leadership", "RTE-25"),
    ]


def test_org_04_org_23_an_unacknowledged_dispatch_passes_from_a_to_b() -> None:
    journey = open_(received("tobacco-bureau", "tb-monitoring", "tb-county-xinmin"))[1]
    act(journey, "forward", "2026-04-08T10:30:00", "tb-monitoring", to_unit="tb-county-xinmin")
    assert journey.case.handler == "tb-xinmin-a"
    assigned = only(journey.on_clock("breach", breach("DISPATCH_ACK", "tb-county-xinmin")), "complaint.assigned")
    assert {k: assigned[k] for k in ("unit", "handler", "handler_role", "previous_handler", "reason", "rule")} == {
        "unit": "tb-county-xinmin",
        "handler": "tb-xinmin-b",
        "handler_role": "B",
        "previous_handler": "tb-xinmin-a",
        "reason": "acknowledgement_breached",
        "rule": "ORG-23",
    }
    # B has the case now; if B does not acknowledge either, nobody is left: the superior hears of it (SAN-01(1)).
    escalated = only(journey.on_clock("breach", breach("DISPATCH_ACK", "tb-county-xinmin")), "complaint.escalated")
    assert (escalated["reason"], escalated["target_unit"]) == ("nobody_accepts", "tb-city")


def test_an_acknowledged_case_is_not_handed_over() -> None:
    journey = open_(received("tobacco-bureau", "tb-monitoring", "tb-county-xinmin"))[1]
    act(journey, "forward", "2026-04-08T10:30:00", "tb-monitoring", to_unit="tb-county-xinmin")
    act(journey, "acknowledge", "2026-04-08T10:40:00", "tb-county-xinmin")
    assert journey.on_clock("breach", breach("DISPATCH_ACK", "tb-county-xinmin")) == []


def test_org_04_a_dispatch_to_a_unit_with_nobody_available_is_escalated_at_once() -> None:
    faku = registry().orgs["tb-county-faku"]
    away = Org.model_validate(
        {**faku.model_dump(), "handlers": [{**h.model_dump(), "available": False} for h in faku.handlers]}
    )
    journey = open_(received("tobacco-bureau", "tb-monitoring", "tb-county-faku"), registry(away))[1]
    emitted = act(journey, "forward", "2026-04-08T10:30:00", "tb-monitoring", to_unit="tb-county-faku")
    assert types(emitted) == ["complaint.forwarded", "complaint.escalated"]
    assert only(emitted, "complaint.escalated")["reason"] == "nobody_accepts"


def test_rcn_09_int_30_a_repeat_goes_up_the_tree_each_time() -> None:
    journey = _liaoning_at_the_outlet()
    first = only(journey.on_repeat({"occurred_at": "2026-04-20T10:00:00+08:00"}), "complaint.escalated")
    second = only(journey.on_repeat({"occurred_at": "2026-04-21T10:00:00+08:00"}), "complaint.escalated")
    assert [(e["reason"], e["level"], e["target_unit"]) for e in (first, second)] == [
        ("repeated_complaint", 1, "ln-icbc-complaints"),
        ("repeated_complaint", 2, "ln-icbc"),
    ]


def test_san_01_an_escalate_action_for_media_exposure_names_its_reason_and_may_name_its_target() -> None:
    journey = _liaoning_at_the_outlet()
    escalated = only(
        act(
            journey,
            "escalate",
            "2026-04-10T10:00:00",
            "ln-icbc-complaints",
            reason="media_exposure",
            to_unit="ln-assoc",
        ),
        "complaint.escalated",
    )
    assert (escalated["target_unit"], escalated["by"], escalated["owner_unit"]) == (
        "ln-assoc",
        "ln-icbc-complaints",
        "ln-icbc-sy-heping",
    )


def test_a_withdrawal_closes_the_case_without_callbacks() -> None:
    journey = open_(received("credit-union-province", "cu-county-a-outlet-3", "cu-county-a-outlet-3"))[1]
    emitted = journey.on_ended({"requested_at": "2026-04-08T11:00:00+08:00"}, "withdrawn")
    closed = only(emitted, "complaint.closed")
    assert (closed["reason"], closed["rule"], journey.case.status) == ("withdrawn", "LC-10", "withdrawn")
    assert journey.callback_needs(emitted) == []
    assert journey.on_clock("breach", breach("OUTLET", "cu-county-a-outlet-3")) == []


def test_int_36_a_complaint_upgraded_to_major_is_notified_to_the_accountable_executive() -> None:
    journey = open_(received("insurer-95511", "ins-pc-hq-cs", "ins-pc-claims"))[1]
    emitted = journey.on_reclassified({"occurred_at": "2026-04-09T10:00:00+08:00", "priority": "major"})
    assert only(emitted, "complaint.escalated")["target_unit"] == "ins-pc-exec"
    assert journey.on_reclassified({"occurred_at": "2026-04-09T11:00:00+08:00", "priority": "major"}) == []


def test_sla_54_an_si_change_notice_fifteen_working_days_ahead_is_in_time_a_later_one_is_not() -> None:
    from routing_world import CALENDAR, at, policies

    mobile = [policies()["mobile-operator-si"]]
    # Effective Monday 2026-06-01: counted from a notice on Monday 05-11 (day 0), 06-01 is the 15th working day.
    effective = "2026-06-01T00:00:00+08:00"
    in_time = judge(
        ChangeNotice(change="CS phone", effective_at=effective, notified_at="2026-05-11T17:00:00+08:00"),
        mobile,
        CALENDAR,
    )
    late = judge(
        ChangeNotice(change="CS phone", effective_at=effective, notified_at="2026-05-12T09:00:00+08:00"),
        mobile,
        CALENDAR,
    )
    assert (in_time.late, in_time.required_by, in_time.rule) == (False, at("2026-05-11T23:59:59"), "SLA-54")
    assert late.late is True
    assert (
        judge(
            ChangeNotice(change="x", effective_at=effective, notified_at=effective),
            [policies()["tobacco-bureau"]],
            CALENDAR,
        ).late
        is False
    )


def test_sla_56_sla_06_a_changed_liaison_contact_is_notified_promptly_after_the_change() -> None:
    """SLA-56 (an SI's liaison contact, 及時) and SLA-06 (a Liaoning member's contact details, 第一時間): due the
    regime's `contact_change_notice_hours` (24) after the change, not ahead of it as SLA-54's changes are."""
    from routing_world import CALENDAR, at, policies

    changed = "2026-05-11T09:00:00+08:00"

    def notified(regime: str, when: str, **values: int) -> Any:
        policy = policies()[regime]
        if values:
            params = {n: policy.parameters[n].model_copy(update={"default": v}) for n, v in values.items()}
            policy = policy.model_copy(update={"parameters": {**policy.parameters, **params}})
        notice = ChangeNotice(change="liaison phone", effective_at=changed, notified_at=when, liaison_contact=True)
        return judge(notice, [policy], CALENDAR)

    in_time = notified("mobile-operator-si", "2026-05-12T09:00:00+08:00")
    assert (in_time.late, in_time.required_by, in_time.rule) == (False, at("2026-05-12T09:00:00"), "SLA-56")
    assert notified("mobile-operator-si", "2026-05-12T09:00:01+08:00").late is True
    assert notified("mobile-operator-si", "2026-05-11T12:00:00+08:00", contact_change_notice_hours=2).late is True
    member = notified("liaoning-banking-association", "2026-05-12T10:00:00+08:00")
    assert (member.late, member.rule) == (True, "SLA-06")
    # the same change named as a planned one is SLA-54's: fifteen working days ahead
    planned = judge(
        ChangeNotice(change="CS phone", effective_at=changed, notified_at="2026-05-12T09:00:00+08:00"),
        [policies()["mobile-operator-si"]],
        CALENDAR,
    )
    assert (planned.late, planned.rule) == (True, "SLA-54")
