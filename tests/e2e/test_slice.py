"""One complaint through all five services (the foundation slice), and a breach escalated, with the controlled clock.

AS-05 case B (credit union, a 市联社-level complaint received Tuesday 2026-09-29 10:00 before National Day): the
CITY stage is due 2026-10-08T23:59:59 (WD1 09-30, WD2 10-08) and breaches at 2026-10-09T00:00:00 (SLA-11, CONV-02);
routing escalates the breach to the owner's superior, the provincial union (ARCHITECTURE §6).
"""

import uuid
from typing import Any

import httpx
import pytest

from tests.e2e.tc2026 import TC_2026
from tousu.kit.platform import Platform
from tousu.kit.testing.plugin import eventually
from tousu.kit.testing.spy import EventSpy

pytestmark = pytest.mark.e2e

REGIME = "credit-union-province"
ORGS = [
    {
        "id": "cu-province",
        "name": "省联社",
        "kind": "province",
        "parent": None,
        "tenant": "cu-province",
        "regimes": [REGIME],
        "authority_level": "province",
    },
    {
        "id": "cu-city-a",
        "name": "市联社A",
        "kind": "city",
        "parent": "cu-province",
        "tenant": "cu-province",
        "regimes": [REGIME],
        "authority_level": "city",
    },
    {
        "id": "cu-county-a",
        "name": "县联社A",
        "kind": "county",
        "parent": "cu-city-a",
        "tenant": "cu-province",
        "regimes": [REGIME],
        "authority_level": "county",
    },
]

COMPLAINT = {
    "regime": REGIME,
    "received_at": "2026-09-29T10:00:00+08:00",
    "receiving_unit": "cu-city-a",
    "receiver_staff": "emp-17",
    "channel": "phone",
    "kind": "complaint",
    "complainant": {"name": "张三", "phone": "13912345678", "standing": "direct"},
    "respondent": {"unit": "cu-city-a", "staff": ["emp-22"]},
    "category": "fees",
    "facts": "A fee was charged twice for one transfer.",
    "demand": "Refund the second fee.",
    "authority": "city",
}


async def load_world(api: dict[str, httpx.AsyncClient]) -> None:
    for org in ORGS:
        response = await api["routing"].put(f"/v1/orgs/{org['id']}", json=org)
        assert response.status_code == 200, response.text
    response = await api["sla"].put("/v1/calendars/2026", json=TC_2026)
    assert response.status_code == 200, response.text

    async def replicated() -> bool:
        probe = await api["intake"].post(
            "/v1/complaints",
            json={**COMPLAINT, "regime": "no-such-regime"},
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        return "unknown organisation" not in probe.text

    await eventually(replicated, timeout=60)


async def test_complaint_walks_through_all_five_services_and_a_breach_is_escalated(
    platform: Platform, api: dict[str, httpx.AsyncClient], amqp_url: str
) -> None:
    async with EventSpy(amqp_url) as spy:
        await load_world(api)
        await api["intake"].put("/admin/clock", json={"now": "2026-09-29T10:01:00+08:00"})
        response = await api["intake"].post(
            "/v1/complaints", json=COMPLAINT, headers={"Idempotency-Key": f"as05-{uuid.uuid4()}"}
        )
        assert response.status_code == 201, response.text
        complaint_id = response.json()["id"]

        async def timeline_types() -> list[str] | None:
            r = await api["reporting"].get(f"/v1/complaints/{complaint_id}/timeline")
            types = [e["type"] for e in r.json()["events"]] if r.status_code == 200 else []
            wanted = {"complaint.received", "complaint.assigned", "sla.clock_started"}
            return types if wanted <= set(types) else None

        types = await eventually(timeline_types, timeout=60)
        assert types[:2] == ["complaint.received", "complaint.assigned"]

        clocks = (await api["sla"].get(f"/v1/complaints/{complaint_id}/clocks")).json()
        city = next(c for c in clocks if c["stage"] == "CITY")
        assert city["due_at"] == "2026-10-08T23:59:59+08:00"
        assert city["state"] == "running"
        assert city["owner_unit"] == "cu-city-a"

        await api["sla"].put("/admin/clock", json={"now": "2026-10-09T00:00:05+08:00"})
        breach = (await spy.wait_for("sla.breached", lambda e: e.complaint_id == complaint_id, timeout=15))[0]
        assert breach.data["stage"] == "CITY"
        assert breach.data["breached_at"] == "2026-10-09T00:00:00+08:00"
        assert breach.routing_key == "sla.breached.cu-province"
        escalated = (await spy.wait_for("complaint.escalated", lambda e: e.complaint_id == complaint_id))[0]
        expected: dict[str, Any] = {
            "stage": "CITY",
            "owner_unit": "cu-city-a",
            "due_at": "2026-10-08T23:59:59+08:00",
            "breached_at": "2026-10-09T00:00:00+08:00",
            "level": 1,
            "target_unit": "cu-province",
        }
        assert {k: escalated.data[k] for k in expected} == expected
        assert escalated.data["reference"] == response.json()["reference"]
        # sanctions consumed the breach (its queue drains), reporting shows it on the timeline
        await eventually(lambda: _has(api, complaint_id, "complaint.escalated"), timeout=10)


async def _has(api: dict[str, httpx.AsyncClient], complaint_id: str, type_: str) -> bool:
    r = await api["reporting"].get(f"/v1/complaints/{complaint_id}/timeline")
    return type_ in [e["type"] for e in r.json()["events"]]
