"""one letter in force per application

Revision ID: f272019e53c2
Revises: b1024c7ace6a
Create Date: 2026-11-21 07:43:47.352983

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "f272019e53c2"
down_revision = "b1024c7ace6a"
branch_labels = None
depends_on = None

WHERE = sa.text("status = 'valid'")


def upgrade():
    doubles = (
        op.get_bind()
        .execute(
            sa.text(
                "SELECT application_id FROM letters WHERE status = 'valid' GROUP BY application_id HAVING count(*) > 1"
            )
        )
        .scalars()
        .all()
    )
    if doubles:
        raise RuntimeError(
            "applications with more than one letter in force (revoke all but one in the portal, "
            f"then upgrade again): {sorted(doubles)}"
        )
    with op.batch_alter_table("letters", schema=None) as batch_op:
        batch_op.create_index(
            "uq_letters_one_valid", ["application_id"], unique=True, sqlite_where=WHERE, postgresql_where=WHERE
        )


def downgrade():
    with op.batch_alter_table("letters", schema=None) as batch_op:
        batch_op.drop_index("uq_letters_one_valid", sqlite_where=WHERE, postgresql_where=WHERE)
