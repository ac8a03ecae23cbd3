"""The kit's delivery guarantees against a real RabbitMQ and PostgreSQL (ARCHITECTURE §3).

A poison message is parked with its reason while other traffic flows; a transient database error is retried,
never parked; a relay that publishes again (killed between confirm and mark-sent) causes no second effect.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import datetime

import aio_pika
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from tests.integration.conftest import KIT, effects
from tousu.contracts import topology as names
from tousu.contracts.envelope import CloudEvent
from tousu.contracts.events import EVENT_TYPES
from tousu.contracts.types import SHANGHAI
from tousu.kit import dlq
from tousu.kit.consumer import REASON_HEADER, Delivery
from tousu.kit.db import drop_database, ensure_database
from tousu.kit.errors import FieldError, PermanentError
from tousu.kit.runtime import ServiceRuntime, ServiceSpec
from tousu.kit.settings import ServiceSettings
from tousu.kit.testing.plugin import eventually
from tousu.kit.testing.spy import EventSpy
from tousu.kit.uow import UnitOfWork

pytestmark = pytest.mark.integration

NOW = datetime(2026, 4, 3, 15, 20, tzinfo=SHANGHAI)


def received(complaint_id: str) -> CloudEvent:
    return CloudEvent(
        source="tousu/intake",
        type="complaint.received",
        time=NOW,
        tenant="bank-b",
        data={"complaint_id": complaint_id, "regime": "liaoning-banking-association", "occurred_at": NOW.isoformat()},
    )


async def record_effect(uow: UnitOfWork, delivery: Delivery) -> None:
    assert delivery.event is not None
    await uow.session.execute(effects.insert().values(event_id=delivery.key, complaint_id=delivery.event.complaint_id))


def settings(amqp: str, db: str) -> ServiceSettings:
    return ServiceSettings.model_validate({"RABBITMQ_URL": amqp, "DATABASE_URL": db, "TOUSU_OUTBOX_POLL_S": 0.2})


@pytest.fixture
async def running() -> AsyncIterator[Callable[[ServiceRuntime], ServiceRuntime]]:
    started: list[ServiceRuntime] = []

    def start(runtime: ServiceRuntime) -> ServiceRuntime:
        started.append(runtime)
        return runtime

    yield start
    for runtime in reversed(started):
        await runtime.stop()


async def publish_raw(url: str, body: bytes, key: str, message_id: str | None = None) -> None:
    connection = await aio_pika.connect_robust(url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(names.EVENTS_EXCHANGE)
        await exchange.publish(
            aio_pika.Message(body, message_id=message_id, delivery_mode=aio_pika.DeliveryMode.PERSISTENT), key
        )


async def publish(url: str, event: CloudEvent) -> None:
    await publish_raw(url, event.model_dump_json().encode(), event.routing_key, str(event.id))


async def count(db: str, table: sa.Table, *where: sa.ColumnElement[bool]) -> int:
    engine = create_async_engine(db)
    async with engine.connect() as conn:
        value = await conn.scalar(sa.select(sa.func.count()).select_from(table).where(*where))
    await engine.dispose()
    return int(value or 0)


async def parked(url: str, queue: str) -> list[aio_pika.abc.AbstractIncomingMessage]:
    connection = await aio_pika.connect_robust(url)
    out = []
    async with connection:
        channel = await connection.channel()
        dlq = await channel.get_queue(names.parking_queue(queue))
        while (message := await dlq.get(fail=False, no_ack=True)) is not None:
            out.append(message)
    return out


async def test_poison_message_is_parked_with_its_reason_while_traffic_flows(
    vhost_url: str, kit_db: str, running: Callable[[ServiceRuntime], ServiceRuntime]
) -> None:
    async def picky(uow: UnitOfWork, delivery: Delivery) -> None:
        assert delivery.event is not None
        if delivery.event.complaint_id == "c-bad-rule":
            raise PermanentError("rule broken", [FieldError("respondent.unit", "unknown organisation", "INT-21")])
        await record_effect(uow, delivery)

    spec = ServiceSpec(name="routing", tables=KIT, handlers={"complaint.received": picky})
    runtime = running(ServiceRuntime(spec, settings(vhost_url, kit_db)))
    await runtime.start()
    await publish_raw(vhost_url, b"\x00not json", "complaint.received.bank-b", "poison-1")
    await publish(vhost_url, received("c-bad-rule"))
    for i in range(5):
        await publish(vhost_url, received(f"c-{i}"))

    await eventually(lambda: _at_least(kit_db, 5), timeout=15)
    queue = names.service_queue("routing")
    messages = await eventually(lambda: _parked(vhost_url, queue, 2), timeout=15)
    reasons = sorted(str(m.headers[REASON_HEADER]) for m in messages)
    assert any("not JSON" in r for r in reasons)
    assert any("respondent.unit" in r and "INT-21" in r for r in reasons)
    assert await count(kit_db, effects) == 5


async def _at_least(db: str, n: int) -> bool:
    return await count(db, effects) >= n


async def _parked(url: str, queue: str, n: int) -> list[aio_pika.abc.AbstractIncomingMessage] | None:
    found = await parked(url, queue)
    assert len(found) <= n, f"more parked than expected: {len(found)}"
    return found if len(found) == n else None


async def test_transient_database_error_is_retried_and_not_parked(
    vhost_url: str, kit_db: str, running: Callable[[ServiceRuntime], ServiceRuntime]
) -> None:
    broken: set[str] = set()

    async def flaky(uow: UnitOfWork, delivery: Delivery) -> None:
        assert delivery.event is not None
        cid = delivery.event.complaint_id or ""
        if cid not in broken:
            broken.add(cid)
            # A real outage of this connection: the server ends the session under the handler.
            await uow.session.execute(sa.text("SELECT pg_terminate_backend(pg_backend_pid())"))
        await record_effect(uow, delivery)

    spec = ServiceSpec(name="routing", tables=KIT, handlers={"complaint.received": flaky})
    runtime = running(ServiceRuntime(spec, settings(vhost_url, kit_db)))
    await runtime.start()
    await publish(vhost_url, received("c-flaky"))

    await eventually(lambda: _at_least(kit_db, 1), timeout=20)
    assert broken == {"c-flaky"}
    assert await count(kit_db, effects) == 1
    assert await parked(vhost_url, names.service_queue("routing")) == []


async def test_unexpected_error_is_retried_and_its_effect_lands_once_beside_a_batch_that_commits(
    vhost_url: str, kit_db: str, running: Callable[[ServiceRuntime], ServiceRuntime]
) -> None:
    """The batch claims its inbox rows in one statement: a message whose handler fails must give its row back,
    or its retry would be taken for a duplicate and its effect lost."""
    failed: set[str] = set()

    async def once_broken(uow: UnitOfWork, delivery: Delivery) -> None:
        assert delivery.event is not None
        cid = delivery.event.complaint_id or ""
        await record_effect(uow, delivery)  # rolled back with the savepoint when the handler fails
        if cid == "c-once" and cid not in failed:
            failed.add(cid)
            raise RuntimeError("a bug that the next attempt does not meet")

    spec = ServiceSpec(name="routing", tables=KIT, handlers={"complaint.received": once_broken})
    runtime = running(ServiceRuntime(spec, settings(vhost_url, kit_db)))
    await runtime.start()
    events = [received("c-before"), received("c-once"), received("c-after")]
    for event in events:
        await publish(vhost_url, event)
    await publish(vhost_url, events[2])  # the same event again: no second effect

    await eventually(lambda: _at_least(kit_db, 3), timeout=20)
    assert failed == {"c-once"}
    assert await count(kit_db, effects, effects.c.event_id == events[1].id) == 1
    assert await count(kit_db, effects) == 3
    assert await parked(vhost_url, names.service_queue("routing")) == []


async def test_connections_dropped_by_a_database_restart_cost_a_retry_never_a_message(
    vhost_url: str, kit_db: str, running: Callable[[ServiceRuntime], ServiceRuntime]
) -> None:
    """No ping per checkout (kit.db): the pooled connections a restart killed fail once, transiently."""
    spec = ServiceSpec(name="routing", tables=KIT, handlers={"complaint.received": record_effect})
    runtime = running(ServiceRuntime(spec, settings(vhost_url, kit_db)))
    await runtime.start()
    await publish(vhost_url, received("c-before-restart"))
    await eventually(lambda: _at_least(kit_db, 1), timeout=15)

    database = kit_db.rsplit("/", 1)[1]
    engine = create_async_engine(kit_db.rsplit("/", 1)[0] + "/postgres")
    async with engine.connect() as conn:
        killed = await conn.scalar(
            sa.text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = :db AND pid <> pg_backend_pid()"
            ),
            {"db": database},
        )
    await engine.dispose()
    assert killed  # the service's pooled connections were there to be killed
    await publish(vhost_url, received("c-after-restart"))

    await eventually(lambda: _at_least(kit_db, 2), timeout=20)
    assert await count(kit_db, effects) == 2
    assert await parked(vhost_url, names.service_queue("routing")) == []


async def test_relay_publishing_again_causes_no_second_effect(
    vhost_url: str, kit_db: str, postgres_url: str, running: Callable[[ServiceRuntime], ServiceRuntime]
) -> None:
    """A relay killed between the broker's confirm and marking the row sent publishes the row again on restart:
    here the mark is undone by hand, which is what such a crash leaves behind."""
    assert "complaint.assigned" in EVENT_TYPES

    async def assign(uow: UnitOfWork, delivery: Delivery) -> None:
        assert delivery.event is not None
        uow.emit(
            "complaint.assigned",
            EVENT_TYPES["complaint.assigned"].model_validate(
                {
                    "complaint_id": delivery.event.complaint_id,
                    "regime": "liaoning-banking-association",
                    "occurred_at": NOW.isoformat(),
                    "unit": "outlet-1",
                }
            ),
            tenant="bank-b",
        )

    downstream_db = kit_db.rsplit("/", 1)[0] + f"/tousu_test_{uuid.uuid4().hex[:8]}_down"
    await ensure_database(downstream_db)
    engine = create_async_engine(downstream_db)
    async with engine.begin() as conn:
        await conn.run_sync(effects.metadata.create_all)
    await engine.dispose()

    producer = running(
        ServiceRuntime(ServiceSpec("routing", KIT, {"complaint.received": assign}), settings(vhost_url, kit_db))
    )
    consumer = running(
        ServiceRuntime(
            ServiceSpec("sla", KIT, {"complaint.assigned": record_effect}), settings(vhost_url, downstream_db)
        )
    )
    async with EventSpy(vhost_url, "complaint.assigned.*") as spy:
        await consumer.start()
        await producer.start()
        await publish(vhost_url, received("c-relay"))
        await spy.wait_for("complaint.assigned", timeout=15)
        engine = create_async_engine(kit_db)
        async with engine.begin() as conn:
            await conn.execute(sa.update(KIT.outbox).values(sent_at=None))
        await engine.dispose()
        assert producer.relay is not None
        producer.relay.wake()
        await spy.wait_for("complaint.assigned", count=2, timeout=15)
    assert len(set(spy.message_ids)) == 1, "the same event id both times"
    await asyncio.sleep(1)
    assert await count(downstream_db, effects) == 1
    await consumer.stop()  # before its database goes
    await drop_database(downstream_db)


async def test_parked_message_is_listed_with_its_reason_and_replayed(
    vhost_url: str, kit_db: str, running: Callable[[ServiceRuntime], ServiceRuntime]
) -> None:
    """`tousu dlq list|replay`: an operator sees why a message was parked and sends it back once it can pass."""
    fixed = False

    async def until_fixed(uow: UnitOfWork, delivery: Delivery) -> None:
        if not fixed:
            raise PermanentError("respondent unknown", [FieldError("respondent.unit", "unknown organisation")])
        await record_effect(uow, delivery)

    spec = ServiceSpec(name="routing", tables=KIT, handlers={"complaint.received": until_fixed})
    runtime = running(ServiceRuntime(spec, settings(vhost_url, kit_db)))
    await runtime.start()
    await publish(vhost_url, received("c-replay"))
    queue = names.service_queue("routing")

    async def listed() -> list[dlq.Parked] | None:
        found = await dlq.list_parked(vhost_url, queue)
        return found or None

    parked_now = await eventually(listed, timeout=15)
    assert len(parked_now) == 1
    assert "respondent.unit" in parked_now[0].reason
    assert await dlq.depth(vhost_url, queue) == 1, "listing leaves the message parked"
    fixed = True
    assert await dlq.replay(vhost_url, queue) == 1
    await eventually(lambda: _at_least(kit_db, 1), timeout=15)
    assert await dlq.depth(vhost_url, queue) == 0
