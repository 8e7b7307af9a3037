"""One system account per purpose and currency.

System accounts (the other side of deposits and sales) are created on first use; a
partial unique index makes two racing first uses end with one account.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 17:19:40.312115

"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SYSTEM_ONLY = sa.text("kind = 'system'")


def upgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.create_index(
            "uq_accounts_system_name_currency",
            ["name", "currency"],
            unique=True,
            sqlite_where=SYSTEM_ONLY,
            postgresql_where=SYSTEM_ONLY,
        )


def downgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_index("uq_accounts_system_name_currency")
