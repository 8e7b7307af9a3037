"""Users' email skeletons (Unicode TR39), to refuse a new address that looks like a member's.

Existing rows get theirs computed here, by the same function registration uses.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 03:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

from webapp.core.email_address import skeleton

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email_skeleton", sa.String(length=1024), nullable=True))
    users = sa.table(
        "users", sa.column("id", sa.BigInteger), sa.column("email_skeleton", sa.String)
    )
    connection = op.get_bind()
    for user_id, email in connection.execute(sa.text("SELECT id, email FROM users")):
        connection.execute(
            users.update().where(users.c.id == user_id).values(email_skeleton=skeleton(email))
        )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column("email_skeleton", existing_type=sa.String(length=1024), nullable=False)
        batch_op.create_index("ix_users_email_skeleton", ["email_skeleton"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index("ix_users_email_skeleton")
        batch_op.drop_column("email_skeleton")
