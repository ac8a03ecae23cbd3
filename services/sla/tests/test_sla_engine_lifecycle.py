"""What happens to clocks around the stage rules: closure, late and out-of-order facts, pauses, organisation
calendars, provisional years and their rescheduling (ARCHITECTURE §3, §5; CONTRACT §6)."""

from datetime import date
from pathlib import Path

import pytest
from conftest import Harness, at, ts

from tousu.contracts.envelope import CloudEvent
from tousu.contracts.types import iso
from tousu.kit.errors import ConflictError, PermanentError
from tousu.sla.domain.calendars import OrgCalendar
from tousu.sla.service_layer import calendars, clocks
from tousu.sla.service_layer.world import World, load_world

LN = "liaoning-banking-association"
MQ = "manufacturer-qe"
pytestmark = pytest.mark.integration


async def association_complaint(sla: Harness, received: str = "2026-04-03T15:20") -> str:
    await sla.org("lc-a", "association")
    await sla.org("lc-m", "member", "lc-a")
    cid = await sla.receive(LN, received, receiving_unit="lc-a", respondent_unit="lc-m")
    await sla.assign(cid, "lc-a", received)
    return cid


async def forward(sla: Harness, cid: str, when: str, to: str = "lc-m") -> list[CloudEvent]:
    return list(
        await sla.feed(
            "complaint.forwarded",
            complaint_id=cid,
            regime=LN,
            from_unit="lc-a",
            to_unit=to,
            by="lc-a",
            occurred_at=ts(when),
        )
    )


async def test_lc10_a_withdrawn_complaint_stops_its_clocks(sla: Harness) -> None:
    cid = await association_complaint(sla)
    emitted = await sla.feed("complaint.withdrawn", complaint_id=cid, regime=LN, requested_at=ts("2026-04-07T09:00"))
    assert [(e.type, e.data["stage"], e.data["reason"]) for e in emitted] == [
        ("sla.clock_stopped", "ASSOC_FORWARD", "withdrawn")
    ]
    assert not await sla.fire("2026-04-10T00:00")


async def test_arch5_a_stop_that_happened_in_time_but_arrived_late_withdraws_the_breach(sla: Harness) -> None:
    cid = await association_complaint(sla)
    await sla.fire("2026-04-09T00:00:05")
    emitted = await forward(sla, cid, "2026-04-08T22:00")
    types = [(e.type, e.data.get("stage")) for e in emitted if e.data.get("stage") == "ASSOC_FORWARD"]
    assert types == [("sla.breach_withdrawn", "ASSOC_FORWARD"), ("sla.met", "ASSOC_FORWARD")]
    withdrawn = emitted[0]
    assert withdrawn.data["breached_at"] == "2026-04-09T00:00:00+08:00"
    clock = (await sla.clocks(cid))["ASSOC_FORWARD"]
    assert (clock.state, clock.breach_withdrawn) == ("met", True)


async def test_arch5_a_late_stop_before_the_sweep_publishes_the_breach_itself(sla: Harness) -> None:
    cid = await association_complaint(sla)
    emitted = await forward(sla, cid, "2026-04-09T10:00")
    assert [(e.type, e.data["breached_at"]) for e in emitted if e.type == "sla.breached"] == [
        ("sla.breached", "2026-04-09T00:00:00+08:00")
    ]
    assert (await sla.clocks(cid))["ASSOC_FORWARD"].state == "breached"
    assert not [e for e in await sla.fire("2026-04-10T00:00") if e.type == "sla.breached"]


async def test_arch3_a_stop_delivered_before_its_start_is_applied_when_the_stage_starts(sla: Harness) -> None:
    await sla.org("lc-a", "association")
    await sla.org("lc-m", "member", "lc-a")
    cid = await sla.receive(LN, "2026-04-03T15:20", receiving_unit="lc-a", respondent_unit="lc-m")
    await forward(sla, cid, "2026-04-07T10:00")  # delivered before complaint.assigned
    emitted = await sla.assign(cid, "lc-a", "2026-04-03T15:20")
    assert [e.type for e in emitted if e.data["stage"] == "ASSOC_FORWARD"] == ["sla.clock_started", "sla.met"]


