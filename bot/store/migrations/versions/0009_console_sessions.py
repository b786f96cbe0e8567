"""Console sessions that can be ended, lock-out per (account, address), one reset e-mail per
quarter of an hour (bot/store/accounts.py).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "console_sessions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("mediator_id", sa.Integer, sa.ForeignKey("mediators.id", ondelete="CASCADE"), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_index("ix_console_sessions_mediator_id", "console_sessions", ["mediator_id"])
    op.create_table(
        "login_failures",
        sa.Column("mediator_id", sa.Integer, sa.ForeignKey("mediators.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("client", sa.String(64), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False, server_default="0"),
        sa.Column("locked_until", TZ),
        sa.Column("updated_at", TZ, nullable=False),
    )
    with op.batch_alter_table("mediators") as batch:
        batch.add_column(sa.Column("reset_requested_at", TZ))


def downgrade() -> None:
    with op.batch_alter_table("mediators") as batch:
        batch.drop_column("reset_requested_at")
    op.drop_table("login_failures")
    op.drop_index("ix_console_sessions_mediator_id", table_name="console_sessions")
    op.drop_table("console_sessions")
