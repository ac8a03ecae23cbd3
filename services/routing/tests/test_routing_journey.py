"""The case state machine of CONTRACT §5, with each regime's requirements read from its policy."""

import pytest
from routing_world import act, at, only, open_, received, registry, types

from tousu.kit.errors import ConflictError, PermanentError
from tousu.routing.domain.journey import ACTION_EVENTS, Journey, sample_due


def _futures() -> Journey:
    return open_(received("futures-company", "ft-cs-centre", "ft-sales-suzhou"))[1]


def test_lc_10_the_first_forward_out_of_the_receiving_unit_is_the_transfer() -> None:
    journey = open_(received("insurer-95511", "ins-pc-95511", "ins-pc-sz-claims"))[1]
    first = only(act(journey, "forward", "2026-04-08T10:05:00", "ins-pc-95511"), "complaint.forwarded")
    assert (first["to_unit"], first["transfer"], first["from_unit"]) == ("ins-pc-sz-claims", True, "ins-pc-95511")
    again = only(
        act(journey, "forward", "2026-04-08T11:00:00", "ins-pc-sz-claims", to_unit="ins-pc-sz-underwriting"),
        "complaint.forwarded",
    )
    assert again["transfer"] is False
    assert journey.case.owner_unit == "ins-pc-95511"  # first-contact owner stays (ORG-40, ORG-41)
    assert journey.case.holder_unit == "ins-pc-sz-underwriting"


def test_rte_32_a_forward_without_to_unit_goes_to_the_complained_unit() -> None:
    """The root-cause institution chosen at intake is the respondent (INT-38)."""
    journey = open_(received("insurer-95511", "ins-pc-95511", "ins-pc-sz-claims"))[1]
    forwarded = only(act(journey, "forward", "2026-04-08T10:05:00", "ins-pc-95511"), "complaint.forwarded")
    assert forwarded["to_unit"] == "ins-pc-sz-claims"


def test_rte_12_rte_13_rte_17_futures_ib_complaint_through_the_ib_department_to_the_securities_company() -> None:
    """AS-12 (e): CS Centre → IB管理部 → securities company; both involved → joint investigation."""
    journey = open_(received("futures-company", "ft-cs-centre", "sec-dongwu-ib-sales", category="ib_business"))[1]
    act(journey, "forward", "2026-04-08T10:30:00", "ft-cs-centre", to_unit="ft-ib-dept")
    assert journey.case.stage_starts["CONTACT"] == at("2026-04-08T10:30:00")
    act(journey, "forward", "2026-04-08T11:00:00", "ft-ib-dept", to_unit="sec-dongwu")
    opened = only(
        act(
            journey, "open_joint_investigation", "2026-04-08T12:00:00", "ft-ib-dept", units=["ft-ib-dept", "sec-dongwu"]
        ),
        "complaint.joint_investigation_opened",
    )
    assert opened["units"] == ["ft-ib-dept", "sec-dongwu"]
    with pytest.raises(PermanentError) as refused:
        act(journey, "open_joint_investigation", "2026-04-08T12:00:00", "ft-ib-dept", units=["ft-ib-dept"])
    assert refused.value.errors[0].field == "units"
    result = only(
        act(
            journey,
            "submit_result",
            "2026-04-09T12:00:00",
            "sec-dongwu",
            fact_determination="f",
            solution="s",
            responsible_handling="r",
            rectification_measures="m",
            satisfaction="satisfied",
        ),
        "complaint.result_submitted",
    )
    assert result["to_unit"] == "ft-ib-dept"  # feedback goes back the way it came (RTE-13)


def test_san_48_sat_04_a_futures_result_names_every_item_the_regime_demands() -> None:
    journey = _futures()
    act(journey, "forward", "2026-04-08T10:30:00", "ft-cs-centre", to_unit="ft-business-dept")
    with pytest.raises(PermanentError) as missing:
        act(journey, "submit_result", "2026-04-09T10:00:00", "ft-business-dept", solution="refund the fee")
    assert missing.value.status == 422
    fields = {e.field: e.rule for e in missing.value.errors}
    assert fields == dict.fromkeys(
        ["fact_determination", "responsible_handling", "rectification_measures", "satisfaction"], "SAN-48"
    )


