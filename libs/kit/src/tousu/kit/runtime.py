"""A service's moving parts and their order of start and stop (ARCHITECTURE §8: graceful shutdown)."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
import structlog
from aio_pika.abc import AbstractRobustConnection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from tousu.contracts import topology as names
from tousu.kit.broker import connect, declare_service_topology
from tousu.kit.clock import BusinessClock
from tousu.kit.consumer import Consumer, Handler, Redactor
from tousu.kit.control import ClockSync
from tousu.kit.db import KitTables, make_engine, make_sessions
from tousu.kit.outbox import OutboxRelay
from tousu.kit.settings import ServiceSettings
from tousu.kit.uow import UnitOfWork, write_outbox

log = structlog.get_logger("tousu.runtime")

BackgroundTask = Callable[["ServiceRuntime"], Coroutine[Any, Any, None]]


@dataclass
class ServiceSpec:
    """What a service consumes and runs, declared once and used by `migrate`, start-up and the docs."""

    name: str
    tables: KitTables
    handlers: Mapping[str, Handler] = field(default_factory=dict)
    """Event type → handler, for `tousu.events`; `"*"` as a key binds every event (reporting)."""
    ingress: Mapping[str, Handler] = field(default_factory=dict)
    """Ingress routing key (complaint.submit, case.act) → handler."""
    ingress_redact: Redactor | None = None
    background: list[BackgroundTask] = field(default_factory=list)

    @property
    def event_types(self) -> list[str]:
        return sorted(self.handlers)


class ServiceRuntime:
    def __init__(self, spec: ServiceSpec, settings: ServiceSettings) -> None:
        self.spec = spec
        self.settings = settings
        self.clock = BusinessClock(controlled=settings.clock == "controlled")
        self.engine: AsyncEngine | None = None
        self.sessions: async_sessionmaker[AsyncSession] | None = None
        self.connection: AbstractRobustConnection | None = None
        self.relay: OutboxRelay | None = None
        self.clock_sync: ClockSync | None = None
        self.consumers: list[Consumer] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._stopped = False

    @property
    def name(self) -> str:
        return self.spec.name

    async def start(self) -> None:
        s = self.settings
        self.engine = make_engine(s.database_for(self.name))
        self.sessions = make_sessions(self.engine)
        self.connection = await connect(s.rabbitmq_url, f"tousu-{self.name}")
        channel = await self.connection.channel()
        await declare_service_topology(channel, self.name, self.spec.event_types, self.spec.ingress)
        await channel.close()
        if self.clock.controlled:
            self.clock_sync = ClockSync(self.connection, self.clock)
            await self.clock_sync.start()
        self.relay = OutboxRelay(self.connection, self.sessions, self.spec.tables, self.name, poll_s=s.outbox_poll_s)
        self._tasks.append(asyncio.create_task(self.relay.run(), name="outbox-relay"))
        groups: list[tuple[str, Mapping[str, Handler], bool]] = []
        if self.spec.handlers:
            groups.append((names.service_queue(self.name), self._event_handlers(), False))
        for key, handler in self.spec.ingress.items():
            groups.append((names.ingress_queue(key), {key: handler}, True))
        for queue, handlers, ingress in groups:
            consumer = Consumer(
                service=self.name,
                queue=queue,
                handlers=handlers,
                connection=self.connection,
                sessions=self.sessions,
                tables=self.spec.tables,
                clock=self.clock,
                on_commit=self.relay.wake,
                ingress=ingress,
                prefetch=s.prefetch,
                batch_size=s.batch_size,
                max_attempts=s.max_attempts,
                redact=self.spec.ingress_redact if ingress else None,
                secret=s.token_secret,
            )
            await consumer.start()
            self.consumers.append(consumer)
        for task in self.spec.background:
            self._tasks.append(asyncio.create_task(task(self), name=getattr(task, "__name__", "background")))
        log.info("service started", consumers=[c.queue_name for c in self.consumers])

    def _event_handlers(self) -> Mapping[str, Handler]:
        handlers = dict(self.spec.handlers)
        catch_all = handlers.pop("*", None)
        if catch_all is None:
            return handlers
        from tousu.contracts.events import EVENT_TYPES

        return {t: handlers.get(t, catch_all) for t in EVENT_TYPES}

    async def stop(self) -> None:
        """Stop consuming, finish in-flight batches, flush the outbox, then disconnect."""
        if self._stopped:
            return
        self._stopped = True
        timeout = self.settings.graceful_timeout_s
        for consumer in self.consumers:
            await consumer.stop(timeout)
        for task in self._tasks:
            if task.get_name() != "outbox-relay":
                task.cancel()
        if self.relay is not None:
            await self.relay.stop()
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self.clock_sync is not None:
            await self.clock_sync.stop()
        if self.connection is not None:
            with contextlib.suppress(Exception):
                await self.connection.close()
        if self.engine is not None:
            await self.engine.dispose()
        log.info("service stopped")

    @contextlib.asynccontextmanager
    async def unit_of_work(self, correlation_id: str | None = None) -> AsyncIterator[UnitOfWork]:
        """For HTTP use cases and timers: state and emitted events commit together; the relay is woken."""
        assert self.sessions is not None
        async with self.sessions() as session, session.begin():
            uow = UnitOfWork(session, self.spec.tables, self.name, self.clock.now, correlation_id=correlation_id)
            yield uow
            rows = uow.outbox_rows()
            await write_outbox(session, self.spec.tables, rows)
        if rows and self.relay is not None:
            self.relay.wake()

    async def ready(self) -> dict[str, bool]:
        checks = {"database": False, "broker": False, "consumers": all(c.alive for c in self.consumers)}
        if self.engine is not None:
            with contextlib.suppress(Exception):
                async with self.engine.connect() as conn:
                    await conn.execute(sa.text("SELECT 1"))
                checks["database"] = True
        checks["broker"] = bool(self.connection is not None and not self.connection.is_closed)
        return checks
