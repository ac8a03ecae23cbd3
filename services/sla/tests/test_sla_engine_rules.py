"""Rules without a stage table row of their own (DOMAIN §4.2 SLA-13, §4.5 SLA-44, SLA-51), instants to the second,
and the `minutes` clock as `GET .../clocks` and `.../explain` show it; all on TC-2026, to the second."""

import re
from datetime import timedelta
from typing import Any

import pytest
from conftest import POLICIES, Harness, at, ts

from tousu.contracts.types import iso
from tousu.sla.domain.clocks import warning_instant
from tousu.sla.service_layer.views import clock_view, explain_view
from tousu.sla.service_layer.world import load_world

CU = "credit-union-province"
MO = "mobile-operator-si"
AD = "auto-dealer-service"
pytestmark = pytest.mark.integration


def breaches(events: list[Any]) -> list[tuple[str, str]]:
    return [(e.data["stage"], e.data["breached_at"]) for e in events if e.type == "sla.breached"]


# -- SLA-13: a complaint transferred to the outlet runs the outlet's level limit ------------------------------------


async def transferred_to_outlet(sla: Harness, at_: str) -> str:
    """The county's petition office (信访) takes a complaint about an outlet and transfers it there."""
    await sla.org("cu13-county", "county")
    await sla.org("cu13-petition", "petition-office", "cu13-county")
    await sla.org("cu13-outlet", "outlet", "cu13-county")
    cid = await sla.receive(
        CU, at_, receiving_unit="cu13-petition", respondent_unit="cu13-outlet", authority="outlet", channel="letter"
    )
    await sla.assign(cid, "cu13-outlet", at_)
    return cid


@pytest.mark.parametrize(
    ("transferred", "due"),
    [
        ("2026-09-30T16:20", "2026-10-08T23:59:59"),  # day 0 Wed; 10-01..07 National Day; WD1 10-08
        ("2026-10-09T17:30", "2026-10-10T23:59:59"),  # WD1 is the make-up Saturday 10-10
        ("2026-10-10T09:00", "2026-10-12T23:59:59"),  # transferred on the make-up Saturday: day 0, WD1 Mon
    ],
)
async def test_sla13_rte06_a_transferred_complaint_runs_the_outlet_level_limit(
    sla: Harness, transferred: str, due: str
) -> None:
    cid = await transferred_to_outlet(sla, transferred)
    outlet = (await sla.clocks(cid))["OUTLET"]
    assert (outlet.owner_unit, outlet.clock, int(outlet.length)) == ("cu13-outlet", "working_days", 1)
    breach_at = at(due) + timedelta(seconds=1)
    assert (iso(outlet.due_at), iso(outlet.breach_at)) == (ts(due), iso(breach_at))
    assert breaches(await sla.fire(at(due))) == []
    assert breaches(await sla.fire(breach_at)) == [("OUTLET", iso(breach_at))]


async def test_sla13_a_transferred_complaint_answered_on_its_last_second_is_met(sla: Harness) -> None:
    cid = await transferred_to_outlet(sla, "2026-09-30T16:20")
    await sla.feed(
        "complaint.replied", complaint_id=cid, regime=CU, by="cu13-outlet", occurred_at=ts("2026-10-08T23:59:59")
    )
    outlet = (await sla.clocks(cid))["OUTLET"]
    assert (outlet.state, iso(outlet.stopped_at)) == ("met", "2026-10-08T23:59:59+08:00")
    assert breaches(await sla.fire("2026-10-09T00:00:00")) == []


# -- SLA-44: the SI is on call 7D×24H, so its hour clocks run through nights and holidays ---------------------------


