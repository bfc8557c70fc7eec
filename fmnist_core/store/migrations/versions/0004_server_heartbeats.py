"""The app servers' heartbeats: a server silent too long is gone, and its unfinished runs with it."""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    op.create_table(
        "servers",
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("heard_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_servers"),
    )


def downgrade() -> None:
    op.drop_table("servers")
