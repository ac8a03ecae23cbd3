"""Alembic per service, run programmatically (`python -m tousu.<service> migrate`, `make run`, test fixtures)."""

import asyncio
import importlib
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from tousu.kit.db import ensure_database


def migrations_dir(service: str) -> Path:
    """services/<service>/migrations, found from the service package (src/tousu/<service>)."""
    package = importlib.import_module(f"tousu.{service}")
    return Path(next(iter(package.__path__))).parents[2] / "migrations"


def alembic_config(service: str, url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir(service)))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


async def upgrade(service: str, url: str) -> None:
    await ensure_database(url)
    await asyncio.to_thread(command.upgrade, alembic_config(service, url), "head")


def run_env(metadata: MetaData) -> None:
    """The body of every service's migrations/env.py: online migrations through asyncpg."""
    from alembic import context

    url = context.config.get_main_option("sqlalchemy.url")
    assert url

    def apply(connection: Connection) -> None:
        context.configure(connection=connection, target_metadata=metadata, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()

    async def run() -> None:
        engine = create_async_engine(url, poolclass=pool.NullPool)
        async with engine.connect() as connection:
            await connection.run_sync(apply)
        await engine.dispose()

    asyncio.run(run())
