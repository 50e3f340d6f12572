"""The start of an application's current review round, on the application

Reviews used to find it by reading the decisions' appeals; now the accepted appeal writes it on the application,
so the review machinery (assignment, evaluation, ranking) reads it without knowing about appeals.

Revision ID: c7e2a9d41f03
Revises: b4da710891ed
Create Date: 2026-12-04 02:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = "c7e2a9d41f03"
down_revision = "b4da710891ed"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("review_round_started_at", sa.DateTime(), nullable=True))
    # The rounds already started: the latest accepted appeal of each application.
    op.execute("""
        UPDATE applications SET review_round_started_at = (
            SELECT MAX(appeals.decided_at) FROM appeals
            WHERE appeals.application_id = applications.id AND appeals.status = 'accepted')
    """)


def downgrade():
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_column("review_round_started_at")
