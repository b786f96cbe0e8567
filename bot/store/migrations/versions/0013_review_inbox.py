"""The review inbox (« Phrases à revoir »): how the assistant read each conversation's first
message, what a mediator decided it meant, and who decided when (bot/store/review_inbox.py).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "first_messages",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("conversation_id", sa.String(255), nullable=False, unique=True),
        sa.Column("received_at", TZ, nullable=False),
        sa.Column("reading", sa.String(20), nullable=False),
        sa.Column("intent", sa.String(50)),
        sa.Column("confidence", sa.Float),
        sa.Column("correction", sa.String(20)),
        sa.Column("text", sa.Text),
        sa.Column("words", sa.String(500)),
        sa.Column("decision", sa.String(50)),
        sa.Column("decided_by", sa.Integer, sa.ForeignKey("mediators.id", ondelete="SET NULL")),
        sa.Column("decided_at", TZ),
    )
    op.create_index("ix_first_messages_received_at", "first_messages", ["received_at"])
    op.create_index("ix_first_messages_words", "first_messages", ["words"])
    op.create_table(
        "first_message_decisions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "first_message_id", sa.Integer, sa.ForeignKey("first_messages.id", ondelete="CASCADE"), nullable=False, index=True
        ),
        sa.Column("actor_id", sa.Integer, sa.ForeignKey("mediators.id", ondelete="SET NULL")),
        sa.Column("decision", sa.String(50), nullable=False),
        sa.Column("how", sa.String(20), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("first_message_decisions")
    op.drop_index("ix_first_messages_words", table_name="first_messages")
    op.drop_index("ix_first_messages_received_at", table_name="first_messages")
    op.drop_table("first_messages")
