"""Helpers of sla's end-to-end scenarios: organisations, complaints, the controlled clock, and case events.

Case events (forwarded, progress_reported, extension_*, result_submitted, replied, ...) are published onto
`tousu.events` as their producer would (a CloudEvent validated against the contract model, routing key
`<type>.<tenant>`, message_id = event id): sla is driven through its public inputs, independent of how far
routing's action API has come.
"""

import uuid
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any

import aio_pika
import httpx

from tests.e2e.tc2026 import TC_2026
from tousu.contracts.envelope import CloudEvent
from tousu.contracts.events import EVENT_TYPES, PRODUCERS
from tousu.contracts.topology import EVENTS_EXCHANGE
from tousu.kit.testing.plugin import eventually
from tousu.kit.testing.spy import EventSpy

Api = dict[str, httpx.AsyncClient]


def org(org_id: str, kind: str, parent: str | None, tenant: str, regime: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": org_id,
        "name": org_id,
        "kind": kind,
        "parent": parent,
        "tenant": tenant,
        "regimes": [regime],
        **extra,
    }


async def load_world(api: Api, orgs: list[dict[str, Any]]) -> None:
    """TC-2026 (as data) and the organisations; waits until intake knows the last of them."""
    response = await api["sla"].put("/v1/calendars/2026", json=TC_2026)
    assert response.status_code == 200, response.text
    for body in orgs:
        response = await api["routing"].put(f"/v1/orgs/{body['id']}", json=body)
        assert response.status_code == 200, response.text

    probe_body = complaint("no-such-regime", "2026-01-05T10:00:00+08:00", orgs[-1]["id"])

    async def replicated() -> bool:
        probe = await api["intake"].post(
            "/v1/complaints", json=probe_body, headers={"Idempotency-Key": str(uuid.uuid4())}
        )
        return "unknown organisation" not in probe.text

    await eventually(replicated, timeout=10)


async def set_clock(api: Api, now: str) -> None:
    """Set the business clock (broadcast to every service) and wait until sla runs on it."""
    response = await api["sla"].put("/admin/clock", json={"now": now})
    assert response.status_code == 200, response.text
    wanted = datetime.fromisoformat(now)

    async def moved() -> bool:
        shown = datetime.fromisoformat((await api["sla"].get("/admin/clock")).json()["now"])
        return timedelta(0) <= shown - wanted < timedelta(seconds=60)

    await eventually(moved, timeout=10, interval=0.05)


async def submit(api: Api, spy: EventSpy, body: dict[str, Any]) -> tuple[str, str]:
    """POST a complaint; returns its id and tenant (from `complaint.received`)."""
    response = await api["intake"].post("/v1/complaints", json=body, headers={"Idempotency-Key": str(uuid.uuid4())})
    assert response.status_code == 201, response.text
    complaint_id = str(response.json()["id"])
    received = await spy.wait_for("complaint.received", lambda e: e.complaint_id == complaint_id, timeout=10)
    return complaint_id, received[0].tenant


def complaint(regime: str, received_at: str, unit: str, respondent: str | None = None, **fields: Any) -> dict[str, Any]:
    """A complete submission (CONTRACT §4): every field a regime's acceptance conditions may ask for."""
    return {
        "regime": regime,
        "received_at": received_at,
        "receiving_unit": unit,
        "receiver_staff": "staff-1",
        "channel": "phone",
        "kind": "complaint",
        "complainant": {"name": "张三", "phone": "13912345678", "standing": "direct"},
        "respondent": {"unit": respondent or unit, "staff": ["staff-9"]},
        "category": "service_attitude",
        "facts": "The teller refused to exchange damaged notes.",
        "demand": "Exchange the notes and apologise.",
        **fields,
    }


async def routing_action(api: Api, complaint_id: str, action: dict[str, Any]) -> None:
    """A handling action through routing (CONTRACT §5), once routing has the case."""

    async def accepted() -> bool:
        response = await api["routing"].post(f"/v1/cases/{complaint_id}/actions", json=action)
        assert response.status_code in (202, 404), response.text
        return response.status_code == 202

    await eventually(accepted)


class Producer:
    """Publishes events onto tousu.events as their producer would."""

    def __init__(self, amqp_url: str) -> None:
        self.amqp_url = amqp_url
        self._connection: aio_pika.abc.AbstractRobustConnection | None = None
        self._exchange: aio_pika.abc.AbstractExchange | None = None

    async def __aenter__(self) -> "Producer":
        self._connection = await aio_pika.connect_robust(self.amqp_url)
        channel = await self._connection.channel(publisher_confirms=True)
        self._exchange = await channel.get_exchange(EVENTS_EXCHANGE)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._connection is not None:
            await self._connection.close()

    async def publish(self, type_: str, tenant: str, **data: Any) -> CloudEvent:
        assert self._exchange is not None
        payload = EVENT_TYPES[type_].model_validate(data).model_dump(mode="json", exclude_none=True)
        event = CloudEvent(
            source=f"tousu/{PRODUCERS[type_]}",
            type=type_,
            subject=payload.get("complaint_id"),
            time=payload["occurred_at"],
            tenant=tenant,
            correlationid=payload.get("complaint_id"),
            data=payload,
        )
        await self._exchange.publish(
            aio_pika.Message(
                body=event.model_dump_json().encode(),
                message_id=str(event.id),
                content_type="application/cloudevents+json",
                type=type_,
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            ),
            routing_key=event.routing_key,
        )
        return event


async def clocks_of(api: Api, complaint_id: str, wanted: set[str] | None = None, timeout: float = 10) -> dict[str, Any]:
    """The latest run of each stage, once the stages in `wanted` are there."""

    async def fetch() -> dict[str, Any] | None:
        response = await api["sla"].get(f"/v1/complaints/{complaint_id}/clocks")
        if response.status_code != 200:
            return None
        latest = {c["stage"]: c for c in sorted(response.json(), key=lambda c: c["cycle"])}
        return latest if wanted is None or wanted <= set(latest) else None

    return await eventually(fetch, timeout=timeout)


def of(spy: EventSpy, type_: str, complaint_id: str, stage: str | None = None) -> list[CloudEvent]:
    return spy.of(type_, lambda e: e.complaint_id == complaint_id and (stage is None or e.data.get("stage") == stage))


async def wait(
    spy: EventSpy, type_: str, complaint_id: str, stage: str | None = None, timeout: float = 10, count: int = 1
) -> list[CloudEvent]:
    return await spy.wait_for(
        type_,
        lambda e: e.complaint_id == complaint_id and (stage is None or e.data.get("stage") == stage),
        timeout=timeout,
        count=count,
    )
