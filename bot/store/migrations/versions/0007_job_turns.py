"""Periodic jobs run once across web workers and servers: whose turn it is (bot/jobs/runner.py).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "job_turns",
        sa.Column("name", sa.String(80), primary_key=True),
        sa.Column("holder", sa.String(120), nullable=False),
        sa.Column("lease_until", TZ, nullable=False),
        sa.Column("turns", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_turn_at", TZ),
    )


def downgrade() -> None:
    op.drop_table("job_turns")
