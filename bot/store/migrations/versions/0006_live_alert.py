"""Live alert by e-mail: when a console page was last open, when a waiting person was alerted.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("mediators") as batch:
        batch.add_column(sa.Column("console_seen_at", TZ))
    with op.batch_alter_table("live_chats") as batch:
        batch.add_column(sa.Column("alerted_at", TZ))


def downgrade() -> None:
    with op.batch_alter_table("live_chats") as batch:
        batch.drop_column("alerted_at")
    with op.batch_alter_table("mediators") as batch:
        batch.drop_column("console_seen_at")
