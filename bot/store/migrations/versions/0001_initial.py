"""Dossiers, needs, mediators, slots, appointments, callbacks.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "dossiers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("conversation_id", sa.String(255), nullable=False, unique=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("profile", sa.JSON, nullable=False),
        sa.Column("maturity_level", sa.Integer),
        sa.Column("skill_level", sa.String(20)),
        sa.Column("nature", sa.String(20)),
        sa.Column("solutions", sa.JSON, nullable=False),
        sa.Column("answered", sa.Boolean),
        sa.Column("redirect", sa.JSON, nullable=False),
        sa.Column("contact_name", sa.String(200)),
        sa.Column("contact_email", sa.String(254)),
        sa.Column("contact_phone", sa.String(40)),
        sa.Column("consent_at", TZ),
        sa.Column("satisfaction", sa.Integer),
        sa.Column("satisfaction_comment", sa.Text),
        sa.Column("follow_up", sa.Boolean),
    )
    op.create_table(
        "dossier_needs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("dossier_id", sa.Integer, sa.ForeignKey("dossiers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("intent", sa.String(50), nullable=False),
        sa.Column("confidence", sa.Float),
        sa.Column("confirmed", sa.Boolean),
        sa.Column("corrected_to", sa.String(50)),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_index("ix_dossier_needs_dossier_id", "dossier_needs", ["dossier_id"])
    op.create_table(
        "mediators",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(254), nullable=False, unique=True),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "slots",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("mediator_id", sa.Integer, sa.ForeignKey("mediators.id", ondelete="CASCADE"), nullable=False),
        sa.Column("starts_at", TZ, nullable=False),
        sa.Column("ends_at", TZ, nullable=False),
        sa.UniqueConstraint("mediator_id", "starts_at", name="uq_slot_mediator_start"),
    )
    op.create_index("ix_slots_starts_at", "slots", ["starts_at"])
    op.create_table(
        "appointments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("slot_id", sa.Integer, sa.ForeignKey("slots.id"), nullable=False),
        sa.Column("dossier_id", sa.Integer, sa.ForeignKey("dossiers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("reference", sa.String(20), nullable=False, unique=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_index("ix_appointments_dossier_id", "appointments", ["dossier_id"])
    op.create_index(
        "uq_appointment_active_slot",
        "appointments",
        ["slot_id"],
        unique=True,
        sqlite_where=sa.text("status = 'confirme'"),
        postgresql_where=sa.text("status = 'confirme'"),
    )
    op.create_table(
        "callbacks",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("dossier_id", sa.Integer, sa.ForeignKey("dossiers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("preferred_moment", sa.String(200)),
        sa.Column("deadline", sa.Date),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_index("ix_callbacks_dossier_id", "callbacks", ["dossier_id"])


def downgrade() -> None:
    for table in ["callbacks", "appointments", "slots", "mediators", "dossier_needs", "dossiers"]:
        op.drop_table(table)
