"""Calendars as data (CONTRACT §6, ARCHITECTURE §5): a provisional clock into 2027 rescheduled when 2027 is loaded,
the explain view of a deadline across the Spring Festival, and an organisation's own calendar."""

from datetime import date, timedelta

import pytest

from tests.e2e.sla_support import Api, Producer, clocks_of, complaint, load_world, org, set_clock, submit, wait
from tousu.kit.platform import Platform
from tousu.kit.testing.plugin import eventually
from tousu.kit.testing.spy import EventSpy

pytestmark = pytest.mark.e2e

LN = "liaoning-banking-association"
ASSOC, BANK, OUTLET = "sla-cal-assoc", "sla-cal-bank", "sla-cal-outlet"
ORGS = [
    org(ASSOC, "association", None, ASSOC, LN),
    org(BANK, "member", ASSOC, BANK, LN),
    org(OUTLET, "outlet", BANK, BANK, LN),
]
TEST_2027 = {
    "holidays": ["2027-01-01", *[(date(2027, 2, 5) + timedelta(days=i)).isoformat() for i in range(7)]],
    "working_days": ["2027-02-13"],
    "source": "test data for the provisional-clock scenario, not the real 2027 schedule",
}


def independent_count(start: date, n: int, rest: set[date], work: set[date]) -> date:
    """The n-th working day after `start` (CONV-02), counted the plainest way."""
    day, counted = start, 0
    while counted < n:
        day += timedelta(days=1)
        if day in work or (day.weekday() < 5 and day not in rest):
            counted += 1
    return day


async def provisional_gauge(api: Api) -> float:
    text = (await api["sla"].get("/metrics")).text
    return next(float(line.split()[-1]) for line in text.splitlines() if line.startswith("tousu_provisional_clocks "))


async def test_arch5_a_deadline_into_2027_is_provisional_until_2027_is_loaded(
    platform: Platform, api: Api, amqp_url: str
) -> None:
    await api["sla"].delete("/v1/calendars/2027")  # whatever an earlier run left: 2027 unknown to the package
    assert (await api["sla"].get("/v1/calendars/2027")).json()["known"] is False
    async with EventSpy(amqp_url) as spy, Producer(amqp_url) as producer:
        await load_world(api, ORGS)
        await set_clock(api, "2026-12-28T15:00:30+08:00")
        cid, tenant = await submit(api, spy, complaint(LN, "2026-12-28T10:00:00+08:00", ASSOC, OUTLET))
        await wait(spy, "sla.clock_started", cid, "ASSOC_FORWARD")
        await producer.publish(
            "complaint.forwarded",
            tenant,
            complaint_id=cid,
            regime=LN,
            from_unit=ASSOC,
            to_unit=BANK,
            by=ASSOC,
            occurred_at="2026-12-28T15:00:00+08:00",
        )
        [started] = await wait(spy, "sla.clock_started", cid, "MEMBER_REPORT")
        # 12-29, 12-30, 12-31, then 2027 counted on weekends only: Fri 01-01, Mon 01-04
        assert (started.data["due_at"], started.data["provisional"]) == ("2027-01-04T23:59:59+08:00", True)
        clock = (await clocks_of(api, cid, {"MEMBER_REPORT"}))["MEMBER_REPORT"]
        assert (clock["provisional"], clock["provisional_years"]) == (True, [2027])
        await eventually(lambda: _at_least(api, 1), timeout=15)
        before = await provisional_gauge(api)

        response = await api["sla"].put("/v1/calendars/2027", json=TEST_2027)
        assert response.status_code == 200, response.text
        assert response.json()["rescheduled"] >= 1
        [moved] = await wait(spy, "sla.rescheduled", cid, "MEMBER_REPORT")
        rest = {date.fromisoformat(d) for d in TEST_2027["holidays"]} | {
            date.fromisoformat(d) for d in _tc_2026_holidays()
        }
        expected = independent_count(date(2026, 12, 28), 5, rest, {date(2027, 2, 13)})
        assert expected == date(2027, 1, 5)
        assert (moved.data["previous_due_at"], moved.data["due_at"], moved.data["provisional"]) == (
            "2027-01-04T23:59:59+08:00",
            f"{expected.isoformat()}T23:59:59+08:00",
            False,
        )
        clock = (await clocks_of(api, cid))["MEMBER_REPORT"]
        assert (clock["due_at"], clock["provisional"]) == ("2027-01-05T23:59:59+08:00", False)
        await eventually(lambda: _below(api, before), timeout=15)
    assert (await api["sla"].delete("/v1/calendars/2027")).status_code == 200


