"""PostgreSQL through SQLAlchemy 2 async with asyncpg: engines, the kit's tables, database creation."""

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine


@dataclass(frozen=True)
class KitTables:
    outbox: sa.Table
    inbox: sa.Table


def kit_tables(metadata: sa.MetaData) -> KitTables:
    """The outbox and inbox every service keeps in its own database (ARCHITECTURE §3)."""
    outbox = sa.Table(
        "outbox",
        metadata,
        sa.Column("seq", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("event_id", UUID(as_uuid=True), nullable=False, unique=True),
        sa.Column("exchange", sa.Text, nullable=False),
        sa.Column("routing_key", sa.Text, nullable=False),
        sa.Column("body", sa.LargeBinary, nullable=False),
        sa.Column("headers", JSONB, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
    )
    # The relay only ever looks for unsent rows: a partial index keeps that cheap however long the history.
    sa.Index("outbox_unsent", outbox.c.seq, postgresql_where=outbox.c.sent_at.is_(None))
    inbox = sa.Table(
        "inbox",
        metadata,
        sa.Column("event_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("consumer", sa.Text, primary_key=True),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    return KitTables(outbox=outbox, inbox=inbox)


def make_engine(url: str, pool_size: int = 4) -> AsyncEngine:
    """Disconnects are handled optimistically, without a ping per checkout (a round trip per transaction): the first
    use of a dead connection fails transiently (a retried message, a 503), and SQLAlchemy then invalidates the whole
    pool, so a database restart costs one failed attempt per process. A service runs about a hundred distinct
    statements: each connection keeps up to 256 prepared (asyncpg's default of 100 made them churn)."""
    return create_async_engine(
        url, pool_size=pool_size, max_overflow=6, connect_args={"prepared_statement_cache_size": 256}
    )


def make_sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def ensure_database(url: str) -> None:
    """Create the service's database when the server does not have it yet (dev and test set-up)."""
    target = make_url(url)
    admin = create_async_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            exists = await conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database})
            if not exists:
                await conn.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
    finally:
        await admin.dispose()


async def drop_database(url: str) -> None:
    target = make_url(url)
    admin = create_async_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
    finally:
        await admin.dispose()
