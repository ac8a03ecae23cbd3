"""How far intake is behind on the events published to it (its `tousu.intake` queue).

A decision that rests on another service's facts (a withdrawal after routing's transfer, a reconsideration after
routing's reply, a repeat after sla's breach) first lets intake catch up with what was published before the request:
the queue drained (at most `budget_s`) and a short settle window for messages already delivered and being applied.
CONTRACT §1 promises an event's effects everywhere within 2 s; this makes intake's own decisions honour it.
Best effort: without a broker connection (or on any broker error) it only waits the settle window.
"""

import asyncio
import contextlib

from aio_pika.abc import AbstractChannel, AbstractRobustConnection


class Inbound:
    def __init__(self, queue: str, budget_s: float = 2.0, settle_s: float = 0.2, poll_s: float = 0.05) -> None:
        self.queue = queue
        self.budget_s = budget_s
        self.settle_s = settle_s
        self.poll_s = poll_s
        self.connection: AbstractRobustConnection | None = None
        self._channel: AbstractChannel | None = None

    async def _backlog(self) -> int:
        if self.connection is None:
            return 0
        if self._channel is None or self._channel.is_closed:
            self._channel = await self.connection.channel()
        declared = await self._channel.declare_queue(self.queue, passive=True)
        return int(declared.declaration_result.message_count or 0)

    async def settled(self) -> None:
        with contextlib.suppress(Exception):
            for _ in range(round(self.budget_s / self.poll_s)):
                if not await self._backlog():
                    break
                await asyncio.sleep(self.poll_s)
        await asyncio.sleep(self.settle_s)