def _tc_2026_holidays() -> list[str]:
    from tests.e2e.tc2026 import TC_2026

    return list(TC_2026["holidays"])


async def _at_least(api: Api, value: float) -> bool:
    return await provisional_gauge(api) >= value


async def _below(api: Api, value: float) -> bool:
    return await provisional_gauge(api) < value


async def test_sla_explain_lists_each_day_of_a_deadline_across_the_spring_festival(
    platform: Platform, api: Api, amqp_url: str
) -> None:
    async with EventSpy(amqp_url) as spy:
        await load_world(api, ORGS)
        await set_clock(api, "2026-02-13T10:00:30+08:00")
        cid, _ = await submit(api, spy, complaint(LN, "2026-02-13T10:00:00+08:00", ASSOC, OUTLET))
        await wait(spy, "sla.clock_started", cid, "ASSOC_FORWARD")
        response = await api["sla"].get(f"/v1/complaints/{cid}/clocks/ASSOC_FORWARD/explain")
        assert response.status_code == 200, response.text
        view = response.json()
    assert view["due_at"] == "2026-02-24T23:59:59+08:00"
    days = [(d["date"], d["reason"], d["counted"], d["number"]) for d in view["days"]]
    assert days == [
        ("2026-02-13", "working_day", False, None),  # day 0 (CONV-02)
        ("2026-02-14", "make_up_working_day", True, 1),  # Saturday worked (调休上班)
        *[(f"2026-02-{d}", "holiday", False, None) for d in range(15, 24)],  # Spring Festival
        ("2026-02-24", "working_day", True, 2),
    ]
    assert all(d["source"] for d in view["days"])


async def test_conv08_an_organisations_own_calendar_moves_its_open_clocks(
    platform: Platform, api: Api, amqp_url: str
) -> None:
    async with EventSpy(amqp_url) as spy:
        await load_world(api, ORGS)
        await set_clock(api, "2026-06-01T10:00:30+08:00")
        cid, _ = await submit(api, spy, complaint(LN, "2026-06-01T10:00:00+08:00", ASSOC, OUTLET))
        [started] = await wait(spy, "sla.clock_started", cid, "ASSOC_FORWARD")
        assert started.data["due_at"] == "2026-06-03T23:59:59+08:00"
        bad = await api["sla"].put(
            f"/v1/calendars/orgs/{ASSOC}", json={"business_hours": ["12:00-08:00"], "source": "x"}
        )
        assert bad.status_code == 422
        assert bad.json()["errors"][0]["field"] == "business_hours"
        body = {"holidays": ["2026-06-02"], "source": "association's own rest day (test)"}
        try:
            response = await api["sla"].put(f"/v1/calendars/orgs/{ASSOC}", json=body)
            assert response.status_code == 200, response.text
            [moved] = await wait(spy, "sla.rescheduled", cid, "ASSOC_FORWARD")
            assert (moved.data["previous_due_at"], moved.data["due_at"]) == (
                "2026-06-03T23:59:59+08:00",
                "2026-06-04T23:59:59+08:00",
            )
            explain = (await api["sla"].get(f"/v1/complaints/{cid}/clocks/ASSOC_FORWARD/explain")).json()
            assert [d["reason"] for d in explain["days"]] == [
                "working_day",
                "override_holiday",
                "working_day",
                "working_day",
            ]
        finally:
            await api["sla"].delete(f"/v1/calendars/orgs/{ASSOC}")
