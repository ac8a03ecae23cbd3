"""sla's own database: complaints as sla knows them, clocks per stage, durable timers, loaded calendar years."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID

from tousu.kit.db import kit_tables

metadata = sa.MetaData()
kit = kit_tables(metadata)

complaints = sa.Table(
    "complaints",
    metadata,
    sa.Column("complaint_id", sa.Text, primary_key=True),
    sa.Column("tenant", sa.Text, nullable=False),
    sa.Column("regime", sa.Text, nullable=False),
    sa.Column("policy_version", sa.Text, nullable=False),
    sa.Column("facts", JSONB, nullable=False, doc="complaint.received data, updated by reclassification"),
    sa.Column("units", JSONB, nullable=False, doc="units the complaint concerns (visibility)"),
    sa.Column("holder", sa.Text, nullable=True, doc="the unit that holds the case now"),
    sa.Column("closed", sa.Boolean, nullable=False, server_default=sa.false()),
)

clocks = sa.Table(
    "clocks",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("complaint_id", sa.Text, nullable=False),
    sa.Column("reference", sa.Text, nullable=True),
    sa.Column("stage", sa.Text, nullable=False),
    sa.Column("cycle", sa.Integer, nullable=False),
    sa.Column("tenant", sa.Text, nullable=False),
    sa.Column("regime", sa.Text, nullable=False),
    sa.Column("policy_version", sa.Text, nullable=False),
    sa.Column("owner_unit", sa.Text, nullable=False),
    sa.Column("clock", sa.Text, nullable=False),
    sa.Column("length", sa.Numeric, nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("breach_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("warning_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("provisional", sa.Boolean, nullable=False),
    sa.Column("provisional_years", JSONB, nullable=False),
    sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("breached", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("breach_withdrawn", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("extensions", JSONB, nullable=False, server_default="[]"),
    sa.Column("rule", sa.Text, nullable=True),
    sa.Column(
        "due_basis",
        sa.Text,
        nullable=False,
        server_default="count",
        doc="count (recounted when a calendar changes), override (a due the start event named), extension, period",
    ),
    sa.Column("cap_at", sa.DateTime(timezone=True), nullable=True, doc="the latest due an extension may reach"),
    sa.Column("paused_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("pauses", JSONB, nullable=False, server_default="[]", doc="[{paused_at, resumed_at, reason}]"),
    sa.Column("stops", JSONB, nullable=False, server_default="{}", doc="stop_mode all: trigger index -> instant"),
    sa.Column("start_event", sa.Text, nullable=True),
    sa.UniqueConstraint("complaint_id", "stage", "cycle", name="clocks_stage_cycle"),
)
sa.Index("clocks_complaint", clocks.c.complaint_id)
# The provisional-clock gauge counts open provisional clocks; a partial index keeps that cheap.
sa.Index("clocks_open_provisional", clocks.c.provisional, postgresql_where=clocks.c.stopped_at.is_(None))

timers = sa.Table(
    "timers",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("clock_id", UUID(as_uuid=True), sa.ForeignKey("clocks.id", ondelete="CASCADE"), nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("fire_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("fired_at", sa.DateTime(timezone=True), nullable=True),
)
# The sweeper only looks at unfired timers: a partial index keeps that cheap with millions of rows (perf-limit §3).
sa.Index("timers_due", timers.c.fire_at, postgresql_where=timers.c.fired_at.is_(None))
sa.Index("timers_clock", timers.c.clock_id)

calendar_years = sa.Table(
    "calendar_years",
    metadata,
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("holidays", JSONB, nullable=False),
    sa.Column("working_days", JSONB, nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

org_calendars = sa.Table(
    "org_calendars",
    metadata,
    sa.Column("org_id", sa.Text, primary_key=True),
    sa.Column("holidays", JSONB, nullable=False),
    sa.Column("working_days", JSONB, nullable=False),
    sa.Column("business_hours", JSONB, nullable=True, doc="['08:30-12:00', ...]; null: the regime's"),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

case_events = sa.Table(
    "case_events",
    metadata,
    sa.Column("event_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("complaint_id", sa.Text, nullable=False),
    sa.Column("type", sa.Text, nullable=False),
    sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("data", JSONB, nullable=False),
    sa.Column("pending", sa.Boolean, nullable=False, doc="arrived before complaint.received: replayed after it"),
)
"""Every event sla consumed about a complaint: out-of-order deliveries are applied when their turn comes."""
sa.Index("case_events_complaint", case_events.c.complaint_id, case_events.c.occurred_at)

world_version = sa.Table(
    "world_version",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("version", sa.BigInteger, nullable=False),
)
"""Grows with every change of the organisation replica or the calendars: replicas reload what they cached."""

orgs = sa.Table(
    "orgs",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("parent", sa.Text, nullable=True),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("version", sa.BigInteger, nullable=False),
)
