"""Shared set-up of the integration suites: a throwaway service built from the kit alone, and a real service run
in-process, each against the real broker and database."""

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

import aio_pika
import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy.dialects.postgresql import UUID

from tousu.contracts.envelope import CloudEvent
from tousu.contracts.events import PRODUCERS
from tousu.contracts.topology import EVENTS_EXCHANGE
from tousu.kit.auth import issue_token
from tousu.kit.broker import declare_exchanges
from tousu.kit.db import drop_database, ensure_database, kit_tables, make_engine
from tousu.kit.migrate import upgrade
from tousu.kit.platform import service_database_url
from tousu.kit.settings import DEV_TOKEN_SECRET, ServiceSettings
from tousu.kit.testing.servers import isolated_vhost, rabbitmq_server

metadata = sa.MetaData()
KIT = kit_tables(metadata)
effects = sa.Table(
    "effects",
    metadata,
    sa.Column("n", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("event_id", UUID(as_uuid=True), nullable=False),
    sa.Column("complaint_id", sa.Text, nullable=True),
)
attempts = sa.Table(
    "attempts",
    metadata,
    sa.Column("event_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("count", sa.Integer, nullable=False),
)


@pytest.fixture
def vhost_url() -> Iterator[str]:
    """A vhost of this test's own: queues named like a real service's cannot meet another test's."""
    with rabbitmq_server() as base, isolated_vhost(base) as url:
        yield url


@pytest.fixture
async def kit_db(database_url: str) -> str:
    engine = make_engine(database_url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    await engine.dispose()
    return database_url


@dataclass
class InProcessService:
    """One service in-process against the real broker and a database of its own: its HTTP client, and a channel that
    publishes what the other services would."""

    http: httpx.AsyncClient
    amqp_url: str
    channel: aio_pika.abc.AbstractChannel
    default_roles: ClassVar[tuple[str, ...]] = ("admin",)

    def as_(self, org: str, *roles: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {issue_token(DEV_TOKEN_SECRET, org, roles or self.default_roles)}"}

    async def publish(self, type_: str, tenant: str, data: dict[str, Any], event_id: str | None = None) -> None:
        """An event as its producer (the catalogue's) publishes it; `event_id` repeats an earlier delivery."""
        event = CloudEvent(
            id=uuid.UUID(event_id) if event_id else uuid.uuid4(),
            source=f"tousu/{PRODUCERS[type_]}",
            type=type_,
            time=data["occurred_at"],
            tenant=tenant,
            data=data,
        )
        exchange = await self.channel.get_exchange(EVENTS_EXCHANGE)
        await exchange.publish(
            aio_pika.Message(event.model_dump_json().encode(), message_id=str(event.id)), event.routing_key
        )


S = TypeVar("S", bound=InProcessService)


@asynccontextmanager
async def in_process(
    kind: type[S], service: str, create_app: Callable[[ServiceSettings], FastAPI], postgres_url: str
) -> AsyncIterator[S]:
    """`service` (its app from `create_app`) started on a database and a vhost of its own, as a `kind`. The database
    is dropped afterwards."""
    database = service_database_url(postgres_url, service, prefix=f"tousu_it_{uuid.uuid4().hex[:8]}")
    with rabbitmq_server() as base, isolated_vhost(base) as url:
        await ensure_database(database)
        await upgrade(service, database)
        settings = ServiceSettings.model_validate(
            {"DATABASE_URL": database, "RABBITMQ_URL": url, "TOUSU_OUTBOX_POLL_S": 0.2}
        )
        app = create_app(settings)
        setup = await aio_pika.connect_robust(url)
        async with setup:
            await declare_exchanges(await setup.channel())
        async with AsyncExitStack() as stack:
            await stack.enter_async_context(app.router.lifespan_context(app))
            http = await stack.enter_async_context(
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=f"http://{service}", timeout=15)
            )
            connection = await stack.enter_async_context(await aio_pika.connect_robust(url))
            channel = await connection.channel()
            # Stands in for reporting, which binds every event: the service's mandatory publishes are always routable.
            sink = await channel.declare_queue(exclusive=True, arguments={"x-max-length": 1000})
            await sink.bind(EVENTS_EXCHANGE, "#")
            yield kind(http=http, amqp_url=url, channel=channel)
        await drop_database(database)
