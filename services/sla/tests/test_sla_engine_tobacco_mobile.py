"""Tobacco and mobile/SI stage clocks (DOMAIN §4.3, §4.5): AS-20, AS-14, caps, re-dispatch rounds, severities."""

import pytest
from conftest import Harness, ts

from tousu.contracts.types import iso

TB = "tobacco-bureau"
MO = "mobile-operator-si"
pytestmark = pytest.mark.integration


async def tobacco_world(sla: Harness) -> None:
    await sla.org("tb-mc", "monitoring-centre")
    await sla.org("tb-monopoly", "department", "tb-mc")
    await sla.org("tb-county", "county-bureau", "tb-mc")


async def received(sla: Harness, at: str, **facts: object) -> str:
    cid = await sla.receive(TB, at, receiving_unit="tb-mc", respondent_unit="tb-county", **facts)
    await sla.assign(cid, "tb-mc", at)
    return cid


async def forward(sla: Harness, cid: str, to: str, at: str) -> list[object]:
    return list(
        await sla.feed(
            "complaint.forwarded",
            complaint_id=cid,
            regime=TB,
            from_unit="tb-mc",
            to_unit=to,
            by="tb-mc",
            occurred_at=ts(at),
        )
    )


async def test_sla22_as20a_consultation_answered_the_same_day(sla: Harness) -> None:
    await tobacco_world(sla)
    cid = await received(sla, "2026-09-30T10:00", kind="consultation")
    await forward(sla, cid, "tb-monopoly", "2026-09-30T11:30")
    clocks = await sla.clocks(cid)
    assert (iso(clocks["CONSULT_ANSWER"].due_at), clocks["CONSULT_ANSWER"].owner_unit) == (
        "2026-09-30T23:59:59+08:00",
        "tb-monopoly",
    )
    assert "UNIT_HANDLING" not in clocks
    # The form's receipt confirmation runs on business hours (08:30-12:00, 13:30-17:30 by default).
    assert iso(clocks["DISPATCH_ACK"].due_at) == "2026-09-30T17:00:00+08:00"
    breached = [e for e in await sla.fire("2026-10-01T00:00:00") if e.type == "sla.breached"]
    assert [(e.data["stage"], e.data["breached_at"]) for e in breached] == [
        ("DISPATCH_ACK", "2026-09-30T17:00:00+08:00"),
        ("CONSULT_ANSWER", "2026-10-01T00:00:00+08:00"),
    ]


async def test_sla23_sla26_as20b_report_to_the_leader_and_handling_with_a_7wd_cap(sla: Harness) -> None:
    await tobacco_world(sla)
    cid = await received(sla, "2026-09-30T10:30", kind="report", confidential=True)
    assert iso((await sla.clocks(cid))["REPORT_TO_LEADER"].due_at) == "2026-09-30T11:30:00+08:00"
    await forward(sla, cid, "tb-county", "2026-09-30T14:00")
    handling = (await sla.clocks(cid))["REPORT_HANDLING"]
    assert iso(handling.due_at) == "2026-10-09T23:59:59+08:00"  # 10-08, 10-09
    assert iso(handling.cap_at) == "2026-10-15T23:59:59+08:00"  # 7 WD: 10-08, 09, 10 (Sat make-up), 12..15
    emitted = await sla.feed(
        "complaint.extension_decided",
        complaint_id=cid,
        regime=TB,
        by="tb-mc",
        approved=True,
        until=ts("2026-10-20T23:59:59"),
        stage="REPORT_HANDLING",
        occurred_at=ts("2026-10-09T09:00"),
    )
    [extended] = [e for e in emitted if e.type == "sla.extended"]
    assert extended.data["new_due_at"] == extended.data["cap_at"] == "2026-10-15T23:59:59+08:00"
    assert "capped" in extended.data["reason"]


