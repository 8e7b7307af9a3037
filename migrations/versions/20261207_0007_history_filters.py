"""History filters: an index for an account's lines in a date range.

`GET /accounts/{id}/transactions` and `/accounts/<id>` filter an account's history by type,
date range and text, and still walk it newest first by entry id with a cursor. Each filter
rides the walk of `ix_ledger_entries_account_id_id` (a page reads on from its cursor, never
the pages before it), except where the rows it wants lie far from where the walk starts:

- a date range (`from`, `to` on `created_at`): `ix_ledger_entries_account_id_created_at_id`
  lets the planner find an account's lines of those days directly (the cursor's `id <`
  bound inside the same index) instead of stepping over every newer line first. On
  PostgreSQL, one day early in a 100,000-line history spread over 100 days, the bare
  entries query takes 0.24 ms with it, 47.6 ms without; the page's query (its transactions
  joined) is still often planned as the id walk (`make bench-history` prints the figures).
  For a wide range the id walk is the right plan: its lines are close by;
- a type: the walk checks each line's transaction by its primary key, which holds the type;
  no index of its own (the four types are each common in a member's history);
- a text: `LIKE '%…%'` can use no b-tree index; it rides the walk like a type.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 16:00:00.000000

"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ledger_entries_account_id_created_at_id",
            ["account_id", "created_at", "id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_ledger_entries_account_id_created_at_id")
