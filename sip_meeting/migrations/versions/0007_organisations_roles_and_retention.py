"""Organisations, roles, sign-in through an identity provider, and personal data that ends.

Revision ID: 0007
Revises: 0006

- organisations: a municipality, a region or a joint installation, with its sign-in and
  retention settings. The installation's existing accounts and plans go to organisation 1,
  which this migration creates; its administrator renames it.
- chairs: become accounts of an organisation, as chair and/or administrator, that may be
  deactivated, may sign in through the organisation's identity provider (no password then)
  and may be invited to choose a password.
- plans: belong to an organisation; a chair may keep one past the retention period with a
  reason; `purged_at` marks a plan whose personal data the purge removed.
- plan_shares: a plan shared with a colleague, who may then chair it.
- plan_versions.exported_at: the first export of a version for record-keeping.
- participants.erased_at: a person who asked to be erased.
- admin_events: the audit log of administrative actions.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "organisations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("local_login", sa.Boolean(), nullable=False),
        sa.Column("oidc_issuer", sa.String(length=500), nullable=False),
        sa.Column("oidc_client_id", sa.String(length=200), nullable=False),
        sa.Column("oidc_client_secret", sa.String(length=500), nullable=False),
        sa.Column("oidc_name_claim", sa.String(length=60), nullable=False),
        sa.Column("oidc_email_claim", sa.String(length=60), nullable=False),
        sa.Column("oidc_id_claim", sa.String(length=60), nullable=False),
        sa.Column("oidc_role_claim", sa.String(length=60), nullable=False),
        sa.Column("oidc_admin_values", sa.Text(), nullable=False),
        sa.Column("oidc_chair_values", sa.Text(), nullable=False),
        sa.Column("retention_months", sa.Integer(), nullable=False),
        sa.Column("purge_unexported", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("slug"),
        sqlite_autoincrement=True,
    )
    organisations = sa.table(
        "organisations", *(sa.column(c) for c in (
            "id", "slug", "name", "kind", "local_login", "oidc_issuer", "oidc_client_id",
            "oidc_client_secret", "oidc_name_claim", "oidc_email_claim", "oidc_id_claim",
            "oidc_role_claim", "oidc_admin_values", "oidc_chair_values", "retention_months",
            "purge_unexported", "created_at")))
    op.bulk_insert(organisations, [{
        "id": 1, "slug": "default", "name": "Organisation", "kind": "municipality",
        "local_login": True, "oidc_issuer": "", "oidc_client_id": "", "oidc_client_secret": "",
        "oidc_name_claim": "name", "oidc_email_claim": "email", "oidc_id_claim": "",
        "oidc_role_claim": "groups", "oidc_admin_values": "", "oidc_chair_values": "",
        "retention_months": 24, "purge_unexported": False,
        "created_at": datetime.now(UTC).replace(tzinfo=None),
    }])
    if op.get_bind().dialect.name == "postgresql":  # the row above was given its id by hand
        op.execute("SELECT setval(pg_get_serial_sequence('organisations', 'id'), 1)")

    with op.batch_alter_table("chairs") as batch_op:
        batch_op.add_column(sa.Column("organisation_id", sa.Integer(), nullable=False,
                                      server_default="1"))
        batch_op.add_column(sa.Column("is_chair", sa.Boolean(), nullable=False,
                                      server_default=sa.true()))
        batch_op.add_column(sa.Column("is_admin", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column("deactivated_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("oidc_subject", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("hsa_id", sa.String(length=64), nullable=False,
                                      server_default=""))
        batch_op.add_column(sa.Column("invite_token_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("invite_expires_at", sa.DateTime(), nullable=True))
        batch_op.alter_column("password_hash", existing_type=sa.String(length=255),
                              nullable=True)
        batch_op.create_foreign_key("fk_chairs_organisation_id_organisations", "organisations",
                                    ["organisation_id"], ["id"])
        batch_op.create_index("ix_chairs_organisation_id", ["organisation_id"])
        batch_op.create_unique_constraint("uq_chairs_organisation_id_oidc_subject",
                                          ["organisation_id", "oidc_subject"])
        batch_op.create_unique_constraint("uq_chairs_invite_token_hash", ["invite_token_hash"])
    with op.batch_alter_table("chairs") as batch_op:
        for column in ("organisation_id", "is_chair", "is_admin", "hsa_id"):
            batch_op.alter_column(column, server_default=None)

    with op.batch_alter_table("plans") as batch_op:
        batch_op.add_column(sa.Column("organisation_id", sa.Integer(), nullable=False,
                                      server_default="1"))
        batch_op.add_column(sa.Column("retain_until", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("retain_reason", sa.Text(), nullable=False,
                                      server_default=""))
        batch_op.add_column(sa.Column("purged_at", sa.DateTime(), nullable=True))
        batch_op.create_foreign_key("fk_plans_organisation_id_organisations", "organisations",
                                    ["organisation_id"], ["id"])
        batch_op.create_index("ix_plans_organisation_id", ["organisation_id"])
    with op.batch_alter_table("plans") as batch_op:
        batch_op.alter_column("organisation_id", server_default=None)

    with op.batch_alter_table("plan_versions") as batch_op:
        batch_op.add_column(sa.Column("exported_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("participants") as batch_op:
        batch_op.add_column(sa.Column("erased_at", sa.DateTime(), nullable=True))

    op.create_table(
        "plan_shares",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("chair_id", sa.Integer(), nullable=False),
        sa.Column("shared_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["plans.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["chair_id"], ["chairs.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["shared_by_id"], ["chairs.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("plan_id", "chair_id"),
    )
    op.create_index("ix_plan_shares_plan_id", "plan_shares", ["plan_id"])
    op.create_index("ix_plan_shares_chair_id", "plan_shares", ["chair_id"])

    op.create_table(
        "admin_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=120), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("target", sa.String(length=120), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["actor_id"], ["chairs.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_admin_events_organisation_id", "admin_events", ["organisation_id"])


def downgrade() -> None:
    op.drop_index("ix_admin_events_organisation_id", table_name="admin_events")
    op.drop_table("admin_events")
    op.drop_index("ix_plan_shares_chair_id", table_name="plan_shares")
    op.drop_index("ix_plan_shares_plan_id", table_name="plan_shares")
    op.drop_table("plan_shares")
    with op.batch_alter_table("participants") as batch_op:
        batch_op.drop_column("erased_at")
    with op.batch_alter_table("plan_versions") as batch_op:
        batch_op.drop_column("exported_at")
    with op.batch_alter_table("plans") as batch_op:
        batch_op.drop_index("ix_plans_organisation_id")
        batch_op.drop_constraint("fk_plans_organisation_id_organisations", type_="foreignkey")
        for column in ("purged_at", "retain_reason", "retain_until", "organisation_id"):
            batch_op.drop_column(column)
    with op.batch_alter_table("chairs") as batch_op:
        batch_op.drop_constraint("uq_chairs_invite_token_hash", type_="unique")
        batch_op.drop_constraint("uq_chairs_organisation_id_oidc_subject", type_="unique")
        batch_op.drop_index("ix_chairs_organisation_id")
        batch_op.drop_constraint("fk_chairs_organisation_id_organisations", type_="foreignkey")
        batch_op.alter_column("password_hash", existing_type=sa.String(length=255),
                              nullable=False)
        for column in ("invite_expires_at", "invite_token_hash", "hsa_id", "oidc_subject",
                       "deactivated_at", "is_admin", "is_chair", "organisation_id"):
            batch_op.drop_column(column)
    op.drop_table("organisations")
