"""`python -m tousu.<service> [migrate]`: the process entry point of every service."""

import asyncio
import sys
from collections.abc import Callable

import uvicorn
from fastapi import FastAPI

from tousu.kit.broker import connect, declare_service_topology
from tousu.kit.logging import configure_logging
from tousu.kit.migrate import upgrade
from tousu.kit.runtime import ServiceSpec
from tousu.kit.settings import ServiceSettings


async def prepare(spec: ServiceSpec, settings: ServiceSettings) -> None:
    """Database migrations and the broker topology the service consumes from, before any service starts,
    so no event published meanwhile finds its queue missing."""
    await upgrade(spec.name, settings.database_for(spec.name))
    connection = await connect(settings.rabbitmq_url, f"tousu-{spec.name}-migrate")
    async with connection:
        channel = await connection.channel()
        await declare_service_topology(channel, spec.name, spec.event_types, spec.ingress)


def main(spec: ServiceSpec, create_app: Callable[[ServiceSettings], FastAPI]) -> None:
    settings = ServiceSettings()
    configure_logging(spec.name, settings.log_level, settings.log_format)
    if sys.argv[1:2] == ["migrate"]:
        asyncio.run(prepare(spec, settings))
        return
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port_for(spec.name),
        log_config=None,
        timeout_graceful_shutdown=int(settings.graceful_timeout_s),
    )
