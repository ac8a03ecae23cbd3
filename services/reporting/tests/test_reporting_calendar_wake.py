"""The report calendar sleeps until the next instant it has something to do (an announcement, an overdue), and
the tallies follow whatever writes the complaints (the database's triggers)."""

from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from tousu.contracts.policy import find_policies_dir, load_policies
from tousu.contracts.types import SHANGHAI
from tousu.kit.migrate import upgrade
from tousu.kit.uow import UnitOfWork
from tousu.reporting.adapters import tables as t
from tousu.reporting.service_layer.calendar import ReportCalendar
from tousu.reporting.service_layer.catalogue import Catalogue

CATALOGUE = Catalogue(load_policies(find_policies_dir()))


@pytest.fixture
async def session(database_url: str) -> AsyncIterator[AsyncSession]:
    await upgrade("reporting", database_url)
    engine = create_async_engine(database_url)
    try:
        async with async_sessionmaker(engine)() as s:
            yield s
    finally:
        await engine.dispose()


async def tick(session: AsyncSession, cal: ReportCalendar, now: datetime) -> int:
    async with session.begin():
        uow = UnitOfWork(session, t.kit, "reporting", lambda: now)
        published = await cal.tick(uow, now)
    return published


async def test_rpt18_the_calendar_wakes_at_the_due_day_then_at_the_overdue_second(session: AsyncSession) -> None:
    """RPT-18: the property table of March is due by 03-25; the calendar's next wake is that announcement, then
    the second after its due time, and nothing is announced before."""
    async with session.begin():
        await session.execute(
            sa.insert(t.orgs).values(
                id="pm",
                parent=None,
                version=1,
                tenant="pm",
                kind="member",
                name="PM",
                regimes=["property-management"],
                first_seen=datetime(2026, 3, 1, 9, tzinfo=SHANGHAI),
            )
        )
    cal = ReportCalendar(CATALOGUE)
    assert await tick(session, cal, datetime(2026, 3, 1, 9, 0, 1, tzinfo=SHANGHAI)) == 0
    announce = datetime(2026, 3, 25, tzinfo=SHANGHAI)
    assert cal.wake_at is not None
    assert cal.wake_at <= announce
    # woken at each instant it names, it reaches the announcement without skipping it
    now = cal.wake_at
    while now < announce:
        assert await tick(session, cal, now) == 0
        assert cal.wake_at is not None
        assert cal.wake_at > now
        now = cal.wake_at
    assert now == announce
    assert await tick(session, cal, now) >= 2  # report.due and report.generated
    overdue = datetime(2026, 3, 26, tzinfo=SHANGHAI)
    assert cal.wake_at == overdue  # 23:59:59 of the due day, then the second after
    assert await tick(session, cal, overdue - timedelta(seconds=1)) == 0
    assert await tick(session, cal, overdue) == 1  # report.overdue
    assert cal.wake_at is not None
    assert cal.wake_at > overdue


async def test_tallies_follow_inserts_updates_and_deletes_of_the_complaints(session: AsyncSession) -> None:
    row = {
        "complaint_id": "c1",
        "status": "open",
        "received_at": datetime(2026, 3, 1, 23, 30, tzinfo=SHANGHAI),
        "units": ["u"],
        "view": {},
        "respondent_unit": "u",
        "clock_states": [{"stage": "HANDLE", "state": "running"}],
    }

    async def tallies() -> list[tuple[object, ...]]:
        ta, st = t.tallies, t.stage_tallies
        counts = await session.execute(
            sa.select(ta.c.day, ta.c.hours, ta.c.volume, ta.c.open, ta.c.closed, ta.c.hours_sum).where(ta.c.volume != 0)
        )
        stages = await session.execute(sa.select(st.c.state, st.c.n).where(st.c.n != 0))
        return [tuple(r) for r in counts] + [tuple(r) for r in stages]

    async with session.begin():
        await session.execute(sa.insert(t.complaints).values(**row))
        day = datetime(2026, 3, 1).date()  # the Shanghai day it was received
        assert await tallies() == [(day, None, 1, 1, 0, 0), ("running", 1)]
        await session.execute(
            sa.update(t.complaints)
            .where(t.complaints.c.complaint_id == "c1")
            .values(status="closed", handling_hours=30.25, clock_states=[{"stage": "HANDLE", "state": "met"}])
        )
        assert [(d, h, v, o, c, str(s)) for d, h, v, o, c, s in (await tallies())[:1]] == [(day, 30, 1, 0, 1, "30.25")]
        assert (await tallies())[1:] == [("met", 1)]
        await session.execute(sa.delete(t.complaints))
        assert await tallies() == []
