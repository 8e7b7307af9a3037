"""The audit log by user: indexes for events about a user (subject) or by them (actor).

The admins' event list and a user's page filter the log on `subject = 'user:<id>' OR
actor_id = <id>`, newest first; each side walks its own index.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 08:30:00.000000

"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index("ix_events_subject_id", ["subject", "id"], unique=False)
        batch_op.create_index("ix_events_actor_id_id", ["actor_id", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_actor_id_id")
        batch_op.drop_index("ix_events_subject_id")