async def test_arch3_events_before_complaint_received_wait_for_it(sla: Harness) -> None:
    await sla.org("lc-a", "association")
    cid = "0c0c0c0c-0000-4000-8000-000000000001"
    sla.mine.add(cid)
    assert await sla.assign(cid, "lc-a", "2026-04-03T15:20") == []
    await sla.feed(
        "complaint.received",
        complaint_id=cid,
        reference="R-1",
        regime=LN,
        policy_version="2026.1",
        received_at=ts("2026-04-03T15:20"),
        occurred_at=ts("2026-04-03T15:20"),
        receiving_unit="lc-a",
        respondent_unit="lc-a",
        channel="phone",
        kind="complaint",
        category="service_attitude",
        priority="ordinary",
        classification={"validity": "valid"},
    )
    assert iso((await sla.clocks(cid))["ASSOC_FORWARD"].due_at) == "2026-04-08T23:59:59+08:00"


async def test_conv12_the_warning_fires_before_the_breach_and_only_while_running(sla: Harness) -> None:
    cid = await association_complaint(sla)
    warning_at = (await sla.clocks(cid))["ASSOC_FORWARD"].warning_at
    assert at("2026-04-03T15:20") < warning_at < at("2026-04-08T23:59:59")
    fired = await sla.fire(warning_at)
    assert [e.type for e in fired] == ["sla.warning"]
    other = await association_complaint(sla)
    await forward(sla, other, "2026-04-07T09:00")
    assert not [e for e in await sla.fire("2026-04-09T00:00") if e.complaint_id == other]


# -- pause and resume (CONTRACT §6) --------------------------------------------------------------------------------


async def manufacturer_general(sla: Harness) -> str:
    await sla.org("lm-co", "company")
    cid = await sla.receive(MQ, "2026-04-03T15:00", receiving_unit="lm-co")
    await sla.assign(cid, "lm-co", "2026-04-03T15:00")
    return cid


async def locked(sla: Harness, cid: str, stage: str) -> object:
    return (await sla.clocks(cid))[stage]


async def test_a_paused_working_day_clock_keeps_the_days_that_were_left(sla: Harness) -> None:
    cid = await manufacturer_general(sla)
    sla.now = at("2026-04-07T10:00")
    clock = await locked(sla, cid, "GENERAL_REPLY")
    policy = sla.engine.policies.get(MQ, "")
    stage = policy.stage("GENERAL_REPLY")
    _, emitted = await sla.call(
        clocks.pause, stage, clock, at("2026-04-07T10:00"), "waiting for the customer's evidence"
    )
    assert [(e.type, e.data["reason"]) for e in emitted] == [("sla.paused", "waiting for the customer's evidence")]
    fired = await sla.fire("2026-04-10T00:00:00")
    assert not [e for e in fired if e.data["stage"] == "GENERAL_REPLY"]  # 04-09's breach does not fire while paused
    clock = await locked(sla, cid, "GENERAL_REPLY")
    world = await _world(sla)
    sla.now = at("2026-04-10T09:00")
    _, emitted = await sla.call(
        clocks.resume, stage, clock, at("2026-04-10T09:00"), world.calendar("lm-co", policy), None
    )
    [resumed] = emitted
    # 2 working days were left at the pause (04-08, 04-09): counted again from 04-10 (day 0) → 04-13, 04-14.
    assert (resumed.data["previous_due_at"], resumed.data["due_at"]) == (
        "2026-04-09T23:59:59+08:00",
        "2026-04-14T23:59:59+08:00",
    )
    fired = await sla.fire("2026-04-15T00:00:00")
    assert [e.data["breached_at"] for e in fired if e.type == "sla.breached"] == ["2026-04-15T00:00:00+08:00"]


