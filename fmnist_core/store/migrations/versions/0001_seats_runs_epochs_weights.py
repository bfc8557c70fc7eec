"""Seats, their runs, each run's epochs, and the weights of a seat's newest runs."""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "seats",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("token_locked", sa.LargeBinary, nullable=False),
        sa.Column("code_locked", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_seats"),
        sa.UniqueConstraint("token_hash", name="uq_seats_token_hash"),
        sa.UniqueConstraint("code_hash", name="uq_seats_code_hash"),
    )
    op.create_index("ix_seats_last_seen_at", "seats", ["last_seen_at"])
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("seat_id", sa.Integer, nullable=False),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("config", sa.Text, nullable=False),
        sa.Column("server", sa.String(200), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("test_loss", sa.Float),
        sa.Column("test_accuracy", sa.Float),
        sa.Column("seconds", sa.Float),
        sa.Column("test_logits", sa.LargeBinary),
        sa.PrimaryKeyConstraint("id", name="pk_runs"),
        sa.ForeignKeyConstraint(["seat_id"], ["seats.id"], name="fk_runs_seat_id_seats",
                                ondelete="CASCADE"),
        sa.UniqueConstraint("seat_id", "run_id", name="uq_runs_seat_id"),
    )
    op.create_index("ix_runs_state", "runs", ["state"])
    op.create_index("ix_runs_created_at", "runs", ["created_at"])
    op.create_table(
        "epochs",
        sa.Column("run", sa.Integer, nullable=False),
        sa.Column("epoch", sa.Integer, nullable=False),
        sa.Column("loss", sa.Float, nullable=False),
        sa.Column("accuracy", sa.Float, nullable=False),
        sa.Column("val_loss", sa.Float, nullable=False),
        sa.Column("val_accuracy", sa.Float, nullable=False),
        sa.Column("seconds", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("run", "epoch", name="pk_epochs"),
        sa.ForeignKeyConstraint(["run"], ["runs.id"], name="fk_epochs_run_runs", ondelete="CASCADE"),
    )
    op.create_table(
        "weights",
        sa.Column("run", sa.Integer, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.PrimaryKeyConstraint("run", name="pk_weights"),
        sa.ForeignKeyConstraint(["run"], ["runs.id"], name="fk_weights_run_runs", ondelete="CASCADE"),
    )


def downgrade() -> None:
    op.drop_table("weights")
    op.drop_table("epochs")
    op.drop_table("runs")
    op.drop_table("seats")
