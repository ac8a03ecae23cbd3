"""A throwaway service built from the kit alone, against the real broker and database."""

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import UUID

from tousu.kit.db import kit_tables, make_engine
from tousu.kit.testing.servers import isolated_vhost, rabbitmq_server

metadata = sa.MetaData()
KIT = kit_tables(metadata)
effects = sa.Table(
    "effects",
    metadata,
    sa.Column("n", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("event_id", UUID(as_uuid=True), nullable=False),
    sa.Column("complaint_id", sa.Text, nullable=True),
)
attempts = sa.Table(
    "attempts",
    metadata,
    sa.Column("event_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("count", sa.Integer, nullable=False),
)


@pytest.fixture
def vhost_url() -> Iterator[str]:
    """A vhost of this test's own: queues named like a real service's cannot meet another test's."""
    with rabbitmq_server() as base, isolated_vhost(base) as url:
        yield url


@pytest.fixture
async def kit_db(database_url: str) -> str:
    engine = make_engine(database_url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    await engine.dispose()
    return database_url
