"""Liaoning and credit-union stage clocks (DOMAIN §4.1, §4.2) on TC-2026: AS-01, AS-02, AS-05, AS-06."""

import pytest
from conftest import Harness, ts

from tousu.contracts.types import iso

LN = "liaoning-banking-association"
CU = "credit-union-province"
pytestmark = pytest.mark.integration


async def liaoning_world(sla: Harness) -> None:
    await sla.org("ln-a", "association")
    await sla.org("ln-m", "member", "ln-a")
    await sla.org("ln-o", "outlet", "ln-m")


async def forwarded_to_member(sla: Harness) -> str:
    """AS-01 then AS-02's start: received Fri 2026-04-03 15:20, forwarded to the member bank 04-08 10:00."""
    await liaoning_world(sla)
    cid = await sla.receive(LN, "2026-04-03T15:20", receiving_unit="ln-a", respondent_unit="ln-o")
    await sla.assign(cid, "ln-a", "2026-04-03T15:20")
    await sla.feed(
        "complaint.forwarded",
        complaint_id=cid,
        regime=LN,
        from_unit="ln-a",
        to_unit="ln-m",
        by="ln-a",
        transfer=True,
        occurred_at=ts("2026-04-08T10:00"),
    )
    return cid


async def test_sla01_as01_assoc_forward_due_after_qingming_and_met_by_the_forward(sla: Harness) -> None:
    cid = await forwarded_to_member(sla)
    started = sla.of("sla.clock_started", cid, "ASSOC_FORWARD")[0]
    assert started.data["due_at"] == "2026-04-08T23:59:59+08:00"  # WD1 04-07, WD2 04-08 (CONV-02)
    assert started.data["owner_unit"] == "ln-a"
    met = sla.of("sla.met", cid, "ASSOC_FORWARD")
    assert [m.data["stopped_at"] for m in met] == ["2026-04-08T10:00:00+08:00"]


async def test_sla01_as01_not_forwarded_breaches_at_the_next_second(sla: Harness) -> None:
    await liaoning_world(sla)
    cid = await sla.receive(LN, "2026-04-03T15:20", receiving_unit="ln-a", respondent_unit="ln-o")
    await sla.assign(cid, "ln-a", "2026-04-03T15:20")
    assert not [e for e in await sla.fire("2026-04-08T23:59:59") if e.type == "sla.breached"]
    breached = [e for e in await sla.fire("2026-04-09T00:00:00") if e.type == "sla.breached"]
    assert [(b.data["stage"], b.data["breached_at"]) for b in breached] == [
        ("ASSOC_FORWARD", "2026-04-09T00:00:00+08:00")
    ]


async def test_rte01_as01_communicative_complaint_starts_no_forwarding_clock(sla: Harness) -> None:
    await liaoning_world(sla)
    cid = await sla.receive(LN, "2026-04-03T15:20", receiving_unit="ln-a", classification={"validity": "communicative"})
    await sla.assign(cid, "ln-a", "2026-04-03T15:20")
    assert await sla.clocks(cid) == {}


async def test_sla02_03_04_as02_member_and_outlet_dues(sla: Harness) -> None:
    cid = await forwarded_to_member(sla)
    await sla.feed(
        "complaint.forwarded",
        complaint_id=cid,
        regime=LN,
        from_unit="ln-m",
        to_unit="ln-o",
        by="ln-m",
        occurred_at=ts("2026-04-09T09:00"),
    )
    clocks = await sla.clocks(cid)
    assert iso(clocks["VERIFY"].due_at) == "2026-04-10T23:59:59+08:00"
    assert iso(clocks["MEMBER_REPORT"].due_at) == "2026-04-15T23:59:59+08:00"
    assert iso(clocks["OUTLET_RESULT"].due_at) == "2026-04-14T23:59:59+08:00"
    assert (clocks["VERIFY"].owner_unit, clocks["OUTLET_RESULT"].owner_unit) == ("ln-m", "ln-o")


async def outlet_stage(sla: Harness) -> str:
    cid = await forwarded_to_member(sla)
    await sla.feed(
        "complaint.forwarded",
        complaint_id=cid,
        regime=LN,
        from_unit="ln-m",
        to_unit="ln-o",
        by="ln-m",
        occurred_at=ts("2026-04-09T09:00"),
    )
    return cid


