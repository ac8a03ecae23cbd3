"""Latency at a steady moderate rate: from the moment a `POST /v1/complaints` is sent to the moment a plain AMQP
subscriber sees the complaint's `complaint.assigned` and its first `sla.clock_started`."""

import asyncio
import time
from collections import Counter
from datetime import datetime
from typing import Any

from bench import dbstats
from bench.counts import complaint_counts
from bench.params import Params
from bench.stack import Stack, bank, complaint
from bench.stats import summary_ms
from bench.subscriber import Subscriber
from tousu.contracts.types import SHANGHAI

TENANT = "lat"


async def run(stack: Stack, params: Params) -> dict[str, Any]:
    count = max(1, round(params.latency_rate * params.latency_seconds))
    sent: dict[str, float] = {}
    answered: list[float] = []
    statuses: Counter[int] = Counter()
    keys = (f"complaint.assigned.{bank(TENANT)}", f"sla.clock_started.{bank(TENANT)}")
    async with (
        Subscriber(stack.amqp_url, keys) as subscriber,
        stack.client("intake", stack.submitter_token) as client,
        dbstats.observed(stack, per=count) as database,
    ):

        async def submit(n: int) -> None:
            body = complaint(TENANT, n, datetime.now(SHANGHAI).isoformat(timespec="seconds"))
            t0 = time.time()
            response = await client.post("/v1/complaints", json=body, headers={"Idempotency-Key": f"bench-lat-{n}"})
            answered.append(time.time() - t0)
            statuses[response.status_code] += 1
            if response.status_code == 201:
                sent[response.json()["id"]] = t0

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
    result: dict[str, Any] = {
        "rate_per_s": params.latency_rate,
        "sent": count,
        "statuses": {str(k): v for k, v in statuses.items()},
        "post_answered": summary_ms(answered),
        "to_assigned": summary_ms([assigned[c] - t0 for c, t0 in sent.items() if c in assigned]),
        "to_clock_started": summary_ms([started[c] - t0 for c, t0 in sent.items() if c in started]),
        "missing_assigned": sum(1 for c in sent if c not in assigned),
        "missing_clock_started": sum(1 for c in sent if c not in started),
    }
    result["settled_after_s"] = await stack.settle(timeout=max(60.0, params.stall_s))
    result["counts"] = await complaint_counts(stack, TENANT, count)
    result["database"] = database
    return result
