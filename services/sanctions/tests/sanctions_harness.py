"""Sanctions alone, in process, against the real RabbitMQ (a vhost of its own) and PostgreSQL (a fresh database).

The other services' events are published onto `tousu.events` as their producers would; HTTP goes through the
service's own app. Tests share one harness per module and use their own organisation ids.
"""

import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import aio_pika
import httpx
import sqlalchemy as sa

from tousu.contracts import topology as names
from tousu.contracts.envelope import CloudEvent
from tousu.contracts.events import PRODUCERS
from tousu.contracts.types import SHANGHAI
from tousu.kit.auth import issue_token
from tousu.kit.db import drop_database, make_engine
from tousu.kit.migrate import upgrade
from tousu.kit.platform import service_database_url
from tousu.kit.settings import DEV_TOKEN_SECRET, ServiceSettings
from tousu.kit.testing.plugin import eventually
from tousu.kit.testing.servers import isolated_vhost, rabbitmq_server
from tousu.kit.testing.spy import EventSpy
from tousu.sanctions.entrypoints.app import create_app


def at(text: str) -> datetime:
    """`2026-05-11T10:00` in +08:00."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


class Harness:
    def __init__(self, amqp: str, database: str, client: httpx.AsyncClient, spy: EventSpy, app: Any) -> None:
        self.amqp = amqp
        self.database = database
        self.http = client
        self.spy = spy
        self.runtime = app.state.runtime
        self.engine = make_engine(database)

    def clock(self, instant: str) -> None:
        self.runtime.clock.set(at(instant))

    async def publish(self, type_: str, tenant: str, data: dict[str, Any], *, wait: bool = True) -> CloudEvent:
        """Publish an event as its producer would, and (by default) wait until sanctions has consumed it."""
        occurred = data.setdefault("occurred_at", self.runtime.clock.now().isoformat())
        event = CloudEvent(
            source=f"tousu/{PRODUCERS[type_]}",
            type=type_,
            time=datetime.fromisoformat(str(occurred)),
            tenant=tenant,
            data=data,
        )
        connection = await aio_pika.connect_robust(self.amqp)
        async with connection:
            channel = await connection.channel(publisher_confirms=True)
            exchange = await channel.get_exchange(names.EVENTS_EXCHANGE)
            await exchange.publish(
                aio_pika.Message(
                    event.model_dump_json().encode(),
                    message_id=str(event.id),
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                ),
                event.routing_key,
            )
        if wait:
            await self.consumed(event)
        return event

    async def consumed(self, event: CloudEvent) -> None:
        async def inbox() -> bool:
            async with self.engine.connect() as conn:
                found = await conn.execute(sa.text("SELECT 1 FROM inbox WHERE event_id = :id"), {"id": event.id})
                return found.first() is not None

        await eventually(inbox, timeout=10, interval=0.05)

    async def orgs(self, *orgs: dict[str, Any]) -> None:
        for version, org in enumerate(orgs, start=1):
            full = {"parent": None, "regimes": [], **org}
            await self.publish(
                "org.updated",
                "platform",
                {"org_id": full["id"], "org": full, "version": version, "occurred_at": "2026-01-01T00:00:00+08:00"},
            )

    async def received(self, tenant: str, regime: str, received_at: str, **fields: Any) -> str:
        complaint_id = str(uuid.uuid4())
        instant = at(received_at).isoformat()
        data = {
            "complaint_id": complaint_id,
            "reference": f"T-{complaint_id[:8]}",
            "regime": regime,
            "policy_version": "",
            "occurred_at": instant,
            "received_at": instant,
            "channel": "phone",
            "kind": "complaint",
            "category": "service_attitude",
            "priority": "ordinary",
            "classification": {"validity": "valid"},
            **fields,
        }
        data.setdefault("receiving_unit", data["respondent_unit"])
        await self.publish("complaint.received", tenant, data)
        return complaint_id

    async def sanctions(self, **query: str) -> list[dict[str, Any]]:
        response = await self.http.get("/v1/sanctions", params=query)
        assert response.status_code == 200, response.text
        result: list[dict[str, Any]] = response.json()
        return result

    async def evaluations(self, **query: str) -> list[dict[str, Any]]:
        response = await self.http.get("/v1/kpis", params=query)
        assert response.status_code == 200, response.text
        result: list[dict[str, Any]] = response.json()
        return result


@contextlib.asynccontextmanager
async def harness(postgres_url: str) -> AsyncIterator[Harness]:
    database = service_database_url(postgres_url, "sanctions", prefix=f"tousu_santest_{uuid.uuid4().hex[:8]}")
    await upgrade("sanctions", database)
    with rabbitmq_server() as base, isolated_vhost(base) as amqp:
        settings = ServiceSettings.model_validate(
            {
                "RABBITMQ_URL": amqp,
                "DATABASE_URL": database,
                "TOUSU_CLOCK": "controlled",
                "TOUSU_OUTBOX_POLL_S": 0.1,
                "TOUSU_TOKEN_SECRET": DEV_TOKEN_SECRET,
            }
        )
        app = create_app(settings)
        runtime = app.state.runtime
        await runtime.start()
        token = issue_token(DEV_TOKEN_SECRET, "platform", ["admin"])
        try:
            async with (
                EventSpy(amqp) as spy,
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app),
                    base_url="http://sanctions",
                    headers={"Authorization": f"Bearer {token}"},
                ) as client,
            ):
                h = Harness(amqp, database, client, spy, app)
                try:
                    yield h
                finally:
                    await h.engine.dispose()
        finally:
            await runtime.stop()
            await drop_database(database)


async def tree(h: Harness, regime: str, *units: str, kind: str = "department") -> dict[str, str]:
    """A headquarters of `regime` with `units` (of `kind`) under it, replicated into sanctions; their ids by name."""
    n = uuid.uuid4().hex[:6]
    ids = {"top": f"top-{n}", **{u: f"{u}-{n}" for u in units}}
    top = {"id": ids["top"], "name": "总部", "kind": "headquarters", "tenant": ids["top"], "regimes": [regime]}
    below = (
        {"id": ids[u], "name": u, "kind": kind, "parent": ids["top"], "tenant": ids["top"], "regimes": [regime]}
        for u in units
    )
    await h.orgs(top, *below)
    return ids


async def complaint(h: Harness, ids: dict[str, str], regime: str, unit: str, when: str, **fields: Any) -> str:
    """A complaint received at the headquarters against `unit` at `when` (the clock set there); staff-1 by default."""
    h.clock(when)
    fields.setdefault("respondent_staff", ["staff-1"])
    return await h.received(ids["top"], regime, when, receiving_unit=ids["top"], respondent_unit=ids[unit], **fields)
