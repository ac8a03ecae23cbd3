"""Reference numbers (CONTRACT §4 `reference`): unique per tenant and year under concurrent submissions, counted
1, 2, 3 ... one at a time, and continued above the numbers a tenant's year issued before the counter was sharded."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import datetime

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.ext.asyncio import create_async_engine

from tests.integration.conftest import in_process
from tests.integration.test_intake_service import Intake, complaint, tag
from tousu.contracts.types import SHANGHAI
from tousu.intake.adapters import tables as t
from tousu.intake.domain.reference import SHARDS
from tousu.intake.entrypoints.app import create_app
from tousu.intake.service_layer.submit import _next_reference
from tousu.kit.db import drop_database, ensure_database, make_sessions
from tousu.kit.migrate import alembic_config, upgrade
from tousu.kit.platform import service_database_url
from tousu.kit.uow import UnitOfWork

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def intake(postgres_url: str) -> AsyncIterator[Intake]:
    async with in_process(Intake, "intake", create_app, postgres_url) as service:
        yield service


def number(reference: str) -> int:
    return int(reference.rsplit("-", 1)[1])


async def test_contract4_references_count_one_by_one_and_stay_unique_under_a_burst(intake: Intake) -> None:
    units = await intake.world(tag(), "credit-union-province")
    body = complaint("credit-union-province", units["outlet"])
    one_by_one = []
    for _ in range(3):
        answer = await intake.http.post("/v1/complaints", json=body, headers=intake.key(units["root"]))
        assert answer.status_code == 201, answer.text
        one_by_one.append(answer.json()["reference"])
    assert [number(r) for r in one_by_one] == [1, 2, 3]
    assert one_by_one[0] == f"{units['root'].upper()}-2026-000001"

    burst = await asyncio.gather(
        *(intake.http.post("/v1/complaints", json=body, headers=intake.key(units["root"])) for _ in range(3 * SHARDS))
    )
    assert [a.status_code for a in burst] == [201] * (3 * SHARDS)
    references = [*one_by_one, *(a.json()["reference"] for a in burst)]
    assert len(set(references)) == len(references)
    assert all(r.startswith(f"{units['root'].upper()}-2026-") for r in references)
    # Refused submissions take no number: the next one-at-a-time number is the lowest free one of a shard.
    refused = await intake.http.post("/v1/complaints", json={**body, "facts": ""}, headers=intake.key(units["root"]))
    assert refused.status_code == 422
    after = await intake.http.post("/v1/complaints", json=body, headers=intake.key(units["root"]))
    assert number(after.json()["reference"]) not in {number(r) for r in references}


async def test_contract4_a_counter_from_before_the_shards_continues_above_its_last_number(postgres_url: str) -> None:
    database = service_database_url(postgres_url, "intake", prefix=f"tousu_it_{uuid.uuid4().hex[:8]}")
    await ensure_database(database)
    try:
        await asyncio.to_thread(command.upgrade, alembic_config("intake", database), "0002")
        engine = create_async_engine(database)
        async with engine.begin() as conn:
            await conn.execute(
                sa.text("INSERT INTO reference_counters (tenant, year, last) VALUES ('bank-x', 2026, 41)")
            )
        await engine.dispose()
        await upgrade("intake", database)

        engine = create_async_engine(database)
        sessions = make_sessions(engine)
        taken = []
        for _ in range(SHARDS + 2):
            async with sessions() as session, session.begin():
                uow = UnitOfWork(session, t.kit, "intake", lambda: datetime.now(SHANGHAI))
                taken.append(await _next_reference(uow, "bank-x", 2026))
        async with sessions() as session, session.begin():
            uow = UnitOfWork(session, t.kit, "intake", lambda: datetime.now(SHANGHAI))
            fresh_year = await _next_reference(uow, "bank-x", 2027)
        await engine.dispose()
        assert [number(r) for r in taken] == list(range(42, 42 + SHARDS + 2))
        assert fresh_year == "BANK-X-2027-000001"
    finally:
        await drop_database(database)
