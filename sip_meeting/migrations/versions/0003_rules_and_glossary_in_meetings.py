"""Overrides of close blockers, and the glossary's requests and explanations in meetings.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("meetings") as batch_op:
        batch_op.add_column(sa.Column("overrides", sa.JSON(), nullable=False, server_default="[]"))
    with op.batch_alter_table("consents") as batch_op:
        batch_op.add_column(sa.Column("position", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "term_explanations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("word", sa.String(length=80), nullable=False),
        sa.Column("term_id", sa.String(length=60), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["plan_id"], ["plans.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_term_explanations_plan_id", "term_explanations", ["plan_id"])
    op.create_table(
        "term_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("word", sa.String(length=80), nullable=False),
        sa.Column("term_id", sa.String(length=60), nullable=True),
        sa.Column("asked_by", sa.String(length=120), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("on_wall", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_term_requests_meeting_id", "term_requests", ["meeting_id"])


def downgrade() -> None:
    op.drop_index("ix_term_requests_meeting_id", "term_requests")
    op.drop_table("term_requests")
    op.drop_index("ix_term_explanations_plan_id", "term_explanations")
    op.drop_table("term_explanations")
    with op.batch_alter_table("consents") as batch_op:
        batch_op.drop_column("position")
    with op.batch_alter_table("meetings") as batch_op:
        batch_op.drop_column("overrides")
