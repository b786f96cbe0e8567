"""Live handover: mediators' presence, and the live conversations they join.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("mediators") as batch:
        batch.add_column(sa.Column("available", sa.Boolean, nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("last_seen_at", TZ))
    op.create_table(
        "live_chats",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("conversation_id", sa.String(255), nullable=False, index=True),
        sa.Column("dossier_id", sa.Integer, sa.ForeignKey("dossiers.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("requested_at", TZ, nullable=False),
        sa.Column("mediator_id", sa.Integer, sa.ForeignKey("mediators.id", ondelete="SET NULL")),
        sa.Column("joined_at", TZ),
        sa.Column("ended_at", TZ),
        sa.Column("ended_by", sa.String(20)),
    )
    # one open (waiting or joined) live conversation per person at a time
    op.create_index(
        "uq_live_chat_open",
        "live_chats",
        ["conversation_id"],
        unique=True,
        sqlite_where=sa.text("state IN ('waiting', 'active')"),
        postgresql_where=sa.text("state IN ('waiting', 'active')"),
    )


def downgrade() -> None:
    op.drop_index("uq_live_chat_open", table_name="live_chats")
    op.drop_table("live_chats")
    with op.batch_alter_table("mediators") as batch:
        batch.drop_column("last_seen_at")
        batch.drop_column("available")
