"""AS-14 (mobile/SI, wall clock) and AS-20 (tobacco, TC-2026) with the controlled clock, to the second.

Dispatches, replies, re-dispatches, callbacks and extension decisions are published as routing would publish them
(tests/e2e/sla_support.py).
"""

import pytest

from tests.e2e.sla_support import Api, Producer, clocks_of, complaint, load_world, org, set_clock, submit, wait
from tousu.kit.platform import Platform
from tousu.kit.testing.spy import EventSpy

pytestmark = pytest.mark.e2e

MO = "mobile-operator-si"
OPERATOR, ALPHA = "sla-mo-10086", "sla-mo-alpha"
TB = "tobacco-bureau"
CENTRE, MONOPOLY, COUNTY = "sla-tb-centre", "sla-tb-monopoly", "sla-tb-county"


async def test_sla40_41_as14_urgent_and_difficult_tickets_dispatched_to_the_si(
    platform: Platform, api: Api, amqp_url: str
) -> None:
    orgs = [org(OPERATOR, "operator", None, OPERATOR, MO), org(ALPHA, "vendor", OPERATOR, OPERATOR, MO)]
    async with EventSpy(amqp_url) as spy, Producer(amqp_url) as producer:
        await load_world(api, orgs)
        await set_clock(api, "2026-05-08T13:50:30+08:00")
        tickets = {}
        for priority in ("urgent", "difficult"):
            body = complaint(MO, "2026-05-08T13:50:00+08:00", OPERATOR, ALPHA, channel="hotline", priority=priority)
            tickets[priority], tenant = await submit(api, spy, body)
        t1, t2 = tickets["urgent"], tickets["difficult"]
        await set_clock(api, "2026-05-08T14:00:30+08:00")
        for cid in (t1, t2):
            await wait(spy, "complaint.assigned", cid)
            await producer.publish(
                "complaint.forwarded",
                tenant,
                complaint_id=cid,
                regime=MO,
                from_unit=OPERATOR,
                to_unit=ALPHA,
                by=OPERATOR,
                method="e_work_order",
                occurred_at="2026-05-08T14:00:00+08:00",
            )
        [urgent] = await wait(spy, "sla.clock_started", t1, "URGENT_REPLY")
        [difficult] = await wait(spy, "sla.clock_started", t2, "DIFFICULT_REPLY")
        assert (urgent.data["due_at"], urgent.data["owner_unit"]) == ("2026-05-09T14:00:00+08:00", ALPHA)
        assert (difficult.data["due_at"], difficult.data["owner_unit"]) == ("2026-05-11T14:00:00+08:00", ALPHA)

        # T1 replied in time; the customer is dissatisfied at the callback and the ticket goes back (CB-05).
        await set_clock(api, "2026-05-09T10:00:30+08:00")
        await producer.publish(
            "complaint.replied",
            tenant,
            complaint_id=t1,
            regime=MO,
            by=ALPHA,
            to_unit=OPERATOR,
            occurred_at="2026-05-09T10:00:00+08:00",
        )
        await wait(spy, "sla.met", t1, "URGENT_REPLY")
        await set_clock(api, "2026-05-09T15:00:30+08:00")
        await producer.publish(
            "complaint.redispatched",
            tenant,
            complaint_id=t1,
            regime=MO,
            by=OPERATOR,
            to_unit=ALPHA,
            dispatch_number=2,
            reason="callback dissatisfied",
            occurred_at="2026-05-09T15:00:00+08:00",
        )
        rounds = await wait(spy, "sla.clock_started", t1, "URGENT_REPLY", count=2)
        assert (rounds[-1].data["cycle"], rounds[-1].data["due_at"]) == (2, "2026-05-10T15:00:00+08:00")

        # T2 gets no reply: breached at the instant itself (an hour count, CONTRACT §6).
        await set_clock(api, "2026-05-11T14:00:01+08:00")
        [breached] = await wait(spy, "sla.breached", t2, "DIFFICULT_REPLY")
        assert (breached.data["breached_at"], breached.data["owner_unit"]) == ("2026-05-11T14:00:00+08:00", ALPHA)


