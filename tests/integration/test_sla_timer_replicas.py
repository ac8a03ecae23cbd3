"""Durable timers with two sla replicas (ARCHITECTURE §5): 10,000 timers falling due at once fire exactly once,
and SIGKILL of a replica while they fire loses none and doubles none.

Two real `python -m tousu.sla` processes share one database and a vhost of this test's own (its 10,000 breaches must
not reach the session's e2e platform); the clocks and their breach timers are inserted in bulk straight into sla's
database (as if complaints had started them), then the controlled clock jumps past their due second. Counted three
ways: the timers marked fired, sla's outbox, and the `sla.breached` messages that reach a queue bound on the real
broker (distinct CloudEvents ids: at-least-once delivery may repeat an id after a crash between publish and
mark-sent, never emit a second event).
"""

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from tousu.contracts.policy import find_policies_dir, load_policy
from tousu.contracts.types import SHANGHAI
from tousu.kit.auth import issue_token
from tousu.kit.db import drop_database
from tousu.kit.platform import service_database_url
from tousu.kit.settings import DEV_TOKEN_SECRET
from tousu.kit.testing.plugin import eventually
from tousu.kit.testing.spy import EventSpy

pytestmark = pytest.mark.integration

N = 10_000
REGIME = "liaoning-banking-association"
LOGS = Path("test-artifacts/logs")
START = datetime(2026, 6, 1, 9, 0, tzinfo=SHANGHAI)
DUE = START + timedelta(minutes=5)


class Replicas:
    """sla processes on one database and vhost, each on its own port, with the controlled clock."""

    def __init__(self, amqp_url: str, database_url: str, tag: str) -> None:
        self.env = {
            **os.environ,
            "TOUSU_SERVICE": "sla",
            "RABBITMQ_URL": amqp_url,
            "DATABASE_URL": database_url,
            "TOUSU_CLOCK": "controlled",
            "TOUSU_TOKEN_SECRET": DEV_TOKEN_SECRET,
            "TOUSU_OUTBOX_POLL_S": "0.2",
        }
        self.tag = tag
        self.base = 19000 + uuid.UUID(tag).int % 400 * 2
        self.processes: dict[int, subprocess.Popen[bytes]] = {}
        self.token = issue_token(DEV_TOKEN_SECRET, "platform", ["admin"])

    def url(self, i: int) -> str:
        return f"http://127.0.0.1:{self.base + i}"

    def migrate(self) -> None:
        subprocess.run([sys.executable, "-m", "tousu.sla", "migrate"], env=self.env, check=True, timeout=120)

    def start(self, i: int) -> None:
        LOGS.mkdir(parents=True, exist_ok=True)
        with open(LOGS / f"sla-replica-{self.tag[:8]}-{i}.log", "ab") as log:
            self.processes[i] = subprocess.Popen(
                [sys.executable, "-m", "tousu.sla"],
                env={**self.env, "PORT": str(self.base + i)},
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    async def ready(self, i: int) -> None:
        async def answers() -> bool:
            assert self.processes[i].poll() is None, f"replica {i} exited"
            try:
                async with httpx.AsyncClient() as client:
                    return (await client.get(f"{self.url(i)}/ready", timeout=2)).status_code == 200
            except httpx.HTTPError:
                return False

        await eventually(answers, timeout=90, interval=0.3)

    async def set_clock(self, now: datetime) -> None:
        """Set on one replica, broadcast to both; wait until both run on it."""
        headers = {"Authorization": f"Bearer {self.token}"}
        async with httpx.AsyncClient(headers=headers) as client:
            response = await client.put(f"{self.url(0)}/admin/clock", json={"now": now.isoformat()})
            assert response.status_code == 200, response.text

            async def both() -> bool:
                for i in self.processes:
                    shown = datetime.fromisoformat((await client.get(f"{self.url(i)}/admin/clock")).json()["now"])
                    if abs((shown - now).total_seconds()) > 30:
                        return False
                return True

            await eventually(both, timeout=15)

    async def fired_by(self, i: int) -> float:
        """`tousu_timers_fired_total{kind="breach"}` of replica i (its own count since it started)."""
        async with httpx.AsyncClient() as client:
            text = (await client.get(f"{self.url(i)}/metrics")).text
        lines = [line for line in text.splitlines() if line.startswith('tousu_timers_fired_total{kind="breach"}')]
        return float(lines[0].split()[-1]) if lines else 0.0

    def kill(self, i: int) -> None:
        process = self.processes.pop(i)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    def stop(self) -> None:
        for process in self.processes.values():
            process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes.clear()


@pytest.fixture
def sla_url(postgres_url: str) -> Iterator[str]:
    url = service_database_url(postgres_url, "sla", prefix=f"tousu_slarep_{uuid.uuid4().hex[:10]}")
    yield url
    asyncio.run(drop_database(url))


@pytest.fixture
async def replicas(vhost_url: str, sla_url: str) -> AsyncIterator[Replicas]:
    group = Replicas(vhost_url, sla_url, str(uuid.uuid4()))
    await asyncio.to_thread(group.migrate)
    for i in (0, 1):
        group.start(i)
    try:
        for i in (0, 1):
            await group.ready(i)
        await group.set_clock(START)
        yield group
    finally:
        await asyncio.to_thread(group.stop)


@pytest.fixture
async def database(replicas: Replicas, sla_url: str) -> AsyncIterator[AsyncEngine]:
    """One connection for the whole test: polling must not compete for the server's connection slots."""
    engine = create_async_engine(sla_url, pool_size=1, max_overflow=0, pool_pre_ping=True)
    yield engine
    await engine.dispose()


async def insert_due_timers(engine: AsyncEngine, tenant: str, n: int) -> None:
    """n running ASSOC_FORWARD clocks whose breach timers all fall due at the same second."""
    version = load_policy(find_policies_dir() / f"{REGIME}.yaml").version
    async with engine.begin() as conn:
        await conn.execute(
            sa.text(
                """
                INSERT INTO clocks (id, complaint_id, stage, cycle, tenant, regime, policy_version, owner_unit, clock,
                                    length, started_at, due_at, breach_at, state, provisional, provisional_years, rule)
                SELECT gen_random_uuid(), :tenant || '-' || g, 'ASSOC_FORWARD', 1, :tenant, :regime, :version,
                       'assoc', 'working_days', 2, :start, :due, :breach, 'running', false, '[]', 'SLA-01'
                FROM generate_series(1, :n) AS g
                """
            ),
            {
                "tenant": tenant,
                "regime": REGIME,
                "version": version,
                "start": START,
                "due": DUE - timedelta(seconds=1),
                "breach": DUE,
                "n": n,
            },
        )
        await conn.execute(
            sa.text(
                "INSERT INTO timers (clock_id, kind, fire_at) SELECT id, 'breach', breach_at FROM clocks "
                "WHERE tenant = :tenant"
            ),
            {"tenant": tenant},
        )


async def counts(engine: AsyncEngine, tenant: str) -> dict[str, int]:
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                sa.text(
                    """
                    SELECT
                      (SELECT count(*) FROM timers t JOIN clocks c ON c.id = t.clock_id
                        WHERE c.tenant = :tenant AND t.fired_at IS NOT NULL) AS fired,
                      (SELECT count(*) FROM clocks WHERE tenant = :tenant AND breached) AS breached,
                      (SELECT count(*) FROM outbox WHERE routing_key = 'sla.breached.' || :tenant) AS outbox,
                      (SELECT count(*) FROM outbox WHERE routing_key = 'sla.breached.' || :tenant
                        AND sent_at IS NOT NULL) AS sent
                    """
                ),
                {"tenant": tenant},
            )
        ).one()
    return dict(row._mapping)


