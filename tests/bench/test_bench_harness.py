"""The benchmark harness in its smallest mode, so that it cannot rot (issue 11).

It asserts that every phase ran and produced its figures and that nothing was lost, doubled, fired twice or
parked, counted from the services' own databases. It never asserts a speed: speed is measured by `make bench`.
"""

import asyncio
from pathlib import Path

import orjson
import pytest

from bench.params import SMALLEST
from bench.run import run

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]  # its own platform: slow to start on two busy cores


async def test_bench_smallest_run_produces_every_figure_and_loses_nothing(tmp_path: Path) -> None:
    record = await run(SMALLEST, tmp_path)

    assert record["problems"] == []
    results = record["results"]
    assert not [name for name, r in results.items() if isinstance(r, dict) and "error" in r]
    for phase in ("burst", "latency"):
        counts = results[phase]["counts"]
        assert (counts["lost"], counts["doubled"]) == (0, 0), counts
        assert all(c["distinct"] > 0 for c in counts["checks"].values()), counts
    assert results["burst"]["with_first_clock"] == SMALLEST.burst
    assert results["latency"]["to_clock_started"]["count"] == results["latency"]["sent"]
    for part in ("steady", "wave"):
        once = results["timers"][part]["exactly_once"]
        assert once["missing"] == once["doubled"] == 0, once
        assert once["timers_fired"] == once["breaches_seen_distinct"] == once["clocks"]
    assert results["timers"]["haystack"]["open_timers"] >= SMALLEST.open_clocks
    assert {"intake", "routing", "sla", "sla-2", "sanctions", "reporting"} <= set(results["memory_mb"])

    # every figure has a measured value, the same-run baseline gives the ratios, and the record is on disk
    figures = {f["figure"]: f for f in record["figures"]}
    assert [f for f in figures.values() if f["measured"] in (None, "")] == []
    assert [f for f in figures.values() if "ratio" in f and f["ratio"] is None] == []
    assert any(name.startswith("reads over") and "stats" in name for name in figures)
    assert any(name.startswith("reads over") and "reports/" in name for name in figures)
    written = orjson.loads(await asyncio.to_thread(Path(record["path"]).read_bytes))
    assert written["figures"] == record["figures"]
    assert {"machine", "versions", "parameters"} <= set(written)
