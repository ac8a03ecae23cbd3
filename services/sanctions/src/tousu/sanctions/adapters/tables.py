"""Sanctions' own database: the facts it evaluates, and what it decided on them."""

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

orgs = sa.Table(
    "orgs",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("parent", sa.Text, nullable=True),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("tenant", sa.Text, nullable=False),
    sa.Column("regimes", JSONB, nullable=False),
    sa.Column("version", sa.BigInteger, nullable=False),
)

complaints = sa.Table(
    "complaints",
    metadata,
    sa.Column("complaint_id", sa.Text, primary_key=True),
    sa.Column("tenant", sa.Text, nullable=False),
    sa.Column("regime", sa.Text, nullable=False),
    sa.Column("policy_version", sa.Text, nullable=False),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("respondent_unit", sa.Text, nullable=True),
    sa.Column("data", JSONB, nullable=False, comment="complaint.received's data, updated by complaint.reclassified"),
    sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
)
sa.Index("complaints_respondent_time", complaints.c.respondent_unit, complaints.c.received_at)
sa.Index("complaints_closed", complaints.c.closed_at)

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
    sa.Column("regime", sa.Text, nullable=True),
    sa.Column("policy_rule", sa.Text, nullable=True, comment="the policy entry id that imposed it"),
    sa.Column("subject_key", sa.Text, nullable=True, comment="what it is about: one per rule, target and key"),
    sa.Column("issuer_org", sa.Text, nullable=True),
    sa.Column("until", sa.DateTime(timezone=True), nullable=True),
    sa.Column("fulfilled_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("fulfil_note", sa.Text, nullable=True),
    sa.Column("parent_id", UUID(as_uuid=True), nullable=True, comment="the sanction this one follows (SAN-03)"),
    sa.Column("source", JSONB, nullable=True, comment="the fact that caused it: type, complaint, stage, cycle"),
    sa.Column("data", JSONB, nullable=True, comment="the sanction.imposed payload"),
    sa.Column("seq", sa.BigInteger, sa.Identity(), nullable=False, comment="order of imposition"),
)
sa.Index("sanctions_subject", sanctions.c.policy_rule, sanctions.c.target_org, sanctions.c.subject_key)
sa.Index("sanctions_target_time", sanctions.c.target_org, sanctions.c.imposed_at)

determinations = sa.Table(
    "determinations",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("complaint_id", sa.Text, nullable=False),
    sa.Column("regime", sa.Text, nullable=False),
    sa.Column("tenant", sa.Text, nullable=False),
    sa.Column("responsible", sa.Boolean, nullable=False),
    sa.Column("units", JSONB, nullable=False),
    sa.Column("persons", JSONB, nullable=False),
    sa.Column("final", sa.Boolean, nullable=False),
    sa.Column("supersedes", UUID(as_uuid=True), nullable=True),
    sa.Column("superseded_by", UUID(as_uuid=True), nullable=True),
    sa.Column("appeals", sa.Integer, nullable=False, server_default="0", comment="appeals accepted in its line"),
    sa.Column("appeal_pending", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("determined_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("data", JSONB, nullable=False, comment="the responsibility.determined payload"),
)
sa.Index("determinations_complaint", determinations.c.complaint_id)

rectifications = sa.Table(
    "rectifications",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("org", sa.Text, nullable=False),
    sa.Column("tenant", sa.Text, nullable=False),
    sa.Column("category", sa.Text, nullable=True, comment="the problem it addresses; null: every problem of the org"),
    sa.Column("complaint_ids", JSONB, nullable=False),
    sa.Column("measures", sa.Text, nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("source", sa.Text, nullable=False, comment="http or the event type that carried it"),
    sa.Column("sanction_id", UUID(as_uuid=True), nullable=True),
)
sa.Index("rectifications_org_time", rectifications.c.org, rectifications.c.at)

kpi_inputs = sa.Table(
    "kpi_inputs",
    metadata,
    sa.Column("org", sa.Text, primary_key=True),
    sa.Column("period", sa.Text, primary_key=True),
    sa.Column("metric", sa.Text, primary_key=True),
    sa.Column("value", sa.Numeric, nullable=False),
    sa.Column("source", sa.Text, nullable=True),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
)

evaluations = sa.Table(
    "evaluations",
    metadata,
    sa.Column("regime", sa.Text, primary_key=True),
    sa.Column("policy_rule", sa.Text, primary_key=True),
    sa.Column("org", sa.Text, primary_key=True),
    sa.Column("period", sa.Text, primary_key=True),
    sa.Column("tenant", sa.Text, nullable=False),
    sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("state", sa.Text, nullable=False, comment="pending, done, or no_data (an input is missing)"),
    sa.Column("compliant", sa.Boolean, nullable=True),
    sa.Column("evaluated_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("result", JSONB, nullable=True, comment="the kpi.evaluated or reward.recommended payload"),
    sa.Column("due_seen_at", sa.DateTime(timezone=True), nullable=True, comment="system time first seen due"),
)
sa.Index("evaluations_due", evaluations.c.due_at, postgresql_where=evaluations.c.state == "pending")

conduct_findings = sa.Table(
    "conduct_findings",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("org", sa.Text, nullable=False, comment="the unit found at fault"),
    sa.Column("tenant", sa.Text, nullable=False),
    sa.Column("regime", sa.Text, nullable=False),
    sa.Column("policy_rule", sa.Text, nullable=False, comment="the conduct entry id"),
    sa.Column("rule", sa.Text, nullable=False, comment="the CND id"),
    sa.Column("breach", sa.Text, nullable=False),
    sa.Column("persons", JSONB, nullable=False, comment="staff ids"),
    sa.Column("complaint_id", sa.Text, nullable=True),
    sa.Column("verified", sa.Boolean, nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("by", sa.Text, nullable=False),
    sa.Column("note", sa.Text, nullable=True),
)
sa.Index("conduct_findings_org_time", conduct_findings.c.org, conduct_findings.c.at)

points = sa.Table(
    "points",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("person", sa.Text, nullable=False),
    sa.Column("org", sa.Text, nullable=False),
    sa.Column("tenant", sa.Text, nullable=False),
    sa.Column("regime", sa.Text, nullable=False),
    sa.Column("policy_rule", sa.Text, nullable=False),
    sa.Column("rule", sa.Text, nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("month", sa.Text, nullable=False),
    sa.Column("quarter", sa.Text, nullable=False),
    sa.Column("year", sa.Text, nullable=False),
    sa.Column("points", sa.Integer, nullable=False),
    sa.Column("score_set_to", sa.Integer, nullable=True),
    sa.Column("award_ineligible", sa.Boolean, nullable=False),
    sa.Column("complaint_id", sa.Text, nullable=True),
    sa.Column("note", sa.Text, nullable=True),
)
sa.Index("points_person_quarter", points.c.person, points.c.quarter)
