"""AS-25 (secondary regimes, TC-2026) with the controlled clock, to the second: the property ladder with its daily
17:00 duty (the COMPLETION_24H breach escalated by routing starts it), manufacturer working hours, auto-dealer
hand-offs; and pause/resume over HTTP (CONTRACT §6).

Forwards, progress reports, results and callbacks are published as routing would publish them
(tests/e2e/sla_support.py).
"""

import pytest

from tests.e2e.sla_support import Api, Producer, clocks_of, complaint, load_world, org, set_clock, submit, wait
from tousu.kit.platform import Platform
from tousu.kit.testing.spy import EventSpy

pytestmark = pytest.mark.e2e

PM = "property-management"
PM_CO, FRONT, ENG = "sla-pm-co", "sla-pm-front", "sla-pm-eng"
MQ = "manufacturer-qe"
MQ_CO, MARKETING = "sla-mq-co", "sla-mq-marketing"
AD = "auto-dealer-service"
DEALER, SALES, CUSTOMER_DEPT, SERVICE = "sla-ad-dealer", "sla-ad-sales", "sla-ad-customer", "sla-ad-service"


async def test_sla80_85_as25a_property_ladder_daily_progress_and_callback(
    platform: Platform, api: Api, amqp_url: str
) -> None:
    orgs = [
        org(PM_CO, "company", None, PM_CO, PM),
        org("sla-pm-supervisor", "cs-supervisor", PM_CO, PM_CO, PM),
        org("sla-pm-head", "department-head", PM_CO, PM_CO, PM),
        org(FRONT, "front-desk", PM_CO, PM_CO, PM),
        org(ENG, "department", PM_CO, PM_CO, PM),
    ]
    async with EventSpy(amqp_url) as spy, Producer(amqp_url) as producer:

        async def act(type_: str, at: str, **data: object) -> None:
            await producer.publish(type_, tenant, complaint_id=cid, regime=PM, occurred_at=at, **data)

        await load_world(api, orgs)
        await set_clock(api, "2026-03-09T09:00:30+08:00")
        cid, tenant = await submit(
            api, spy, complaint(PM, "2026-03-09T09:00:00+08:00", FRONT, ENG, channel="walk_in", category="other")
        )
        clocks = await clocks_of(api, cid, {"DISPATCH", "COMPLETION_24H"})
        assert clocks["DISPATCH"]["due_at"] == "2026-03-09T09:05:00+08:00"
        assert clocks["COMPLETION_24H"]["due_at"] == "2026-03-10T09:00:00+08:00"
        await set_clock(api, "2026-03-09T09:04:30+08:00")
        await act("complaint.forwarded", "2026-03-09T09:04:00+08:00", from_unit=FRONT, to_unit=ENG, by=FRONT)
        await wait(spy, "sla.met", cid, "DISPATCH")
        clocks = await clocks_of(api, cid, {"HANDLING", "PROGRESS_REPORT"})
        assert clocks["HANDLING"]["due_at"] == "2026-03-09T21:04:00+08:00"
        assert clocks["PROGRESS_REPORT"]["due_at"] == "2026-03-10T09:04:00+08:00"

        # Not complete 24 h after the first report: breached at 09:00, escalated by routing, and the department
        # then owes a progress report by 17:00 every day.
        await set_clock(api, "2026-03-10T09:00:01+08:00")
        [breached] = await wait(spy, "sla.breached", cid, "COMPLETION_24H")
        assert breached.data["breached_at"] == "2026-03-10T09:00:00+08:00"
        await wait(spy, "complaint.escalated", cid, "COMPLETION_24H")
        [daily] = await wait(spy, "sla.clock_started", cid, "DAILY_PROGRESS")
        assert (daily.data["due_at"], daily.data["owner_unit"]) == ("2026-03-10T17:00:00+08:00", ENG)
        await set_clock(api, "2026-03-10T15:00:30+08:00")
        await act("complaint.progress_reported", "2026-03-10T15:00:00+08:00", by=ENG, to_unit=FRONT)
        await wait(spy, "sla.met", cid, "DAILY_PROGRESS")
        days = await wait(spy, "sla.clock_started", cid, "DAILY_PROGRESS", count=2)
        assert (days[-1].data["cycle"], days[-1].data["due_at"]) == (2, "2026-03-11T17:00:00+08:00")

        # Completed 03-11 10:00; after the head's review the front desk calls back the same day.
        await set_clock(api, "2026-03-11T10:30:30+08:00")
        await act("complaint.result_submitted", "2026-03-11T10:00:00+08:00", by=ENG, to_unit=FRONT)
        met = await wait(spy, "sla.met", cid, "DAILY_PROGRESS", count=2)
        assert met[-1].data["cycle"] == 2
        await act("callback.required", "2026-03-11T10:30:00+08:00", by_unit=FRONT)
        [callback] = await wait(spy, "sla.clock_started", cid, "CALLBACK")
        assert callback.data["due_at"] == "2026-03-11T23:59:59+08:00"


