"""Reads over a large store: `GET /v1/stats` and one semiannual report, p50/p99, over `report_complaints`
complaints in reporting's read models.

The complaints are generated in bulk as a replay would leave them: the rows the real projection wrote for the
burst's complaints (every reporting table with a `complaint_id` column but the `events` history, which the reads
do not scan) are cloned in SQL under new complaint ids, the id replaced inside JSON and text columns too. The
cloning reads reporting's schema from the database, so it follows the read models as they change.
"""

import time
from datetime import datetime
from typing import Any

import httpx

from bench import burst
from bench.params import Params
from bench.stack import ASSOC, Stack, bank
from bench.stats import summary_ms
from tousu.contracts.types import SHANGHAI
from tousu.kit.auth import issue_token
from tousu.kit.settings import DEV_TOKEN_SECRET

NOT_CLONED = frozenset({"events", "outbox", "inbox", "alembic_version"})
CHUNK = 100_000
"""complaints cloned per statement"""
REPORT_KIND = "association-bulletin"
"""the Liaoning association's semiannual bulletin (RPT-01, AS-24): the burst's complaints are Liaoning ones"""
BUDGET_S = 120.0
"""time allowed per endpoint for its samples (at least two are taken)"""

COLUMNS = """
SELECT c.table_name, c.column_name, c.data_type, c.udt_name, c.is_identity = 'YES' AS identity,
       coalesce(c.column_default LIKE 'nextval(%', false) AS serial,
       EXISTS (SELECT 1 FROM information_schema.table_constraints tc
               JOIN information_schema.key_column_usage k
                 ON k.constraint_name = tc.constraint_name AND k.table_name = tc.table_name
               WHERE tc.table_name = c.table_name AND tc.constraint_type IN ('PRIMARY KEY', 'UNIQUE')
                 AND k.column_name = c.column_name) AS keyed
FROM information_schema.columns c
WHERE c.table_schema = 'public'
  AND c.table_name IN (SELECT table_name FROM information_schema.columns
                       WHERE table_schema = 'public' AND column_name = 'complaint_id')
ORDER BY c.table_name, c.ordinal_position
"""


def _expression(column: dict[str, Any]) -> str | None:
    """How a cloned row gets this column (None: the column's default)."""
    name, kind = f'"{column["column_name"]}"', column["data_type"]
    if column["identity"] or column["serial"]:
        return None
    if column["column_name"] == "complaint_id":
        return f"m.new::{column['udt_name']}"
    if column["keyed"] and column["udt_name"] == "uuid":
        return "gen_random_uuid()"
    if kind in ("jsonb", "json"):
        return f"replace(t.{name}::text, m.old, m.new)::{kind}"
    if kind in ("text", "character varying"):
        return f"replace(t.{name}, m.old, m.new)"
    return f"t.{name}"


async def clone(stack: Stack, templates: list[str], count: int) -> dict[str, Any]:
    started = time.monotonic()
    tables: dict[str, list[dict[str, Any]]] = {}
    for row in await stack.fetch("reporting", COLUMNS):
        if row["table_name"] not in NOT_CLONED:
            tables.setdefault(row["table_name"], []).append(dict(row))
    pool = await stack.pool("reporting")
    rows: dict[str, int] = dict.fromkeys(tables, 0)
    async with pool.acquire() as conn:
        await conn.execute(
            "CREATE TEMP TABLE bench_templates AS "
            "SELECT k - 1 AS k, id FROM unnest($1::text[]) WITH ORDINALITY AS u(id, k)",
            templates,
        )
        for first in range(0, count, CHUNK):
            size = min(CHUNK, count - first)
            await conn.execute(
                "CREATE TEMP TABLE bench_clone AS SELECT tp.id AS old, gen_random_uuid()::text AS new "
                "FROM generate_series($1::bigint, $2::bigint) AS g JOIN bench_templates tp ON tp.k = g % $3",
                first,
                first + size - 1,
                len(templates),
            )
            for table, columns in tables.items():
                chosen = [(c["column_name"], _expression(c)) for c in columns]
                names = ", ".join(f'"{n}"' for n, e in chosen if e is not None)
                values = ", ".join(e for _, e in chosen if e is not None)
                status = await conn.execute(
                    f'INSERT INTO "{table}" ({names}) SELECT {values} FROM "{table}" AS t '
                    f"JOIN bench_clone m ON t.complaint_id::text = m.old",
                    timeout=3600,
                )
                rows[table] += int(status.split()[-1])
            await conn.execute("DROP TABLE bench_clone")
        for table in tables:
            await conn.execute(f'ANALYZE "{table}"', timeout=3600)
    return {"complaints": count, "rows": rows, "seconds": round(time.monotonic() - started, 1)}


async def _sample(
    client: httpx.AsyncClient, url: str, params: dict[str, str], samples: int, result: dict[str, Any]
) -> None:
    """One warm-up request, then up to `samples` timed ones within BUDGET_S (at least two).
    A request that fails (the service killed by the memory guard, say) ends the sampling with its error."""
    result["request"] = f"GET {url}?" + "&".join(f"{k}={v}" for k, v in params.items())
    durations: list[float] = []
    began = time.monotonic()
    try:
        warm = time.perf_counter()
        response = await client.get(url, params=params)
        result["warm_up_ms"] = round((time.perf_counter() - warm) * 1000, 1)
        result["status"] = response.status_code
        if response.status_code != 200:
            result["error"] = response.text[:500]
            return
        result["bytes"] = len(response.content)
        while len(durations) < samples and (len(durations) < 2 or time.monotonic() - began < BUDGET_S):
            t0 = time.perf_counter()
            response = await client.get(url, params=params)
            durations.append(time.perf_counter() - t0)
            response.raise_for_status()
    except httpx.HTTPError as exc:
        result["error"] = f"{type(exc).__name__}: {exc}"
    if durations:
        result.update(summary_ms(durations))


async def run(stack: Stack, params: Params, result: dict[str, Any]) -> None:
    tenant = bank(burst.TENANT)
    ids = await stack.fetch("intake", "SELECT id::text AS id FROM complaints WHERE tenant = $1", tenant)
    templates = [r["id"] for r in ids]
    received = await stack.value("intake", "SELECT min(received_at) FROM complaints WHERE tenant = $1", tenant)
    missing = params.report_complaints - len(templates)
    result.update({"complaints": params.report_complaints, "templates": len(templates)})
    if missing > 0:
        result["generated"] = await clone(stack, templates, missing)
    local = received.astimezone(SHANGHAI) if isinstance(received, datetime) else datetime.now(SHANGHAI)
    half = f"{local.year}-H{1 if local.month <= 6 else 2}"
    bounds = {"from": f"{local.year}-{1 if local.month <= 6 else 7:02d}-01", "to": local.date().isoformat()}
    supervisor = issue_token(DEV_TOKEN_SECRET, ASSOC, ["supervisor"])
    async with stack.client("reporting", supervisor) as client:
        client.timeout = httpx.Timeout(900)
        result["stats"], result["report"] = {}, {}
        await _sample(client, "/v1/stats", {**bounds, "group_by": "unit"}, params.read_samples, result["stats"])
        if "error" in result["stats"] and stack.killed:
            await stack.restart_killed()  # the report is measured even when the stats killed the service
        report = {"period": half, "org": ASSOC, "format": "json"}
        await _sample(client, f"/v1/reports/{REPORT_KIND}", report, params.read_samples, result["report"])
    result["killed_for_memory"] = dict(stack.killed)
