"""The platform under test: five services as `make run` starts them, on a fresh vhost and fresh databases.

Everything is local (127.0.0.1): the harness refuses other hosts, so it can never load a shared server.
The services' own databases are read with plain SQL, as an operator would, to count what was lost or doubled.
"""

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import unquote, urlsplit

import aio_pika
import asyncpg  # type: ignore[import-untyped]
import httpx
from sqlalchemy.engine import make_url

from bench.params import Params
from tousu.contracts.topology import INGRESS_QUEUES, ingress_queue, parking_queue, service_queue
from tousu.kit.auth import issue_token
from tousu.kit.db import drop_database
from tousu.kit.platform import SERVICES, Platform, service_database_url
from tousu.kit.settings import DEV_TOKEN_SECRET
from tousu.kit.testing.servers import isolated_vhost, postgres_server, rabbitmq_server

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
REGIME = "liaoning-banking-association"
ASSOC = "bench-assoc"
"""The association receives every complaint; its ASSOC_FORWARD clock starts on complaint.assigned (SLA-01)."""


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def require_local(url: str, what: str) -> None:
    host = urlsplit(url.replace("+asyncpg", "")).hostname or ""
    if host not in LOCAL_HOSTS:
        raise SystemExit(f"the benchmark runs only against 127.0.0.1; {what} points at {host!r}")


def bank(tenant: str) -> str:
    """The member bank of a phase: its tenant keeps each phase's complaints apart."""
    return f"bench-{tenant}"


def outlet(tenant: str) -> str:
    return f"bench-{tenant}-outlet"


def organisations(ingress_user: str, tenants: tuple[str, ...]) -> list[dict[str, Any]]:
    orgs: list[dict[str, Any]] = [
        {
            "id": ASSOC,
            "name": "基准测试银行业协会",
            "kind": "association",
            "parent": None,
            "tenant": ASSOC,
            "regimes": [REGIME],
            "ingress_users": [{"user": ingress_user, "roles": ["submitter"]}],
        }
    ]
    for tenant in tenants:
        orgs.append(
            {
                "id": bank(tenant),
                "name": f"基准会员银行{tenant}",
                "kind": "member",
                "parent": ASSOC,
                "tenant": bank(tenant),
                "regimes": [REGIME],
            }
        )
        orgs.append(
            {
                "id": outlet(tenant),
                "name": f"基准网点{tenant}",
                "kind": "outlet",
                "parent": bank(tenant),
                "tenant": bank(tenant),
                "regimes": [REGIME],
            }
        )
    return orgs


def complaint(tenant: str, n: int, received_at: str) -> dict[str, Any]:
    """A valid Liaoning complaint against the phase's outlet; `external_ref` numbers it for the counts."""
    return {
        "regime": REGIME,
        "received_at": received_at,
        "receiving_unit": ASSOC,
        "receiver_staff": "bench-staff",
        "channel": "phone",
        "kind": "complaint",
        "complainant": {"name": f"基准{n}", "phone": f"139{n % 100_000_000:08d}", "standing": "direct"},
        "respondent": {"unit": outlet(tenant), "staff": ["teller-1"]},
        "category": "service_attitude",
        "facts": "The teller refused to exchange damaged notes.",
        "demand": "Exchange the notes and apologise.",
        "external_ref": f"{tenant}-{n}",
    }


