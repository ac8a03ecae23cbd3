"""Consuming with one effect per message (ARCHITECTURE §3).

A prefetched batch is handled in one database transaction, each message in its own savepoint with its inbox row,
so a poison message rolls back alone. After the commit: acks, then retries and parking. Transient failures
(database or broker unavailable) come back through the delayed retry tiers without limit; unexpected errors
are retried a bounded number of times; permanent ones (schema or rule violations) are parked at once with the
reason in headers. Nothing is acked before its effect is committed.
"""

import asyncio
import contextlib
import hashlib
import hmac
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import orjson
import sqlalchemy as sa
import structlog
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractQueue, AbstractRobustConnection
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tousu.contracts import topology as names
from tousu.contracts.envelope import CloudEvent
from tousu.kit import metrics
from tousu.kit.broker import persistent
from tousu.kit.clock import BusinessClock
from tousu.kit.db import KitTables
from tousu.kit.errors import PermanentError, is_transient
from tousu.kit.uow import UnitOfWork, write_outbox

log = structlog.get_logger("tousu.consumer")

ATTEMPTS_HEADER = "x-tousu-attempts"
REASON_HEADER = "x-tousu-reason"
SENDER_HEADER = "x-tousu-sender"
SENDER_SIG_HEADER = "x-tousu-sender-sig"


@dataclass
class Delivery:
    """One consumed message: an event on `tousu.events`, or a command on `tousu.ingress`."""

    message: AbstractIncomingMessage
    kind: str
    key: UUID
    event: CloudEvent | None = None
    body: dict[str, Any] = field(default_factory=dict)
    sender: str | None = None
    """Ingress only: the RabbitMQ-validated user that published the command."""


Handler = Callable[[UnitOfWork, Delivery], Awaitable[None]]
Redactor = Callable[[bytes], bytes]


def _sender_signature(secret: str, user: str, message_id: str) -> str:
    return hmac.new(secret.encode(), f"{user}\x00{message_id}".encode(), hashlib.sha256).hexdigest()


def ingress_sender(message: AbstractIncomingMessage, secret: str) -> str | None:
    """The sender of a command: RabbitMQ's validated `user_id`, or, after our own retry path (which cannot
    keep `user_id`), the user we recorded in a header signed with the platform secret."""
    if message.user_id:
        return message.user_id
    headers = message.headers or {}
    user, sig = headers.get(SENDER_HEADER), headers.get(SENDER_SIG_HEADER)
    signed = isinstance(user, str) and isinstance(sig, str) and bool(message.message_id)
    if signed and hmac.compare_digest(str(sig), _sender_signature(secret, str(user), str(message.message_id))):
        return str(user)
    return None


def parse_delivery(message: AbstractIncomingMessage, ingress: bool, secret: str = "") -> Delivery:
    """Turn raw bytes into a Delivery; raise PermanentError for anything that can never be handled."""
    try:
        raw = orjson.loads(message.body)
    except orjson.JSONDecodeError as exc:
        raise PermanentError("body is not JSON") from exc
    if not isinstance(raw, dict):
        raise PermanentError("body is not a JSON object")
    if ingress:
        if not message.message_id:
            raise PermanentError("message_id (the idempotency key) is required")
        # Commands are keyed per sender: two systems may reuse the same message id.
        sender = ingress_sender(message, secret)
        if sender is None:
            raise PermanentError("user_id (the publishing RabbitMQ user) is required")
        key = uuid5(NAMESPACE_URL, f"ingress:{sender}:{message.message_id}")
        return Delivery(message=message, kind=message.routing_key or "", key=key, body=raw, sender=sender)
    try:
        event = CloudEvent.model_validate(raw)
    except ValidationError as exc:
        fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in exc.errors(include_input=False))
        raise PermanentError(f"not a CloudEvent: {fields}") from exc
    return Delivery(message=message, kind=event.type, key=event.id, event=event, body=raw)


