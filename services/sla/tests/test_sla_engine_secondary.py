"""Secondary regimes and the CBRC transfer (DOMAIN §4.7, §4.9): AS-25 (a) property ladder and daily duty,
(b) manufacturer working hours, (c) auto-dealer hand-offs; a transfer's own deadline (INT-17)."""

import pytest
from conftest import Harness, ts

from tousu.contracts.types import iso

PM = "property-management"
MQ = "manufacturer-qe"
AD = "auto-dealer-service"
pytestmark = pytest.mark.integration


async def property_case(sla: Harness) -> str:
    await sla.org("pm-co", "company")
    await sla.org("pm-front", "front-desk", "pm-co")
    await sla.org("pm-eng", "department", "pm-co")
    cid = await sla.receive(PM, "2026-03-09T09:00", receiving_unit="pm-front", respondent_unit="pm-eng")
    await sla.assign(cid, "pm-front", "2026-03-09T09:00")
    await sla.feed(
        "complaint.forwarded",
        complaint_id=cid,
        regime=PM,
        from_unit="pm-front",
        to_unit="pm-eng",
        by="pm-front",
        occurred_at=ts("2026-03-09T09:04"),
    )
    return cid


async def test_sla80_83_as25a_property_ladder_dues(sla: Harness) -> None:
    cid = await property_case(sla)
    clocks = await sla.clocks(cid)
    assert {s: (iso(c.due_at), c.state) for s, c in clocks.items()} == {
        "DISPATCH": ("2026-03-09T09:05:00+08:00", "met"),
        "COMPLETION_24H": ("2026-03-10T09:00:00+08:00", "running"),
        "HANDLING": ("2026-03-09T21:04:00+08:00", "running"),
        "PROGRESS_REPORT": ("2026-03-10T09:04:00+08:00", "running"),
    }
    fired = await sla.fire("2026-03-10T09:04:00")
    assert [(e.data["stage"], e.data["breached_at"]) for e in fired if e.type == "sla.breached"] == [
        ("HANDLING", "2026-03-09T21:04:00+08:00"),
        ("COMPLETION_24H", "2026-03-10T09:00:00+08:00"),
        ("PROGRESS_REPORT", "2026-03-10T09:04:00+08:00"),
    ]


async def test_sla84_as25a_daily_progress_by_17_00_until_done(sla: Harness) -> None:
    cid = await property_case(sla)
    await sla.fire("2026-03-10T09:00:00")
    # routing escalates the COMPLETION_24H breach; the escalated department then owes a report every day by 17:00
    started = await sla.feed(
        "complaint.escalated",
        complaint_id=cid,
        reference="R",
        regime=PM,
        stage="COMPLETION_24H",
        owner_unit="pm-front",
        level=1,
        target_unit="pm-co",
        reason="sla_breached",
        occurred_at=ts("2026-03-10T09:00"),
    )
    assert [(e.data["stage"], e.data["due_at"], e.data["owner_unit"]) for e in started] == [
        ("DAILY_PROGRESS", "2026-03-10T17:00:00+08:00", "pm-eng")
    ]
    emitted = await sla.feed(
        "complaint.progress_reported", complaint_id=cid, regime=PM, by="pm-eng", occurred_at=ts("2026-03-10T15:00")
    )
    daily = [(e.type, e.data["cycle"], e.data["due_at"]) for e in emitted if e.data["stage"] == "DAILY_PROGRESS"]
    assert daily == [
        ("sla.met", 1, "2026-03-10T17:00:00+08:00"),
        ("sla.clock_started", 2, "2026-03-11T17:00:00+08:00"),
    ]
    # A second report the same day meets nothing more: 03-11's report is still owed.
    await sla.feed(
        "complaint.progress_reported", complaint_id=cid, regime=PM, by="pm-eng", occurred_at=ts("2026-03-10T16:00")
    )
    fired = await sla.fire("2026-03-11T17:00:00")
    assert [(e.type, e.data["cycle"]) for e in fired if e.data["stage"] == "DAILY_PROGRESS"] == [
        ("sla.breached", 2),
        ("sla.clock_started", 3),
    ]
    emitted = await sla.feed(
        "complaint.result_submitted", complaint_id=cid, regime=PM, by="pm-eng", occurred_at=ts("2026-03-12T10:00")
    )
    assert [(e.type, e.data["cycle"]) for e in emitted if e.data["stage"] == "DAILY_PROGRESS"] == [("sla.met", 3)]
    runs = await sla.runs(cid, "DAILY_PROGRESS")
    assert [(r.cycle, r.state) for r in runs] == [(1, "met"), (2, "breached"), (3, "met")]


async def test_sla85_cb08_as25a_callback_due_the_same_day(sla: Harness) -> None:
    cid = await property_case(sla)
    await sla.feed(
        "callback.required", complaint_id=cid, regime=PM, by_unit="pm-front", occurred_at=ts("2026-03-11T10:30")
    )
    assert iso((await sla.clocks(cid))["CALLBACK"].due_at) == "2026-03-11T23:59:59+08:00"


