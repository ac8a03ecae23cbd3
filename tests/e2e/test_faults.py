"""Faults on the real platform: a consumer killed with SIGKILL mid-flow loses nothing and doubles nothing."""

import asyncio
import uuid
from collections import Counter

import httpx
import pytest

from tests.e2e.test_slice import COMPLAINT
from tousu.kit.platform import Platform
from tousu.kit.testing.plugin import eventually
from tousu.kit.testing.spy import EventSpy

pytestmark = pytest.mark.e2e

N = 40


async def test_routing_killed_mid_flow_loses_nothing_and_doubles_nothing(
    platform: Platform, api: dict[str, httpx.AsyncClient], amqp_url: str
) -> None:
    tag = uuid.uuid4().hex[:6]
    regime = "credit-union-province"
    orgs = [
        {
            "id": f"prov-{tag}",
            "name": "省联社",
            "kind": "province",
            "parent": None,
            "tenant": f"cu-{tag}",
            "regimes": [regime],
            "authority_level": "province",
        },
        {
            "id": f"city-{tag}",
            "name": "市联社",
            "kind": "city",
            "parent": f"prov-{tag}",
            "tenant": f"cu-{tag}",
            "regimes": [regime],
            "authority_level": "city",
        },
    ]
    for org in orgs:
        assert (await api["routing"].put(f"/v1/orgs/{org['id']}", json=org)).status_code == 200
    body = {**COMPLAINT, "receiving_unit": f"city-{tag}", "respondent": {"unit": f"city-{tag}", "staff": ["e1"]}}

    async with EventSpy(amqp_url, f"*.*.cu-{tag}") as spy:

        async def accepted() -> str | None:
            """The first complaint, once intake's replica knows the new organisations."""
            r = await api["intake"].post("/v1/complaints", json=body, headers={"Idempotency-Key": f"kill-{tag}-0"})
            return str(r.json()["id"]) if r.status_code in (200, 201) else None

        probe = await eventually(accepted, timeout=60)

        async def submit(i: int) -> str:
            r = await api["intake"].post("/v1/complaints", json=body, headers={"Idempotency-Key": f"kill-{tag}-{i}"})
            assert r.status_code == 201, r.text
            return str(r.json()["id"])

        first = [probe] + [await submit(i) for i in range(1, N // 2)]
        await spy.wait_for("complaint.assigned", count=1, timeout=60)
        platform.kill("routing")  # SIGKILL: no graceful shutdown, prefetched and in-flight messages unacked
        rest = [await submit(i) for i in range(N // 2, N)]
        await asyncio.to_thread(platform.start, ("routing",))
        await asyncio.to_thread(platform.wait_ready, ("routing",))
        ids = {*first, *rest}

        async def all_through() -> bool:
            done = {t: {e.complaint_id for e in spy.of(t)} for t in ("complaint.assigned", "sla.clock_started")}
            return all(ids <= d for d in done.values())

        await eventually(all_through, timeout=60)
        await asyncio.sleep(1)  # let any duplicate still in flight arrive before counting
        assigned = spy.of("complaint.assigned")
        started = spy.of("sla.clock_started")

    # Redelivery may repeat an event id (at least once), but never a second effect: one assignment and one clock
    # per complaint, each with one event id.
    per_complaint = Counter(e.complaint_id for e in {e.id: e for e in assigned}.values())
    assert set(per_complaint) == ids
    assert set(per_complaint.values()) == {1}
    clocks = Counter(e.complaint_id for e in {e.id: e for e in started}.values())
    assert set(clocks) == ids
    assert set(clocks.values()) == {1}
    cases = (await api["routing"].get(f"/v1/units/city-{tag}/cases")).json()
    assert len([c for c in cases if c["complaint_id"] in ids]) == N
