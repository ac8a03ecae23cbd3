"""Burst (a mass incident): N complaints over HTTP and `tousu.ingress` as fast as they are accepted, timed until
every one has its first clock started, i.e. its first `sla.clock_started` was published (sla's outbox `sent_at`).
"""

import asyncio
import time
from collections import Counter
from datetime import datetime
from typing import Any

import aio_pika
import httpx
import orjson

from bench import dbstats
from bench.counts import COMPLAINT_OF, complaint_counts
from bench.params import Params
from bench.stack import Stack, bank, complaint
from bench.stats import rate
from tousu.contracts.topology import INGRESS_EXCHANGE, SUBMIT_KEY, ingress_queue
from tousu.contracts.types import SHANGHAI

TENANT = "burst"
RETRIES = 5


def _now() -> str:
    return datetime.now(SHANGHAI).isoformat(timespec="seconds")


async def _over_http(stack: Stack, numbers: range, concurrency: int) -> dict[str, Any]:
    statuses: Counter[str] = Counter()
    problems: list[str] = []
    pending = iter(numbers)
    started = time.time()

    async def worker(client: httpx.AsyncClient) -> None:
        for n in pending:
            for attempt in range(RETRIES):
                try:
                    response = await client.post(
                        "/v1/complaints",
                        json=complaint(TENANT, n, _now()),
                        headers={"Idempotency-Key": f"bench-{TENANT}-{n}"},
                    )
                except httpx.TransportError as exc:
                    statuses[type(exc).__name__] += 1
                    await asyncio.sleep(0.2 * (attempt + 1))
                    continue
                statuses[str(response.status_code)] += 1
                if response.status_code < 500:
                    if response.status_code >= 300 and len(problems) < 3:
                        problems.append(response.text[:500])
                    break
                await asyncio.sleep(0.2 * (attempt + 1))  # a 5xx is retried with the same key

    async with stack.client("intake", stack.submitter_token, connections=concurrency) as client:
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    seconds = time.time() - started
    accepted = statuses.get("201", 0)
    return {
        "submitted": len(numbers),
        "accepted": accepted,
        "seconds": round(seconds, 2),
        "accepted_per_s": rate(accepted, seconds),
        "statuses": dict(statuses),
        "problems": problems,
    }


async def ingress_available(stack: Stack) -> bool:
    connection = await aio_pika.connect(stack.amqp_url)
    try:
        channel = await connection.channel()
        await channel.declare_queue(ingress_queue(SUBMIT_KEY), passive=True)
        return True
    except aio_pika.exceptions.ChannelClosed:
        return False
    finally:
        await connection.close()


async def _over_ingress(stack: Stack, numbers: range) -> dict[str, Any]:
    """Persistent, confirmed, `message_id` = idempotency key, `user_id` = our RabbitMQ user (CONTRACT §9)."""
    window = asyncio.Semaphore(256)
    failures: Counter[str] = Counter()
    started = time.time()
    if not numbers:
        return {}
    connection = await aio_pika.connect(stack.amqp_url)
    try:
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        exchange = await channel.get_exchange(INGRESS_EXCHANGE, ensure=False)

        async def one(n: int) -> None:
            try:
                await exchange.publish(
                    aio_pika.Message(
                        orjson.dumps(complaint(TENANT, n, _now())),
                        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                        content_type="application/json",
                        message_id=f"bench-{TENANT}-{n}",
                        user_id=stack.amqp_user,
                    ),
                    routing_key=SUBMIT_KEY,
                    mandatory=True,
                )
            except Exception as exc:
                failures[type(exc).__name__] += 1
            finally:
                window.release()

        tasks = []
        for n in numbers:
            await window.acquire()
            tasks.append(asyncio.create_task(one(n)))
        await asyncio.gather(*tasks)
    finally:
        await connection.close()
    seconds = time.time() - started
    confirmed = len(numbers) - sum(failures.values())
    return {
        "published": len(numbers),
        "confirmed": confirmed,
        "seconds": round(seconds, 2),
        "confirmed_per_s": rate(confirmed, seconds),
        "failures": dict(failures),
    }


async def wait_first_clocks(stack: Stack, tenant: str, expected: int, stall_s: float) -> int:
    """Poll sla's clocks until every complaint of the tenant has one and sla's outbox has published them all."""
    last, last_change = -1, time.monotonic()
    while True:
        have = int(
            await stack.value("sla", "SELECT count(DISTINCT complaint_id) FROM clocks WHERE tenant = $1", tenant)
        )
        unsent = int(
            await stack.value(
                "sla",
                "SELECT count(*) FROM outbox WHERE routing_key = 'sla.clock_started.' || $1 AND sent_at IS NULL",
                tenant,
            )
        )
        if have >= expected and unsent == 0:
            return have
        if have != last:
            last, last_change = have, time.monotonic()
        elif time.monotonic() - last_change > stall_s:
            return have
        await asyncio.sleep(0.25)


async def last_first_clock(stack: Stack, tenant: str) -> float | None:
    """Epoch seconds when the last complaint's first `sla.clock_started` was published."""
    value = await stack.value(
        "sla",
        f"SELECT extract(epoch FROM max(first)) FROM (SELECT min(sent_at) AS first FROM outbox "
        f"WHERE routing_key = 'sla.clock_started.' || $1 GROUP BY {COMPLAINT_OF}) AS firsts",
        tenant,
    )
    return float(value) if value is not None else None


async def run(stack: Stack, params: Params, result: dict[str, Any]) -> None:
    n = params.burst
    ingress = await ingress_available(stack)
    n_ingress = round(n * params.ingress_share) if ingress else 0
    http_numbers, ingress_numbers = range(n_ingress, n), range(n_ingress)
    cpu_before = stack.cpu_seconds()
    async with dbstats.observed(stack, per=n) as database:
        started = time.time()
        http_result, ingress_result = await asyncio.gather(
            _over_http(stack, http_numbers, params.http_concurrency), _over_ingress(stack, ingress_numbers)
        )
        submitted_s = time.time() - started
        have = await wait_first_clocks(stack, bank(TENANT), n, params.stall_s)
    cpu = {name: used - cpu_before.get(name, 0.0) for name, used in stack.cpu_seconds().items()}
    finished = await last_first_clock(stack, bank(TENANT))
    seconds = (finished - started) if finished else None
    result.update(
        {
            "complaints": n,
            "over_http": http_result,
            "over_ingress": ingress_result if ingress else "not available: intake does not consume tousu.ingress yet",
            "submitted_in_s": round(submitted_s, 2),
            "with_first_clock": have,
            "seconds_to_last_first_clock": round(seconds, 2) if seconds else None,
            "complaints_per_s": rate(have, seconds) if seconds and have >= n else None,
        }
    )
    result["settled_after_s"] = await stack.settle(params.stall_s)
    result["counts"] = await complaint_counts(stack, TENANT, n)
    result["database"] = database
    # Where the machine's two cores went, per complaint: the burst is CPU-bound (bench/README.md).
    result["cpu_ms_per_complaint"] = {name: round(1000 * used / n, 1) for name, used in sorted(cpu.items())}