async def test_sla04_as02a_outlet_needs_both_result_and_reply_and_all_three_stop(sla: Harness) -> None:
    cid = await outlet_stage(sla)
    await sla.feed(
        "complaint.verified", complaint_id=cid, regime=LN, by="ln-m", valid=True, occurred_at=ts("2026-04-10T10:00")
    )
    await sla.feed("complaint.replied", complaint_id=cid, regime=LN, by="ln-o", occurred_at=ts("2026-04-13T16:00"))
    assert (await sla.clocks(cid))["OUTLET_RESULT"].state == "running"  # the reply alone is not the result
    await sla.feed(
        "complaint.result_submitted",
        complaint_id=cid,
        regime=LN,
        by="ln-o",
        to_unit="ln-m",
        occurred_at=ts("2026-04-13T16:05"),
    )
    assert (await sla.clocks(cid))["MEMBER_REPORT"].state == "running"  # the outlet's result is not the member's
    await sla.feed(
        "complaint.result_submitted",
        complaint_id=cid,
        regime=LN,
        by="ln-m",
        to_unit="ln-a",
        occurred_at=ts("2026-04-14T11:00"),
    )
    clocks = await sla.clocks(cid)
    assert {s: c.state for s, c in clocks.items()} == {
        "ASSOC_FORWARD": "met",
        "VERIFY": "met",
        "MEMBER_REPORT": "met",
        "OUTLET_RESULT": "met",
    }
    assert iso(clocks["OUTLET_RESULT"].stopped_at) == "2026-04-13T16:05:00+08:00"
    await sla.fire("2026-04-20T00:00")
    assert not [e for e in sla.events if e.type == "sla.breached" and e.complaint_id == cid]


async def test_sla05_as02b_progress_report_moves_the_outlet_due_not_the_members(sla: Harness) -> None:
    cid = await outlet_stage(sla)
    extended = await sla.feed(
        "complaint.progress_reported",
        complaint_id=cid,
        regime=LN,
        by="ln-o",
        to_unit="ln-m",
        customer_informed=True,
        promised_reply_at=ts("2026-04-17T17:00"),
        occurred_at=ts("2026-04-14T16:00"),
    )
    [event] = [e for e in extended if e.type == "sla.extended"]
    assert event.data["stage"] == "OUTLET_RESULT"
    assert (event.data["previous_due_at"], event.data["new_due_at"]) == (
        "2026-04-14T23:59:59+08:00",
        "2026-04-17T17:00:00+08:00",
    )
    fired = await sla.fire("2026-04-16T00:00:00")
    assert [(e.data["stage"], e.data["breached_at"]) for e in fired if e.type == "sla.breached"] == [
        ("VERIFY", "2026-04-11T00:00:00+08:00"),
        ("MEMBER_REPORT", "2026-04-16T00:00:00+08:00"),
    ]
    assert (await sla.clocks(cid))["OUTLET_RESULT"].state == "extended"
    fired = await sla.fire("2026-04-17T17:00:00")
    assert [(e.data["stage"], e.data["breached_at"]) for e in fired if e.type == "sla.breached"] == [
        ("OUTLET_RESULT", "2026-04-17T17:00:00+08:00")  # a promised instant breaches at itself
    ]


async def test_sla05_as02c_no_result_and_no_report_breaches_the_outlet(sla: Harness) -> None:
    cid = await outlet_stage(sla)
    fired = await sla.fire("2026-04-15T00:00:00")
    assert [
        (e.data["stage"], e.data["breached_at"], e.data["owner_unit"]) for e in fired if e.type == "sla.breached"
    ] == [
        ("VERIFY", "2026-04-11T00:00:00+08:00", "ln-m"),
        ("OUTLET_RESULT", "2026-04-15T00:00:00+08:00", "ln-o"),
    ]
    # A progress report after the limit is too late to move it (SLA-05: before the due).
    await sla.feed(
        "complaint.progress_reported",
        complaint_id=cid,
        regime=LN,
        by="ln-o",
        promised_reply_at=ts("2026-04-20T17:00"),
        occurred_at=ts("2026-04-15T09:00"),
    )
    outlet = (await sla.clocks(cid))["OUTLET_RESULT"]
    assert outlet.state == "breached"
    assert iso(outlet.due_at) == "2026-04-14T23:59:59+08:00"
    assert outlet.extensions[-1]["kind"] == "refused"


async def credit_union_city(sla: Harness) -> str:
    await sla.org("cu-prov", "province")
    await sla.org("cu-city", "city", "cu-prov")
    cid = await sla.receive(CU, "2026-09-29T10:00", receiving_unit="cu-city", authority="city")
    await sla.assign(cid, "cu-city", "2026-09-29T10:00")
    return cid


async def test_sla11_as05_city_due_across_national_day(sla: Harness) -> None:
    cid = await credit_union_city(sla)
    assert iso((await sla.clocks(cid))["CITY"].due_at) == "2026-10-08T23:59:59+08:00"  # WD1 09-30, WD2 10-08


