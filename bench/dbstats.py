"""What the services asked of PostgreSQL during a phase: transactions and rows per service (pg_stat_database), and
what their connections were waiting on, sampled (pg_stat_activity). Diagnostics beside the figures, so a slow
phase shows whether it was CPU, round trips or lock waits."""

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

from bench.stack import Stack
from tousu.kit.platform import SERVICES

WORK = """
SELECT xact_commit, xact_rollback, tup_returned, tup_fetched, tup_inserted, tup_updated, tup_deleted
FROM pg_stat_database WHERE datname = current_database()
"""
ACTIVITY = r"""
SELECT datname, state, coalesce(wait_event_type || ':' || wait_event, 'on CPU') AS waiting,
       CASE WHEN wait_event_type = 'Lock' THEN left(regexp_replace(query, '\s+', ' ', 'g'), 90) END AS statement,
       count(*) AS n
FROM pg_stat_activity WHERE datname LIKE $1 AND pid <> pg_backend_pid() AND state <> 'idle'
GROUP BY 1, 2, 3, 4
"""


async def _work(stack: Stack) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for service in SERVICES:
        await stack.value(service, "SELECT pg_stat_clear_snapshot()")
        row = (await stack.fetch(service, WORK))[0]
        out[service] = {k: int(v) for k, v in row.items()}
    return out


@contextlib.asynccontextmanager
async def observed(stack: Stack, per: int, interval: float = 0.5) -> AsyncIterator[dict[str, Any]]:
    """Yields a dict filled on exit: per service, transactions and rows per `per` items, and wait samples."""
    report: dict[str, Any] = {}
    before = await _work(stack)
    waits: dict[str, Counter[str]] = {s: Counter() for s in SERVICES}
    prefix = f"{stack.prefix}_"

    async def sample() -> None:
        while True:
            for row in await stack.fetch("intake", ACTIVITY, prefix + "%"):
                service = str(row["datname"]).removeprefix(prefix)
                if service in waits:
                    on = f" in {row['statement']}" if row["statement"] else ""
                    waits[service][f"{row['state']} / {row['waiting']}{on}"] += int(row["n"])
            await asyncio.sleep(interval)

    sampler = asyncio.create_task(sample())
    try:
        yield report
    finally:
        sampler.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sampler
    await asyncio.sleep(1.0)  # statistics reach pg_stat_database when a backend reports them (within a second)
    after = await _work(stack)
    report["per"] = per
    report["database_work_per_item"] = {
        s: {k: round((after[s][k] - before[s][k]) / max(per, 1), 1) for k in after[s]} for s in SERVICES
    }
    report["busy_connection_samples"] = {s: dict(c.most_common(6)) for s, c in waits.items() if c}