async def test_pausing_is_refused_where_the_regime_does_not_allow_it_or_the_time_is_past(sla: Harness) -> None:
    cid = await association_complaint(sla)
    stage = sla.engine.policies.get(LN, "").stage("ASSOC_FORWARD")
    sla.now = at("2026-04-07T10:00")
    with pytest.raises(ConflictError):
        await sla.call(clocks.pause, stage, await locked(sla, cid, "ASSOC_FORWARD"), at("2026-04-07T10:00"), "x")
    other = await manufacturer_general(sla)
    general = sla.engine.policies.get(MQ, "").stage("GENERAL_REPLY")
    with pytest.raises(PermanentError):  # in the future of the business clock
        await sla.call(clocks.pause, general, await locked(sla, other, "GENERAL_REPLY"), at("2026-04-08T10:00"), "x")
    with pytest.raises(ConflictError):  # not paused
        await sla.call(
            clocks.resume, general, await locked(sla, other, "GENERAL_REPLY"), at("2026-04-07T10:00"), None, None
        )


async def _world(sla: Harness) -> World:
    async with sla.sessions() as session, session.begin():
        return await load_world(sla.uow(session), sla.engine.policies)


# -- organisation calendars -------------------------------------------------------------------------------------


async def test_conv08_an_organisation_holiday_moves_open_clocks_of_its_subtree(sla: Harness) -> None:
    await sla.org("lo-a", "association")
    await sla.org("lo-m", "member", "lo-a")
    await sla.org("lo-o", "outlet", "lo-m")
    cid = await sla.receive(LN, "2026-04-03T15:20", receiving_unit="lo-a", respondent_unit="lo-o")
    await sla.assign(cid, "lo-a", "2026-04-03T15:20")
    await sla.feed(
        "complaint.forwarded",
        complaint_id=cid,
        regime=LN,
        from_unit="lo-a",
        to_unit="lo-m",
        by="lo-a",
        occurred_at=ts("2026-04-08T10:00"),
    )
    override = OrgCalendar("lo-m", frozenset({date(2026, 4, 13)}), frozenset(), None, "bank B internal day off")
    _, emitted = await sla.call(calendars.store_org_calendar, sla.engine.policies, override)
    moved = {e.data["stage"]: (e.data["previous_due_at"], e.data["due_at"]) for e in emitted}
    assert moved["MEMBER_REPORT"] == ("2026-04-15T23:59:59+08:00", "2026-04-16T23:59:59+08:00")
    assert "VERIFY" not in moved  # 04-09, 04-10: the extra holiday is after its due
    _, emitted = await sla.call(calendars.delete_org_calendar, sla.engine.policies, "lo-m")
    assert [e.data["due_at"] for e in emitted] == ["2026-04-15T23:59:59+08:00"]


async def test_conv04_an_organisations_business_hours_replace_the_regimes(sla: Harness) -> None:
    await sla.org("lb-co", "company")
    await sla.org("lb-sales", "department", "lb-co")
    hours = OrgCalendar.from_dict("lb-co", {"business_hours": ["09:00-12:00", "13:00-17:00"], "source": "lb"})
    await sla.call(calendars.store_org_calendar, sla.engine.policies, hours)
    cid = await sla.receive(MQ, "2026-04-03T15:00", receiving_unit="lb-sales", priority="major")
    await sla.assign(cid, "lb-sales", "2026-04-03T15:00")
    # 2 h on Fri (15-17) + 3 h + 3 h on Tue 04-07 → 16:00
    assert iso((await sla.clocks(cid))["INTERIM_MEASURE"].due_at) == "2026-04-07T16:00:00+08:00"
    await sla.call(calendars.delete_org_calendar, sla.engine.policies, "lb-co")


# -- provisional years (ARCHITECTURE §5) ----------------------------------------------------------------------------

TEST_2027 = {
    "holidays": [
        "2027-01-01",
        "2027-02-05",
        "2027-02-06",
        "2027-02-07",
        "2027-02-08",
        "2027-02-09",
        "2027-02-10",
        "2027-02-11",
    ],
    "working_days": ["2027-02-13"],
    "source": "test data, not the real 2027 schedule",
}


