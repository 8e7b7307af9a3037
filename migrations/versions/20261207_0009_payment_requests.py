"""Payment requests: a member asks another for money, into one of their accounts.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 18:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

BIG_INT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
STATUSES = ("pending", "paid", "declined", "cancelled", "expired")


def upgrade() -> None:
    op.create_table(
        "payment_requests",
        sa.Column("id", BIG_INT, nullable=False),
        sa.Column("requester_id", BIG_INT, nullable=False),
        sa.Column("payer_id", BIG_INT, nullable=False),
        sa.Column("account_id", BIG_INT, nullable=False),
        sa.Column("amount", BIG_INT, nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("memo", sa.String(length=255), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("transaction_id", BIG_INT, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(f"status IN {STATUSES!r}", name=op.f("ck_payment_requests_status_known")),
        sa.CheckConstraint("amount > 0", name=op.f("ck_payment_requests_amount_positive")),
        sa.CheckConstraint(
            "requester_id <> payer_id", name=op.f("ck_payment_requests_not_to_oneself")
        ),
        sa.ForeignKeyConstraint(
            ["requester_id"],
            ["users.id"],
            name=op.f("fk_payment_requests_requester_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["payer_id"],
            ["users.id"],
            name=op.f("fk_payment_requests_payer_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_payment_requests_account_id_accounts"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["ledger_transactions.id"],
            name=op.f("fk_payment_requests_transaction_id_ledger_transactions"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_requests")),
    )
    with op.batch_alter_table("payment_requests", schema=None) as batch_op:
        batch_op.create_index(
            "ix_payment_requests_requester_id_id", ["requester_id", "id"], unique=False
        )
        batch_op.create_index("ix_payment_requests_payer_id_id", ["payer_id", "id"], unique=False)
        batch_op.create_index(
            "ix_payment_requests_requester_id_status", ["requester_id", "status"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("payment_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_payment_requests_requester_id_status")
        batch_op.drop_index("ix_payment_requests_payer_id_id")
        batch_op.drop_index("ix_payment_requests_requester_id_id")
    op.drop_table("payment_requests")
