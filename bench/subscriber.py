"""A plain AMQP subscriber, apart from the platform's kit: when each event was seen, as an integration sees it."""

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from typing import Any

import aio_pika
import orjson
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustConnection

from tousu.contracts.topology import EVENTS_EXCHANGE


@dataclass(frozen=True)
class Seen:
    type: str
    event_id: str
    complaint_id: str
    data: dict[str, Any]
    at: float
    """system epoch seconds when it arrived here"""


@dataclass
class Subscriber:
    url: str
    bindings: tuple[str, ...]
    seen: list[Seen] = field(default_factory=list)
    _connection: AbstractRobustConnection | None = None
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def __aenter__(self) -> "Subscriber":
        self._connection = await aio_pika.connect_robust(self.url)
        channel = await self._connection.channel()
        exchange = await channel.declare_exchange(EVENTS_EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True)
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        for key in self.bindings:
            await queue.bind(exchange, routing_key=key)
        await queue.consume(self._on_message, no_ack=True)
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._connection is not None:
            await self._connection.close()

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        at = time.time()
        event = orjson.loads(message.body)
        data = event.get("data") or {}
        self.seen.append(Seen(event["type"], event["id"], str(data.get("complaint_id")), data, at))
        self._arrived.set()

    def of(self, type_: str) -> list[Seen]:
        return [s for s in self.seen if s.type == type_]

    def first_by_complaint(self, type_: str) -> dict[str, float]:
        first: dict[str, float] = {}
        for s in self.of(type_):
            first.setdefault(s.complaint_id, s.at)
        return first

    async def wait(self, type_: str, count: int, stall_s: float, distinct: bool = True) -> bool:
        """Until `count` events of `type_` (distinct complaints) arrived, or nothing new came for `stall_s`."""
        last_progress, last_count = time.monotonic(), -1
        while True:
            found = len({s.complaint_id for s in self.of(type_)}) if distinct else len(self.of(type_))
            if found >= count:
                return True
            if found != last_count:
                last_progress, last_count = time.monotonic(), found
            elif time.monotonic() - last_progress > stall_s:
                return False
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), timeout=1.0)
