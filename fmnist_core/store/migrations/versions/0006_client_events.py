"""What one browser did lately (a seat started), so that limits hold across tabs, reloads and servers."""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    op.create_table(
        "client_events",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("client", sa.String(64), nullable=False),  # SHA-256 of the browser's id, never the id
        sa.Column("event", sa.String(16), nullable=False),  # "seat" (later also "code_miss")
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_client_events"),
    )
    op.create_index("ix_client_events_client", "client_events", ["client", "event", "at"])
    op.create_index("ix_client_events_at", "client_events", ["at"])


def downgrade() -> None:
    op.drop_index("ix_client_events_at", table_name="client_events")
    op.drop_index("ix_client_events_client", table_name="client_events")
    op.drop_table("client_events")