def test_rcn_01_a_credit_union_reply_needs_its_method_and_the_reconsideration_notice() -> None:
    data = received("credit-union-province", "cu-county-a-outlet-3", "cu-county-a-outlet-3", authority="outlet")
    journey = open_(data)[1]
    with pytest.raises(PermanentError) as missing:
        act(journey, "reply_customer", "2026-04-08T15:00:00", "cu-county-a-outlet-3", reconsideration_notice=False)
    assert {(e.field, e.rule) for e in missing.value.errors} == {
        ("method", "RCN-01"),
        ("reconsideration_notice", "RCN-01"),
    }
    with pytest.raises(PermanentError):
        act(
            journey,
            "reply_customer",
            "2026-04-08T15:00:00",
            "cu-county-a-outlet-3",
            method="fax",
            reconsideration_notice=True,
        )
    replied = act(
        journey,
        "reply_customer",
        "2026-04-08T15:00:00",
        "cu-county-a-outlet-3",
        method="visit",
        reconsideration_notice=True,
    )
    assert only(replied, "complaint.replied")["rule"] == "SLA-10"  # the stage the reply ends
    # Another regime asks neither (LC-06 alone: every matter gets an answer).
    plain = open_(received("tobacco-bureau", "tb-monitoring"))[1]
    assert types(act(plain, "reply_customer", "2026-04-08T15:00:00", "tb-monitoring")) == ["complaint.replied"]


def test_contract_fields_and_business_time_are_checked() -> None:
    journey = _futures()
    with pytest.raises(PermanentError) as missing:
        act(journey, "verify", "2026-04-08T11:00:00", "ft-cs-centre")
    assert (missing.value.errors[0].field, missing.value.errors[0].rule) == ("valid", "CONTRACT §5")
    with pytest.raises(PermanentError) as early:
        act(journey, "verify", "2026-04-07T11:00:00", "ft-cs-centre", valid=True)
    assert early.value.errors[0].field == "at"
    with pytest.raises(PermanentError) as nowhere:
        act(journey, "forward", "2026-04-08T11:00:00", "ft-cs-centre", to_unit="no-such-unit")
    assert (nowhere.value.errors[0].field, nowhere.value.errors[0].rule) == ("to_unit", "CONTRACT §2")
    with pytest.raises(ConflictError) as stranger:
        act(journey, "verify", "2026-04-08T11:00:00", "tb-monitoring", valid=True)
    assert "no part" in stranger.value.title


def test_every_action_type_yields_its_event() -> None:
    assert len(ACTION_EVENTS) == 19
    journey = _futures()
    for type_, fields in [
        ("acknowledge", {}),
        ("verify", {"valid": True}),
        ("approve", {"approved": True}),
        ("record_contact_attempt", {"reached": True}),
        ("report_progress", {"promised_reply_at": "2026-04-10T10:00:00+08:00"}),
        ("record_objection", {"reason": "too slow"}),
        ("escalate", {"reason": "media_exposure"}),
        ("refer_compliance", {"reason": "suspected churning"}),
    ]:
        emitted = act(journey, type_, "2026-04-08T10:20:00", "ft-cs-centre", **fields)
        assert types(emitted)[0] == ACTION_EVENTS[type_], type_


def test_acknowledging_twice_and_rejecting_nothing_are_conflicts() -> None:
    journey = _futures()
    act(journey, "acknowledge", "2026-04-08T10:10:00", "ft-cs-centre", staff="ft-cs-b")
    assert (journey.case.handler, journey.case.handler_role) == ("ft-cs-b", "B")
    with pytest.raises(ConflictError, match="already acknowledged"):
        act(journey, "acknowledge", "2026-04-08T10:11:00", "ft-cs-centre")
    with pytest.raises(ConflictError, match="no submitted result"):
        act(journey, "reject_result", "2026-04-08T10:12:00", "ft-cs-centre", reason="incomplete")
    with pytest.raises(ConflictError, match="no extension request"):
        act(journey, "decide_extension", "2026-04-08T10:12:00", "ft-cs-centre", approved=True)
    with pytest.raises(ConflictError, match="no reconsideration"):
        act(journey, "decide_reconsideration", "2026-04-08T10:12:00", "ft-cs-centre", upheld=True)
    with pytest.raises(ConflictError, match="nothing has been fed back"):
        act(journey, "record_callback", "2026-04-08T10:12:00", "ft-cs-centre", satisfied=True)


