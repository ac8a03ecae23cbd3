"""SLA-67 through the whole platform: large-scale complaints (CBRC 十五) are reported promptly. Intake detects the
100th complaint about one product within 48 h (`large_scale_count`, `large_scale_window_hours`, AS-24) and reporting
turns the detection into a report to the regulator due 24 h later (及時, CONV-11)."""

import asyncio
import uuid
from datetime import datetime, timedelta

import httpx
import pytest

from tests.e2e.test_intake_scenarios import complaint, post, world
from tousu.kit.platform import Platform
from tousu.kit.testing.spy import EventSpy

pytestmark = pytest.mark.e2e
REGIME = "cbrc-2012-banking"


async def test_sla_67_rte_11_large_scale_complaints_are_reported_to_the_regulator_within_24_hours(
    platform: Platform, api: dict[str, httpx.AsyncClient], amqp_url: str
) -> None:
    units = await world(api, f"sla67-{uuid.uuid4().hex[:5]}", REGIME)
    gate = asyncio.Semaphore(8)

    async def one(i: int) -> httpx.Response:
        body = complaint(
            REGIME,
            units["outlet"],
            category="wealth_management",
            product="wm-2026-67",
            received_at=f"2026-11-03T{8 + i // 12:02d}:{(i % 12) * 5:02d}:00+08:00",
            complainant={"name": f"客户{i}", "phone": f"1390067{i:04d}", "standing": "direct"},
            facts="The wealth product's value collapsed.",
        )
        async with gate:
            return await post(api, body)

    async with EventSpy(amqp_url, f"*.*.{units['root']}") as spy:
        answers = await asyncio.gather(*(one(i) for i in range(99)))
        assert {a.status_code for a in answers} == {201}
        hundredth = await one(99)
        assert hundredth.json()["classification"]["large_scale"] is True
        detected = (await spy.wait_for("complaint.large_scale_detected", timeout=20))[0]
        required = (
            await spy.wait_for(
                "regulator.report_required", lambda e: e.data.get("source_event") == str(detected.id), timeout=20
            )
        )[0]
    assert detected.data["count"] == 100
    assert (required.data["to"], required.data["urgency"]) == ("CBRC or local office", "prompt")
    due = datetime.fromisoformat(required.data["due_at"])
    assert due - detected.time == timedelta(hours=24)
