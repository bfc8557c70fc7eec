"""Classes (a teacher's code and key, plan and options), their members, and each run's class and
confusion matrix."""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.create_table(
        "classes",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("code", sa.String(6), nullable=False),
        sa.Column("teacher_key_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("plan_setting", sa.String(64)),
        sa.Column("plan_values", sa.Text),
        sa.Column("controls", sa.Text, nullable=False, server_default="{}"),
        sa.Column("show_standing", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("anonymous", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("capacity", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_classes"),
        sa.UniqueConstraint("code", name="uq_classes_code"),
        sa.UniqueConstraint("teacher_key_hash", name="uq_classes_teacher_key_hash"),
    )
    op.create_table(
        "members",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("class_id", sa.Integer, nullable=False),
        sa.Column("seat_id", sa.Integer, nullable=False),
        sa.Column("nickname", sa.Text, nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("left_at", sa.DateTime(timezone=True)),
        sa.Column("slot", sa.Integer),
        sa.Column("seed", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_members"),
        sa.ForeignKeyConstraint(["class_id"], ["classes.id"], name="fk_members_class_id_classes",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["seat_id"], ["seats.id"], name="fk_members_seat_id_seats",
                                ondelete="CASCADE"),
        sa.UniqueConstraint("class_id", "seat_id", name="uq_members_class_id"),
    )
    op.create_index("ix_members_seat_id", "members", ["seat_id"])
    # On SQLite this copies runs into a new table; RunStore migrates with SQLite's foreign keys off,
    # or dropping the old runs would cascade to every epoch and weight (see RunStore._migrate).
    with op.batch_alter_table("runs") as runs:  # runs stored before this revision have neither
        runs.add_column(sa.Column("class_id", sa.Integer))
        runs.add_column(sa.Column("confusion", sa.LargeBinary))
        runs.create_foreign_key("fk_runs_class_id_classes", "classes", ["class_id"], ["id"],
                                ondelete="CASCADE")
        runs.create_index("ix_runs_class_id", ["class_id"])


def downgrade() -> None:
    with op.batch_alter_table("runs") as runs:
        runs.drop_index("ix_runs_class_id")
        runs.drop_constraint("fk_runs_class_id_classes", type_="foreignkey")
        runs.drop_column("confusion")
        runs.drop_column("class_id")
    op.drop_index("ix_members_seat_id", table_name="members")
    op.drop_table("members")
    op.drop_table("classes")
