"""Run the five services as local processes: `make run` (through `tousu run`) and the end-to-end tests."""

import asyncio
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx
from sqlalchemy.engine import make_url

SERVICES = ("intake", "routing", "sla", "sanctions", "reporting")


def service_database_url(base: str, service: str, prefix: str = "tousu") -> str:
    """One database per service on the server of `base` (its own database name is replaced)."""
    url = make_url(base)
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+asyncpg")
    return url.set(database=f"{prefix}_{service}").render_as_string(hide_password=False)


@dataclass
class Platform:
    rabbitmq_url: str
    database_base_url: str
    db_prefix: str = "tousu"
    ports: dict[str, int] = field(default_factory=lambda: dict(zip(SERVICES, range(8001, 8006), strict=True)))
    env: dict[str, str] = field(default_factory=dict)
    log_dir: Path | None = None
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    _logs: list[IO[bytes]] = field(default_factory=list)

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def service_env(self, service: str) -> dict[str, str]:
        return {
            **os.environ,
            **self.env,
            "TOUSU_SERVICE": service,
            "RABBITMQ_URL": self.rabbitmq_url,
            "DATABASE_URL": service_database_url(self.database_base_url, service, self.db_prefix),
            "PORT": str(self.ports[service]),
        }

    def migrate(self) -> None:
        """Databases, migrations and queues of all five before any starts (see tousu.kit.serve.prepare)."""
        procs = [
            subprocess.Popen([sys.executable, "-m", f"tousu.{s}", "migrate"], env=self.service_env(s)) for s in SERVICES
        ]
        for service, proc in zip(SERVICES, procs, strict=True):
            if proc.wait(timeout=120) != 0:
                raise RuntimeError(f"{service} migrate failed with exit code {proc.returncode}")

    def start(self, services: tuple[str, ...] = SERVICES) -> None:
        for service in services:
            out: IO[bytes] | None = None
            if self.log_dir is not None:
                self.log_dir.mkdir(parents=True, exist_ok=True)
                out = open(self.log_dir / f"{service}.log", "ab")  # noqa: SIM115 - closed in stop()
                self._logs.append(out)
            self.processes[service] = subprocess.Popen(
                [sys.executable, "-m", f"tousu.{service}"],
                env=self.service_env(service),
                stdout=out,
                stderr=subprocess.STDOUT if out else None,
            )

    def wait_ready(self, services: tuple[str, ...] = SERVICES, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        pending = set(services)
        while pending:
            for service in sorted(pending):
                proc = self.processes.get(service)
                if proc is not None and proc.poll() is not None:
                    raise RuntimeError(f"{service} exited with code {proc.returncode}")
                try:
                    if httpx.get(f"{self.url(service)}/ready", timeout=2).status_code == 200:
                        pending.discard(service)
                except httpx.HTTPError:
                    pass
            if pending and time.monotonic() > deadline:
                raise TimeoutError(f"not ready after {timeout}s: {sorted(pending)}")
            if pending:
                time.sleep(0.2)

    def kill(self, service: str) -> None:
        """SIGKILL, as a crash would."""
        proc = self.processes.pop(service)
        proc.kill()
        proc.wait()

    def stop(self, services: tuple[str, ...] | None = None, timeout: float = 30) -> None:
        names = list(services or self.processes)
        for service in names:
            proc = self.processes.get(service)
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for service in names:
            proc = self.processes.pop(service, None)
            if proc is None:
                continue
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if not self.processes:
            for log in self._logs:
                log.close()
            self._logs.clear()


async def wait_ready_async(platform: Platform, timeout: float = 60) -> None:
    await asyncio.to_thread(platform.wait_ready, tuple(platform.processes), timeout)
