"""What a mediator needs to read a dossier in one go: the questionnaire's answers as the person
gave them (skipped ones included), the pistes whose details they opened, what they said was
missing after « Pas vraiment », and the topics of requests outside the service's scope.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dossiers") as batch:
        batch.add_column(sa.Column("answers", sa.JSON))
        batch.add_column(sa.Column("opened", sa.JSON))
        batch.add_column(sa.Column("missing", sa.Text))
        batch.add_column(sa.Column("out_of_scope", sa.JSON))


def downgrade() -> None:
    with op.batch_alter_table("dossiers") as batch:
        batch.drop_column("out_of_scope")
        batch.drop_column("missing")
        batch.drop_column("opened")
        batch.drop_column("answers")