@dataclass
class Stack:
    platform: Platform
    amqp_url: str
    postgres_url: str
    prefix: str
    log_dir: Path
    pools: dict[str, asyncpg.Pool] = field(default_factory=dict)
    extra_logs: list[IO[bytes]] = field(default_factory=list)
    killed: dict[str, int] = field(default_factory=dict)
    """services killed by the memory guard, with the resident MB they had reached"""

    @property
    def admin_token(self) -> str:
        return issue_token(DEV_TOKEN_SECRET, "platform", ["admin"])

    @property
    def submitter_token(self) -> str:
        return issue_token(DEV_TOKEN_SECRET, ASSOC, ["submitter"])

    @property
    def amqp_user(self) -> str:
        return unquote(urlsplit(self.amqp_url).username or "guest")

    def dsn(self, service: str) -> str:
        url = make_url(service_database_url(self.postgres_url, service, self.prefix))
        return url.set(drivername="postgresql").render_as_string(hide_password=False)

    async def pool(self, service: str) -> asyncpg.Pool:
        if service not in self.pools:
            self.pools[service] = await asyncpg.create_pool(self.dsn(service), min_size=1, max_size=4)
        return self.pools[service]

    async def fetch(self, service: str, query: str, *args: Any) -> list[asyncpg.Record]:
        pool = await self.pool(service)
        rows: list[asyncpg.Record] = await pool.fetch(query, *args)
        return rows

    async def value(self, service: str, query: str, *args: Any) -> Any:
        pool = await self.pool(service)
        return await pool.fetchval(query, *args)

    def client(self, service: str, token: str | None = None, connections: int = 10) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.platform.url(service),
            headers={"Authorization": f"Bearer {token or self.admin_token}"},
            timeout=60,
            limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
        )

    def start_process(self, name: str, service: str, profile: Path | None = None) -> None:
        """Start `python -m tousu.<service>` (under cProfile when `profile` is given) as `name` on a free port."""
        port = self.platform.ports.get(name) or _free_ports(1)[0]
        self.platform.ports[name] = port
        env = {**self.platform.service_env(service), "PORT": str(port)}
        command = [sys.executable, "-m", f"tousu.{service}"]
        if profile is not None:
            command = [sys.executable, "-m", "bench.profiled", str(profile), f"tousu.{service}"]
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 - closed when the stack stops
        self.extra_logs.append(log)
        self.platform.processes[name] = subprocess.Popen(
            command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=Path(__file__).resolve().parents[1]
        )

    def migrate(self) -> None:
        """As Platform.migrate, with each service's output in its log rather than on the terminal."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        procs = []
        for service in SERVICES:
            with open(self.log_dir / f"{service}-migrate.log", "ab") as log:
                command = [sys.executable, "-m", f"tousu.{service}", "migrate"]
                env = self.platform.service_env(service)
                procs.append(subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT))
        for service, proc in zip(SERVICES, procs, strict=True):
            if proc.wait(timeout=300) != 0:
                raise RuntimeError(f"{service} migrate failed (see {self.log_dir}/{service}-migrate.log)")

    async def wait_ready(self, names: tuple[str, ...], timeout: float = 240) -> None:
        """Generous: on two busy cores (or under cProfile) five services may take a minute or more to start."""
        await asyncio.to_thread(self.platform.wait_ready, names, timeout)

    async def load_orgs(self, tenants: tuple[str, ...]) -> None:
        """Organisations through routing (CONTRACT §2), then wait until intake and sla know them."""
        async with self.client("routing") as routing:
            for org in organisations(self.amqp_user, tenants):
                response = await routing.put(f"/v1/orgs/{org['id']}", json=org)
                response.raise_for_status()
        wanted = {ASSOC} | {outlet(t) for t in tenants}
        deadline = time.monotonic() + 30
        while True:
            known_intake = {r["id"] for r in await self.fetch("intake", "SELECT id FROM orgs")}
            known_sla = {r["id"] for r in await self.fetch("sla", "SELECT id FROM orgs")}
            if wanted <= known_intake and wanted <= known_sla:
                return
            if time.monotonic() > deadline:
                raise TimeoutError("the organisations did not reach intake and sla within 30 s")
            await asyncio.sleep(0.2)

    async def queues(self) -> dict[str, int]:
        """Ready messages of every service queue and parking queue (a passive declare counts them)."""
        names = [service_queue(s) for s in SERVICES] + [ingress_queue(k) for k in INGRESS_QUEUES]
        names += [parking_queue(n) for n in names]
        counts: dict[str, int] = {}
        connection = await aio_pika.connect(self.amqp_url)
        try:
            for name in names:
                channel = await connection.channel()
                try:
                    queue = await channel.declare_queue(name, passive=True)
                    counts[name] = queue.declaration_result.message_count or 0
                except aio_pika.exceptions.ChannelClosed:
                    continue  # a queue no service declared (e.g. an ingress key nobody consumes yet)
                finally:
                    with contextlib.suppress(Exception):
                        await channel.close()
        finally:
            await connection.close()
        return counts

    async def unsent(self) -> int:
        total = 0
        for service in SERVICES:
            total += await self.value(service, "SELECT count(*) FROM outbox WHERE sent_at IS NULL")
        return int(total)

    async def settle(self, stall_s: float) -> float:
        """Wait until every queue is empty and every outbox is sent, twice in a row; return the seconds waited.
        A backlog may take long to drain on a slow machine: give up only when it stopped shrinking for `stall_s`."""
        started = time.monotonic()
        quiet, least, shrunk_at = 0, None, started
        while quiet < 2:
            counts = await self.queues()
            busy = sum(v for k, v in counts.items() if not k.endswith(".dlq")) + await self.unsent()
            quiet = quiet + 1 if busy == 0 else 0
            if least is None or busy < least:
                least, shrunk_at = busy, time.monotonic()
            elif time.monotonic() - shrunk_at > stall_s:
                raise TimeoutError(f"the platform stopped draining for {stall_s:.0f}s: {busy} messages in flight")
            await asyncio.sleep(0.5)
        return round(time.monotonic() - started, 1)

    async def parked(self) -> dict[str, int]:
        return {k: v for k, v in (await self.queues()).items() if k.endswith(".dlq") and v}

    def _status(self, field: str) -> dict[str, int]:
        values: dict[str, int] = {}
        for name, proc in self.platform.processes.items():
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
                    if line.startswith(field):
                        values[name] = round(int(line.split()[1]) / 1024)
        return values

    def cpu_seconds(self) -> dict[str, float]:
        """CPU time (user + system) every service process has used so far."""
        tick = os.sysconf("SC_CLK_TCK")
        values: dict[str, float] = {}
        for name, proc in self.platform.processes.items():
            with contextlib.suppress(OSError):
                fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
                values[name] = (int(fields[11]) + int(fields[12])) / tick
        return values

    def memory(self) -> dict[str, int]:
        """Peak resident set (VmHWM) of every service process so far, in MB."""
        return self._status("VmHWM:") | self.killed

    async def restart_killed(self) -> None:
        """Start again the services the memory guard killed (same port), and wait until they are ready."""
        for name in self.killed:
            service = name.split("-")[0]
            if self.platform.processes[name].poll() is not None:
                self.start_process(name, service)
        await self.wait_ready(tuple(self.killed))

    async def guard_memory(self, cap_mb: int) -> None:
        """Kill a service whose resident set passes `cap_mb`: the machine is shared, and a read model loaded whole
        into memory could otherwise take other people's processes down with it."""
        while True:
            for name, rss in self._status("VmRSS:").items():
                if rss > cap_mb:
                    self.killed[name] = max(rss, self.killed.get(name, 0))
                    self.platform.processes[name].kill()
            await asyncio.sleep(0.5)