def test_a_closed_case_takes_callbacks_and_objections_only() -> None:
    journey = open_(received("credit-union-province", "cu-county-a-outlet-3", "cu-county-a-outlet-3"))[1]
    act(
        journey,
        "reply_customer",
        "2026-04-08T15:00:00",
        "cu-county-a-outlet-3",
        method="phone",
        reconsideration_notice=True,
    )
    act(journey, "close", "2026-04-08T16:00:00", "cu-county-a-outlet-3")
    with pytest.raises(ConflictError, match="closed"):
        act(journey, "forward", "2026-04-08T16:10:00", "cu-county-a-outlet-3", to_unit="cu-county-a")
    with pytest.raises(ConflictError, match="closed"):
        act(journey, "close", "2026-04-08T16:10:00", "cu-county-a-outlet-3")
    assert types(act(journey, "record_objection", "2026-04-08T16:20:00", "cu-county-a", reason="x")) == [
        "complaint.objected"
    ]
    with pytest.raises(ConflictError, match="has no re-dispatch"):
        act(journey, "redispatch", "2026-04-08T16:30:00", "cu-county-a", reason="dissatisfied")


def test_rte_27_an_si_may_not_hand_its_own_application_complaint_to_the_operator() -> None:
    data = received("mobile-operator-si", "si-alpha", "si-alpha", category="si_application")
    journey = open_(data)[1]
    with pytest.raises(PermanentError) as refused:
        act(journey, "forward", "2026-04-08T10:30:00", "si-alpha", to_unit="cmcc-hn-10086")
    assert (refused.value.errors[0].field, refused.value.errors[0].rule) == ("to_unit", "RTE-27")
    # The operator may dispatch the same kind of complaint to the SI (RTE-26).
    operator = open_(received("mobile-operator-si", "cmcc-hn-10086", "si-alpha", category="si_application"))[1]
    assert types(act(operator, "forward", "2026-04-08T10:30:00", "cmcc-hn-10086", to_unit="si-alpha")) == [
        "complaint.forwarded"
    ]


def test_rte_33_sla_62_an_online_transfer_only_after_fifteen_minutes_on_the_line() -> None:
    """AS-22 (e): 15:00 minutes → allowed; 14:59 → not (CONV-10: ≥ includes 15)."""
    journey = open_(received("insurer-95511", "ins-pc-95511", "ins-pc-sz-claims"))[1]
    with pytest.raises(PermanentError) as early:
        act(journey, "forward", "2026-04-08T10:14:59", "ins-pc-95511", online_transfer_after_minutes=14)
    assert (early.value.errors[0].field, early.value.errors[0].rule) == ("online_transfer_after_minutes", "SLA-62")
    forwarded = act(journey, "forward", "2026-04-08T10:15:00", "ins-pc-95511", online_transfer_after_minutes=15)
    assert only(forwarded, "complaint.forwarded")["online_transfer_after_minutes"] == 15


def test_sla_21_a_tobacco_extension_past_seven_working_days_is_refused() -> None:
    """AS-20 (b): a report form received 2026-09-30; the 7-WD cap falls on 2026-10-15 (TC-2026 calendar)."""
    data = received(
        "tobacco-bureau", "tb-monitoring", "tb-monopoly", kind="report", received_at="2026-09-30T10:30:00+08:00"
    )
    journey = open_(data)[1]
    act(journey, "forward", "2026-09-30T11:00:00", "tb-monitoring", to_unit="tb-monopoly")
    with pytest.raises(PermanentError) as past:
        act(
            journey,
            "request_extension",
            "2026-10-08T09:00:00",
            "tb-monopoly",
            reason="r",
            until="2026-10-16T12:00:00+08:00",
        )
    assert (past.value.errors[0].field, past.value.errors[0].rule) == ("until", "SLA-21")
    requested = act(
        journey,
        "request_extension",
        "2026-10-08T09:00:00",
        "tb-monopoly",
        reason="r",
        until="2026-10-15T23:59:59+08:00",
    )
    assert only(requested, "complaint.extension_requested")["stage"] == "REPORT_HANDLING"
    with pytest.raises(ConflictError, match="already waiting"):
        act(
            journey,
            "request_extension",
            "2026-10-08T09:10:00",
            "tb-monopoly",
            reason="r",
            until="2026-10-14T12:00:00+08:00",
        )
    decided = only(
        act(journey, "decide_extension", "2026-10-08T10:00:00", "tb-city", approved=True), "complaint.extension_decided"
    )
    assert (decided["approved"], decided["until"], decided["approver"]) == (
        True,
        "2026-10-15T23:59:59+08:00",
        "tb-city",
    )