async def test_sla44_sla42_the_si_clocks_run_through_a_holiday_night(sla: Harness) -> None:
    await sla.org("mo44-10086", "operator")
    await sla.org("mo44-si", "vendor", "mo44-10086")
    # Lodged with the SI on the eve of Labour Day (05-01..05-05 rest days in TC-2026).
    cid = await sla.receive(MO, "2026-04-30T21:30", receiving_unit="mo44-si")
    await sla.assign(cid, "mo44-si", "2026-04-30T21:30")
    clocks = await sla.clocks(cid)
    assert {s: (iso(c.warning_at), iso(c.due_at)) for s, c in clocks.items()} == {
        "SI_REPLY": ("2026-05-01T06:30:00+08:00", "2026-05-01T09:30:00+08:00"),  # 12 h, warned at 9 h
        "SI_RESOLVE": ("2026-05-01T15:30:00+08:00", "2026-05-01T21:30:00+08:00"),  # 24 h
    }
    warned = await sla.fire("2026-05-01T06:30:00")
    assert [(e.type, e.data["warning_at"]) for e in warned] == [("sla.warning", "2026-05-01T06:30:00+08:00")]
    assert breaches(await sla.fire("2026-05-01T09:29:59")) == []
    assert breaches(await sla.fire("2026-05-01T09:30:00")) == [("SI_REPLY", "2026-05-01T09:30:00+08:00")]


# -- SLA-51: the ADC management-platform builder fixes faults in the same 2/4/12 h as an SI ---------------------------


@pytest.mark.parametrize(
    ("severity", "due"),
    [("severe", "2026-09-30T22:00:00"), ("important", "2026-10-01T00:00:00"), ("general", "2026-10-01T08:00:00")],
)
@pytest.mark.parametrize(("builder", "category"), [("si", "system_fault"), ("adc-builder", "adc_platform")])
async def test_sla51_sla48_50_the_adc_platform_builder_fixes_faults_as_an_si_does(
    sla: Harness, builder: str, category: str, severity: str, due: str
) -> None:
    operator, unit = f"mo51-10086-{builder}-{severity}", f"mo51-{builder}-{severity}"
    await sla.org(operator, "operator")
    await sla.org(unit, "vendor", operator)
    fault = {"root_cause_domain": "vendor", "severity": severity, "service_stopped": severity == "severe"}
    # Discovered at 20:00 on the eve of National Day: the fix clock runs through the night into the holiday.
    cid = await sla.receive(
        MO, "2026-09-30T20:00", receiving_unit=operator, kind="fault_report", category=category, fault=fault
    )
    await sla.assign(cid, operator, "2026-09-30T20:00")
    await sla.feed(
        "complaint.forwarded",
        complaint_id=cid,
        regime=MO,
        from_unit=operator,
        to_unit=unit,
        by=operator,
        occurred_at=ts("2026-09-30T20:05"),
    )
    fix = (await sla.clocks(cid))["FAULT_FIX"]
    assert (iso(fix.started_at), iso(fix.due_at), fix.owner_unit) == ("2026-09-30T20:00:00+08:00", ts(due), unit)
    assert breaches(await sla.fire(at(due) - timedelta(seconds=1))) == []
    breached = [e for e in await sla.fire(due) if e.type == "sla.breached"]
    assert [(e.data["stage"], e.data["breached_at"], e.data["owner_unit"]) for e in breached] == [
        ("FAULT_FIX", ts(due), unit)
    ]


# -- every instant sla publishes is exact to the second (CONTRACT §6, CONV-01) --------------------------------------

INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")
WHOLE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$")


