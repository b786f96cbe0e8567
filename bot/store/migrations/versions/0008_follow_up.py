"""Leave-taking: the deadline the person gave and the date a mediator is to follow up.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dossiers") as batch:
        batch.add_column(sa.Column("deadline", sa.Date))
        batch.add_column(sa.Column("follow_up_on", sa.Date))


def downgrade() -> None:
    with op.batch_alter_table("dossiers") as batch:
        batch.drop_column("follow_up_on")
        batch.drop_column("deadline")
