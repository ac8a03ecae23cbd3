"""AS-01 and AS-02 (Liaoning, DOMAIN §10) with the controlled clock on TC-2026, to the second.

AS-01's forward goes through routing's action API (CONTRACT §5); AS-02's forwards, verification, results, replies
and progress reports are published as routing would publish them (tests/e2e/sla_support.py), so each case sits at
exactly the point of the scenario; complaint.received and complaint.assigned come from intake and routing.
"""

import pytest

from tests.e2e.sla_support import (
    Api,
    Producer,
    clocks_of,
    complaint,
    load_world,
    of,
    org,
    routing_action,
    set_clock,
    submit,
    wait,
)
from tousu.kit.platform import Platform
from tousu.kit.testing.spy import EventSpy

pytestmark = pytest.mark.e2e

LN = "liaoning-banking-association"
ASSOC, BANK, OUTLET = "sla-ln-assoc", "sla-ln-bank", "sla-ln-outlet"
ORGS = [
    org(ASSOC, "association", None, ASSOC, LN),
    org(BANK, "member", ASSOC, BANK, LN),
    org(OUTLET, "outlet", BANK, BANK, LN),
]
RECEIVED = "2026-04-03T15:20:00+08:00"  # Friday before Qingming (04-04..04-06 rest days in TC-2026)


async def test_sla01_as01_association_forwards_within_two_working_days_across_qingming(
    platform: Platform, api: Api, amqp_url: str
) -> None:
    async with EventSpy(amqp_url) as spy:
        await load_world(api, ORGS)
        await set_clock(api, "2026-04-03T15:21:00+08:00")
        forwarded, tenant = await submit(api, spy, complaint(LN, RECEIVED, ASSOC, OUTLET))
        late, _ = await submit(api, spy, complaint(LN, RECEIVED, ASSOC, OUTLET))
        for cid in (forwarded, late):
            [started] = await wait(spy, "sla.clock_started", cid, "ASSOC_FORWARD")
            assert (started.data["due_at"], started.data["owner_unit"]) == ("2026-04-08T23:59:59+08:00", ASSOC)

        await set_clock(api, "2026-04-08T10:00:30+08:00")
        forward = {"type": "forward", "at": "2026-04-08T10:00:00+08:00", "by": ASSOC, "to_unit": BANK}
        await routing_action(api, forwarded, forward)  # through routing's action API (CONTRACT §5)
        [met] = await wait(spy, "sla.met", forwarded, "ASSOC_FORWARD")
        assert met.data["stopped_at"] == "2026-04-08T10:00:00+08:00"

        await set_clock(api, "2026-04-09T00:00:02+08:00")
        [breached] = await wait(spy, "sla.breached", late, "ASSOC_FORWARD")
        assert (breached.data["breached_at"], breached.data["owner_unit"]) == ("2026-04-09T00:00:00+08:00", ASSOC)
        assert breached.routing_key == f"sla.breached.{tenant}"
        assert not of(spy, "sla.breached", forwarded, "ASSOC_FORWARD")
        clocks = await clocks_of(api, forwarded, {"ASSOC_FORWARD", "VERIFY", "MEMBER_REPORT"})
        assert clocks["ASSOC_FORWARD"]["state"] == "met"
        assert (await clocks_of(api, late))["ASSOC_FORWARD"]["state"] == "breached"


