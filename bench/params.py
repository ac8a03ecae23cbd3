"""What a run measures and how much: the defaults (about 15 minutes), `--quick` (about a minute), `--smallest`."""

import argparse
import dataclasses
from dataclasses import dataclass, fields

PHASES = ("baselines", "burst", "latency", "timers", "reads")


@dataclass(frozen=True)
class Params:
    # 1. baselines: raw aio-pika, persistent messages, publisher confirms
    chain_messages: int = 4_000
    """messages through the raw five-hop chain (about 180/s here: ~25 s)"""
    hop_messages: int = 20_000
    """messages through the raw single hop (about 2,500/s here: ~8 s)"""
    message_bytes: int = 1_024
    repeat_baselines: bool = True
    """measure the baselines again at the end, so drift during the run shows (ratios use the mean)"""
    # 2. burst
    burst: int = 20_000
    """complaints submitted as fast as they are accepted"""
    ingress_share: float = 0.5
    """the part of the burst published on tousu.ingress (the rest over HTTP)"""
    http_concurrency: int = 32
    # 3. latency
    latency_rate: float = 20.0
    """complaints per second, paced, over HTTP"""
    latency_seconds: float = 60.0
    # 4. timers
    open_clocks: int = 1_000_000
    """clock + breach timer rows inserted in bulk into sla's database, none falling due during the run"""
    steady_rate: float = 100.0
    """clocks falling due per second in the steady part"""
    steady_seconds: float = 60.0
    wave: int = 10_000
    """clocks falling due at the same second"""
    sla_replicas: int = 2
    # 5. reads
    report_complaints: int = 1_000_000
    """complaints generated in bulk into reporting's store"""
    read_samples: int = 40
    """requests per read endpoint (stats and the semiannual report)"""
    # how the platform runs
    log_level: str = "INFO"
    profile: str = ""
    """comma-separated services to run under cProfile (writes <results>/<ts>-<service>.prof)"""
    phases: str = ",".join(PHASES)
    memory_cap_mb: int = 4_096
    """a service passing this resident size is killed (and the run reports it): the machine is shared"""
    stall_s: float = 90.0
    """give up waiting when nothing moved for this long (a lost message would otherwise wait forever)"""

    @property
    def selected(self) -> tuple[str, ...]:
        wanted = {p.strip() for p in self.phases.split(",") if p.strip()}
        unknown = wanted - set(PHASES)
        if unknown:
            raise ValueError(f"unknown phases {sorted(unknown)}; known: {', '.join(PHASES)}")
        if wanted & {"timers", "reads"}:
            wanted.add("burst")  # the timers fall due on the burst's complaints; the reads clone them
        return tuple(p for p in PHASES if p in wanted)

    @property
    def steady_clocks(self) -> int:
        return round(self.steady_rate * self.steady_seconds)

    @property
    def profiled(self) -> tuple[str, ...]:
        return tuple(s.strip() for s in self.profile.split(",") if s.strip())

    def check(self) -> None:
        self.selected  # noqa: B018 - validates the phase names
        if "timers" in self.selected and self.steady_clocks + self.wave > self.burst:
            raise ValueError(
                f"the timers fall due on the burst's complaints: steady_rate*steady_seconds + wave "
                f"({self.steady_clocks + self.wave}) must not exceed burst ({self.burst})"
            )
        if not 0 <= self.ingress_share <= 1:
            raise ValueError("ingress_share is a fraction between 0 and 1")


QUICK = Params(
    chain_messages=400,
    hop_messages=3_000,
    repeat_baselines=False,
    burst=300,
    latency_rate=20.0,
    latency_seconds=8.0,
    open_clocks=50_000,
    steady_rate=20.0,
    steady_seconds=5.0,
    wave=150,
    report_complaints=20_000,
    read_samples=10,
)
"""About a minute: every phase runs, on small sizes."""

SMALLEST = Params(
    chain_messages=50,
    hop_messages=300,
    repeat_baselines=False,
    burst=30,
    http_concurrency=8,
    latency_rate=10.0,
    latency_seconds=1.5,
    open_clocks=2_000,
    steady_rate=10.0,
    steady_seconds=1.0,
    wave=15,
    report_complaints=500,
    read_samples=3,
    stall_s=60.0,
)
"""For the test that keeps the harness from rotting: every phase, as little as possible."""


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def parse(argv: list[str] | None = None) -> tuple[Params, argparse.Namespace]:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Measure the platform against raw-broker baselines in the same run (127.0.0.1 only).",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="about a minute, small sizes")
    mode.add_argument("--smallest", action="store_true", help="the smallest run (the harness's own test)")
    parser.add_argument("--results", default="bench/results", help="directory of the JSON results")
    for f in fields(Params):
        kind = f.type if isinstance(f.type, type) else {"int": int, "float": float, "str": str, "bool": bool}[f.type]
        if kind is bool:
            parser.add_argument(_flag(f.name), type=lambda v: v.lower() in ("1", "true", "yes"), default=None)
        else:
            parser.add_argument(_flag(f.name), type=kind, default=None)
    args = parser.parse_args(argv)
    base = QUICK if args.quick else SMALLEST if args.smallest else Params()
    overrides = {f.name: getattr(args, f.name) for f in fields(Params) if getattr(args, f.name) is not None}
    params = dataclasses.replace(base, **overrides)
    params.check()
    return params, args
