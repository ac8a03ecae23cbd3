"""RabbitMQ: one robust connection per process, a confirming publisher, and the topology of ARCHITECTURE §3."""

from collections.abc import Iterable
from typing import Any

import aio_pika
from aio_pika.abc import (
    AbstractChannel,
    AbstractExchange,
    AbstractQueue,
    AbstractRobustConnection,
    ExchangeType,
)

from tousu.contracts import topology as names

QUORUM_ARGS: dict[str, Any] = {
    "x-queue-type": "quorum",
    # at-least-once dead-lettering needs reject-publish overflow; nothing is dropped on the way to parking.
    "x-dead-letter-strategy": "at-least-once",
    "x-overflow": "reject-publish",
}


async def connect(url: str, name: str) -> AbstractRobustConnection:
    return await aio_pika.connect_robust(url, client_properties={"connection_name": name})


async def declare_exchanges(channel: AbstractChannel) -> dict[str, AbstractExchange]:
    events = await channel.declare_exchange(names.EVENTS_EXCHANGE, ExchangeType.TOPIC, durable=True)
    ingress = await channel.declare_exchange(names.INGRESS_EXCHANGE, ExchangeType.TOPIC, durable=True)
    control = await channel.declare_exchange(names.CONTROL_EXCHANGE, ExchangeType.FANOUT, durable=True)
    return {names.EVENTS_EXCHANGE: events, names.INGRESS_EXCHANGE: ingress, names.CONTROL_EXCHANGE: control}


async def declare_consumer_queue(
    channel: AbstractChannel, queue: str, exchange: str, keys: Iterable[str]
) -> AbstractQueue:
    """The quorum queue with its delayed retry tiers and its parking queue, bound to `keys` on `exchange`.

    Retried and parked messages travel through the default exchange, so other subscribers never see them twice.
    Queue arguments are immutable in RabbitMQ: changing them means a new queue name, never a redeclare.
    """
    dlq = names.parking_queue(queue)
    # Parking is classic and durable: a quorum queue's delivery limit could drop a message being inspected.
    await channel.declare_queue(dlq, durable=True, arguments={"x-queue-mode": "lazy"})
    for delay in names.RETRY_TIERS_MS:
        await channel.declare_queue(
            names.retry_queue(queue, delay),
            durable=True,
            arguments={
                **QUORUM_ARGS,
                "x-message-ttl": delay,
                "x-dead-letter-exchange": "",
                "x-dead-letter-routing-key": queue,
            },
        )
    main = await channel.declare_queue(
        queue,
        durable=True,
        arguments={
            **QUORUM_ARGS,
            "x-delivery-limit": names.DELIVERY_LIMIT,
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": dlq,
        },
    )
    for key in sorted(set(keys)):
        await main.bind(exchange, routing_key=key)
    return main


async def declare_service_topology(
    channel: AbstractChannel, service: str, event_types: Iterable[str], ingress_keys: Iterable[str] = ()
) -> None:
    """Everything `service` consumes. Run by the service's `migrate` step and again at start-up."""
    await declare_exchanges(channel)
    types = list(event_types)
    if types:
        keys = ["#"] if "*" in types else [names.binding_key(t) for t in types]
        await declare_consumer_queue(channel, names.service_queue(service), names.EVENTS_EXCHANGE, keys)
    for key in ingress_keys:
        await declare_consumer_queue(channel, names.ingress_queue(key), names.INGRESS_EXCHANGE, [key])


def persistent(body: bytes, **props: Any) -> aio_pika.Message:
    return aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT, **props)