async def test_sla22_24_as20_consultation_report_and_provincial_ticket_across_national_day(
    platform: Platform, api: Api, amqp_url: str
) -> None:
    orgs = [
        org(CENTRE, "monitoring-centre", None, CENTRE, TB),
        org(MONOPOLY, "department", CENTRE, CENTRE, TB),
        org(COUNTY, "county-bureau", CENTRE, CENTRE, TB),
    ]
    async with EventSpy(amqp_url) as spy, Producer(amqp_url) as producer:

        async def act(type_: str, cid: str, at: str, **data: object) -> None:
            await producer.publish(type_, tenant, complaint_id=cid, regime=TB, occurred_at=at, **data)

        async def dispatch(cid: str, to: str, at: str) -> None:
            await act("complaint.forwarded", cid, at, from_unit=CENTRE, to_unit=to, by=CENTRE, method="fax")

        await load_world(api, orgs)
        # (a) a consultation the receiver cannot answer goes to the monopoly department at 11:30
        await set_clock(api, "2026-09-30T10:00:30+08:00")
        consult, tenant = await submit(
            api, spy, complaint(TB, "2026-09-30T10:00:00+08:00", CENTRE, MONOPOLY, kind="consultation")
        )
        # (b) a report of illegal cigarette sales, informant confidential
        await set_clock(api, "2026-09-30T10:30:30+08:00")
        body = complaint(TB, "2026-09-30T10:30:00+08:00", CENTRE, COUNTY, kind="report")
        body["complainant"] = {**body["complainant"], "confidential": True}
        report, _ = await submit(api, spy, body)
        [leader] = await wait(spy, "sla.clock_started", report, "REPORT_TO_LEADER")
        assert leader.data["due_at"] == "2026-09-30T11:30:00+08:00"  # 立即: 1 hour by default (CONV-11)
        await set_clock(api, "2026-09-30T11:30:30+08:00")
        await dispatch(consult, MONOPOLY, "2026-09-30T11:30:00+08:00")
        [answer] = await wait(spy, "sla.clock_started", consult, "CONSULT_ANSWER")
        assert (answer.data["due_at"], answer.data["owner_unit"]) == ("2026-09-30T23:59:59+08:00", MONOPOLY)
        await set_clock(api, "2026-09-30T14:00:30+08:00")
        await dispatch(report, COUNTY, "2026-09-30T14:00:00+08:00")
        [handling] = await wait(spy, "sla.clock_started", report, "REPORT_HANDLING")
        assert handling.data["due_at"] == "2026-10-09T23:59:59+08:00"  # 10-08, 10-09
        assert (await clocks_of(api, report))["REPORT_HANDLING"]["cap_at"] == "2026-10-15T23:59:59+08:00"
        # (c) a ticket from the provincial complaint centre
        await set_clock(api, "2026-09-30T15:00:30+08:00")
        body = complaint(TB, "2026-09-30T15:00:00+08:00", CENTRE, COUNTY, channel="government_referral")
        ticket, _ = await submit(api, spy, body)
        [provincial] = await wait(spy, "sla.clock_started", ticket, "PROVINCIAL_TICKET")
        assert provincial.data["due_at"] == "2026-10-10T23:59:59+08:00"  # 10-08, 10-09, 10-10 (Sat make-up)

        # The consultation is answered; the monitoring centre calls back the same day as the feedback.
        await set_clock(api, "2026-09-30T16:10:30+08:00")
        await act("complaint.replied", consult, "2026-09-30T16:00:00+08:00", by=MONOPOLY, method="phone")
        await wait(spy, "sla.met", consult, "CONSULT_ANSWER")
        await act("callback.required", consult, "2026-09-30T16:10:00+08:00", by_unit=CENTRE)
        [callback] = await wait(spy, "sla.clock_started", consult, "CALLBACK")
        assert callback.data["due_at"] == "2026-09-30T23:59:59+08:00"

        # An approved extension of the report's handling stops at the 7-WD cap (SLA-21/23).
        await set_clock(api, "2026-10-09T10:00:30+08:00")
        await act(
            "complaint.extension_decided",
            report,
            "2026-10-09T10:00:00+08:00",
            by=CENTRE,
            approved=True,
            until="2026-10-20T23:59:59+08:00",
            stage="REPORT_HANDLING",
        )
        [extended] = await wait(spy, "sla.extended", report, "REPORT_HANDLING")
        assert extended.data["new_due_at"] == extended.data["cap_at"] == "2026-10-15T23:59:59+08:00"
        await set_clock(api, "2026-10-16T00:00:02+08:00")
        [breached] = await wait(spy, "sla.breached", report, "REPORT_HANDLING")
        assert breached.data["breached_at"] == "2026-10-16T00:00:00+08:00"
