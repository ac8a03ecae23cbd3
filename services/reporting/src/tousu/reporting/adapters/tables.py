"""Reporting's own database: the event history (replayable) and the read models built from it.

`events` is the history; `complaints`, `sanctions` and `orgs` are read models that a replay of it rebuilds
(`POST /admin/read-models/rebuild`); `dirty` names the complaints whose new events are still to be folded.
`tallies` and `stage_tallies` are the complaints' figures summed per received day and dimensions, kept by
statement triggers on `complaints` (migration 0005) in the transaction that writes them, so whatever writes the
complaints (projector, rebuild, a bulk load) keeps them exact and the reads sum a few rows, not a period's
complaints.
`report_instances` and `emitted` record what reporting itself announced and published, so a replay never
publishes twice.
"""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

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
sa.Index("events_type_time", events.c.type, events.c.occurred_at)

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
    sa.Column("tenant", sa.Text, nullable=True),
    sa.Column("kind", sa.Text, nullable=True),
    sa.Column("name", sa.Text, nullable=True),
    sa.Column("regimes", JSONB, nullable=True),
    # business time of its first `org.updated`: the report calendar owes the reports due after it
    sa.Column("first_seen", sa.DateTime(timezone=True), nullable=True),
)

dirty = sa.Table(
    "dirty",
    metadata,
    # complaints with events not yet folded: the projector folds them in batches, one fold per complaint
    sa.Column("complaint_id", sa.Text, primary_key=True),
)

complaints = sa.Table(
    "complaints",
    metadata,
    sa.Column("complaint_id", sa.Text, primary_key=True),
    sa.Column("tenant", sa.Text, nullable=True),
    sa.Column("regime", sa.Text, nullable=True),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("units", ARRAY(sa.Text), nullable=False),
    sa.Column("view", JSONB, nullable=False),  # domain.complaint.ComplaintView: the fold of all its events
    # the figures of GET /v1/stats, derived from the view, so the statistics are SQL aggregates at any size
    sa.Column("respondent_unit", sa.Text, nullable=True),
    sa.Column("category", sa.Text, nullable=True),
    sa.Column("channel", sa.Text, nullable=True),
    sa.Column("kind", sa.Text, nullable=True),
    sa.Column("breached", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("timely", sa.Boolean, nullable=True),
    sa.Column("handling_hours", sa.Float, nullable=True),
    sa.Column("satisfied", sa.Boolean, nullable=True),
    sa.Column("repeat", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("escalations", sa.Integer, nullable=False, server_default="0"),
    sa.Column("responsible", sa.Boolean, nullable=True),
    sa.Column("clock_states", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
    # what the report templates count or select besides the statistics (domain.reports.Tally, LISTINGS)
    sa.Column("closed_at_intake", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("first_time", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("callbacks", sa.Integer, nullable=False, server_default="0"),
    sa.Column("sample_callbacks", sa.Integer, nullable=False, server_default="0"),
    sa.Column("reconsideration", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("measures", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("second", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("major", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("important", sa.Boolean, nullable=False, server_default=sa.false()),
)
# listings page through a period in (received_at, complaint_id) order; percentiles look inside one hour's bucket
sa.Index("complaints_received_id", complaints.c.received_at, complaints.c.complaint_id)
sa.Index("complaints_hours", complaints.c.handling_hours, postgresql_where=complaints.c.handling_hours.is_not(None))
sa.Index("complaints_status", complaints.c.status)

TALLY_KEY = ("day", "regime", "units", "unit", "category", "channel", "kind")
"""Shanghai day received, regime, visibility units and the dimensions reports group by (unit: respondent_unit)."""
TALLY_COUNTS = (
    "volume",
    "open",
    "closed",
    "withdrawn",
    "referred",
    "breached",
    "timely",
    "decided",
    "hours_count",
    "satisfied",
    "known",
    "repeats",
    "escalations",
    "escalated",
    "responsible",
    "determined",
    "at_intake",
    "first_time",
    "called_back",
    "sampled",
    "called",
    "called_satisfied",
    "reconsiderations",
    "responsible_measures",
)
"""domain.reports.Tally's counts, in its order."""


def _key_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("regime", sa.Text, nullable=True),
        sa.Column("units", ARRAY(sa.Text), nullable=False),
        sa.Column("unit", sa.Text, nullable=True),
        sa.Column("category", sa.Text, nullable=True),
        sa.Column("channel", sa.Text, nullable=True),
        sa.Column("kind", sa.Text, nullable=True),
    ]


tallies = sa.Table(
    "tallies",
    metadata,
    *_key_columns(),
    sa.Column("hours", sa.Integer, nullable=True),  # whole hours of handling_hours: where percentiles look
    *(sa.Column(name, sa.BigInteger, nullable=False) for name in TALLY_COUNTS),
    sa.Column("hours_sum", sa.Numeric, nullable=False),  # exact, so any order of updates gives the same average
)
sa.Index("tallies_key", *(tallies.c[k] for k in (*TALLY_KEY, "hours")), unique=True, postgresql_nulls_not_distinct=True)

stage_tallies = sa.Table(
    "stage_tallies",
    metadata,
    *_key_columns(),
    sa.Column("stage", sa.Text, nullable=False),
    sa.Column("state", sa.Text, nullable=False),  # running (open clocks), met, breached, stopped
    sa.Column("n", sa.BigInteger, nullable=False),
)
sa.Index(
    "stage_tallies_key",
    *(stage_tallies.c[k] for k in (*TALLY_KEY, "stage", "state")),
    unique=True,
    postgresql_nulls_not_distinct=True,
)

sanctions = sa.Table(
    "sanctions",
    metadata,
    sa.Column("sanction_id", sa.Text, primary_key=True),
    sa.Column("kind", sa.Text, nullable=True),
    sa.Column("target_org", sa.Text, nullable=True),
    sa.Column("imposed_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("data", JSONB, nullable=False),
)

report_instances = sa.Table(
    "report_instances",
    metadata,
    sa.Column("kind", sa.Text, primary_key=True),
    sa.Column("org", sa.Text, primary_key=True),
    sa.Column("period", sa.Text, primary_key=True),
    sa.Column("regime", sa.Text, nullable=False),
    sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("announced_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("overdue_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("submitted_to", sa.Text, nullable=True),
)
sa.Index(
    "report_instances_pending",
    report_instances.c.due_at,
    postgresql_where=sa.and_(report_instances.c.overdue_at.is_(None), report_instances.c.submitted_at.is_(None)),
)

emitted = sa.Table(
    "emitted",
    metadata,
    # `regulator:<fact id>:<report kind>` or `archive:<complaint id>`: published once, whatever replays
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
)
