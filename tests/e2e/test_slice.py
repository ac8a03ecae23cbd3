"""One complaint through all five services (foundation slice), and a breach escalated, with the controlled clock.

AS-01 (Liaoning, received Friday 2026-04-03 15:20 before Qingming): ASSOC_FORWARD is due 2026-04-08T23:59:59
and breaches at 2026-04-09T00:00:00 (SLA-01, CONV-02).
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

ORGS = [
    {
        "id": "ln-assoc",
        "name": "辽宁省银行业协会",
        "kind": "association",
        "parent": None,
        "tenant": "ln-assoc",
        "regimes": ["liaoning-banking-association"],
    },
    {
        "id": "bank-b",
        "name": "会员银行B",
        "kind": "member",
        "parent": "ln-assoc",
        "tenant": "bank-b",
        "regimes": ["liaoning-banking-association"],
    },
    {
        "id": "bank-b-heping",
        "name": "沈阳和平网点",
        "kind": "outlet",
        "parent": "bank-b",
        "tenant": "bank-b",
        "regimes": ["liaoning-banking-association"],
    },
]

COMPLAINT = {
    "regime": "liaoning-banking-association",
    "received_at": "2026-04-03T15:20:00+08:00",
    "receiving_unit": "ln-assoc",
    "receiver_staff": "assoc-staff-1",
    "channel": "phone",
    "kind": "complaint",
    "complainant": {"name": "张三", "phone": "13912345678", "standing": "direct"},
    "respondent": {"unit": "bank-b-heping", "staff": ["teller-wang"]},
    "category": "service_attitude",
    "facts": "Teller Wang refused to exchange damaged notes.",
    "demand": "Exchange the notes and apologise.",
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

    await eventually(replicated, timeout=10)


async def test_complaint_walks_through_all_five_services_and_a_breach_is_escalated(
    platform: Platform, api: dict[str, httpx.AsyncClient], amqp_url: str
) -> None:
    async with EventSpy(amqp_url) as spy:
        await load_world(api)
        await api["intake"].put("/admin/clock", json={"now": "2026-04-03T15:21:00+08:00"})
        response = await api["intake"].post(
            "/v1/complaints", json=COMPLAINT, headers={"Idempotency-Key": f"as01-{uuid.uuid4()}"}
        )
        assert response.status_code == 201, response.text
        complaint_id = response.json()["id"]

        async def timeline_types() -> list[str] | None:
            r = await api["reporting"].get(f"/v1/complaints/{complaint_id}/timeline")
            types = [e["type"] for e in r.json()["events"]] if r.status_code == 200 else []
            wanted = {"complaint.received", "complaint.assigned", "sla.clock_started"}
            return types if wanted <= set(types) else None

        types = await eventually(timeline_types, timeout=15)
        assert types[:2] == ["complaint.received", "complaint.assigned"]

        clocks = (await api["sla"].get(f"/v1/complaints/{complaint_id}/clocks")).json()
        forward = next(c for c in clocks if c["stage"] == "ASSOC_FORWARD")
        assert forward["due_at"] == "2026-04-08T23:59:59+08:00"
        assert forward["state"] == "running"
        assert forward["owner_unit"] == "ln-assoc"

        await api["sla"].put("/admin/clock", json={"now": "2026-04-09T00:00:05+08:00"})
        breach = (await spy.wait_for("sla.breached", lambda e: e.complaint_id == complaint_id, timeout=15))[0]
        assert breach.data["stage"] == "ASSOC_FORWARD"
        assert breach.data["breached_at"] == "2026-04-09T00:00:00+08:00"
        assert breach.routing_key == "sla.breached.bank-b"
        escalated = (await spy.wait_for("complaint.escalated", lambda e: e.complaint_id == complaint_id))[0]
        expected: dict[str, Any] = {
            "stage": "ASSOC_FORWARD",
            "owner_unit": "ln-assoc",
            "due_at": "2026-04-08T23:59:59+08:00",
            "breached_at": "2026-04-09T00:00:00+08:00",
            "level": 1,
        }
        assert {k: escalated.data[k] for k in expected} == expected
        assert escalated.data["reference"] == response.json()["reference"]
        # sanctions consumed the breach (its queue drains), reporting shows it on the timeline
        await eventually(lambda: _has(api, complaint_id, "complaint.escalated"), timeout=10)


async def _has(api: dict[str, httpx.AsyncClient], complaint_id: str, type_: str) -> bool:
    r = await api["reporting"].get(f"/v1/complaints/{complaint_id}/timeline")
    return type_ in [e["type"] for e in r.json()["events"]]
