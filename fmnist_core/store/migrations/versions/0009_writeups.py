"""Each seat's write-up of the lesson (its six answers, the evidence ticked, when it was handed in,
under which class and checked against what), and a class option that asks its students to write
before they train."""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"


def upgrade() -> None:
    # The classes made before do not ask it.
    with op.batch_alter_table("classes") as table:
        table.add_column(sa.Column("write_first", sa.Boolean, nullable=False, server_default=sa.false()))
    op.create_table(
        "writeups",
        sa.Column("seat_id", sa.Integer, nullable=False),
        sa.Column("class_id", sa.Integer),
        sa.Column("answers", sa.Text, nullable=False),
        sa.Column("evidence", sa.Text, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("handed_in_at", sa.DateTime(timezone=True)),
        sa.Column("checked_against", sa.Text),
        sa.PrimaryKeyConstraint("seat_id", name="pk_writeups"),
        sa.ForeignKeyConstraint(["seat_id"], ["seats.id"], name="fk_writeups_seat_id_seats",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["class_id"], ["classes.id"], name="fk_writeups_class_id_classes",
                                ondelete="CASCADE"),
    )
    op.create_index("ix_writeups_class_id", "writeups", ["class_id"])


def downgrade() -> None:
    with op.batch_alter_table("classes") as table:
        table.drop_column("write_first")
    op.drop_index("ix_writeups_class_id", table_name="writeups")
    op.drop_table("writeups")
