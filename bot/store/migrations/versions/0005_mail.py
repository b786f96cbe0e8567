"""E-mail: the outgoing mail queue, how and where an appointment is held, mediators' alert choices.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("slots") as batch:
        batch.add_column(sa.Column("mode", sa.String(20), nullable=False, server_default="telephone"))
        batch.add_column(sa.Column("place", sa.Text))
    with op.batch_alter_table("mediators") as batch:
        batch.add_column(sa.Column("alerts", sa.JSON))
    op.create_table(
        "outgoing_mails",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("dedupe_key", sa.String(200), nullable=False, unique=True),
        sa.Column("dossier_id", sa.Integer, sa.ForeignKey("dossiers.id", ondelete="CASCADE"), index=True),
        sa.Column("mediator_id", sa.Integer, sa.ForeignKey("mediators.id", ondelete="CASCADE"), index=True),
        sa.Column("appointment_id", sa.Integer, sa.ForeignKey("appointments.id", ondelete="CASCADE")),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", TZ),
        sa.Column("claim_token", sa.String(40)),
        sa.Column("claimed_until", TZ),
        sa.Column("message_id", sa.String(200)),
        sa.Column("last_error", sa.Text),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("sent_at", TZ),
        sa.Column("finished_at", TZ),
    )
    # the sender's scan: what is due
    op.create_index("ix_outgoing_mails_status", "outgoing_mails", ["status", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_outgoing_mails_status", table_name="outgoing_mails")
    op.drop_table("outgoing_mails")
    with op.batch_alter_table("mediators") as batch:
        batch.drop_column("alerts")
    with op.batch_alter_table("slots") as batch:
        batch.drop_column("place")
        batch.drop_column("mode")
