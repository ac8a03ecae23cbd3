"""Routing's own database: the organisation registry, the case journeys, callback quotas and change notices."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID

from tousu.kit.db import kit_tables

metadata = sa.MetaData()
kit = kit_tables(metadata)

orgs = sa.Table(
    "orgs",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("tenant", sa.Text, nullable=False),
    sa.Column("parent", sa.Text, nullable=True),
    sa.Column("record", JSONB, nullable=False),
    sa.Column("version", sa.BigInteger, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

cases = sa.Table(
    "cases",
    metadata,
    sa.Column("complaint_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("reference", sa.Text, nullable=False),
    sa.Column("tenant", sa.Text, nullable=False),
    sa.Column("regime", sa.Text, nullable=False),
    sa.Column("policy_version", sa.Text, nullable=False),
    sa.Column("receiving_unit", sa.Text, nullable=False),
    sa.Column("respondent_unit", sa.Text, nullable=False),
    sa.Column("owner_unit", sa.Text, nullable=False),
    sa.Column("holder_unit", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("units", JSONB, nullable=False, doc="every unit the case has concerned (visibility, work lists)"),
    sa.Column("state", JSONB, nullable=False, doc="the journey (domain.case.CaseState)"),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)
sa.Index("cases_owner_status", cases.c.owner_unit, cases.c.status)
sa.Index("cases_units", cases.c.units, postgresql_using="gin")

callback_quotas = sa.Table(
    "callback_quotas",
    metadata,
    sa.Column("callback_id", sa.Text, primary_key=True),
    sa.Column("by_unit", sa.Text, primary_key=True),
    sa.Column("period", sa.Text, primary_key=True, doc="YYYY-MM of the closures the quota counts (CB-01)"),
    sa.Column("closed", sa.Integer, nullable=False),
    sa.Column("sampled", sa.Integer, nullable=False),
)

change_notices = sa.Table(
    "change_notices",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("org_id", sa.Text, nullable=False, index=True),
    sa.Column("change", sa.Text, nullable=False),
    sa.Column("effective_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("notified_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("required_by", sa.DateTime(timezone=True), nullable=True),
    sa.Column("late", sa.Boolean, nullable=False),
    sa.Column("rule", sa.Text, nullable=True),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)
