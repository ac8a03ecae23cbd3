"""Reporting's own database: the event history (replayable) and the read models built from it."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID

from tousu.kit.db import kit_tables

metadata = sa.MetaData()
kit = kit_tables(metadata)

events = sa.Table(
    "events",
    metadata,
    sa.Column("event_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("type", sa.Text, nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("tenant", sa.Text, nullable=False),
    sa.Column("complaint_id", sa.Text, nullable=True),
    sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("time", sa.DateTime(timezone=True), nullable=False),
    sa.Column("seq", sa.BigInteger, sa.Identity(), nullable=False, unique=True),
    sa.Column("envelope", JSONB, nullable=False),
)
sa.Index("events_complaint_time", events.c.complaint_id, events.c.occurred_at)

complaint_units = sa.Table(
    "complaint_units",
    metadata,
    sa.Column("complaint_id", sa.Text, primary_key=True),
    sa.Column("unit", sa.Text, primary_key=True),
)

orgs = sa.Table(
    "orgs",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("parent", sa.Text, nullable=True),
    sa.Column("version", sa.BigInteger, nullable=False),
)