@contextlib.contextmanager
def _servers() -> Iterator[tuple[str, str]]:
    with rabbitmq_server() as amqp_base, postgres_server() as postgres_url:
        require_local(amqp_base, "RABBITMQ_URL")
        require_local(postgres_url, "DATABASE_URL")
        with isolated_vhost(amqp_base) as amqp_url:
            yield amqp_url, postgres_url


@contextlib.asynccontextmanager
async def running(params: Params, log_dir: Path, profile_dir: Path | None = None) -> AsyncIterator[Stack]:
    """The five services migrated, started and ready; stopped and their databases dropped afterwards."""
    with _servers() as (amqp_url, postgres_url):
        prefix = f"tousu_bench_{uuid.uuid4().hex[:8]}"
        platform = Platform(
            rabbitmq_url=amqp_url,
            database_base_url=postgres_url,
            db_prefix=prefix,
            ports=dict(zip(SERVICES, _free_ports(len(SERVICES)), strict=True)),
            env={
                "TOUSU_CLOCK": "system",
                "LOG_FORMAT": "json",
                "LOG_LEVEL": params.log_level,
                "TOUSU_TOKEN_SECRET": DEV_TOKEN_SECRET,
            },
            log_dir=log_dir,
        )
        stack = Stack(platform, amqp_url, postgres_url, prefix, log_dir)
        try:
            await asyncio.to_thread(stack.migrate)
            plain = tuple(s for s in SERVICES if s not in params.profiled)
            platform.start(plain)
            for service in params.profiled:
                assert profile_dir is not None
                stack.start_process(service, service, profile_dir / f"{service}.prof")
            await stack.wait_ready(SERVICES)
            guard = asyncio.create_task(stack.guard_memory(params.memory_cap_mb))
            try:
                yield stack
            finally:
                guard.cancel()
        finally:
            await asyncio.to_thread(platform.stop)
            for log in stack.extra_logs:
                log.close()
            for pool in stack.pools.values():
                await pool.close()
            for service in SERVICES:
                with contextlib.suppress(Exception):  # one failure must not leave the others behind
                    await drop_database(service_database_url(postgres_url, service, prefix))