async def test_sla81_as25a_an_agreed_48_hour_window_replaces_12_hours(sla: Harness) -> None:
    cid = await property_case(sla)
    emitted = await sla.feed(
        "complaint.extension_requested",
        complaint_id=cid,
        regime=PM,
        by="pm-eng",
        reason="customer_agreed",
        until=ts("2026-03-11T09:04"),
        occurred_at=ts("2026-03-09T09:30"),
    )
    [extended] = [e for e in emitted if e.type == "sla.extended"]
    assert (extended.data["stage"], extended.data["new_due_at"]) == ("HANDLING", "2026-03-11T09:04:00+08:00")
    # Any other reason is not an agreement with the owner.
    other = await property_case(sla)
    emitted = await sla.feed(
        "complaint.extension_requested",
        complaint_id=other,
        regime=PM,
        by="pm-eng",
        reason="parts missing",
        until=ts("2026-03-11T09:04"),
        occurred_at=ts("2026-03-09T09:30"),
    )
    assert not [e for e in emitted if e.type == "sla.extended"]


async def test_sla90_92_as25b_manufacturer_working_hours_and_days(sla: Harness) -> None:
    await sla.org("mq-co", "company")
    await sla.org("mq-sales", "department", "mq-co")
    major = await sla.receive(MQ, "2026-04-03T15:00", receiving_unit="mq-sales", priority="major")
    await sla.assign(major, "mq-sales", "2026-04-03T15:00")
    general = await sla.receive(MQ, "2026-04-03T15:00", receiving_unit="mq-sales")
    await sla.assign(general, "mq-sales", "2026-04-03T15:00")
    assert {s: iso(c.due_at) for s, c in (await sla.clocks(major)).items()} == {
        "HANDLING_FORM": "2026-04-03T16:00:00+08:00",
        "INTERIM_MEASURE": "2026-04-07T15:00:00+08:00",  # 3 h Fri + 3.5 h + 1.5 h Tue (08:30-12:00, 13:30-18:00)
        "PERMANENT_MEASURE": "2026-04-08T23:59:59+08:00",
    }
    assert {s: iso(c.due_at) for s, c in (await sla.clocks(general)).items()} == {
        "HANDLING_FORM": "2026-04-03T16:00:00+08:00",
        "GENERAL_REPLY": "2026-04-09T23:59:59+08:00",
    }


async def test_sla93_94_as25c_auto_dealer_thirty_minute_hand_offs(sla: Harness) -> None:
    await sla.org("ad-dealer", "dealer")
    await sla.org("ad-sales", "department", "ad-dealer")
    await sla.org("ad-cust", "customer-dept", "ad-dealer")
    await sla.org("ad-service", "department", "ad-dealer")
    cid = await sla.receive(
        AD, "2026-04-03T15:00", receiving_unit="ad-sales", priority="major", flags={"media_exposure": True}
    )
    await sla.assign(cid, "ad-sales", "2026-04-03T15:00")
    assert iso((await sla.clocks(cid))["TO_CUSTOMER_DEPT"].due_at) == "2026-04-03T15:30:00+08:00"
    await sla.feed(
        "complaint.forwarded",
        complaint_id=cid,
        regime=AD,
        from_unit="ad-sales",
        to_unit="ad-cust",
        by="ad-sales",
        occurred_at=ts("2026-04-03T15:20"),
    )
    clocks = await sla.clocks(cid)
    assert clocks["TO_CUSTOMER_DEPT"].state == "met"
    assert (iso(clocks["TO_MANAGER"].due_at), clocks["TO_MANAGER"].owner_unit) == (
        "2026-04-03T15:50:00+08:00",
        "ad-cust",
    )
    await sla.feed(
        "complaint.forwarded",
        complaint_id=cid,
        regime=AD,
        from_unit="ad-cust",
        to_unit="ad-service",
        by="ad-cust",
        occurred_at=ts("2026-04-03T15:45"),
    )
    assert (await sla.clocks(cid))["TO_MANAGER"].state == "met"


@pytest.mark.parametrize(
    ("transfer_due", "due"),
    [("2026-05-20", "2026-05-20T23:59:59+08:00"), (None, "2026-05-26T23:59:59+08:00")],
)
async def test_int17_a_transfer_with_its_own_deadline_sets_the_due(
    sla: Harness, transfer_due: str | None, due: str
) -> None:
    await sla.org("cb-bank", "bank")
    extra = {"transfer_due_at": transfer_due} if transfer_due else {}
    cid = await sla.receive(
        "cbrc-2012-banking", "2026-05-06T10:00", receiving_unit="cb-bank", channel="regulator_referral", **extra
    )
    await sla.assign(cid, "cb-bank", "2026-05-06T10:00")
    result = (await sla.clocks(cid))["TRANSFER_RESULT"]
    assert iso(result.due_at) == due  # else 15 WD (parameter): 05-07, 08, 09 (Sat make-up), 11..15, 18..22, 25, 26
    assert result.due_basis == ("override" if transfer_due else "count")
