"""Seat codes of 8 characters, each hashed with a salt of its own and found by its first 3."""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"


def upgrade() -> None:
    # The seats made before keep their 6-character code, hashed with the one salt (both columns None).
    with op.batch_alter_table("seats") as table:
        table.add_column(sa.Column("code_prefix", sa.String(3), nullable=True))
        table.add_column(sa.Column("code_salt", sa.LargeBinary, nullable=True))
        table.create_index("ix_seats_code_prefix", ["code_prefix"])


def downgrade() -> None:
    with op.batch_alter_table("seats") as table:
        table.drop_index("ix_seats_code_prefix")
        table.drop_column("code_salt")
        table.drop_column("code_prefix")
