"""The HTTP side of every service when its database cannot be reached: a 503 problem the caller can retry, never
an opaque 500 (ARCHITECTURE §8)."""

from collections.abc import AsyncIterator

import httpx
import pytest
import sqlalchemy as sa
from fastapi import APIRouter

from tests.integration.conftest import KIT
from tousu.kit.http import Runtime, service_app
from tousu.kit.runtime import ServiceRuntime, ServiceSpec
from tousu.kit.settings import ServiceSettings

pytestmark = pytest.mark.integration

probe = APIRouter()


@probe.get("/v1/probe")
async def read_something(runtime: Runtime) -> dict[str, int]:
    async with runtime.unit_of_work() as uow:
        return {"one": int((await uow.session.execute(sa.text("SELECT 1"))).scalar_one())}


@pytest.fixture
async def unreachable_database(vhost_url: str) -> AsyncIterator[httpx.AsyncClient]:
    settings = ServiceSettings.model_validate(
        {"RABBITMQ_URL": vhost_url, "DATABASE_URL": "postgresql+asyncpg://postgres@127.0.0.1:1/nowhere"}
    )
    app = service_app(ServiceRuntime(ServiceSpec(name="routing", tables=KIT), settings), [probe], description="probe")
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://routing") as client:
            yield client


async def test_an_unreachable_database_is_a_503_problem_with_retry_after(
    unreachable_database: httpx.AsyncClient,
) -> None:
    answer = await unreachable_database.get("/v1/probe")
    assert answer.status_code == 503
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.headers["retry-after"] == "1"
    assert answer.json()["status"] == 503
    assert (await unreachable_database.get("/health")).status_code == 200