async def test_sla21_an_approval_after_the_limit_extends_nothing(sla: Harness) -> None:
    await tobacco_world(sla)
    cid = await received(sla, "2026-09-30T10:00")
    await forward(sla, cid, "tb-county", "2026-09-30T14:00")
    await sla.fire("2026-10-10T00:00:00")
    emitted = await sla.feed(
        "complaint.extension_decided",
        complaint_id=cid,
        regime=TB,
        by="tb-mc",
        approved=True,
        until=ts("2026-10-12T23:59:59"),
        occurred_at=ts("2026-10-10T09:00"),
    )
    assert not [e for e in emitted if e.type == "sla.extended"]
    assert (await sla.clocks(cid))["UNIT_HANDLING"].state == "breached"


async def test_sla24_as20c_provincial_ticket_due_on_the_make_up_saturday(sla: Harness) -> None:
    await tobacco_world(sla)
    cid = await received(sla, "2026-09-30T15:00", channel="government_referral")
    ticket = (await sla.clocks(cid))["PROVINCIAL_TICKET"]
    assert (iso(ticket.due_at), ticket.owner_unit) == ("2026-10-10T23:59:59+08:00", "tb-mc")


async def test_sla25_cb04_callback_the_same_day_as_the_feedback(sla: Harness) -> None:
    await tobacco_world(sla)
    cid = await received(sla, "2026-09-30T10:00")
    await sla.feed(
        "callback.required", complaint_id=cid, regime=TB, by_unit="tb-mc", occurred_at=ts("2026-10-09T16:00")
    )
    assert iso((await sla.clocks(cid))["CALLBACK"].due_at) == "2026-10-09T23:59:59+08:00"
    await sla.feed(
        "callback.recorded",
        complaint_id=cid,
        regime=TB,
        by_unit="tb-mc",
        satisfied=True,
        occurred_at=ts("2026-10-09T17:00"),
    )
    assert (await sla.clocks(cid))["CALLBACK"].state == "met"


async def test_rte25_second_and_third_dispatch_start_new_rounds(sla: Harness) -> None:
    await tobacco_world(sla)
    cid = await received(sla, "2026-03-02T09:00")
    await forward(sla, cid, "tb-county", "2026-03-02T10:00")
    await sla.feed(
        "complaint.result_submitted", complaint_id=cid, regime=TB, by="tb-county", occurred_at=ts("2026-03-03T10:00")
    )
    emitted = await sla.feed(
        "complaint.redispatched",
        complaint_id=cid,
        regime=TB,
        by="tb-mc",
        to_unit="tb-county",
        dispatch_number=2,
        reason="customer dissatisfied",
        occurred_at=ts("2026-03-04T10:00"),
    )
    assert [(e.type, e.data["stage"], e.data["cycle"]) for e in emitted if e.data.get("stage") == "UNIT_HANDLING"] == [
        ("sla.clock_started", "UNIT_HANDLING", 2)
    ]
    # A third dispatch while the second round still runs supersedes it.
    emitted = await sla.feed(
        "complaint.redispatched",
        complaint_id=cid,
        regime=TB,
        by="tb-mc",
        to_unit="tb-county",
        dispatch_number=3,
        reason="unjustified delay",
        occurred_at=ts("2026-03-05T10:00"),
    )
    handling = [(e.type, e.data["cycle"]) for e in emitted if e.data.get("stage") == "UNIT_HANDLING"]
    assert handling == [("sla.clock_stopped", 2), ("sla.clock_started", 3)]
    runs = await sla.runs(cid, "UNIT_HANDLING")
    assert [(r.cycle, r.state, iso(r.due_at)) for r in runs] == [
        (1, "met", "2026-03-04T23:59:59+08:00"),
        (2, "stopped", "2026-03-06T23:59:59+08:00"),
        (3, "running", "2026-03-09T23:59:59+08:00"),
    ]


async def mobile_world(sla: Harness) -> None:
    await sla.org("mo-10086", "operator")
    await sla.org("mo-alpha", "vendor", "mo-10086")


