"""An event spy: a temporary classic queue bound to every event, collecting what is published."""

import asyncio
from collections.abc import Callable

import aio_pika
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustConnection

from tousu.contracts.envelope import CloudEvent
from tousu.contracts.topology import EVENTS_EXCHANGE


class EventSpy:
    def __init__(self, url: str, binding: str = "#") -> None:
        self.url = url
        self.binding = binding
        self.events: list[CloudEvent] = []
        self.message_ids: list[str] = []
        self._connection: AbstractRobustConnection | None = None
        self._arrived = asyncio.Event()

    async def __aenter__(self) -> "EventSpy":
        self._connection = await aio_pika.connect_robust(self.url)
        channel = await self._connection.channel()
        exchange = await channel.declare_exchange(EVENTS_EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True)
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        await queue.bind(exchange, routing_key=self.binding)
        await queue.consume(self._on_message, no_ack=True)
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._connection is not None:
            await self._connection.close()

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        self.events.append(CloudEvent.model_validate_json(message.body))
        self.message_ids.append(message.message_id or "")
        self._arrived.set()

    def of(self, type_: str, where: Callable[[CloudEvent], bool] = lambda _: True) -> list[CloudEvent]:
        return [e for e in self.events if e.type == type_ and where(e)]

    async def wait_for(
        self, type_: str, where: Callable[[CloudEvent], bool] = lambda _: True, timeout: float = 10, count: int = 1
    ) -> list[CloudEvent]:
        async with asyncio.timeout(timeout):
            while True:
                self._arrived.clear()
                found = self.of(type_, where)
                if len(found) >= count:
                    return found
                await self._arrived.wait()