async def test_arch5_a_deadline_into_an_unknown_year_is_provisional_until_the_year_is_loaded(sla: Harness) -> None:
    cid = await association_complaint(sla, "2026-12-28T10:00")
    await forward(sla, cid, "2026-12-28T15:00")
    report = (await sla.clocks(cid))["MEMBER_REPORT"]
    assert (iso(report.due_at), report.provisional, report.provisional_years) == (
        "2027-01-04T23:59:59+08:00",  # 12-29, 12-30, 12-31, 01-01 (Fri, weekends only), 01-04
        True,
        [2027],
    )
    started = sla.of("sla.clock_started", cid, "MEMBER_REPORT")[0]
    assert started.data["provisional"] is True
    assert (await sla.clocks(cid))["VERIFY"].provisional is False
    try:
        emitted = await sla.load_year(2027, TEST_2027)
        [moved] = [e for e in emitted if e.complaint_id == cid]
        assert (moved.type, moved.data["stage"]) == ("sla.rescheduled", "MEMBER_REPORT")
        assert (moved.data["previous_due_at"], moved.data["due_at"], moved.data["provisional"]) == (
            "2027-01-04T23:59:59+08:00",
            "2027-01-05T23:59:59+08:00",  # 12-29, 12-30, 12-31, 01-04, 01-05
            False,
        )
        breaches = [e for e in await sla.fire("2027-01-05T00:00:00") if e.type == "sla.breached"]
        assert [e.data["stage"] for e in breaches] == ["VERIFY"]
        breaches = [e for e in await sla.fire("2027-01-06T00:00:00") if e.type == "sla.breached"]
        assert [(e.data["stage"], e.data["breached_at"]) for e in breaches] == [
            ("MEMBER_REPORT", "2027-01-06T00:00:00+08:00")
        ]
    finally:
        await sla.call(calendars.unload_year, sla.engine.policies, 2027)


async def test_a_replica_sees_another_replicas_organisation_change(sla: Harness) -> None:
    """Each replica caches the organisations and calendars; a change anywhere makes every replica reload."""
    other = Harness(sla.sessions)  # a second replica: its own engine and cache, the same database
    await sla.org("lr-a", "company")
    cid = await sla.receive(LN, "2026-04-03T15:20", receiving_unit="lr-a")
    await sla.assign(cid, "lr-a", "2026-04-03T15:20")
    assert await sla.clocks(cid) == {}  # not an association: no ASSOC_FORWARD
    await other.org("lr-a", "association")  # learnt through the other replica
    late = await sla.receive(LN, "2026-04-03T15:20", receiving_unit="lr-a")
    await sla.assign(late, "lr-a", "2026-04-03T15:20")
    assert set(await sla.clocks(late)) == {"ASSOC_FORWARD"}


async def test_arch5_the_operators_calendar_file_is_applied_where_it_differs(sla: Harness, tmp_path: Path) -> None:
    file = tmp_path / "calendars.yaml"
    file.write_text(
        "years:\n"
        "  2027:\n"
        "    holidays: [2027-01-01]\n"
        "    working_days: []\n"
        "    source: operator file (test)\n"
        "orgs:\n"
        "  lf-bank:\n"
        "    holidays: [2026-06-02]\n"
        "    business_hours: ['09:00-12:00', '13:00-17:00']\n"
        "    source: bank B (test)\n",
        encoding="utf-8",
    )
    try:
        changed, _ = await sla.call(calendars.apply_calendar_file, sla.engine.policies, file)
        assert changed >= 2  # the year and the organisation (and any open clock they move)
        again, _ = await sla.call(calendars.apply_calendar_file, sla.engine.policies, file)
        assert again == 0  # nothing differs: a restart of every replica changes nothing
        world = await _world(sla)
        assert world.plain_calendar().year_source(2027) == "operator file (test)"
        assert not world.calendar("lf-bank", sla.engine.policies.get(LN, "")).is_working_day(date(2026, 6, 2))
    finally:
        await sla.call(calendars.unload_year, sla.engine.policies, 2027)
        await sla.call(calendars.delete_org_calendar, sla.engine.policies, "lf-bank")
