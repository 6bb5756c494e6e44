"""The follow-up's review, satisfaction answers, emailed plans and sent reminders.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("plans") as batch_op:
        batch_op.add_column(sa.Column("review_situation_change", sa.Text(), nullable=False,
                                      server_default=""))
    with op.batch_alter_table("actions") as batch_op:
        batch_op.add_column(sa.Column("review_outcome", sa.String(length=12), nullable=False,
                                      server_default=""))
        batch_op.add_column(sa.Column("review_comment", sa.Text(), nullable=False,
                                      server_default=""))
        batch_op.add_column(sa.Column("condition_review", sa.Text(), nullable=False,
                                      server_default=""))
    with op.batch_alter_table("meetings") as batch_op:
        batch_op.add_column(sa.Column("satisfaction", sa.JSON(), nullable=False,
                                      server_default="{}"))
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["participant_id"], ["participants.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_deliveries_meeting_id", "deliveries", ["meeting_id"])
    op.create_table(
        "reminders_sent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "subject_id", "recipient", "day"),
    )


def downgrade() -> None:
    op.drop_table("reminders_sent")
    op.drop_index("ix_deliveries_meeting_id", "deliveries")
    op.drop_table("deliveries")
    with op.batch_alter_table("meetings") as batch_op:
        batch_op.drop_column("satisfaction")
    with op.batch_alter_table("actions") as batch_op:
        for name in ("condition_review", "review_comment", "review_outcome"):
            batch_op.drop_column(name)
    with op.batch_alter_table("plans") as batch_op:
        batch_op.drop_column("review_situation_change")
