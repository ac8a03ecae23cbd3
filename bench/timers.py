"""Timers with M open clocks and two sla replicas sweeping them.

The M clocks (and their breach timers) are inserted in bulk into sla's database, mirroring
services/sla/src/tousu/sla/adapters/tables.py, all due weeks from now: they are the haystack. The clocks that fall
due are the burst's real complaints (known to routing, sanctions and reporting, so each breach is consumed and may
escalate as in production): their breach timers are moved to the instants of the run.
(a) steady: `steady_rate` clocks per second for `steady_seconds`; the lag from each clock's breach instant (the
    timer's `fire_at`, one second after `due_at`) to the moment the subscriber sees its `sla.breached`.
(b) wave: `wave` clocks at the same second; the seconds until the last `sla.breached` is seen.
Every clock must fire exactly once: counted in sla's timers and outbox, and in what the subscriber saw.
"""

import math
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from bench import burst
from bench.counts import CLOCK_OF, COMPLAINT_OF
from bench.params import Params
from bench.stack import ASSOC, Stack, bank
from bench.stats import rate, summary_ms
from bench.subscriber import Subscriber

HAYSTACK_TENANT = "bench-haystack"

INSERT_CLOCKS = """
INSERT INTO clocks (id, complaint_id, stage, cycle, tenant, regime, policy_version, owner_unit, clock, length,
                    started_at, due_at, breach_at, warning_at, state, provisional, provisional_years, rule)
SELECT gen_random_uuid(), 'haystack-' || g, 'ASSOC_FORWARD', 1, $2, regime, policy_version, $3, clock, length,
       now() - interval '1 hour',
       now() + interval '30 days' + g * interval '1 second' - interval '1 second',
       now() + interval '30 days' + g * interval '1 second',
       NULL, 'running', false, '[]'::jsonb, rule
FROM generate_series(1, $1) AS g,
     (SELECT regime, policy_version, clock, length, rule FROM clocks WHERE tenant = $4 LIMIT 1) AS model
"""
INSERT_TIMERS = """
INSERT INTO timers (clock_id, kind, fire_at) SELECT id, 'breach', breach_at FROM clocks WHERE tenant = $1
"""

RUNNING_CLOCKS = """
SELECT DISTINCT ON (c.complaint_id) c.id, c.complaint_id
FROM clocks c JOIN timers t ON t.clock_id = c.id AND t.kind = 'breach' AND t.fired_at IS NULL
WHERE c.tenant = $1 AND c.state = 'running'
ORDER BY c.complaint_id, c.started_at
"""
MOVE_TIMERS = """
UPDATE timers t SET fire_at = v.at FROM unnest($1::uuid[], $2::timestamptz[]) AS v(id, at)
WHERE t.clock_id = v.id AND t.kind = 'breach' AND t.fired_at IS NULL
"""
MOVE_CLOCKS = """
UPDATE clocks c SET breach_at = v.at, due_at = v.at - interval '1 second'
FROM unnest($1::uuid[], $2::timestamptz[]) AS v(id, at) WHERE c.id = v.id
"""


async def insert_haystack(stack: Stack, count: int) -> dict[str, Any]:
    started = time.monotonic()
    pool = await stack.pool("sla")
    async with pool.acquire() as conn:
        await conn.execute(INSERT_CLOCKS, count, HAYSTACK_TENANT, ASSOC, bank(burst.TENANT), timeout=3600)
        await conn.execute(INSERT_TIMERS, HAYSTACK_TENANT, timeout=3600)
        await conn.execute("ANALYZE clocks; ANALYZE timers", timeout=3600)
        open_timers = await conn.fetchval("SELECT count(*) FROM timers WHERE fired_at IS NULL")
    return {"inserted": count, "seconds": round(time.monotonic() - started, 1), "open_timers": int(open_timers)}


async def _move(stack: Stack, clocks: list[Any], instants: list[datetime]) -> None:
    pool = await stack.pool("sla")
    ids = [c["id"] for c in clocks]
    async with pool.acquire() as conn, conn.transaction():
        moved = await conn.execute(MOVE_TIMERS, ids, instants)
        await conn.execute(MOVE_CLOCKS, ids, instants)
    if int(moved.split()[-1]) != len(ids):
        raise RuntimeError(f"moved {moved} of {len(ids)} timers: a clock stopped meanwhile?")


