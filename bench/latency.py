"""Latency at a steady moderate rate: from the moment a `POST /v1/complaints` is sent to the moment a plain AMQP
subscriber sees the complaint's `complaint.assigned` and its first `sla.clock_started`."""

import asyncio
import time
from collections import Counter
from datetime import datetime
from typing import Any

import httpx

from bench import dbstats
from bench.burst import RETRIES
from bench.counts import complaint_counts
from bench.params import Params
from bench.stack import Stack, bank, complaint
from bench.stats import summary_ms
from bench.subscriber import Subscriber
from tousu.contracts.types import SHANGHAI

TENANT = "lat"


async def run(stack: Stack, params: Params, result: dict[str, Any]) -> None:
    count = max(1, round(params.latency_rate * params.latency_seconds))
    sent: dict[str, float] = {}
    answered: list[float] = []
    last_answer = 0.0
    began = time.time()
    statuses: Counter[str] = Counter()
    keys = (f"complaint.assigned.{bank(TENANT)}", f"sla.clock_started.{bank(TENANT)}")
    async with (
        Subscriber(stack.amqp_url, keys) as subscriber,
        stack.client("intake", stack.submitter_token) as client,
        dbstats.observed(stack, per=count) as database,
    ):

        async def submit(n: int) -> None:
            body = complaint(TENANT, n, datetime.now(SHANGHAI).isoformat(timespec="seconds"))
            t0 = time.time()
            for attempt in range(RETRIES):  # a dropped keep-alive connection is retried with the same key
                try:
                    response = await client.post(
                        "/v1/complaints", json=body, headers={"Idempotency-Key": f"bench-lat-{n}"}
                    )
                except httpx.TransportError as exc:
                    statuses[type(exc).__name__] += 1
                    await asyncio.sleep(0.2 * (attempt + 1))
                    continue
                answered.append(time.time() - t0)
                nonlocal last_answer
                last_answer = max(last_answer, time.time())
                statuses[str(response.status_code)] += 1
                if response.status_code in (200, 201):
                    sent[response.json()["id"]] = t0
                return

        loop = asyncio.get_running_loop()
        begin = loop.time() + 0.2
        tasks = []
        for n in range(count):
            await asyncio.sleep(max(0.0, begin + n / params.latency_rate - loop.time()))
            tasks.append(asyncio.create_task(submit(n)))
        await asyncio.gather(*tasks)
        await subscriber.wait("sla.clock_started", len(sent), params.stall_s)
        assigned = subscriber.first_by_complaint("complaint.assigned")
        started = subscriber.first_by_complaint("sla.clock_started")
    result.update(
        {
            "rate_per_s": params.latency_rate,
            "sent": count,
            "statuses": dict(statuses),
            "last_answer_after_s": round(last_answer - began, 1) if last_answer else None,
            "scheduled_s": round(count / params.latency_rate, 1),
            "post_answered": summary_ms(answered),
            "to_assigned": summary_ms([assigned[c] - t0 for c, t0 in sent.items() if c in assigned]),
            "to_clock_started": summary_ms([started[c] - t0 for c, t0 in sent.items() if c in started]),
            "missing_assigned": sum(1 for c in sent if c not in assigned),
            "missing_clock_started": sum(1 for c in sent if c not in started),
        }
    )
    result["settled_after_s"] = await stack.settle(params.stall_s)
    result["counts"] = await complaint_counts(stack, TENANT, count)
    result["database"] = database
