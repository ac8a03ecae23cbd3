"""pytest plugin loaded by the workspace's pytest configuration: real servers, isolated per run."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import TypeVar

import pytest

from tousu.kit.db import drop_database, ensure_database
from tousu.kit.platform import service_database_url
from tousu.kit.testing.servers import isolated_vhost, postgres_server, rabbitmq_server

T = TypeVar("T")


@pytest.fixture(scope="session")
def amqp_url() -> Iterator[str]:
    """AMQP URL of a vhost of its own for this test run."""
    with rabbitmq_server() as base, isolated_vhost(base) as url:
        yield url


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    with postgres_server() as base:
        yield base


@pytest.fixture
async def database_url(postgres_url: str) -> AsyncIterator[str]:
    """A fresh database for one test, dropped afterwards."""
    url = service_database_url(postgres_url, "db", prefix=f"tousu_test_{uuid.uuid4().hex[:10]}")
    await ensure_database(url)
    yield url
    await drop_database(url)


async def eventually(check: Callable[[], Awaitable[T | None]], timeout: float = 10, interval: float = 0.1) -> T:
    """Poll `check` until it returns something truthy; fail with the last error after `timeout` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    last: BaseException | None = None
    while True:
        try:
            value = await check()
            if value:
                return value
        except AssertionError as exc:
            last = exc
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not true within {timeout}s") from last
        await asyncio.sleep(interval)
