"""Ids never reused, no-change answers kept, sessions and live connections on the server.

Revision ID: 0005
Revises: 0004

- SQLite tables whose ids reach clients or links become AUTOINCREMENT (rebuilt in batch
  mode, with foreign keys off as Alembic's connection has them), and each table's counter
  starts above every id the audit trail shows was ever used, removed items included.
- operations.seq may be empty: an operation that changed nothing keeps its answer for a
  resend without taking a place in the meeting's sequence.
- audit_events gets an index on (entity, entity_id, field, id): finding an item's last edit and
  whether it was removed.
- browser_sessions, live_servers, live_connections: sessions that end on logout, and
  presence that survives a crashed process; participants.connections goes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# table -> the audit trail's name for its rows (None: not audited by id)
NEVER_REUSE = {
    "plans": "plan", "meetings": "meeting", "participants": "participant", "goals": "goal",
    "actions": "action", "consents": "consent", "term_requests": None,
    "term_explanations": None,
}


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade() -> None:
    if _sqlite():
        bind = op.get_bind()
        for table, entity in NEVER_REUSE.items():
            with op.batch_alter_table(table, recreate="always",
                                      table_kwargs={"sqlite_autoincrement": True}):
                pass
            highest = bind.execute(sa.text(f"SELECT coalesce(max(id), 0) FROM {table}")).scalar()
            if entity is not None:
                audited = bind.execute(sa.text(
                    "SELECT coalesce(max(entity_id), 0) FROM audit_events WHERE entity = :e"
                ), {"e": entity}).scalar()
                highest = max(highest, audited)
            bind.execute(sa.text("DELETE FROM sqlite_sequence WHERE name = :t"), {"t": table})
            bind.execute(sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES (:t, :n)"),
                         {"t": table, "n": highest})
    with op.batch_alter_table("operations") as batch_op:
        batch_op.alter_column("seq", existing_type=sa.Integer(), nullable=True)
    with op.batch_alter_table("audit_events") as batch_op:
        batch_op.create_index("ix_audit_events_entity",
                              ["entity", "entity_id", "field", "id"], unique=False)
    with op.batch_alter_table("participants") as batch_op:
        batch_op.drop_column("connections")
    op.create_table(
        "browser_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("chair_id", sa.Integer(), nullable=True),
        sa.Column("tokens", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["chair_id"], ["chairs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key_hash"),
        sqlite_autoincrement=True,  # ids of ended sessions are never given to new ones
    )
    op.create_index("ix_browser_sessions_chair_id", "browser_sessions", ["chair_id"])
    op.create_table(
        "live_servers",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("seen_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "live_connections",
        sa.Column("sid", sa.String(length=64), nullable=False),
        sa.Column("server_id", sa.String(length=32), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=True),
        sa.Column("chair_id", sa.Integer(), nullable=True),
        sa.Column("browser_session_id", sa.Integer(), nullable=True),
        sa.Column("connected_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["server_id"], ["live_servers.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["participant_id"], ["participants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("sid"),
    )
    op.create_index("ix_live_connections_server_id", "live_connections", ["server_id"])
    op.create_index("ix_live_connections_meeting_id", "live_connections", ["meeting_id"])
    op.create_index("ix_live_connections_participant_id", "live_connections",
                    ["participant_id"])
    op.create_index("ix_live_connections_browser_session_id", "live_connections",
                    ["browser_session_id"])


def downgrade() -> None:
    op.drop_table("live_connections")
    op.drop_table("live_servers")
    op.drop_index("ix_browser_sessions_chair_id", table_name="browser_sessions")
    op.drop_table("browser_sessions")
    with op.batch_alter_table("participants") as batch_op:
        batch_op.add_column(sa.Column("connections", sa.Integer(), nullable=False,
                                      server_default="0"))
    with op.batch_alter_table("audit_events") as batch_op:
        batch_op.drop_index("ix_audit_events_entity")
    op.execute("DELETE FROM operations WHERE seq IS NULL")
    with op.batch_alter_table("operations") as batch_op:
        batch_op.alter_column("seq", existing_type=sa.Integer(), nullable=False)