class Consumer:
    def __init__(
        self,
        *,
        service: str,
        queue: str,
        handlers: Mapping[str, Handler],
        connection: AbstractRobustConnection,
        sessions: async_sessionmaker[AsyncSession],
        tables: KitTables,
        clock: BusinessClock,
        on_commit: Callable[[], None],
        ingress: bool = False,
        prefetch: int = 100,
        batch_size: int = 50,
        max_attempts: int = 5,
        redact: Redactor | None = None,
        secret: str = "",
    ) -> None:
        self.secret = secret
        self.service = service
        self.queue_name = queue
        self.handlers = handlers
        self.connection = connection
        self.sessions = sessions
        self.tables = tables
        self.clock = clock
        self.on_commit = on_commit
        self.ingress = ingress
        self.prefetch = prefetch
        self.batch_size = batch_size
        self.max_attempts = max_attempts
        self.redact = redact
        self._pending: asyncio.Queue[AbstractIncomingMessage] = asyncio.Queue()
        self._channel: AbstractChannel | None = None
        self._publish: AbstractChannel | None = None
        self._queue: AbstractQueue | None = None
        self._tag: str | None = None
        self._worker: asyncio.Task[None] | None = None
        self._busy = asyncio.Lock()
        self._claim_sql = sa.text(
            f"INSERT INTO {tables.inbox.name} (event_id, consumer, event_type) "
            "SELECT id, :consumer, kind FROM unnest(CAST(:ids AS uuid[]), CAST(:types AS text[])) AS batch(id, kind) "
            "ON CONFLICT DO NOTHING RETURNING event_id"
        )

    @property
    def consumer_name(self) -> str:
        return f"{self.service}:{self.queue_name}"

    async def start(self) -> None:
        self._channel = await self.connection.channel()
        await self._channel.set_qos(prefetch_count=self.prefetch)
        self._publish = await self.connection.channel(publisher_confirms=True, on_return_raises=True)
        self._queue = await self._channel.get_queue(self.queue_name, ensure=True)
        self._tag = await self._queue.consume(self._pending.put)
        self._worker = asyncio.create_task(self._work(), name=f"consume:{self.queue_name}")

    async def stop(self, timeout: float) -> None:
        """Stop taking messages, finish the batch in flight; unacked prefetched ones return to the queue."""
        if self._queue is not None and self._tag is not None:
            with contextlib.suppress(Exception):
                await self._queue.cancel(self._tag)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await self._busy.acquire()
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
        if self._channel is not None:
            with contextlib.suppress(Exception):
                await self._channel.close()

    @property
    def alive(self) -> bool:
        return bool(
            self._worker and not self._worker.done() and self._channel is not None and not self._channel.is_closed
        )

    async def _work(self) -> None:
        while True:
            first = await self._pending.get()
            batch = [first]
            while len(batch) < self.batch_size and not self._pending.empty():
                batch.append(self._pending.get_nowait())
            async with self._busy:
                started = time.perf_counter()
                try:
                    await self.handle_batch(batch)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("batch handling failed", queue=self.queue_name)
                metrics.BATCH_SECONDS.labels(self.service, self.queue_name).observe(time.perf_counter() - started)

    async def handle_batch(self, messages: list[AbstractIncomingMessage]) -> None:
        outcomes: dict[int, tuple[str, str]] = {}  # index → (retry|park, reason) for messages not acked
        deliveries: dict[int, Delivery] = {}
        for i, message in enumerate(messages):
            try:
                deliveries[i] = parse_delivery(message, self.ingress, self.secret)
            except PermanentError as exc:
                outcomes[i] = ("park", str(exc))
        wrote = False
        try:
            parked_after_commit, wrote = await self._apply(deliveries, outcomes)
        except Exception as exc:
            if not is_transient(exc):
                raise
            log.warning(
                "transient failure; batch goes to the retry path",
                queue=self.queue_name,
                error=type(exc).__name__,
            )
            for i in deliveries:
                outcomes[i] = ("transient", type(exc).__name__)
            parked_after_commit = {}
        outcomes.update(parked_after_commit)
        if wrote:
            self.on_commit()  # the relay wakes only for rows to publish; it polls for everything else
        for i, message in enumerate(messages):
            outcome = outcomes.get(i)
            if outcome is None:
                await message.ack()
                metrics.MESSAGES.labels(self.service, self.queue_name, "ok").inc()
                continue
            action, reason = outcome
            await self._dispose(message, deliveries.get(i), action, reason)

    async def _apply(
        self, deliveries: dict[int, Delivery], outcomes: dict[int, tuple[str, str]]
    ) -> tuple[dict[int, tuple[str, str]], bool]:
        """Handle the batch in one transaction; return the messages to park after the commit and whether any
        outbox row was written."""
        parked: dict[int, tuple[str, str]] = {}
        async with self.sessions() as session, session.begin():
            batch_uow = UnitOfWork(session, self.tables, self.service, self.clock.now)
            handled = {i: d for i, d in deliveries.items() if d.kind in self.handlers}
            # Others are bound for another type of this queue's family: nothing to do.
            claimed = await self._claim(session, handled.values())
            for i, delivery in handled.items():
                if delivery.key not in claimed:
                    continue  # already handled (or twice in this batch): one effect per event
                claimed.discard(delivery.key)
                uow = UnitOfWork(session, self.tables, self.service, self.clock.now, cause=delivery.event)
                structlog.contextvars.bind_contextvars(
                    event_id=str(delivery.key),
                    event_type=delivery.kind,
                    correlation_id=uow.correlation_id,
                    complaint_id=delivery.event.complaint_id if delivery.event else None,
                )
                try:
                    async with session.begin_nested():
                        await self.handlers[delivery.kind](uow, delivery)
                except PermanentError as exc:
                    outcomes[i] = ("park", str(exc))
                    self._problem_reply(batch_uow, delivery, exc)
                    await self._unclaim(session, delivery)
                    continue
                except Exception as exc:
                    if is_transient(exc):
                        raise
                    log.exception("handler failed", queue=self.queue_name)
                    outcomes[i] = ("retry", f"{type(exc).__name__}: {exc}"[:500])
                    await self._unclaim(session, delivery)
                    continue
                finally:
                    structlog.contextvars.unbind_contextvars("event_id", "event_type", "correlation_id", "complaint_id")
                batch_uow.take(uow)
                if uow.park_reason:
                    parked[i] = ("park", uow.park_reason)
            rows = batch_uow.outbox_rows()
            await write_outbox(session, self.tables, rows)
        return parked, bool(rows)

    async def _claim(self, session: AsyncSession, deliveries: Iterable[Delivery]) -> set[UUID]:
        """Insert the batch's inbox rows in one statement; return the keys not seen before. A message whose
        handling fails gives its row back (`_unclaim`), so that its retry or replay is handled."""
        keys: dict[UUID, str] = {}
        for delivery in deliveries:
            keys.setdefault(delivery.key, delivery.kind)
        if not keys:
            return set()
        inserted = await session.execute(
            self._claim_sql, {"ids": list(keys), "consumer": self.consumer_name, "types": list(keys.values())}
        )
        return set(inserted.scalars())

    async def _unclaim(self, session: AsyncSession, delivery: Delivery) -> None:
        inbox = self.tables.inbox
        await session.execute(
            sa.delete(inbox).where(inbox.c.event_id == delivery.key, inbox.c.consumer == self.consumer_name)
        )

    def _problem_reply(self, uow: UnitOfWork, delivery: Delivery, exc: PermanentError) -> None:
        reply_to = delivery.message.reply_to
        if reply_to:
            uow.reply(
                reply_to,
                delivery.message.correlation_id,
                {
                    "type": "about:blank",
                    "title": exc.title,
                    "status": exc.status,
                    "errors": [e.as_dict() for e in exc.errors],
                },
            )

    async def _dispose(
        self, message: AbstractIncomingMessage, delivery: Delivery | None, action: str, reason: str
    ) -> None:
        assert self._publish is not None
        headers = dict(message.headers or {})
        attempts = int(str(headers.get(ATTEMPTS_HEADER, 0))) + 1
        if action == "retry" and attempts >= self.max_attempts:
            action, reason = "park", f"gave up after {attempts} attempts: {reason}"
        headers[ATTEMPTS_HEADER] = attempts
        if delivery is not None and delivery.sender and message.message_id:
            headers[SENDER_HEADER] = delivery.sender
            headers[SENDER_SIG_HEADER] = _sender_signature(self.secret, delivery.sender, message.message_id)
        if action == "park":
            headers.update(
                {
                    REASON_HEADER: reason[:1000],
                    "x-tousu-queue": self.queue_name,
                    "x-tousu-parked-at": datetime.now(UTC).isoformat(),
                }
            )
            target = names.parking_queue(self.queue_name)
            body = self.redact(message.body) if self.redact else message.body
            log.warning("message parked", queue=self.queue_name, reason=reason[:200])
        else:
            tier = names.RETRY_TIERS_MS[min(attempts - 1, len(names.RETRY_TIERS_MS) - 1)]
            target = names.retry_queue(self.queue_name, tier)
            body = message.body
        exchange = self._publish.default_exchange
        await exchange.publish(
            persistent(
                body,
                headers=headers,
                message_id=message.message_id,
                correlation_id=message.correlation_id,
                reply_to=message.reply_to,
                content_type=message.content_type,
                type=message.type,
                app_id=message.app_id,
                user_id=None,
            ),
            routing_key=target,
        )
        await message.ack()
        metrics.MESSAGES.labels(self.service, self.queue_name, action).inc()
