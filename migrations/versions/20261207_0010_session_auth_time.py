"""When each session last proved who its member is (`auth_time`): the login, or a password
confirmed since. Existing sessions take their login time.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 18:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("auth_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("auth_time", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE auth_sessions SET auth_time = created_at")
    with op.batch_alter_table("auth_sessions", schema=None) as batch_op:
        batch_op.alter_column("auth_time", existing_type=sa.DateTime(timezone=True), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("auth_sessions", schema=None) as batch_op:
        batch_op.drop_column("auth_time")