@pytest.mark.parametrize(
    ("priority", "stage", "due"),
    [
        ("urgent", "URGENT_REPLY", "2026-05-09T14:00:00+08:00"),
        ("difficult", "DIFFICULT_REPLY", "2026-05-11T14:00:00+08:00"),
    ],
)
async def test_sla40_41_as14_dispatched_tickets_on_the_wall_clock(
    sla: Harness, priority: str, stage: str, due: str
) -> None:
    await mobile_world(sla)
    cid = await sla.receive(MO, "2026-05-08T13:50", receiving_unit="mo-10086", priority=priority)
    await sla.assign(cid, "mo-10086", "2026-05-08T13:50")
    await sla.feed(
        "complaint.forwarded",
        complaint_id=cid,
        regime=MO,
        from_unit="mo-10086",
        to_unit="mo-alpha",
        by="mo-10086",
        occurred_at=ts("2026-05-08T14:00"),
    )
    clocks = await sla.clocks(cid)
    assert set(clocks) == {stage}
    assert (iso(clocks[stage].due_at), clocks[stage].owner_unit) == (due, "mo-alpha")
    breached = [e for e in await sla.fire(due[:19]) if e.type == "sla.breached"]
    assert [e.data["breached_at"] for e in breached] == [due]


async def test_cb05_as14_dissatisfied_callback_sends_the_ticket_back_for_a_new_round(sla: Harness) -> None:
    await mobile_world(sla)
    cid = await sla.receive(MO, "2026-05-08T13:50", receiving_unit="mo-10086", priority="urgent")
    await sla.assign(cid, "mo-10086", "2026-05-08T13:50")
    await sla.feed(
        "complaint.forwarded",
        complaint_id=cid,
        regime=MO,
        from_unit="mo-10086",
        to_unit="mo-alpha",
        by="mo-10086",
        occurred_at=ts("2026-05-08T14:00"),
    )
    await sla.feed(
        "complaint.replied",
        complaint_id=cid,
        regime=MO,
        by="mo-alpha",
        to_unit="mo-10086",
        occurred_at=ts("2026-05-09T10:00"),
    )
    await sla.feed(
        "complaint.redispatched",
        complaint_id=cid,
        regime=MO,
        by="mo-10086",
        to_unit="mo-alpha",
        dispatch_number=2,
        reason="callback dissatisfied",
        occurred_at=ts("2026-05-09T15:00"),
    )
    runs = await sla.runs(cid, "URGENT_REPLY")
    assert [(r.cycle, r.state, iso(r.due_at)) for r in runs] == [
        (1, "met", "2026-05-09T14:00:00+08:00"),
        (2, "running", "2026-05-10T15:00:00+08:00"),
    ]


@pytest.mark.parametrize(("severity", "due"), [("severe", "T12:00"), ("important", "T14:00"), ("general", "T22:00")])
async def test_sla48_50_fault_fix_by_severity_and_the_owner_follows_the_ticket(
    sla: Harness, severity: str, due: str
) -> None:
    await mobile_world(sla)
    await sla.org("mo-adc", "vendor", "mo-10086")
    cid = await sla.receive(
        MO,
        "2026-05-08T10:00",
        receiving_unit="mo-10086",
        kind="fault_report",
        category="system_fault",
        fault={"service_stopped": severity == "severe", "root_cause_domain": "vendor", "severity": severity},
    )
    await sla.assign(cid, "mo-10086", "2026-05-08T10:00")
    fix = (await sla.clocks(cid))["FAULT_FIX"]
    assert iso(fix.due_at) == f"2026-05-08{due}:00+08:00"
    await sla.feed(
        "complaint.forwarded",
        complaint_id=cid,
        regime=MO,
        from_unit="mo-10086",
        to_unit="mo-adc",
        by="mo-10086",
        occurred_at=ts("2026-05-08T10:10"),
    )
    assert (await sla.clocks(cid))["FAULT_FIX"].owner_unit == "mo-adc"
    breached = [e for e in await sla.fire(f"2026-05-08{due}") if e.type == "sla.breached"]
    assert [e.data["owner_unit"] for e in breached] == ["mo-adc"]
