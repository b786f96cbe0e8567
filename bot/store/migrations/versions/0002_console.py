"""Mediator console: accounts, claims with a lease, notes, audit trail, closing, anonymisation.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("mediators") as batch:
        batch.add_column(sa.Column("password_hash", sa.String(255)))
        batch.add_column(sa.Column("role", sa.String(20), nullable=False, server_default="mediateur"))
        batch.add_column(sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()))
        batch.add_column(sa.Column("failed_logins", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("locked_until", TZ))
        batch.add_column(sa.Column("calendar_token", sa.String(64)))
        batch.create_index("ix_mediators_calendar_token", ["calendar_token"], unique=True)
    with op.batch_alter_table("dossiers") as batch:
        batch.add_column(sa.Column("assigned_to", sa.Integer))
        batch.add_column(sa.Column("lease_until", TZ))
        batch.add_column(sa.Column("outcome", sa.Text))
        batch.add_column(sa.Column("triage_correct", sa.Boolean))
        batch.add_column(sa.Column("corrected_need", sa.String(50)))
        batch.add_column(sa.Column("closed_at", TZ))
        batch.add_column(sa.Column("anonymised_at", TZ))
        batch.create_foreign_key("fk_dossiers_assigned_to", "mediators", ["assigned_to"], ["id"], ondelete="SET NULL")
        batch.create_index("ix_dossiers_assigned_to", ["assigned_to"])
    op.create_table(
        "dossier_notes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("dossier_id", sa.Integer, sa.ForeignKey("dossiers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("author_id", sa.Integer, sa.ForeignKey("mediators.id", ondelete="SET NULL")),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_index("ix_dossier_notes_dossier_id", "dossier_notes", ["dossier_id"])
    op.create_table(
        "dossier_audit",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("dossier_id", sa.Integer, sa.ForeignKey("dossiers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("actor_id", sa.Integer, sa.ForeignKey("mediators.id", ondelete="SET NULL")),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("detail", sa.Text),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_index("ix_dossier_audit_dossier_id", "dossier_audit", ["dossier_id"])


def downgrade() -> None:
    op.drop_table("dossier_audit")
    op.drop_table("dossier_notes")
    with op.batch_alter_table("dossiers") as batch:
        batch.drop_index("ix_dossiers_assigned_to")
        batch.drop_constraint("fk_dossiers_assigned_to", type_="foreignkey")
        for column in ("anonymised_at", "closed_at", "corrected_need", "triage_correct", "outcome", "lease_until", "assigned_to"):
            batch.drop_column(column)
    with op.batch_alter_table("mediators") as batch:
        batch.drop_index("ix_mediators_calendar_token")
        for column in ("calendar_token", "locked_until", "failed_logins", "active", "role", "password_hash"):
            batch.drop_column(column)