async def test_sla14_as05a_explained_reported_and_permitted_inside_the_limit_extends(sla: Harness) -> None:
    cid = await credit_union_city(sla)
    await sla.feed(
        "complaint.extension_requested",
        complaint_id=cid,
        regime=CU,
        by="cu-city",
        reason="special circumstances",
        until=ts("2026-10-13T23:59:59"),
        explained_to_customer=True,
        reported_to="cu-prov",
        occurred_at=ts("2026-10-08T15:00"),
    )
    emitted = await sla.feed(
        "complaint.extension_decided",
        complaint_id=cid,
        regime=CU,
        by="cu-prov",
        approved=True,
        until=ts("2026-10-13T23:59:59"),
        approver="cu-prov",
        occurred_at=ts("2026-10-08T15:30"),
    )
    [extended] = [e for e in emitted if e.type == "sla.extended"]
    assert extended.data["new_due_at"] == "2026-10-13T23:59:59+08:00"
    assert extended.data["approver"] == "cu-prov"
    assert not [e for e in await sla.fire("2026-10-13T23:59:59") if e.type == "sla.breached"]
    breached = [e for e in await sla.fire("2026-10-14T00:00:00") if e.type == "sla.breached"]
    assert [b.data["breached_at"] for b in breached] == ["2026-10-14T00:00:00+08:00"]


async def test_sla14_as05b_nothing_recorded_breaches(sla: Harness) -> None:
    cid = await credit_union_city(sla)
    breached = [e for e in await sla.fire("2026-10-09T00:00:00") if e.type == "sla.breached"]
    assert [(b.complaint_id, b.data["stage"], b.data["breached_at"]) for b in breached] == [
        (cid, "CITY", "2026-10-09T00:00:00+08:00")
    ]


async def test_sla14_as05c_explanation_after_the_limit_leaves_the_breach(sla: Harness) -> None:
    cid = await credit_union_city(sla)
    await sla.fire("2026-10-09T00:00:00")
    await sla.feed(
        "complaint.extension_requested",
        complaint_id=cid,
        regime=CU,
        by="cu-city",
        reason="late",
        until=ts("2026-10-13T23:59:59"),
        occurred_at=ts("2026-10-09T09:00"),
    )
    emitted = await sla.feed(
        "complaint.extension_decided",
        complaint_id=cid,
        regime=CU,
        by="cu-prov",
        approved=True,
        until=ts("2026-10-13T23:59:59"),
        occurred_at=ts("2026-10-09T10:00"),
    )
    assert not [e for e in emitted if e.type in ("sla.extended", "sla.breach_withdrawn")]
    city = (await sla.clocks(cid))["CITY"]
    assert city.state == "breached"
    assert city.extensions[-1] == {**city.extensions[-1], "kind": "refused"}
    assert "inside the limit" in city.extensions[-1]["reason"]


async def test_sla14_approval_without_the_units_request_is_not_enough(sla: Harness) -> None:
    cid = await credit_union_city(sla)
    emitted = await sla.feed(
        "complaint.extension_decided",
        complaint_id=cid,
        regime=CU,
        by="cu-prov",
        approved=True,
        until=ts("2026-10-13T23:59:59"),
        occurred_at=ts("2026-10-08T15:30"),
    )
    assert not [e for e in emitted if e.type == "sla.extended"]
    assert (await sla.clocks(cid))["CITY"].extensions[-1]["reason"] == "requirement explanation not met"


async def test_sla14_a_refused_decision_moves_nothing(sla: Harness) -> None:
    cid = await credit_union_city(sla)
    await sla.feed(
        "complaint.extension_requested",
        complaint_id=cid,
        regime=CU,
        by="cu-city",
        reason="special",
        until=ts("2026-10-13T23:59:59"),
        occurred_at=ts("2026-10-08T15:00"),
    )
    emitted = await sla.feed(
        "complaint.extension_decided",
        complaint_id=cid,
        regime=CU,
        by="cu-prov",
        approved=False,
        occurred_at=ts("2026-10-08T16:00"),
    )
    assert emitted == []
    assert iso((await sla.clocks(cid))["CITY"].due_at) == "2026-10-08T23:59:59+08:00"


@pytest.mark.parametrize(
    ("requested", "due"),
    [("2026-06-16T10:00", "2026-07-01T23:59:59+08:00"), ("2026-06-17T09:00", "2026-07-02T23:59:59+08:00")],
)
async def test_sla15_rcn03_as06_reconsideration_decision_in_10_working_days(
    sla: Harness, requested: str, due: str
) -> None:
    await sla.org("cu-county", "county")
    await sla.org("cu-city2", "city")
    cid = await sla.receive(CU, "2026-05-28T10:00", receiving_unit="cu-county", authority="outlet")
    await sla.feed(
        "reconsideration.requested",
        complaint_id=cid,
        regime=CU,
        requested_at=ts(requested),
        lodged_with="cu-city2",
        notified_at=ts("2026-06-02T10:00"),
        occurred_at=ts(requested),
    )
    recon = (await sla.clocks(cid))["RECON_DECISION"]
    assert (iso(recon.due_at), recon.owner_unit) == (due, "cu-city2")
    await sla.feed(
        "reconsideration.decided",
        complaint_id=cid,
        regime=CU,
        by="cu-city2",
        upheld=True,
        occurred_at=ts("2026-06-30T10:00"),
    )
    assert (await sla.clocks(cid))["RECON_DECISION"].state == "met"