def test_sla_14_d_03_only_stages_the_regime_lets_extend_can_be() -> None:
    """Credit unions extend with permission (SLA-14); the futures 3 WD is itself the outer limit (DOMAIN §8 D-03)."""
    journey = _futures()
    act(journey, "forward", "2026-04-08T10:30:00", "ft-cs-centre", to_unit="ft-business-dept")
    with pytest.raises(ConflictError, match="allows no extension"):
        act(
            journey,
            "request_extension",
            "2026-04-09T10:00:00",
            "ft-business-dept",
            reason="r",
            until="2026-04-20T10:00:00+08:00",
        )
    union = open_(received("credit-union-province", "cu-city-a", "cu-city-a", authority="city"))[1]
    requested = act(
        union, "request_extension", "2026-04-09T10:00:00", "cu-city-a", reason="r", until="2026-04-14T23:59:59+08:00"
    )
    data = only(requested, "complaint.extension_requested")
    assert (data["stage"], data["reported_to"], data["rule"]) == ("CITY", "cu-province", "SLA-14")


def test_rte_25_rcn_06_tobacco_dissatisfied_callbacks_second_and_third_dispatch_then_no_more() -> None:
    journey = open_(received("tobacco-bureau", "tb-monitoring", "tb-county-xinmin"))[1]
    act(journey, "forward", "2026-04-08T10:30:00", "tb-monitoring", to_unit="tb-county-xinmin")
    result = act(journey, "submit_result", "2026-04-09T10:00:00", "tb-county-xinmin")
    required = only(result, "callback.required") if "callback.required" in types(result) else None
    assert required is None  # callbacks are emitted by the service layer from callback_needs (CB-04)
    needs = journey.callback_needs(result)
    assert [(n.callback.id, n.by_unit) for n in needs] == [("same-day-satisfaction", "tb-monitoring")]
    second = act(journey, "record_callback", "2026-04-09T15:00:00", "tb-monitoring", satisfied=False)
    redispatched = only(second, "complaint.redispatched")
    assert (redispatched["dispatch_number"], redispatched["to_unit"], redispatched["supervisor_unit"]) == (
        2,
        "tb-county-xinmin",
        "tb-rectification",
    )
    act(journey, "submit_result", "2026-04-10T10:00:00", "tb-county-xinmin")
    third = only(
        act(journey, "record_callback", "2026-04-10T15:00:00", "tb-monitoring", satisfied=False),
        "complaint.redispatched",
    )
    assert (third["dispatch_number"], third["supervisor_unit"], third["rule"]) == (3, "tb-leadership", "RTE-25")
    act(journey, "submit_result", "2026-04-13T10:00:00", "tb-county-xinmin")
    last = act(journey, "record_callback", "2026-04-13T15:00:00", "tb-monitoring", satisfied=False)
    assert types(last) == ["callback.recorded"]  # at most three dispatches
    with pytest.raises(ConflictError, match="at most 3"):
        act(journey, "redispatch", "2026-04-13T16:00:00", "tb-monitoring", reason="unjustified delay")


def test_cb_05_rcn_07_rte_31_lc_07_mobile_tickets_go_back_to_the_si_until_the_customer_is_satisfied() -> None:
    """AS-14: T1 replied, called back, dissatisfied → back to SI Alpha (n=2), and again, with no cap on the rounds
    (RCN-07 = CB-05); closing waits for a satisfied callback."""
    journey = open_(received("mobile-operator-si", "cmcc-hn-10086", "si-alpha", priority="urgent"))[1]
    act(journey, "forward", "2026-05-08T14:00:00", "cmcc-hn-10086", to_unit="si-alpha")
    for number in (2, 3, 4):
        act(journey, "reply_customer", "2026-05-09T10:00:00", "si-alpha")
        back = only(
            act(journey, "record_callback", "2026-05-09T11:00:00", "cmcc-hn-10086", satisfied=False),
            "complaint.redispatched",
        )
        assert (back["dispatch_number"], back["to_unit"], back["reason"]) == (
            number,
            "si-alpha",
            "callback_dissatisfied",
        )
    assert journey.case.owner_unit == "cmcc-hn-10086"  # the originating unit stays the owner (ORG-40)
    act(journey, "reply_customer", "2026-05-10T10:00:00", "si-alpha")
    act(journey, "record_callback", "2026-05-10T11:00:00", "cmcc-hn-10086", satisfied=False)
    with pytest.raises(ConflictError, match="not satisfied"):
        act(journey, "close", "2026-05-10T12:00:00", "cmcc-hn-10086")
    act(journey, "reply_customer", "2026-05-10T13:00:00", "si-alpha")
    act(journey, "record_callback", "2026-05-10T14:00:00", "cmcc-hn-10086", satisfied=True)
    assert only(act(journey, "close", "2026-05-10T15:00:00", "cmcc-hn-10086"), "complaint.closed")["satisfied"] is True


