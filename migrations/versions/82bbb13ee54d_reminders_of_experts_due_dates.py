"""reminders of experts' due dates

Revision ID: 82bbb13ee54d
Revises: a1c5cd6c54a0
Create Date: 2026-11-21 08:55:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "82bbb13ee54d"
down_revision = "a1c5cd6c54a0"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reminded_due_soon_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("reminded_overdue_at", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.drop_column("reminded_overdue_at")
        batch_op.drop_column("reminded_due_soon_at")