async def test_sla02_05_as02_member_and_outlet_timers_and_the_progress_report_path(
    platform: Platform, api: Api, amqp_url: str
) -> None:
    async with EventSpy(amqp_url) as spy, Producer(amqp_url) as producer:

        async def act(type_: str, cid: str, at: str, **data: object) -> None:
            await producer.publish(type_, tenant, complaint_id=cid, regime=LN, occurred_at=at, **data)

        await load_world(api, ORGS)
        await set_clock(api, "2026-04-03T15:21:00+08:00")
        cases = {}
        for case in "abc":
            cases[case], tenant = await submit(api, spy, complaint(LN, RECEIVED, ASSOC, OUTLET))
        await set_clock(api, "2026-04-08T10:00:30+08:00")
        for cid in cases.values():
            await wait(spy, "sla.clock_started", cid, "ASSOC_FORWARD")
            await act("complaint.forwarded", cid, "2026-04-08T10:00:00+08:00", from_unit=ASSOC, to_unit=BANK, by=ASSOC)
        await set_clock(api, "2026-04-09T09:00:30+08:00")
        for cid in cases.values():
            await wait(spy, "sla.clock_started", cid, "MEMBER_REPORT")
            await act("complaint.forwarded", cid, "2026-04-09T09:00:00+08:00", from_unit=BANK, to_unit=OUTLET, by=BANK)
        for cid in cases.values():
            clocks = await clocks_of(api, cid, {"VERIFY", "MEMBER_REPORT", "OUTLET_RESULT"})
            assert {s: clocks[s]["due_at"] for s in ("VERIFY", "MEMBER_REPORT", "OUTLET_RESULT")} == {
                "VERIFY": "2026-04-10T23:59:59+08:00",
                "MEMBER_REPORT": "2026-04-15T23:59:59+08:00",
                "OUTLET_RESULT": "2026-04-14T23:59:59+08:00",
            }
            assert (clocks["MEMBER_REPORT"]["owner_unit"], clocks["OUTLET_RESULT"]["owner_unit"]) == (BANK, OUTLET)
            await act("complaint.verified", cid, "2026-04-09T09:00:00+08:00", by=BANK, valid=True)
            await wait(spy, "sla.met", cid, "VERIFY")

        # (a) the outlet replies and submits its result; the member reports to the association
        a, b, c = cases["a"], cases["b"], cases["c"]
        await set_clock(api, "2026-04-13T16:00:30+08:00")
        await act("complaint.replied", a, "2026-04-13T16:00:00+08:00", by=OUTLET, method="phone")
        await act("complaint.result_submitted", a, "2026-04-13T16:00:00+08:00", by=OUTLET, to_unit=BANK)
        await wait(spy, "sla.met", a, "OUTLET_RESULT")
        await set_clock(api, "2026-04-14T11:00:30+08:00")
        await act("complaint.result_submitted", a, "2026-04-14T11:00:00+08:00", by=BANK, to_unit=ASSOC)
        await wait(spy, "sla.met", a, "MEMBER_REPORT")

        # (b) a progress report with a promised next reply moves the outlet's due, not the member's
        await set_clock(api, "2026-04-14T16:00:30+08:00")
        await act(
            "complaint.progress_reported",
            b,
            "2026-04-14T16:00:00+08:00",
            by=OUTLET,
            to_unit=BANK,
            customer_informed=True,
            promised_reply_at="2026-04-17T17:00:00+08:00",
        )
        [extended] = await wait(spy, "sla.extended", b, "OUTLET_RESULT")
        assert (extended.data["previous_due_at"], extended.data["new_due_at"]) == (
            "2026-04-14T23:59:59+08:00",
            "2026-04-17T17:00:00+08:00",
        )

        # (c) neither result nor progress report by 04-14: the outlet's stage breaches at the next second
        await set_clock(api, "2026-04-15T00:00:02+08:00")
        [breached] = await wait(spy, "sla.breached", c, "OUTLET_RESULT")
        assert (breached.data["breached_at"], breached.data["owner_unit"]) == ("2026-04-15T00:00:00+08:00", OUTLET)
        await set_clock(api, "2026-04-16T00:00:02+08:00")
        [member] = await wait(spy, "sla.breached", b, "MEMBER_REPORT")
        assert member.data["breached_at"] == "2026-04-16T00:00:00+08:00"
        assert (await clocks_of(api, b))["OUTLET_RESULT"]["state"] == "extended"
        assert not of(spy, "sla.breached", b, "OUTLET_RESULT")
        assert not of(spy, "sla.breached", a)