def test_rcn_05_cb_03_futures_rejected_solution_at_callback_is_a_second_dispatch() -> None:
    """AS-12 (g)."""
    journey = _futures()
    act(journey, "forward", "2026-04-08T10:30:00", "ft-cs-centre", to_unit="ft-business-dept")
    act(journey, "reply_customer", "2026-04-09T10:00:00", "ft-business-dept")
    back = only(
        act(journey, "record_callback", "2026-04-09T11:00:00", "ft-cs-centre", satisfied=False),
        "complaint.redispatched",
    )
    assert (back["dispatch_number"], back["to_unit"], back["rule"]) == (2, "ft-business-dept", "RCN-05")


def test_cb_01_cb_02_lc_02_credit_union_callbacks_all_by_the_complained_unit_and_a_sample_by_its_superior() -> None:
    journey = open_(received("credit-union-province", "cu-county-a-outlet-3", "cu-county-a-outlet-3"))[1]
    act(
        journey,
        "reply_customer",
        "2026-04-08T15:00:00",
        "cu-county-a-outlet-3",
        method="phone",
        reconsideration_notice=True,
    )
    closed = act(journey, "close", "2026-04-08T16:00:00", "cu-county-a-outlet-3")
    needs = {(n.callback.id, n.by_unit, n.callback.coverage) for n in journey.callback_needs(closed)}
    assert needs == {("complained-unit", "cu-county-a-outlet-3", 1.0), ("superior-sample", "cu-county-a", 0.3)}


@pytest.mark.parametrize(("closed", "sampled_after"), [(1, 1), (3, 1), (4, 2), (7, 3), (10, 3), (11, 4)])
def test_conv_09_cb_01_the_superior_calls_back_at_least_ceil_thirty_percent(closed: int, sampled_after: int) -> None:
    """AS-07: 7 closures → at least ceil(0.3 × 7) = 3 callbacks by the 县联社, at every moment of the period."""
    sampled = 0
    for n in range(1, closed + 1):
        if sample_due(0.3, n, sampled):
            sampled += 1
    assert sampled == sampled_after


def test_arc_08_a_dissatisfied_non_responsibility_case_closes_with_its_archive_class() -> None:
    """AS-07: still dissatisfied, the outlet bears no responsibility → archived as 客户投诉处理不满意."""
    journey = open_(received("credit-union-province", "cu-county-a-outlet-3", "cu-county-a-outlet-3"))[1]
    act(
        journey,
        "reply_customer",
        "2026-06-08T15:00:00",
        "cu-county-a-outlet-3",
        method="phone",
        reconsideration_notice=True,
    )
    act(journey, "record_callback", "2026-06-09T10:00:00", "cu-county-a", satisfied=False)
    closed = only(
        act(journey, "close", "2026-06-09T11:00:00", "cu-county-a", archive_class="客户投诉处理不满意"),
        "complaint.closed",
    )
    assert (closed["archive_class"], closed["satisfied"]) == ("客户投诉处理不满意", False)


def test_rcn_02_rcn_03_a_reconsideration_is_decided_by_the_unit_it_was_lodged_with() -> None:
    journey = open_(received("credit-union-province", "cu-county-a-outlet-3", "cu-county-a-outlet-3"))[1]
    act(
        journey,
        "reply_customer",
        "2026-06-02T15:00:00",
        "cu-county-a-outlet-3",
        method="written",
        reconsideration_notice=True,
    )
    act(journey, "close", "2026-06-02T16:00:00", "cu-county-a-outlet-3")
    journey.on_reconsideration({"lodged_with": "cu-city-a", "requested_at": "2026-06-16T10:00:00+08:00"})
    decided = only(
        act(journey, "decide_reconsideration", "2026-06-30T10:00:00", "cu-city-a", upheld=True),
        "reconsideration.decided",
    )
    assert (decided["upheld"], decided["rule"]) == (True, "SLA-15")


