"""What the close demands: carried-over actions, withdrawn consent, "no plan made".

Revision ID: 0006
Revises: 0005

- actions.first_version: the number of the first frozen version that held the action, so that
  a done action carried over from an earlier version is told from one added in this meeting.
  Filled in from the versions already frozen.
- consents.withdrawn_by and withdrawn_scope: who withdrew a consent and what the withdrawal
  covers (withdrawn_at was already there).
- plans.others_part: "none" when the meeting recorded that no one but the municipality and
  the region has a part in the plan.
- meetings.no_plan_reason: why a meeting ended without a plan (it froze no version).
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("actions") as batch_op:
        batch_op.add_column(sa.Column("first_version", sa.Integer(), nullable=True))
    with op.batch_alter_table("consents") as batch_op:
        batch_op.add_column(sa.Column("withdrawn_by", sa.String(length=200), nullable=False,
                                      server_default=""))
        batch_op.add_column(sa.Column("withdrawn_scope", sa.Text(), nullable=False,
                                      server_default=""))
    with op.batch_alter_table("plans") as batch_op:
        batch_op.add_column(sa.Column("others_part", sa.String(length=10), nullable=False,
                                      server_default=""))
    with op.batch_alter_table("meetings") as batch_op:
        batch_op.add_column(sa.Column("no_plan_reason", sa.Text(), nullable=False,
                                      server_default=""))
    _mark_carried_over_actions()


def _mark_carried_over_actions() -> None:
    bind = op.get_bind()
    first: dict[int, int] = {}
    rows = bind.execute(sa.text("SELECT number, snapshot FROM plan_versions ORDER BY number"))
    for number, snapshot in rows:
        data = json.loads(snapshot) if isinstance(snapshot, str) else snapshot
        for action in (data or {}).get("actions") or []:
            if isinstance(action.get("id"), int):
                first.setdefault(action["id"], number)
    for action_id, number in first.items():
        bind.execute(sa.text("UPDATE actions SET first_version = :n WHERE id = :id"),
                     {"n": number, "id": action_id})


def downgrade() -> None:
    with op.batch_alter_table("meetings") as batch_op:
        batch_op.drop_column("no_plan_reason")
    with op.batch_alter_table("plans") as batch_op:
        batch_op.drop_column("others_part")
    with op.batch_alter_table("consents") as batch_op:
        batch_op.drop_column("withdrawn_scope")
        batch_op.drop_column("withdrawn_by")
    with op.batch_alter_table("actions") as batch_op:
        batch_op.drop_column("first_version")
