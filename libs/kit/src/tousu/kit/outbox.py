"""The outbox relay: publish committed events with confirms, then mark them sent (ARCHITECTURE §3).

It wakes when this process commits, and polls for what other processes committed or a crash left behind,
so it catches up on start. Rows are claimed with SKIP LOCKED, so relays of several replicas never share a row.
A relay killed between the broker's confirm and marking the row sent publishes it again after a restart:
downstream inboxes drop the duplicate by event id.
"""

import asyncio
import contextlib
from datetime import timedelta

import sqlalchemy as sa
import structlog
from aio_pika.abc import AbstractChannel, AbstractRobustConnection
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tousu.kit import metrics
from tousu.kit.broker import persistent
from tousu.kit.db import KitTables

log = structlog.get_logger("tousu.outbox")


class OutboxRelay:
    def __init__(
        self,
        connection: AbstractRobustConnection,
        sessions: async_sessionmaker[AsyncSession],
        tables: KitTables,
        service: str,
        poll_s: float = 1.0,
        batch: int = 500,
    ) -> None:
        self.connection = connection
        self.sessions = sessions
        self.tables = tables
        self.service = service
        self.poll_s = poll_s
        self.batch = batch
        self._wake = asyncio.Event()
        self._stopping = False
        self._channel: AbstractChannel | None = None

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        self._channel = await self.connection.channel(publisher_confirms=True, on_return_raises=True)
        while not self._stopping:
            # Cleared before draining, so a commit during the pass wakes the next one at once.
            self._wake.clear()
            try:
                # A short batch means the table was drained: no extra empty pass per wake.
                while await self.drain_once() >= self.batch:
                    pass
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox relay pass failed; retrying")
                await asyncio.sleep(self.poll_s)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_s)

    async def stop(self) -> None:
        """Flush what is committed, then stop (graceful shutdown)."""
        self._stopping = True
        self._wake.set()
        with contextlib.suppress(Exception):
            while await self.drain_once():
                pass

    async def drain_once(self) -> int:
        """Publish one batch of unsent rows; return how many were published."""
        channel = self._channel
        if channel is None:
            return 0
        ob = self.tables.outbox
        async with self.sessions() as session, session.begin():
            rows = (
                await session.execute(
                    sa.select(ob.c.seq, ob.c.event_id, ob.c.exchange, ob.c.routing_key, ob.c.body, ob.c.headers)
                    .where(ob.c.sent_at.is_(None))
                    .where(sa.or_(ob.c.not_before.is_(None), ob.c.not_before <= sa.func.now()))
                    .order_by(ob.c.seq)
                    .limit(self.batch)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            if not rows:
                return 0
            exchanges = {name: await channel.get_exchange(name, ensure=False) for name in {r.exchange for r in rows}}
            results = await asyncio.gather(
                *(
                    exchanges[r.exchange].publish(
                        persistent(
                            r.body,
                            message_id=str(r.event_id),
                            content_type="application/cloudevents+json" if r.exchange else "application/json",
                            correlation_id=(r.headers or {}).get("correlation_id"),
                            type=(r.headers or {}).get("type"),
                            app_id=self.service,
                        ),
                        routing_key=r.routing_key,
                        mandatory=bool(r.exchange),
                    )
                    for r in rows
                ),
                return_exceptions=True,
            )
            sent = [r.seq for r, res in zip(rows, results, strict=True) if not isinstance(res, BaseException)]
            failed = [r.seq for r, res in zip(rows, results, strict=True) if isinstance(res, BaseException)]
            if sent:
                # `= ANY(array)`: one prepared statement whatever the count (an IN list is one per count).
                seqs = sa.bindparam("seqs", sent, type_=ARRAY(sa.BigInteger))
                await session.execute(sa.update(ob).where(ob.c.seq == sa.any_(seqs)).values(sent_at=sa.func.now()))
            if failed:
                # Unroutable or refused: keep the row and try again later, without blocking the rows behind it.
                errors = {type(res).__name__ for res in results if isinstance(res, BaseException)}
                log.error("outbox publish failed", count=len(failed), errors=sorted(errors))
                await session.execute(
                    sa.update(ob)
                    .where(ob.c.seq.in_(failed))
                    .values(
                        attempts=ob.c.attempts + 1,
                        not_before=sa.func.now() + sa.func.least(ob.c.attempts + 1, 60) * timedelta(seconds=1),
                    )
                )
                metrics.OUTBOX_FAILED.labels(self.service).inc(len(failed))
            metrics.OUTBOX_PUBLISHED.labels(self.service).inc(len(sent))
            return len(sent)


async def purge_sent(sessions: async_sessionmaker[AsyncSession], tables: KitTables, keep: timedelta) -> None:
    ob = tables.outbox
    async with sessions() as session, session.begin():
        await session.execute(sa.delete(ob).where(ob.c.sent_at.is_not(None)).where(ob.c.sent_at < sa.func.now() - keep))


__all__ = ["OutboxRelay", "purge_sent"]