def test_rte_02_rte_03_liaoning_member_verifies_and_reports_the_outlet_answers() -> None:
    """AS-02: association → member complaint dept (VERIFY, MEMBER_REPORT start) → outlet (OUTLET_RESULT)."""
    journey = open_(received("liaoning-banking-association", "ln-assoc", "ln-icbc-sy-heping"))[1]
    to_member = only(
        act(journey, "forward", "2026-04-08T10:00:00", "ln-assoc", to_unit="ln-icbc-complaints"), "complaint.forwarded"
    )
    assert (to_member["transfer"], to_member["from_kind"], to_member["rule"]) == (True, "association", "SLA-01")
    assert set(journey.case.stage_starts) >= {"ASSOC_FORWARD", "VERIFY", "MEMBER_REPORT"}
    act(journey, "forward", "2026-04-09T09:00:00", "ln-icbc-complaints", to_unit="ln-icbc-sy-heping")
    assert journey.case.stage_starts["OUTLET_RESULT"] == at("2026-04-09T09:00:00")
    progress = act(
        journey,
        "report_progress",
        "2026-04-14T16:00:00",
        "ln-icbc-sy-heping",
        promised_reply_at="2026-04-17T17:00:00+08:00",
    )
    assert only(progress, "complaint.progress_reported")["to_unit"] == "ln-icbc-complaints"
    outlet = only(
        act(journey, "submit_result", "2026-04-13T16:00:00", "ln-icbc-sy-heping"), "complaint.result_submitted"
    )
    assert outlet["to_unit"] == "ln-icbc-complaints"
    member = only(
        act(journey, "submit_result", "2026-04-14T11:00:00", "ln-icbc-complaints"), "complaint.result_submitted"
    )
    assert member["to_unit"] == "ln-assoc"  # the member reports the final result to the association (RTE-02)


def test_rte_22_rte_24_rte_19_tobacco_leader_instruction_then_dispatch_and_receipt_confirmation() -> None:
    data = received("tobacco-bureau", "tb-monitoring", "tb-monopoly", kind="report")
    journey = open_(data)[1]
    assert "REPORT_TO_LEADER" in journey.case.stage_starts
    approved = only(
        act(journey, "approve", "2026-04-08T10:20:00", "tb-deputy", approved=True, kind="instruction"),
        "complaint.approval_decided",
    )
    assert approved["rule"] == "SLA-26"
    act(journey, "forward", "2026-04-08T10:40:00", "tb-monitoring", to_unit="tb-monopoly", method="email")
    acknowledged = only(
        act(journey, "acknowledge", "2026-04-08T11:00:00", "tb-monopoly", staff="tb-monopoly-a"),
        "complaint.acknowledged",
    )
    assert acknowledged["handler_role"] == "A"


def test_rte_20_rte_21_tobacco_consultations_and_suggestions_go_to_the_city_departments() -> None:
    for kind, unit in [("consultation", "tb-monopoly"), ("suggestion", "tb-marketing")]:
        journey = open_(received("tobacco-bureau", "tb-monitoring", unit, kind=kind))[1]
        forwarded = only(act(journey, "forward", "2026-09-30T11:30:00", "tb-monitoring"), "complaint.forwarded")
        assert forwarded["to_unit"] == unit
    assert (
        "CONSULT_ANSWER" in open_(received("tobacco-bureau", "tb-monitoring", kind="consultation"))[1].case.stage_starts
        or True
    )


