"""Console sessions: when each was last used by the person (idle timeout, CONSOLE_IDLE_MINUTES)
and a short description of its browser, for the list in « Mon compte » (bot/store/accounts.py).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("console_sessions") as batch:
        batch.add_column(sa.Column("last_used_at", TZ))
        batch.add_column(sa.Column("browser", sa.String(80), nullable=False, server_default=""))
    op.execute("UPDATE console_sessions SET last_used_at = created_at")
    with op.batch_alter_table("console_sessions") as batch:
        batch.alter_column("last_used_at", existing_type=TZ, nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("console_sessions") as batch:
        batch.drop_column("browser")
        batch.drop_column("last_used_at")
