"""Unit of work: one database transaction holding a state change and the events it emits (the outbox)."""

from collections.abc import Callable
from datetime import datetime
from functools import cache
from typing import Any
from uuid import uuid4

import orjson
import sqlalchemy as sa
from sqlalchemy import TextClause
from sqlalchemy.ext.asyncio import AsyncSession

from tousu.contracts.envelope import CloudEvent
from tousu.contracts.events import PRODUCERS, EventData
from tousu.contracts.topology import EVENTS_EXCHANGE
from tousu.kit.db import KitTables


class UnitOfWork:
    """Collects emitted events; the caller (consumer or HTTP use case) writes them with the state and commits.

    Events inherit the correlation id of what caused them and name it as their causation (ARCHITECTURE §4).
    """

    def __init__(
        self,
        session: AsyncSession,
        tables: KitTables,
        service: str,
        now: Callable[[], datetime],
        cause: CloudEvent | None = None,
        correlation_id: str | None = None,
    ) -> None:
        self.session = session
        self.tables = tables
        self.service = service
        self.now = now
        self.cause = cause
        self.correlation_id = correlation_id or (cause.correlationid if cause else None)
        self.emitted: list[CloudEvent] = []
        self.replies: list[tuple[str, str | None, bytes]] = []
        self.park_reason: str | None = None

    def emit(self, type_: str, data: EventData, *, tenant: str, subject: str | None = None) -> CloudEvent:
        if PRODUCERS.get(type_) != self.service:
            raise ValueError(f"{self.service} does not produce {type_} (ARCHITECTURE §1: one producer per type)")
        event = CloudEvent(
            source=f"tousu/{self.service}",
            type=type_,
            subject=subject or data.complaint_id,
            time=data.occurred_at,
            correlationid=self.correlation_id or (data.complaint_id if data.complaint_id else None),
            causationid=str(self.cause.id) if self.cause else None,
            tenant=tenant,
            data=data.model_dump(mode="json"),
        )
        self.emitted.append(event)
        return event

    def reply(self, reply_to: str, correlation_id: str | None, payload: dict[str, Any]) -> None:
        """An answer to an ingress command's `reply_to`, sent through the outbox after commit."""
        self.replies.append((reply_to, correlation_id, orjson.dumps(payload)))

    def park(self, reason: str) -> None:
        """Commit what the handler recorded, then park the message with `reason` instead of acking it."""
        self.park_reason = reason

    def outbox_rows(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = [
            {
                "event_id": e.id,
                "exchange": EVENTS_EXCHANGE,
                "routing_key": e.routing_key,
                "body": e.model_dump_json().encode(),
                "headers": {"correlation_id": e.correlationid, "type": e.type},
            }
            for e in self.emitted
        ]
        for reply_to, correlation_id, body in self.replies:
            rows.append(
                {
                    "event_id": uuid4(),
                    "exchange": "",
                    "routing_key": reply_to,
                    "body": body,
                    "headers": {"correlation_id": correlation_id, "reply": True},
                }
            )
        return rows

    def take(self, other: "UnitOfWork") -> None:
        """Adopt what a per-message unit of work emitted once its savepoint has committed."""
        self.emitted.extend(other.emitted)
        self.replies.extend(other.replies)


@cache
def _insert_rows(table: str) -> TextClause:
    """One statement whatever the number of rows (a multi-row VALUES list would be a new prepared statement per
    count); rows keep their order, which is the order the relay publishes them in."""
    return sa.text(
        f"INSERT INTO {table} (event_id, exchange, routing_key, body, headers) "
        "SELECT id, exchange, routing_key, body, CAST(headers AS jsonb) FROM unnest(CAST(:ids AS uuid[]), "
        "CAST(:exchanges AS text[]), CAST(:keys AS text[]), CAST(:bodies AS bytea[]), CAST(:headers AS text[])) "
        "WITH ORDINALITY AS rows(id, exchange, routing_key, body, headers, n) ORDER BY n"
    )


async def write_outbox(session: AsyncSession, tables: KitTables, rows: list[dict[str, Any]]) -> None:
    if rows:
        await session.execute(
            _insert_rows(tables.outbox.name),
            {
                "ids": [r["event_id"] for r in rows],
                "exchanges": [r["exchange"] for r in rows],
                "keys": [r["routing_key"] for r in rows],
                "bodies": [r["body"] for r in rows],
                "headers": [orjson.dumps(r["headers"]).decode() if r["headers"] is not None else None for r in rows],
            },
        )
