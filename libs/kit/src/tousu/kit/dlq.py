"""Parking queues: list what is parked and why, and replay it to the queue that failed it."""

import contextlib
from dataclasses import dataclass
from typing import Any

import aio_pika

from tousu.contracts import topology as names
from tousu.kit.broker import persistent
from tousu.kit.consumer import ATTEMPTS_HEADER, REASON_HEADER


@dataclass(frozen=True)
class Parked:
    message_id: str | None
    routing_key: str | None
    reason: str
    attempts: int
    parked_at: str | None


async def depth(url: str, queue: str) -> int | None:
    connection = await aio_pika.connect_robust(url)
    async with connection:
        channel = await connection.channel()
        with contextlib.suppress(aio_pika.exceptions.ChannelClosed):
            declared = await channel.declare_queue(names.parking_queue(queue), passive=True)
            return int(declared.declaration_result.message_count or 0)
    return None


async def list_parked(url: str, queue: str, limit: int = 100) -> list[Parked]:
    """Read without removing: every message taken is returned to the parking queue when the channel closes."""
    connection = await aio_pika.connect_robust(url)
    out: list[Parked] = []
    async with connection:
        channel = await connection.channel()
        dlq = await channel.get_queue(names.parking_queue(queue))
        while len(out) < limit and (message := await dlq.get(fail=False, no_ack=False)) is not None:
            headers: dict[str, Any] = dict(message.headers or {})
            out.append(
                Parked(
                    message_id=message.message_id,
                    routing_key=message.routing_key,
                    reason=str(headers.get(REASON_HEADER, "")),
                    attempts=int(str(headers.get(ATTEMPTS_HEADER, 0))),
                    parked_at=str(headers.get("x-tousu-parked-at")) if headers.get("x-tousu-parked-at") else None,
                )
            )
    return out


async def replay(url: str, queue: str) -> int:
    """Move every parked message back to `queue`, its attempts reset; each is acked only after the confirm."""
    connection = await aio_pika.connect_robust(url)
    moved = 0
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        dlq = await channel.get_queue(names.parking_queue(queue))
        while (message := await dlq.get(fail=False, no_ack=False)) is not None:
            headers = {
                k: v
                for k, v in (message.headers or {}).items()
                if not k.startswith("x-tousu-") or k in ("x-tousu-sender", "x-tousu-sender-sig")
            }
            await channel.default_exchange.publish(
                persistent(
                    message.body,
                    headers=headers,
                    message_id=message.message_id,
                    correlation_id=message.correlation_id,
                    reply_to=message.reply_to,
                    content_type=message.content_type,
                    type=message.type,
                    app_id=message.app_id,
                ),
                routing_key=queue,
            )
            await message.ack()
            moved += 1
    return moved