async def _exactly_once(stack: Stack, subscriber: Subscriber, clocks: list[Any]) -> dict[str, int]:
    ids = [c["id"] for c in clocks]
    complaints = [c["complaint_id"] for c in clocks]
    fired = await stack.value(
        "sla", "SELECT count(*) FROM timers WHERE clock_id = ANY($1) AND kind = 'breach' AND fired_at IS NOT NULL", ids
    )
    published = (
        await stack.fetch(
            "sla",
            f"SELECT count(*) AS rows, count(DISTINCT {CLOCK_OF}) AS distinct FROM outbox "
            f"WHERE routing_key = 'sla.breached.' || $1 AND {COMPLAINT_OF} = ANY($2)",
            bank(burst.TENANT),
            complaints,
        )
    )[0]
    wanted = set(complaints)
    seen = Counter(
        f"{s.complaint_id}/{s.data.get('stage')}/{s.data.get('cycle')}"
        for s in subscriber.of("sla.breached")
        if s.complaint_id in wanted
    )
    return {
        "clocks": len(clocks),
        "timers_fired": int(fired),
        "breaches_published": int(published["rows"]),
        "breaches_published_distinct": int(published["distinct"]),
        "breaches_seen": sum(seen.values()),
        "breaches_seen_distinct": len(seen),
        "missing": len(clocks) - min(int(fired), int(published["distinct"]), len(seen)),
        "doubled": int(published["rows"]) - int(published["distinct"]) + sum(seen.values()) - len(seen),
    }


def _lags(subscriber: Subscriber, complaints: set[str]) -> list[float]:
    return [
        s.at - datetime.fromisoformat(str(s.data["breached_at"])).timestamp()
        for s in subscriber.of("sla.breached")
        if s.complaint_id in complaints
    ]


def _whole_second_after(lead_s: float) -> datetime:
    return datetime.fromtimestamp(math.ceil(time.time() + lead_s), UTC)


async def run(stack: Stack, params: Params, result: dict[str, Any]) -> None:
    result["sla_replicas"] = params.sla_replicas
    for replica in range(2, params.sla_replicas + 1):
        stack.start_process(f"sla-{replica}", "sla")
        await stack.wait_ready((f"sla-{replica}",))
    result["haystack"] = await insert_haystack(stack, params.open_clocks)
    running = await stack.fetch("sla", RUNNING_CLOCKS, bank(burst.TENANT))
    if len(running) < params.steady_clocks + params.wave:
        raise RuntimeError(f"only {len(running)} running burst clocks for {params.steady_clocks + params.wave} timers")
    steady, wave = running[: params.steady_clocks], running[params.steady_clocks : params.steady_clocks + params.wave]
    keys = (f"sla.breached.{bank(burst.TENANT)}",)
    async with Subscriber(stack.amqp_url, keys) as subscriber:
        # (a) steady
        first = _whole_second_after(3.0)
        instants = [first + timedelta(seconds=i / params.steady_rate) for i in range(len(steady))]
        await _move(stack, steady, instants)
        complete = await subscriber.wait("sla.breached", len(steady), params.stall_s)
        result["steady"] = {
            "rate_per_s": params.steady_rate,
            "seconds": params.steady_seconds,
            "complete": complete,
            "lag": summary_ms(_lags(subscriber, {c["complaint_id"] for c in steady})),
            "exactly_once": await _exactly_once(stack, subscriber, steady),
        }
        result["steady"]["settled_after_s"] = await stack.settle(params.stall_s)
        # (b) wave
        at = _whole_second_after(3.0 + params.wave / 20_000)
        await _move(stack, wave, [at] * len(wave))
        complete = await subscriber.wait("sla.breached", len(steady) + len(wave), params.stall_s)
        wave_ids = {c["complaint_id"] for c in wave}
        arrivals = [s.at for s in subscriber.of("sla.breached") if s.complaint_id in wave_ids]
        seconds = (max(arrivals) - at.timestamp()) if arrivals else None
        result["wave"] = {
            "clocks": len(wave),
            "complete": complete,
            "seconds_to_last_breach": round(seconds, 2) if seconds else None,
            "breaches_per_s": rate(len(arrivals), seconds) if seconds and complete else None,
            "lag": summary_ms(_lags(subscriber, wave_ids)),
            "exactly_once": await _exactly_once(stack, subscriber, wave),
        }
        result["wave"]["settled_after_s"] = await stack.settle(params.stall_s)
        # sla's own record: `sent_at` is set when its relay claimed the row for publishing (after the settle,
        # since the subscriber may see an event before the relay has marked it sent)
        published_until = await stack.value(
            "sla",
            f"SELECT extract(epoch FROM max(sent_at)) FROM outbox WHERE routing_key = 'sla.breached.' || $1 "
            f"AND {COMPLAINT_OF} = ANY($2)",
            bank(burst.TENANT),
            list(wave_ids),
        )
        if published_until is not None:
            result["wave"]["seconds_to_last_published"] = round(float(published_until) - at.timestamp(), 2)
    escalated = "SELECT count(*) FROM outbox WHERE routing_key = 'complaint.escalated.' || $1"
    result["escalations_published"] = int(await stack.value("routing", escalated, bank(burst.TENANT)))