async def exactly_once(spy: EventSpy, database: AsyncEngine, tenant: str) -> dict[str, int]:
    async def all_published() -> dict[str, int] | None:
        now = await counts(database, tenant)
        distinct = {e.id for e in spy.events}
        return now if now["sent"] >= N and len(distinct) >= N else None

    final = await eventually(all_published, timeout=180, interval=0.5)
    await asyncio.sleep(1)  # any duplicate delivery still in flight arrives before counting
    per_complaint = Counter(e.complaint_id for e in {e.id: e for e in spy.events}.values())
    assert final == {"fired": N, "breached": N, "outbox": N, "sent": N}
    assert len(per_complaint) == N, "a timer was lost"
    assert set(per_complaint.values()) == {1}, "a timer fired twice"
    return {**final, "deliveries": len(spy.events), "distinct": len({e.id for e in spy.events})}


async def test_arch5_two_replicas_fire_10000_simultaneous_timers_exactly_once(
    replicas: Replicas, vhost_url: str, database: AsyncEngine
) -> None:
    tenant = f"rep-{replicas.tag[:8]}"
    async with EventSpy(vhost_url, f"sla.breached.{tenant}") as spy:
        await insert_due_timers(database, tenant, N)
        await replicas.set_clock(DUE + timedelta(seconds=1))
        result = await exactly_once(spy, database, tenant)
    shares = [await replicas.fired_by(i) for i in (0, 1)]
    assert sum(shares) == N
    assert all(shares), f"both replicas sweep: {shares}"
    assert result["deliveries"] == result["distinct"] == N  # a run without faults delivers each event once


async def test_arch5_sigkill_of_a_replica_while_firing_loses_none_and_doubles_none(
    replicas: Replicas, vhost_url: str, database: AsyncEngine
) -> None:
    tenant = f"kill-{replicas.tag[:8]}"
    async with EventSpy(vhost_url, f"sla.breached.{tenant}") as spy:
        await insert_due_timers(database, tenant, N)
        await replicas.set_clock(DUE + timedelta(seconds=1))

        async def firing() -> bool:
            return 0 < (await counts(database, tenant))["fired"] < N

        await eventually(firing, timeout=60, interval=0.02)
        replicas.kill(0)  # SIGKILL mid-sweep: its open batch rolls back, its locks go, replica 1 takes the rest
        await exactly_once(spy, database, tenant)
        # Restarted, it catches up on nothing: every timer has fired once.
        replicas.start(0)
        await replicas.ready(0)
        await replicas.set_clock(DUE + timedelta(seconds=2))
        assert (await counts(database, tenant))["outbox"] == N
