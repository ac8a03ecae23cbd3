"""sla's engine against a real PostgreSQL database at head: events go in, sla events come out.

The harness feeds events to the engine as the consumer would (one unit of work each) and sweeps timers at a
business time it sets, so the rules of DOMAIN §4 can be checked broadly and fast without a broker.
"""

import uuid
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from typing import Any, cast

import pytest
import sqlalchemy as sa

from tousu.contracts.envelope import CloudEvent
from tousu.contracts.events import PRODUCERS
from tousu.contracts.policy import find_policies_dir, load_policy_history
from tousu.contracts.types import SHANGHAI
from tousu.kit.consumer import Delivery
from tousu.kit.db import drop_database, make_engine, make_sessions
from tousu.kit.migrate import upgrade
from tousu.kit.platform import service_database_url
from tousu.kit.uow import UnitOfWork
from tousu.sla.adapters import tables as t
from tousu.sla.service_layer import calendars
from tousu.sla.service_layer.engine import Engine
from tousu.sla.service_layer.timers import fire_due
from tousu.sla.service_layer.world import Policies

POLICIES = Policies(load_policy_history(find_policies_dir()))


def _span(first: str, last: str) -> list[str]:
    a, b = date.fromisoformat(first), date.fromisoformat(last)
    return [(a + timedelta(days=i)).isoformat() for i in range((b - a).days + 1)]


TC_2026 = {
    "holidays": [
        *_span("2026-01-01", "2026-01-03"),
        *_span("2026-02-15", "2026-02-23"),
        *_span("2026-04-04", "2026-04-06"),
        *_span("2026-05-01", "2026-05-05"),
        *_span("2026-06-19", "2026-06-21"),
        *_span("2026-09-25", "2026-09-27"),
        *_span("2026-10-01", "2026-10-07"),
    ],
    "working_days": ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"],
    "source": "DOMAIN.md §10 TC-2026 (assumed test calendar)",
}


def at(text: str) -> datetime:
    """`2026-04-03T15:20` (or with seconds) in +08:00."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def ts(text: str) -> str:
    return at(text).isoformat()


class Harness:
    def __init__(self, sessions: Any) -> None:
        self.sessions = sessions
        self.engine = Engine(POLICIES)
        self.now = at("2026-01-05T00:00")
        self.events: list[CloudEvent] = []
        self.tenant = "t1"
        self.mine: set[str] = set()
        """Complaints of this test: the database is shared by a module, so sweeps also fire other tests' timers."""

    def uow(self, session: Any, cause: CloudEvent | None = None) -> UnitOfWork:
        return UnitOfWork(session, t.kit, "sla", lambda: self.now, cause=cause)

    async def feed(self, type_: str, **data: Any) -> list[CloudEvent]:
        """One event as its producer would publish it; returns what sla emitted for it."""
        data.setdefault("occurred_at", self.now.isoformat())
        event = CloudEvent(
            source=f"tousu/{PRODUCERS.get(type_, 'routing')}",
            type=type_,
            subject=data.get("complaint_id"),
            time=data["occurred_at"],
            tenant=self.tenant,
            data=data,
        )
        async with self.sessions() as session, session.begin():
            uow = self.uow(session, event)
            delivery = Delivery(message=cast(Any, None), kind=type_, key=event.id, event=event)
            await self.engine.on_event(uow, delivery)
        self.events += uow.emitted
        return uow.emitted

    async def fire(self, now: str | datetime) -> list[CloudEvent]:
        """Move business time to `now` and sweep, as the timer loop does; returns this test's events."""
        self.now = at(now) if isinstance(now, str) else now
        emitted: list[CloudEvent] = []
        fired = 1
        while fired:
            async with self.sessions() as session, session.begin():
                uow = self.uow(session)
                fired = await fire_due(uow, self.now, POLICIES)
            emitted += [e for e in uow.emitted if e.complaint_id in self.mine]
        self.events += emitted
        return emitted

    async def call(self, fn: Any, *args: Any) -> tuple[Any, list[CloudEvent]]:
        """A use case in its own unit of work (as HTTP does)."""
        async with self.sessions() as session, session.begin():
            uow = self.uow(session)
            result = await fn(uow, *args)
        self.events += uow.emitted
        return result, uow.emitted

    async def load_year(self, year: int, body: dict[str, Any]) -> list[CloudEvent]:
        from tousu.kit.calendar import YearCalendar

        loaded = YearCalendar(
            year,
            {date.fromisoformat(d) for d in body["holidays"]},
            {date.fromisoformat(d) for d in body["working_days"]},
            body["source"],
        )
        _, emitted = await self.call(calendars.load_year, POLICIES, loaded)
        return list(emitted)

    async def org(self, org_id: str, kind: str, parent: str | None = None) -> None:
        await self.feed(
            "org.updated",
            org_id=org_id,
            org={"id": org_id, "name": org_id, "kind": kind, "parent": parent, "tenant": self.tenant},
            version=1,
        )

    async def receive(self, regime: str, received_at: str, **facts: Any) -> str:
        complaint_id = str(uuid.uuid4())
        self.mine.add(complaint_id)
        data = {
            "complaint_id": complaint_id,
            "reference": f"REF-{complaint_id[:6]}",
            "regime": regime,
            "policy_version": POLICIES.get(regime, "").version,
            "received_at": ts(received_at),
            "occurred_at": ts(received_at),
            "channel": "phone",
            "kind": "complaint",
            "category": "service_attitude",
            "priority": "ordinary",
            "classification": {"validity": "valid", "scope": "in_scope"},
            **facts,
        }
        data.setdefault("respondent_unit", data["receiving_unit"])
        await self.feed("complaint.received", **data)
        return complaint_id

    async def assign(self, complaint_id: str, unit: str, occurred_at: str) -> list[CloudEvent]:
        return await self.feed(
            "complaint.assigned", complaint_id=complaint_id, regime="", unit=unit, occurred_at=ts(occurred_at)
        )

    async def clocks(self, complaint_id: str) -> dict[str, Any]:
        """The latest run of each stage."""
        async with self.sessions() as session:
            rows = (
                await session.execute(
                    sa.select(t.clocks).where(t.clocks.c.complaint_id == complaint_id).order_by(t.clocks.c.cycle)
                )
            ).all()
        return {r.stage: r for r in rows}

    async def runs(self, complaint_id: str, stage: str) -> list[Any]:
        async with self.sessions() as session:
            return list(
                (
                    await session.execute(
                        sa.select(t.clocks)
                        .where(t.clocks.c.complaint_id == complaint_id, t.clocks.c.stage == stage)
                        .order_by(t.clocks.c.cycle)
                    )
                ).all()
            )

    def of(self, type_: str, complaint_id: str, stage: str | None = None) -> list[CloudEvent]:
        return [
            e
            for e in self.events
            if e.type == type_ and e.complaint_id == complaint_id and (stage is None or e.data.get("stage") == stage)
        ]


@pytest.fixture(scope="module")
async def sla_db(postgres_url: str) -> AsyncIterator[str]:
    """One database at head per test module; tests keep apart by their own complaint and organisation ids."""
    url = service_database_url(postgres_url, "sla", prefix=f"tousu_slatest_{uuid.uuid4().hex[:10]}")
    await upgrade("sla", url)
    yield url
    await drop_database(url)


@pytest.fixture
async def sla(sla_db: str) -> AsyncIterator[Harness]:
    engine = make_engine(sla_db, pool_size=2)
    harness = Harness(make_sessions(engine))
    await harness.load_year(2026, TC_2026)
    try:
        yield harness
    finally:
        await engine.dispose()
