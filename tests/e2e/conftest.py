"""All five services as processes against the real broker and database, driven only through CONTRACT.md."""

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from tousu.kit.auth import issue_token
from tousu.kit.platform import SERVICES, Platform
from tousu.kit.settings import DEV_TOKEN_SECRET

ARTIFACTS = Path("test-artifacts")


@pytest.fixture(scope="session")
def platform(amqp_url: str, postgres_url: str) -> Iterator[Platform]:
    prefix = f"tousu_e2e_{uuid.uuid4().hex[:8]}"
    base = 18000 + (uuid.uuid4().int % 500) * 10
    platform = Platform(
        rabbitmq_url=amqp_url,
        database_base_url=postgres_url,
        db_prefix=prefix,
        ports={s: base + i for i, s in enumerate(SERVICES, start=1)},
        env={"TOUSU_CLOCK": "controlled", "TOUSU_TOKEN_SECRET": DEV_TOKEN_SECRET, "TOUSU_OUTBOX_POLL_S": "0.5"},
        log_dir=ARTIFACTS / "logs",
    )
    platform.migrate()
    platform.start()
    try:
        platform.wait_ready(timeout=180)
        yield platform
    finally:
        platform.stop()
        _drop_databases(postgres_url, prefix)


def _drop_databases(postgres_url: str, prefix: str) -> None:
    import asyncio

    from tousu.kit.db import drop_database
    from tousu.kit.platform import service_database_url

    async def drop() -> None:
        for service in SERVICES:
            await drop_database(service_database_url(postgres_url, service, prefix))

    asyncio.run(drop())


@pytest.fixture(scope="session")
def admin_token() -> str:
    return issue_token(DEV_TOKEN_SECRET, "platform", ["admin"])


@pytest.fixture
async def api(platform: Platform, admin_token: str) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    """One HTTP client per service, as an integration would hold them (admin token)."""
    clients = {
        s: httpx.AsyncClient(base_url=platform.url(s), headers={"Authorization": f"Bearer {admin_token}"}, timeout=15)
        for s in SERVICES
    }
    yield clients
    for client in clients.values():
        await client.aclose()