def instants(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [i for v in value.values() for i in instants(v)]
    if isinstance(value, list):
        return [i for v in value for i in instants(v)]
    return [value] if isinstance(value, str) and INSTANT.match(value) else []


async def test_sla_instants_are_whole_seconds_when_events_carry_fractions(sla: Harness) -> None:
    """Producers stamp events with a business clock that has microseconds; sla counts and publishes the second."""
    await sla.org("mo-frac-10086", "operator")
    await sla.org("mo-frac-si", "vendor", "mo-frac-10086")
    cid = await sla.receive(MO, "2026-05-08T10:00:00.123456", receiving_unit="mo-frac-si")
    await sla.feed(
        "complaint.assigned",
        complaint_id=cid,
        regime="",
        unit="mo-frac-si",
        occurred_at=ts("2026-05-08T10:00:00.654321"),
    )
    reply = (await sla.clocks(cid))["SI_REPLY"]
    assert [iso(reply.started_at), iso(reply.warning_at), iso(reply.due_at)] == [
        "2026-05-08T10:00:00+08:00",
        "2026-05-08T19:00:00+08:00",
        "2026-05-08T22:00:00+08:00",
    ]
    await sla.fire("2026-05-08T19:00:00")
    await sla.feed(
        "complaint.result_submitted",
        complaint_id=cid,
        regime=MO,
        by="mo-frac-si",
        occurred_at=ts("2026-05-08T21:59:59.999999"),
    )
    await sla.fire("2026-05-08T22:00:00")
    published = [e for e in sla.events if e.complaint_id == cid]
    assert {e.type for e in published} >= {"sla.clock_started", "sla.warning", "sla.breached", "sla.met"}
    [warning] = [e for e in published if e.type == "sla.warning"]
    assert (warning.data["warning_at"], warning.data["due_at"]) == (
        "2026-05-08T19:00:00+08:00",
        "2026-05-08T22:00:00+08:00",
    )
    [met] = [e for e in published if e.type == "sla.met"]
    assert (met.data["stage"], met.data["stopped_at"]) == ("SI_RESOLVE", "2026-05-08T21:59:59+08:00")
    assert [e.time for e in published if e.time.microsecond] == []
    found = [i for e in published for i in instants(e.data)]
    assert len(found) >= 15
    assert [i for i in found if not WHOLE.match(i)] == []


def test_sla_a_warning_point_that_falls_inside_a_second_is_floored_to_it() -> None:
    # 2 WD from 10:00:00 to 23:59:59 two days on is 61:59:59, whose 75 % is 46:29:59.25.
    assert warning_instant(at("2026-03-02T10:00"), at("2026-03-04T23:59:59"), 0.75) == at("2026-03-04T08:29:59")


# -- the minutes clock in the clock views ---------------------------------------------------------------------------


async def test_sla93_a_minutes_clock_across_midnight_into_a_holiday_in_the_clock_views(sla: Harness) -> None:
    await sla.org("ad-min-dealer", "dealer")
    await sla.org("ad-min-sales", "department", "ad-min-dealer")
    cid = await sla.receive(AD, "2026-09-30T23:45", receiving_unit="ad-min-sales")
    await sla.assign(cid, "ad-min-sales", "2026-09-30T23:45")
    clock = (await sla.clocks(cid))["TO_CUSTOMER_DEPT"]
    view = clock_view(clock)
    assert {k: view[k] for k in ("clock", "length", "started_at", "warning_at", "due_at", "breach_at")} == {
        "clock": "minutes",
        "length": 30,
        "started_at": "2026-09-30T23:45:00+08:00",
        "warning_at": "2026-10-01T00:07:30+08:00",  # 22.5 minutes
        "due_at": "2026-10-01T00:15:00+08:00",
        "breach_at": "2026-10-01T00:15:00+08:00",  # a minute count breaches at the instant
    }
    async with sla.sessions() as session:
        world = await load_world(sla.uow(session), POLICIES)
    explained = explain_view(world, POLICIES.get(AD, clock.policy_version), clock)
    assert explained["clock"] == "minutes"
    assert [(d["date"], d["reason"], d["counted"], d["periods"]) for d in explained["days"]] == [
        ("2026-09-30", "working_day", True, [{"from": "2026-09-30T23:45:00+08:00", "to": "2026-10-01T00:00:00+08:00"}]),
        ("2026-10-01", "holiday", True, [{"from": "2026-10-01T00:00:00+08:00", "to": "2026-10-01T00:15:00+08:00"}]),
    ]
    assert breaches(await sla.fire("2026-10-01T00:14:59")) == []
    assert breaches(await sla.fire("2026-10-01T00:15:00")) == [("TO_CUSTOMER_DEPT", "2026-10-01T00:15:00+08:00")]
