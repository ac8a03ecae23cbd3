"""Raw aio-pika baselines: what the broker and one Python process move on this machine, right now.

Both use persistent 1 KB messages, durable classic queues and publisher confirms (perf-limit.md §1–2):
- chain: an injector, five hops that each consume, republish with a confirm and ack, and a sink, in one process;
- hop: a publisher (the harness) and a consumer in another process.

`python -m bench.baseline chain|consume ...` is the child process; the harness calls `run_chain` and `run_hop`.
"""

import argparse
import asyncio
import contextlib
import struct
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import aio_pika
import orjson
from aio_pika.abc import AbstractIncomingMessage

from bench.stats import rate, summary_ms

HOPS = 5
WINDOW = 256
"""publishes awaiting their confirm at once"""
ROOT = Path(__file__).resolve().parents[1]


def _body(size: int) -> bytes:
    return struct.pack("!d", time.time()) + b"x" * max(0, size - 8)


def _sent_at(body: bytes) -> float:
    sent: float = struct.unpack("!d", body[:8])[0]
    return sent


def _message(body: bytes) -> aio_pika.Message:
    return aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT)


async def _publish_all(exchange: aio_pika.abc.AbstractExchange, key: str, count: int, size: int) -> None:
    window = asyncio.Semaphore(WINDOW)
    tasks: set[asyncio.Task[Any]] = set()

    async def one() -> None:
        try:
            await exchange.publish(_message(_body(size)), routing_key=key)
        finally:
            window.release()

    for _ in range(count):
        await window.acquire()
        task = asyncio.create_task(one())
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    if tasks:
        await asyncio.gather(*tasks)


async def chain(url: str, count: int, size: int) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:8]
    name = f"bench.chain.{tag}"
    connections = [await aio_pika.connect(url) for _ in range(HOPS + 2)]
    try:
        setup = await connections[0].channel()
        exchange = await setup.declare_exchange(name, aio_pika.ExchangeType.TOPIC, durable=True)
        keys = [f"hop{i}" for i in range(1, HOPS + 1)] + ["sink"]
        queues = []
        for key in keys:
            queue = await setup.declare_queue(f"{name}.{key}", durable=True)
            await queue.bind(exchange, routing_key=key)
            queues.append(queue)

        for i in range(HOPS):
            channel = await connections[i + 1].channel(publisher_confirms=True)
            await channel.set_qos(prefetch_count=100)
            out = await channel.get_exchange(name)
            inbox = await channel.get_queue(f"{name}.{keys[i]}")
            onward = keys[i + 1]

            async def hop(message: AbstractIncomingMessage, out: Any = out, onward: str = onward) -> None:
                await out.publish(_message(message.body), routing_key=onward)
                await message.ack()

            await inbox.consume(hop)

        arrivals: list[tuple[float, float]] = []
        done = asyncio.Event()
        sink_channel = await connections[HOPS + 1].channel()
        await sink_channel.set_qos(prefetch_count=200)
        sink = await sink_channel.get_queue(f"{name}.sink")

        async def arrive(message: AbstractIncomingMessage) -> None:
            arrivals.append((time.time(), _sent_at(message.body)))
            await message.ack()
            if len(arrivals) >= count:
                done.set()

        await sink.consume(arrive)
        inject = await connections[0].channel(publisher_confirms=True)
        first = time.time()
        await _publish_all(await inject.get_exchange(name), keys[0], count, size)
        await asyncio.wait_for(done.wait(), timeout=max(120.0, count / 20))
        last = max(a for a, _ in arrivals)
        for queue in queues:
            await queue.delete(if_unused=False, if_empty=False)
        await exchange.delete()
        return {
            "messages": count,
            "seconds": round(last - first, 3),
            "per_s": rate(count, last - first),
            **summary_ms([a - s for a, s in arrivals]),
        }
    finally:
        for connection in connections:
            with contextlib.suppress(Exception):
                await connection.close()


async def consume(url: str, queue_name: str, count: int) -> dict[str, Any]:
    connection = await aio_pika.connect(url)
    try:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=200)
        queue = await channel.get_queue(queue_name)
        arrivals: list[tuple[float, float]] = []
        done = asyncio.Event()

        async def arrive(message: AbstractIncomingMessage) -> None:
            arrivals.append((time.time(), _sent_at(message.body)))
            await message.ack()
            if len(arrivals) >= count:
                done.set()

        await queue.consume(arrive)
        print("ready", flush=True)
        await asyncio.wait_for(done.wait(), timeout=max(120.0, count / 200))
        return {"last": max(a for a, _ in arrivals), **summary_ms([a - s for a, s in arrivals])}
    finally:
        await connection.close()


def _child(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "bench.baseline", *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def _result(proc: subprocess.Popen[bytes], timeout: float) -> dict[str, Any]:
    out, err = proc.communicate(timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"baseline child failed: {err.decode(errors='replace')[-2000:]}")
    result: dict[str, Any] = orjson.loads(out.splitlines()[-1])
    return result


async def run_chain(url: str, count: int, size: int) -> dict[str, Any]:
    """The raw five-hop chain in a process of its own."""
    proc = _child("chain", "--url", url, "--count", str(count), "--size", str(size))
    return await asyncio.to_thread(_result, proc, max(180.0, count / 10))


async def run_hop(url: str, count: int, size: int) -> dict[str, Any]:
    """One hop: this process publishes, a child process consumes."""
    queue_name = f"bench.hop.{uuid.uuid4().hex[:8]}"
    connection = await aio_pika.connect(url)
    try:
        channel = await connection.channel(publisher_confirms=True)
        queue = await channel.declare_queue(queue_name, durable=True)
        proc = _child("consume", "--url", url, "--queue", queue_name, "--count", str(count))
        assert proc.stdout is not None
        line = await asyncio.to_thread(proc.stdout.readline)
        if line.strip() != b"ready":
            proc.kill()
            raise RuntimeError(f"the hop consumer did not start: {line!r}")
        first = time.time()
        await _publish_all(channel.default_exchange, queue_name, count, size)
        consumed = await asyncio.to_thread(_result, proc, max(120.0, count / 100))
        await queue.delete(if_unused=False, if_empty=False)
    finally:
        await connection.close()
    last = consumed.pop("last")
    return {"messages": count, "seconds": round(last - first, 3), "per_s": rate(count, last - first), **consumed}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.baseline")
    parser.add_argument("role", choices=["chain", "consume"])
    parser.add_argument("--url", required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--queue", default="")
    args = parser.parse_args()
    if args.role == "chain":
        result = asyncio.run(chain(args.url, args.count, args.size))
    else:
        result = asyncio.run(consume(args.url, args.queue, args.count))
    sys.stdout.write(orjson.dumps(result).decode() + "\n")


if __name__ == "__main__":
    main()
