"""The controlled business clock, shared by every process of a platform through `tousu.control`.

A setting made on any service is broadcast (fanout) and kept as the last value of a one-message queue,
so a process that starts later picks up the instant in force.
"""

import contextlib
import time
from datetime import datetime

import orjson
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractRobustConnection

from tousu.contracts.topology import CONTROL_EXCHANGE
from tousu.kit.broker import persistent
from tousu.kit.clock import BusinessClock

LAST_VALUE_QUEUE = "tousu.control.clock"


class ClockSync:
    def __init__(self, connection: AbstractRobustConnection, clock: BusinessClock) -> None:
        self.connection = connection
        self.clock = clock
        self._channel: AbstractChannel | None = None

    async def start(self) -> None:
        self._channel = await self.connection.channel()
        exchange = await self._channel.declare_exchange(CONTROL_EXCHANGE, "fanout", durable=True)
        last = await self._channel.declare_queue(
            LAST_VALUE_QUEUE, durable=True, arguments={"x-max-length": 1, "x-overflow": "drop-head"}
        )
        await last.bind(exchange)
        message = await last.get(no_ack=False, fail=False)
        if message is not None:
            self._apply(message.body)
            await message.nack(requeue=True)
        mine = await self._channel.declare_queue(exclusive=True, auto_delete=True)
        await mine.bind(exchange)
        await mine.consume(self._on_message, no_ack=True)

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        self._apply(message.body)

    def _apply(self, body: bytes) -> None:
        with contextlib.suppress(ValueError, KeyError, TypeError):
            payload = orjson.loads(body)
            self.clock.set(datetime.fromisoformat(payload["now"]), set_at=float(payload["set_at"]))

    async def publish(self, instant: datetime) -> None:
        assert self._channel is not None
        set_at = time.time()
        self.clock.set(instant, set_at=set_at)
        exchange = await self._channel.get_exchange(CONTROL_EXCHANGE)
        await exchange.publish(persistent(orjson.dumps({"now": instant.isoformat(), "set_at": set_at})), routing_key="")

    async def stop(self) -> None:
        if self._channel is not None:
            with contextlib.suppress(Exception):
                await self._channel.close()