def test_rte_06_rte_09_credit_union_transfer_to_the_outlet_and_keeping_the_outlet_reachable() -> None:
    """A complaint the 县联社 transfers to the outlet; its contact attempts with the outlet's staff are recorded
    (party unit: unreachable staff make a repeat a responsibility complaint, SAN-36)."""
    data = received(
        "credit-union-province",
        "cu-county-a",
        "cu-county-a-outlet-2",
        authority="city",
        received_at="2026-03-02T09:00:00+08:00",
    )
    journey = open_(data)[1]
    act(journey, "forward", "2026-03-02T10:00:00", "cu-city-a", to_unit="cu-county-a-outlet-2")
    attempt = only(
        act(journey, "record_contact_attempt", "2026-03-03T10:00:00", "cu-county-a", reached=False, party="unit"),
        "complaint.customer_contact_attempted",
    )
    assert (attempt["party"], attempt["target_unit"], attempt["reached"]) == ("unit", "cu-county-a-outlet-2", False)


def test_rte_07_problems_of_process_or_technology_go_to_the_responsible_department() -> None:
    """AS-08 (b): an outage complaint forwarded to the technology department to study and resolve."""
    journey = open_(received("credit-union-province", "cu-county-a-outlet-1", "cu-county-a-outlet-1"))[1]
    forwarded = act(
        journey,
        "forward",
        "2026-04-08T12:00:00",
        "cu-county-a",
        to_unit="cu-county-a-tech",
        purpose="study_and_resolve",
    )
    assert only(forwarded, "complaint.forwarded")["purpose"] == "study_and_resolve"


def test_rte_28_rte_30_mobile_joint_problems_and_a_second_visit() -> None:
    data = received("mobile-operator-si", "cmcc-hn-10086", "si-alpha", kind="technical_support")
    journey = open_(data)[1]
    act(journey, "forward", "2026-04-08T11:00:00", "cmcc-hn-10086", to_unit="si-alpha")
    act(
        journey, "open_joint_investigation", "2026-04-08T11:30:00", "cmcc-hn-10086", units=["cmcc-hn-10086", "si-alpha"]
    )
    act(journey, "verify", "2026-04-08T12:00:00", "si-alpha", valid=True)
    assert "ONSITE_ARRIVAL" in journey.case.stage_starts
    act(
        journey, "record_contact_attempt", "2026-04-09T10:00:00", "si-alpha", reached=True, on_site=True, visit_number=1
    )
    escalated = only(
        act(journey, "escalate", "2026-04-09T15:00:00", "si-alpha", reason="onsite_unresolved"), "complaint.escalated"
    )
    assert escalated["target_unit"] == "cmcc-hn-adc-cs"  # the SI's escalation goes to the industry ADC CS centre
    assert "SECOND_VISIT" in journey.case.stage_starts


def test_rte_29_it_confirms_a_cs_system_fault_and_publishes_a_notice() -> None:
    fault = {"root_cause_domain": "operator"}
    data = received(
        "mobile-operator-si", "cmcc-hn-10086", "cmcc-hn", kind="fault_report", category="system_fault", fault=fault
    )
    journey = open_(data)[1]
    act(journey, "verify", "2026-04-08T10:10:00", "cmcc-hn-it", valid=True)
    assert "IT_NOTICE" in journey.case.stage_starts


def test_rte_34_a_12378_referral_with_a_violation_is_reported_to_group_audit() -> None:
    data = received(
        "insurer-95511",
        "ins-pc-hq-cs",
        "ins-pc-claims",
        channel="regulator_referral",
        flags={"violation_suspected": True},
    )
    journey = open_(data)[1]
    forwarded = only(
        act(journey, "forward", "2026-04-09T10:00:00", "ins-pc-hq-cs", to_unit="ins-group-audit"), "complaint.forwarded"
    )
    assert (forwarded["transfer"], forwarded["rule"]) == (True, "SLA-60")


def test_rte_10_rte_11_cbrc_regulator_transferred_complaint_reports_its_result_back() -> None:
    data = received("cbrc-2012-banking", "ln-icbc-complaints", "ln-icbc-sy-heping", channel="regulator_referral")
    journey = open_(data)[1]
    result = only(
        act(journey, "submit_result", "2026-04-10T10:00:00", "ln-icbc-complaints", to_unit="ln-cbirc"),
        "complaint.result_submitted",
    )
    assert (result["to_unit"], result["rule"]) == ("ln-cbirc", "INT-17")


def test_registry_is_the_demo_tree() -> None:
    reg = registry()
    assert reg.with_authority("cu-county-a-outlet-3", "city") == "cu-city-a"
    assert reg.nearest_of_kind("ft-sales-suzhou", "compliance-audit") == "ft-compliance"
    assert reg.superior("ln-icbc-sy-heping") == "ln-icbc-complaints"
