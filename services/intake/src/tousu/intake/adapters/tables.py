"""Intake's own database: complaints (personal data encrypted), idempotency keys, the organisation replica,
the reveal audit, rejected submissions kept as feedback, and large-scale alerts."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

from tousu.kit.db import kit_tables

metadata = sa.MetaData()
kit = kit_tables(metadata)

complaints = sa.Table(
    "complaints",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("reference", sa.Text, nullable=False),
    sa.Column("tenant", sa.Text, nullable=False),
    sa.Column("regime", sa.Text, nullable=False),
    sa.Column("policy_version", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False, doc="received, referred, closed_at_intake, withdrawn, closed"),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("receiving_unit", sa.Text, nullable=False),
    sa.Column("respondent_unit", sa.Text, nullable=False),
    sa.Column("submitted_by", sa.Text, nullable=False),
    sa.Column("units", ARRAY(sa.Text), nullable=False, server_default="{}", doc="units that held the case"),
    sa.Column("kind", sa.Text, nullable=False, server_default="complaint"),
    sa.Column("priority", sa.Text, nullable=False, server_default="ordinary"),
    sa.Column("category", sa.Text, nullable=False, server_default="other"),
    sa.Column("product", sa.Text, nullable=True),
    sa.Column("scale_group", sa.Text, nullable=True, doc="what its large-scale group shares (detection.group_key)"),
    sa.Column("confidential", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("complainant_ref", sa.Text, nullable=True),
    sa.Column("record", JSONB, nullable=False, doc="the submission without personal data"),
    sa.Column("personal_data", sa.LargeBinary, nullable=True, doc="authenticated encryption (AES-GCM)"),
    sa.Column("key_id", sa.Text, nullable=True),
    sa.Column("classification", JSONB, nullable=False),
    sa.Column("parent_id", UUID(as_uuid=True), nullable=True),
    sa.Column("repeat_root", UUID(as_uuid=True), nullable=True, doc="the first complaint of a repeat chain"),
    sa.Column("repeat_cause", sa.Text, nullable=True),
    sa.Column("transferred_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("replied_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("replied_by", sa.Text, nullable=True),
    sa.Column("breached_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("breached_stage", sa.Text, nullable=True),
    sa.Column("unit_unreachable", sa.Integer, nullable=False, server_default="0"),
    sa.Column("callback_dissatisfied", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("reconsideration", JSONB, nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.UniqueConstraint("tenant", "reference", name="complaints_reference_per_tenant"),
)
sa.Index(
    "complaints_repeats",
    complaints.c.tenant,
    complaints.c.complainant_ref,
    complaints.c.respondent_unit,
    complaints.c.received_at,
)
sa.Index("complaints_scale_groups", complaints.c.tenant, complaints.c.scale_group, complaints.c.received_at)

idempotency = sa.Table(
    "idempotency_keys",
    metadata,
    sa.Column("org", sa.Text, primary_key=True),
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("body_hash", sa.Text, nullable=False),
    sa.Column("status_code", sa.Integer, nullable=False),
    sa.Column("response", JSONB, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

reference_counters = sa.Table(
    "reference_counters",
    metadata,
    sa.Column("tenant", sa.Text, primary_key=True),
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("shard", sa.Integer, primary_key=True, server_default="0", doc="see domain.reference.SHARDS"),
    sa.Column("base", sa.Integer, nullable=False, server_default="0", doc="numbers issued before sharding"),
    sa.Column("last", sa.Integer, nullable=False, doc="how many numbers this shard has issued"),
)

orgs = sa.Table(
    "orgs",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("tenant", sa.Text, nullable=False),
    sa.Column("parent", sa.Text, nullable=True),
    sa.Column("record", JSONB, nullable=False),
    sa.Column("version", sa.BigInteger, nullable=False),
)

reveals = sa.Table(
    "reveals",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("complaint_id", UUID(as_uuid=True), nullable=False, index=True),
    sa.Column("caller_org", sa.Text, nullable=False),
    sa.Column("caller", sa.Text, nullable=False),
    sa.Column("roles", ARRAY(sa.Text), nullable=False),
    sa.Column("fields", ARRAY(sa.Text), nullable=False, doc="which fields were shown, never their values"),
    sa.Column("outcome", sa.Text, nullable=False, doc="revealed, or withheld (a confidential informant)"),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

rejections = sa.Table(
    "rejections",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("tenant", sa.Text, nullable=False),
    sa.Column("regime", sa.Text, nullable=False),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("receiving_unit", sa.Text, nullable=False),
    sa.Column("submitted_by", sa.Text, nullable=False),
    sa.Column("record", JSONB, nullable=False, doc="the submission without personal data, kept as feedback"),
    sa.Column("personal_data", sa.LargeBinary, nullable=True),
    sa.Column("key_id", sa.Text, nullable=True),
    sa.Column("reasons", JSONB, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

large_scale_alerts = sa.Table(
    "large_scale_alerts",
    metadata,
    sa.Column("tenant", sa.Text, primary_key=True),
    sa.Column("group_key", sa.Text, primary_key=True),
    sa.Column("detected_at", sa.DateTime(timezone=True), primary_key=True, doc="business time"),
    sa.Column("count", sa.Integer, nullable=False),
)
