"""`python -m tousu.kit.revision SERVICE MESSAGE`: autogenerate the next Alembic revision of a service's database
against a scratch database at head (developer tool)."""

import asyncio
import sys
import uuid

from alembic import command

from tousu.kit.db import drop_database
from tousu.kit.migrate import alembic_config, migrations_dir, upgrade
from tousu.kit.platform import service_database_url
from tousu.kit.settings import ServiceSettings


def main(service: str, message: str) -> None:
    base = ServiceSettings().database_url or "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
    url = service_database_url(base, service, prefix=f"tousu_rev_{uuid.uuid4().hex[:8]}")
    asyncio.run(upgrade(service, url))
    try:
        config = alembic_config(service, url)
        number = len(list((migrations_dir(service) / "versions").glob("*.py"))) + 1
        command.revision(config, message=message, autogenerate=True, rev_id=f"{number:04d}")
    finally:
        asyncio.run(drop_database(url))


if __name__ == "__main__":
    main(sys.argv[1], " ".join(sys.argv[2:]) or "change")
