"""Figures beside their baselines and targets: the markdown table and the machine and versions they came from."""

import contextlib
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

from bench.stats import ratio

PACKAGES = ("aio-pika", "aiormq", "asyncpg", "sqlalchemy", "fastapi", "uvicorn", "pydantic", "httpx", "orjson")
MEMORY_TARGET_MB = 200


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "load_average": list(os.getloadavg()),
    }
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                info["memory_gib"] = round(int(line.split()[1]) / 1024 / 1024, 1)
    return info


def packages() -> dict[str, str]:
    found: dict[str, str] = {}
    for name in PACKAGES:
        with contextlib.suppress(metadata.PackageNotFoundError):
            found[name] = metadata.version(name)
    return found


def git_revision() -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], capture_output=True, text=True, check=False).stdout.strip()

    head = git("rev-parse", "--short", "HEAD")
    dirty = git("status", "--porcelain", "--untracked-files=no")
    return f"{head} (+{len(dirty.splitlines())} files changed)" if dirty else head


def _mean(*runs: dict[str, Any] | None) -> float | None:
    values = [r["per_s"] for r in runs if isinstance(r, dict) and r.get("per_s")]
    return round(sum(values) / len(values), 1) if values else None


def _get(data: dict[str, Any], *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)  # type: ignore[assignment]
    return data


def _at_most(value: float | None, limit: float) -> bool | None:
    return None if value is None else value <= limit


def _at_least(value: float | None, limit: float) -> bool | None:
    return None if value is None else value >= limit


def figures(results: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per figure: measured, the fitting baseline of the same run, the ratio, the target, met or not."""
    before, after = results.get("baselines", {}), results.get("baselines_after", {})
    chain = _mean(before.get("chain"), after.get("chain"))
    hop = _mean(before.get("hop"), after.get("hop"))
    rows: list[dict[str, Any]] = []

    def row(figure: str, measured: Any, unit: str, **extra: Any) -> None:
        rows.append({"figure": figure, "measured": measured, "unit": unit, **extra})

    if chain or hop:
        runs = [r for r in (before, after) if r]
        row("raw aio-pika five-hop chain (baseline)", chain, "msg/s", runs=[_get(r, "chain", "per_s") for r in runs])
        row("raw aio-pika single hop (baseline)", hop, "msg/s", runs=[_get(r, "hop", "per_s") for r in runs])
    burst = results.get("burst")
    if isinstance(burst, dict) and "counts" in burst:
        value = burst.get("complaints_per_s")
        rel = ratio(value, chain)
        row(
            f"burst: {burst['complaints']} complaints to first clock",
            value,
            "complaints/s",
            baseline="five-hop chain",
            ratio=rel,
            target="≥ 0.5 × chain, 0 lost, 0 doubled",
            met=None
            if rel is None
            else rel >= 0.5 and burst["counts"]["lost"] == 0 and burst["counts"]["doubled"] == 0,
        )
        counts = burst["counts"]
        row("burst: lost / doubled (services' databases)", f"{counts['lost']} / {counts['doubled']}", "")
        if _get(burst, "over_http", "submitted"):
            row("burst: accepted over HTTP", _get(burst, "over_http", "accepted_per_s"), "complaints/s")
        if isinstance(burst.get("over_ingress"), dict) and burst["over_ingress"]:
            row("burst: confirmed on tousu.ingress", burst["over_ingress"]["confirmed_per_s"], "complaints/s")
        cpu = burst.get("cpu_ms_per_complaint")
        if isinstance(cpu, dict) and cpu:
            spent = ", ".join(f"{k} {v}" for k, v in cpu.items())
            row("burst: CPU per complaint, per service", f"{spent} (all {round(sum(cpu.values()), 1)})", "ms")
    latency = results.get("latency")
    if isinstance(latency, dict) and "to_clock_started" in latency:
        for name, key in (("complaint.assigned", "to_assigned"), ("sla.clock_started", "to_clock_started")):
            s = latency[key]
            target = {"target": "p99 ≤ 150 ms", "met": _at_most(s["p99_ms"], 150)} if key == "to_clock_started" else {}
            row(
                f"latency at {latency['rate_per_s']:g}/s: POST → {name} p50 / p99 / max",
                f"{s['p50_ms']} / {s['p99_ms']} / {s['max_ms']}",
                "ms",
                **target,
            )
    timers = results.get("timers")
    if isinstance(timers, dict) and "wave" in timers:
        open_clocks = _get(timers, "haystack", "open_timers")
        lag = timers["steady"]["lag"]
        once = timers["steady"]["exactly_once"]
        row(
            f"timers, steady {timers['steady']['rate_per_s']:g}/s with {open_clocks} open: lag p50 / p99 / max",
            f"{lag['p50_ms']} / {lag['p99_ms']} / {lag['max_ms']}",
            "ms",
            target="p99 ≤ 1000 ms, each fired once",
            met=None
            if lag["p99_ms"] is None
            else lag["p99_ms"] <= 1000 and once["missing"] == 0 and once["doubled"] == 0,
        )
        wave = timers["wave"]
        once = wave["exactly_once"]
        rel = ratio(wave.get("breaches_per_s"), hop)
        row(
            f"timers, wave of {wave['clocks']} at one second ({timers['sla_replicas']} sla replicas)",
            wave.get("breaches_per_s"),
            "breaches/s",
            baseline="single hop",
            ratio=rel,
            target="≥ 0.25 × hop, each fired once",
            met=None if rel is None else rel >= 0.25 and once["missing"] == 0 and once["doubled"] == 0,
            seconds_to_last_breach=wave.get("seconds_to_last_breach"),
        )
    reads = results.get("reads")
    if isinstance(reads, dict):
        for name in ("stats", "report"):
            s = reads.get(name)
            if not isinstance(s, dict) or "request" not in s:
                continue
            figure = f"reads over {reads.get('complaints')} complaints: {s['request']} p50 / p99"
            if "p99_ms" in s:
                met = _at_most(s["p99_ms"], 500)
                row(figure, f"{s['p50_ms']} / {s['p99_ms']}", "ms", target="p99 ≤ 500 ms", met=met)
            else:
                row(figure, f"failed: {s.get('error', '')[:120]}", "", target="p99 ≤ 500 ms", met=False)
    memory = results.get("memory_mb")
    if isinstance(memory, dict) and memory:
        worst = max(memory.values())
        row(
            "peak resident memory per service",
            ", ".join(f"{k} {v}" for k, v in sorted(memory.items())),
            "MB",
            target=f"each ≤ {MEMORY_TARGET_MB} MB",
            met=worst <= MEMORY_TARGET_MB,
        )
    return rows


def _cell(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "**no**"
    if isinstance(value, float):
        return f"{value:,.3f}" if value < 10 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def markdown(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| figure | measured | unit | ratio to baseline (same run) | target | met |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        rel = f"{_cell(r.get('ratio'))} × {r['baseline']}" if r.get("baseline") else ""
        lines.append(
            f"| {r['figure']} | {_cell(r['measured'])} | {r['unit']} | {rel} | {r.get('target', '')} | "
            f"{_cell(r.get('met')) if 'met' in r else ''} |"
        )
    return "\n".join(lines)
