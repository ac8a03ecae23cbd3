"""One benchmark run: start the platform, measure each phase, stop it, write the JSON record."""

import contextlib
import dataclasses
import io
import pstats
import time
import traceback
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aio_pika
import orjson

from bench import baseline, burst, latency, reads, report, stack, timers
from bench.params import Params

Phase = Callable[[stack.Stack, Params, dict[str, Any]], Awaitable[None]]
"""A phase fills its result as it goes, so what it measured survives a failure half-way."""


async def baselines(s: stack.Stack, params: Params, result: dict[str, Any]) -> None:
    result["chain"] = await baseline.run_chain(s.amqp_url, params.chain_messages, params.message_bytes)
    result["hop"] = await baseline.run_hop(s.amqp_url, params.hop_messages, params.message_bytes)


async def versions(s: stack.Stack) -> dict[str, Any]:
    connection = await aio_pika.connect(s.amqp_url)
    try:
        server = connection.transport.connection.server_properties if connection.transport else {}
    finally:
        await connection.close()
    raw = server.get("version", b"")
    return {
        "rabbitmq": raw.decode() if isinstance(raw, bytes) else str(raw),
        "postgresql": await s.value("intake", "SHOW server_version"),
        "packages": report.packages(),
        "git": report.git_revision(),
    }


def problems(results: dict[str, Any]) -> list[str]:
    """What makes a run fail: a phase that broke, anything lost, doubled or parked. Never a speed."""
    found = [f"{name}: {r['error'].splitlines()[-1]}" for name, r in results.items() if "error" in r]
    for name in ("burst", "latency"):
        counts = results.get(name, {}).get("counts")
        if counts and (counts["lost"] or counts["doubled"]):
            found.append(f"{name}: {counts['lost']} lost, {counts['doubled']} doubled")
    for part in ("steady", "wave"):
        once = results.get("timers", {}).get(part, {}).get("exactly_once")
        if once and (once["missing"] or once["doubled"]):
            found.append(f"timers {part}: {once['missing']} not fired, {once['doubled']} fired twice")
    if results.get("parked"):
        found.append(f"parked messages: {results['parked']}")
    if results.get("killed_for_memory"):
        found.append(f"killed for passing the memory cap (MB): {results['killed_for_memory']}")
    return found


def profile_summary(profile_dir: Path) -> dict[str, str]:
    """The 30 costliest functions (cumulative) of each profiled service."""
    summaries: dict[str, str] = {}
    for path in sorted(profile_dir.glob("*.prof")):
        out = io.StringIO()
        pstats.Stats(str(path), stream=out).sort_stats("cumulative").print_stats(30)
        summaries[path.stem] = out.getvalue()
        path.with_suffix(".txt").write_text(out.getvalue())
    return summaries


async def run(params: Params, results_dir: Path) -> dict[str, Any]:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    profile_dir = results_dir / f"{stamp}-profile"
    for directory in (results_dir, profile_dir) if params.profiled else (results_dir,):
        directory.mkdir(parents=True, exist_ok=True)
    record: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": report.machine(),
        "parameters": dataclasses.asdict(params),
    }
    results: dict[str, Any] = {}
    record["results"] = results
    began = time.monotonic()
    path = results_dir / f"{stamp}.json"

    def write() -> None:
        """After every phase too, so a run stopped half-way keeps what it measured."""
        record["figures"] = report.figures(results)
        record["problems"] = problems(results)
        record["duration_s"] = round(time.monotonic() - began, 1)
        path.write_bytes(orjson.dumps(record, option=orjson.OPT_INDENT_2, default=str))

    phases: dict[str, Phase] = {
        "baselines": baselines,
        "burst": burst.run,
        "latency": latency.run,
        "timers": timers.run,
        "reads": reads.run,
    }
    try:
        async with stack.running(params, results_dir / f"{stamp}-logs", profile_dir) as s:
            record["versions"] = await versions(s)
            await s.load_orgs((burst.TENANT, latency.TENANT))
            for name in params.selected:
                if name in ("timers", "reads") and "error" in results.get("burst", {}):
                    results[name] = {"error": "skipped: the burst it builds on failed"}
                    continue
                print(f"[bench] {name} ...", flush=True)
                started = time.monotonic()
                results[name] = {}
                try:
                    await phases[name](s, params, results[name])
                except Exception:
                    results[name]["error"] = traceback.format_exc()
                    with contextlib.suppress(Exception):  # its backlog must not spill into the next phase
                        await s.settle(params.stall_s)
                results[name]["phase_seconds"] = round(time.monotonic() - started, 1)
                write()
            if "baselines" in params.selected and params.repeat_baselines:
                print("[bench] baselines again ...", flush=True)
                results["baselines_after"] = {}
                await baselines(s, params, results["baselines_after"])
            results["memory_mb"] = s.memory()
            if s.killed:
                results["killed_for_memory"] = dict(s.killed)
            results["parked"] = await s.parked()
    except Exception:
        results["platform"] = {"error": traceback.format_exc()}
    if params.profiled:
        results["profiles"] = str(profile_dir)
        profile_summary(profile_dir)
    record["machine"]["load_average_after"] = report.machine()["load_average"]
    write()
    record["path"] = str(path)
    return record
