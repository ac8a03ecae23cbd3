"""reference counters in shards, so that concurrent submissions do not queue on one row

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SHARDS = 16  # domain.reference.SHARDS when this revision was written; a revision never imports live code


def upgrade() -> None:
    op.add_column("reference_counters", sa.Column("shard", sa.Integer(), server_default="0", nullable=False))
    op.add_column("reference_counters", sa.Column("base", sa.Integer(), server_default="0", nullable=False))
    op.drop_constraint("reference_counters_pkey", "reference_counters", type_="primary")
    op.create_primary_key("reference_counters_pkey", "reference_counters", ["tenant", "year", "shard"])
    # The numbers a tenant's year already issued (1..last) stay taken: every shard continues above them.
    op.execute("UPDATE reference_counters SET base = last, last = 0")
    op.execute(
        "INSERT INTO reference_counters (tenant, year, shard, base, last) "
        f"SELECT c.tenant, c.year, s, c.base, 0 FROM reference_counters c, generate_series(1, {SHARDS - 1}) AS s "
        "WHERE c.shard = 0"
    )


def downgrade() -> None:
    # One counter again, above every number any shard issued.
    op.execute(
        f"UPDATE reference_counters c SET last = c.base + {SHARDS} * (SELECT max(d.last) FROM reference_counters d "
        "WHERE d.tenant = c.tenant AND d.year = c.year) WHERE c.shard = 0"
    )
    op.execute("DELETE FROM reference_counters WHERE shard <> 0")
    op.drop_constraint("reference_counters_pkey", "reference_counters", type_="primary")
    op.create_primary_key("reference_counters_pkey", "reference_counters", ["tenant", "year"])
    op.drop_column("reference_counters", "base")
    op.drop_column("reference_counters", "shard")