async def test_sla90_94_as25bc_manufacturer_working_hours_dealer_hand_offs_and_a_pause(
    platform: Platform, api: Api, amqp_url: str
) -> None:
    orgs = [
        org(MQ_CO, "company", None, MQ_CO, MQ),
        org(MARKETING, "department", MQ_CO, MQ_CO, MQ),
        org(DEALER, "dealer", None, DEALER, AD),
        org(SALES, "department", DEALER, DEALER, AD),
        org(CUSTOMER_DEPT, "customer-dept", DEALER, DEALER, AD),
        org(SERVICE, "department", DEALER, DEALER, AD),
    ]
    async with EventSpy(amqp_url) as spy, Producer(amqp_url) as producer:
        await load_world(api, orgs)
        await set_clock(api, "2026-04-03T15:00:30+08:00")
        received = "2026-04-03T15:00:00+08:00"
        major, _ = await submit(api, spy, complaint(MQ, received, MARKETING, priority="major", category="product"))
        general, _ = await submit(api, spy, complaint(MQ, received, MARKETING, category="product"))
        body = complaint(AD, received, SALES, priority="major", flags={"media_exposure": True})
        dealer, dealer_tenant = await submit(api, spy, body)

        # (b) business hours 08:30-12:00, 13:30-18:00 (the regime's); 04-04..04-06 rest days
        stages = {"HANDLING_FORM", "INTERIM_MEASURE", "PERMANENT_MEASURE"}
        clocks = await clocks_of(api, major, stages)
        assert {s: clocks[s]["due_at"] for s in stages} == {
            "HANDLING_FORM": "2026-04-03T16:00:00+08:00",
            "INTERIM_MEASURE": "2026-04-07T15:00:00+08:00",  # 3 h Fri + 3.5 h + 1.5 h Tue
            "PERMANENT_MEASURE": "2026-04-08T23:59:59+08:00",
        }
        assert (await clocks_of(api, general, {"GENERAL_REPLY"}))["GENERAL_REPLY"]["due_at"] == (
            "2026-04-09T23:59:59+08:00"
        )
        # (c) to the customer department within 30 minutes; registered at 15:20, to the manager by 15:50
        [hand_off] = await wait(spy, "sla.clock_started", dealer, "TO_CUSTOMER_DEPT")
        assert hand_off.data["due_at"] == "2026-04-03T15:30:00+08:00"
        # The minutes kind as the clock views show it: a whole length in minutes, the stretch counted on the day.
        shown = (await clocks_of(api, dealer, {"TO_CUSTOMER_DEPT"}))["TO_CUSTOMER_DEPT"]
        assert (shown["clock"], shown["length"], shown["warning_at"], shown["breach_at"]) == (
            "minutes",
            30,
            "2026-04-03T15:22:30+08:00",
            "2026-04-03T15:30:00+08:00",
        )
        explained = (await api["sla"].get(f"/v1/complaints/{dealer}/clocks/TO_CUSTOMER_DEPT/explain")).json()
        assert [(d["date"], d["periods"]) for d in explained["days"]] == [
            ("2026-04-03", [{"from": "2026-04-03T15:00:00+08:00", "to": "2026-04-03T15:30:00+08:00"}])
        ]
        await set_clock(api, "2026-04-03T15:20:30+08:00")
        await producer.publish(
            "complaint.forwarded",
            dealer_tenant,
            complaint_id=dealer,
            regime=AD,
            from_unit=SALES,
            to_unit=CUSTOMER_DEPT,
            by=SALES,
            occurred_at="2026-04-03T15:20:00+08:00",
        )
        await wait(spy, "sla.met", dealer, "TO_CUSTOMER_DEPT")
        [manager] = await wait(spy, "sla.clock_started", dealer, "TO_MANAGER")
        assert (manager.data["due_at"], manager.data["owner_unit"]) == ("2026-04-03T15:50:00+08:00", CUSTOMER_DEPT)

        # Pause where the regime allows it (waiting for the customer's evidence), not where it does not.
        await set_clock(api, "2026-04-07T10:00:30+08:00")
        paused = await api["sla"].post(
            f"/v1/complaints/{general}/clocks/GENERAL_REPLY/pause",
            json={"at": "2026-04-07T10:00:00+08:00", "reason": "waiting for the customer's evidence"},
        )
        assert paused.status_code == 200, paused.text
        assert paused.json()["state"] == "paused"
        refused = await api["sla"].post(
            f"/v1/complaints/{major}/clocks/PERMANENT_MEASURE/pause",
            json={"at": "2026-04-07T10:00:00+08:00", "reason": "x"},
        )
        assert refused.status_code == 409, refused.text
        await wait(spy, "sla.paused", general, "GENERAL_REPLY")
        await set_clock(api, "2026-04-10T09:00:30+08:00")
        resumed = await api["sla"].post(
            f"/v1/complaints/{general}/clocks/GENERAL_REPLY/resume", json={"at": "2026-04-10T09:00:00+08:00"}
        )
        assert resumed.status_code == 200, resumed.text
        # Two working days were left at the pause (04-08, 04-09); counted again from 04-10: 04-13, 04-14.
        assert resumed.json()["due_at"] == "2026-04-14T23:59:59+08:00"
        [event] = await wait(spy, "sla.resumed", general, "GENERAL_REPLY")
        assert (event.data["previous_due_at"], event.data["due_at"]) == (
            "2026-04-09T23:59:59+08:00",
            "2026-04-14T23:59:59+08:00",
        )
