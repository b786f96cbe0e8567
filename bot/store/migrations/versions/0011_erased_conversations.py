"""Erased conversations, by a keyed hash of their id: a spooled write replayed later, from any
machine, cannot recreate what the person erased (bot/store/erasures.py).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "erased_conversations",
        sa.Column("conversation_key", sa.String(64), primary_key=True),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_erased_conversations_erased_at", "erased_conversations", ["erased_at"])


def downgrade() -> None:
    op.drop_index("ix_erased_conversations_erased_at", table_name="erased_conversations")
    op.drop_table("erased_conversations")
