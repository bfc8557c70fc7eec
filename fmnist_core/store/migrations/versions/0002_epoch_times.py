"""When each epoch ended (in the training) and when it was saved: how long saving takes in a class."""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    with op.batch_alter_table("epochs") as epochs:  # epochs saved before this revision have neither
        epochs.add_column(sa.Column("ended_at", sa.DateTime(timezone=True)))
        epochs.add_column(sa.Column("saved_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("epochs") as epochs:
        epochs.drop_column("saved_at")
        epochs.drop_column("ended_at")
