"""AS-05 and AS-06 (credit union, DOMAIN §10) with the controlled clock on TC-2026, to the second.

AS-05's extension requests and decisions go through routing's actions (CONTRACT §5); AS-06's reply and decision are
published as routing would publish them (tests/e2e/sla_support.py) and the reconsideration request goes through
intake's API (CONTRACT §4).
"""

import uuid

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
from tousu.kit.testing.plugin import eventually
from tousu.kit.testing.spy import EventSpy

pytestmark = pytest.mark.e2e

CU = "credit-union-province"
PROV, CITY, COUNTY, OUTLET = "sla-cu-prov", "sla-cu-city", "sla-cu-county", "sla-cu-outlet"
ORGS = [
    org(PROV, "provincial-union", None, PROV, CU, authority_level="province"),
    org(CITY, "city-union", PROV, PROV, CU, authority_level="city"),
    org(COUNTY, "county-union", CITY, PROV, CU, authority_level="county"),
    org(OUTLET, "outlet", COUNTY, PROV, CU, authority_level="outlet"),
]


async def test_sla14_as05_overrun_with_and_without_permission(platform: Platform, api: Api, amqp_url: str) -> None:
    async with EventSpy(amqp_url) as spy:
        await load_world(api, ORGS)
        await set_clock(api, "2026-09-29T10:00:30+08:00")
        cases = {}
        for case in "ABC":
            body = complaint(CU, "2026-09-29T10:00:00+08:00", CITY, authority="city", channel="walk_in")
            cases[case], _ = await submit(api, spy, body)
        for cid in cases.values():
            [started] = await wait(spy, "sla.clock_started", cid, "CITY")
            assert (started.data["due_at"], started.data["owner_unit"]) == ("2026-10-08T23:59:59+08:00", CITY)

        # Case A: explained and reported in writing inside the limit, then permitted by the superior (through
        # routing's actions, CONTRACT §5).
        a, b, c = cases["A"], cases["B"], cases["C"]
        await set_clock(api, "2026-10-08T15:00:30+08:00")
        request = {"type": "request_extension", "by": CITY, "stage": "CITY", "reason": "special circumstances"}
        request |= {"until": "2026-10-13T23:59:59+08:00", "explained_to_customer": True, "reported_to": PROV}
        await routing_action(api, a, {**request, "at": "2026-10-08T15:00:00+08:00"})
        await set_clock(api, "2026-10-08T15:30:30+08:00")
        permit = {"type": "decide_extension", "by": PROV, "approved": True}
        await routing_action(api, a, {**permit, "at": "2026-10-08T15:30:00+08:00"})
        [extended] = await wait(spy, "sla.extended", a, "CITY")
        assert (extended.data["new_due_at"], extended.data["approver"]) == ("2026-10-13T23:59:59+08:00", PROV)

        # Case B: nothing recorded; case C: the explanation only after the limit.
        await set_clock(api, "2026-10-09T00:00:02+08:00")
        for cid in (b, c):
            [breached] = await wait(spy, "sla.breached", cid, "CITY")
            assert breached.data["breached_at"] == "2026-10-09T00:00:00+08:00"
        await set_clock(api, "2026-10-09T09:30:30+08:00")
        await routing_action(api, c, {**request, "at": "2026-10-09T09:00:00+08:00"})
        await routing_action(api, c, {**permit, "at": "2026-10-09T09:30:00+08:00"})

        async def refused() -> bool:
            extensions = (await clocks_of(api, c))["CITY"]["extensions"]
            return any(e["kind"] == "refused" for e in extensions)

        await eventually(refused)
        assert (await clocks_of(api, c))["CITY"]["state"] == "breached"
        assert not of(spy, "sla.extended", c) + of(spy, "sla.breach_withdrawn", c)
        assert not of(spy, "sla.breached", a)

        await set_clock(api, "2026-10-14T00:00:02+08:00")
        [late] = await wait(spy, "sla.breached", a, "CITY")
        assert late.data["breached_at"] == "2026-10-14T00:00:00+08:00"


async def test_sla15_as06_reconsideration_decided_within_ten_working_days(
    platform: Platform, api: Api, amqp_url: str
) -> None:
    async with EventSpy(amqp_url) as spy, Producer(amqp_url) as producer:
        await load_world(api, ORGS)
        await set_clock(api, "2026-05-28T10:00:30+08:00")
        cases = {}
        for filed in ("2026-06-16T10:00:00+08:00", "2026-06-17T10:00:00+08:00", "2026-06-18T10:00:00+08:00"):
            body = complaint(CU, "2026-05-28T10:00:00+08:00", OUTLET, authority="outlet", channel="walk_in")
            cases[filed], tenant = await submit(api, spy, body)
        # The county union tells each customer the result, with the reconsideration notice, on Tue 2026-06-02.
        await set_clock(api, "2026-06-02T10:00:30+08:00")
        for cid in cases.values():
            await producer.publish(
                "complaint.replied",
                tenant,
                complaint_id=cid,
                regime=CU,
                by=COUNTY,
                method="written",
                reconsideration_notice=True,
                occurred_at="2026-06-02T10:00:00+08:00",
            )

        async def file(cid: str, at: str) -> int | None:
            await set_clock(api, at)
            response = await api["intake"].post(
                f"/v1/complaints/{cid}/reconsideration",
                json={"requested_at": at, "lodged_with": CITY},
                headers={"Idempotency-Key": str(uuid.uuid4())},
            )
            # 409 while intake has not yet seen the reply that opens the window
            return response.status_code if response.status_code != 409 else None

        due = {
            "2026-06-16T10:00:00+08:00": "2026-07-01T23:59:59+08:00",  # 06-17, 18, 22..26, 29, 30, 07-01
            "2026-06-17T10:00:00+08:00": "2026-07-02T23:59:59+08:00",
        }
        for filed, cid in cases.items():
            status = await eventually(lambda cid=cid, filed=filed: file(cid, filed))
            assert status == (201 if filed in due else 422)
        for filed, decision_due in due.items():
            [started] = await wait(spy, "sla.clock_started", cases[filed], "RECON_DECISION")
            assert (started.data["started_at"], started.data["due_at"], started.data["owner_unit"]) == (
                filed,
                decision_due,
                CITY,
            )
        await wait(spy, "reconsideration.rejected_late", cases["2026-06-18T10:00:00+08:00"])
        assert not of(spy, "sla.clock_started", cases["2026-06-18T10:00:00+08:00"], "RECON_DECISION")

        first = cases["2026-06-16T10:00:00+08:00"]
        await set_clock(api, "2026-07-01T16:00:30+08:00")
        await producer.publish(
            "reconsideration.decided",
            tenant,
            complaint_id=first,
            regime=CU,
            by=CITY,
            upheld=True,
            occurred_at="2026-07-01T16:00:00+08:00",
        )
        [met] = await wait(spy, "sla.met", first, "RECON_DECISION")
        assert met.data["stopped_at"] == "2026-07-01T16:00:00+08:00"
