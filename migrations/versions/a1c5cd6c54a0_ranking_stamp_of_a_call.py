"""ranking stamp of a call

Revision ID: a1c5cd6c54a0
Revises: f272019e53c2
Create Date: 2026-11-21 08:05:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a1c5cd6c54a0"
down_revision = "f272019e53c2"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ranking_stamp", sa.Integer(), server_default="0", nullable=False))


def downgrade():
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_column("ranking_stamp")
