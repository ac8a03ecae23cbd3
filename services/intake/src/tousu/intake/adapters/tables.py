"""Intake's own database: complaints (personal data encrypted), idempotency keys, the organisation replica."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID

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
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("receiving_unit", sa.Text, nullable=False),
    sa.Column("respondent_unit", sa.Text, nullable=False),
    sa.Column("submitted_by", sa.Text, nullable=False),
    sa.Column("complainant_ref", sa.Text, nullable=True),
    sa.Column("record", JSONB, nullable=False, doc="the submission without personal data"),
    sa.Column("personal_data", sa.LargeBinary, nullable=True, doc="authenticated encryption (AES-GCM)"),
    sa.Column("key_id", sa.Text, nullable=True),
    sa.Column("classification", JSONB, nullable=False),
    sa.Column("transferred_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.UniqueConstraint("tenant", "reference", name="complaints_reference_per_tenant"),
)

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
    sa.Column("last", sa.Integer, nullable=False),
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
