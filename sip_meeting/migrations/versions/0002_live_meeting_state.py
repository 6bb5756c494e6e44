"""Live meeting state: who has spoken in each round, open connections per participant.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("meetings") as batch_op:
        batch_op.add_column(sa.Column("spoken", sa.JSON(), nullable=False, server_default="{}"))
    with op.batch_alter_table("participants") as batch_op:
        batch_op.add_column(
            sa.Column("connections", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("participants") as batch_op:
        batch_op.drop_column("connections")
    with op.batch_alter_table("meetings") as batch_op:
        batch_op.drop_column("spoken")
