"""Sanctions' own database: the facts it evaluates, and the sanctions it imposed."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID

from tousu.kit.db import kit_tables

metadata = sa.MetaData()
kit = kit_tables(metadata)

facts = sa.Table(
    "facts",
    metadata,
    sa.Column("event_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("type", sa.Text, nullable=False),
    sa.Column("tenant", sa.Text, nullable=False),
    sa.Column("complaint_id", sa.Text, nullable=True),
    sa.Column("regime", sa.Text, nullable=True),
    sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("data", JSONB, nullable=False),
)
sa.Index("facts_complaint", facts.c.complaint_id)
sa.Index("facts_type_time", facts.c.type, facts.c.occurred_at)

sanctions = sa.Table(
    "sanctions",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("rule", sa.Text, nullable=False),
    sa.Column("tenant", sa.Text, nullable=False),
    sa.Column("target_org", sa.Text, nullable=False),
    sa.Column("target_persons", JSONB, nullable=False),
    sa.Column("evidence", JSONB, nullable=False),
    sa.Column("issuer", sa.Text, nullable=True),
    sa.Column("reason", sa.Text, nullable=True),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("imposed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("lifted_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("lift_reason", sa.Text, nullable=True),
)
