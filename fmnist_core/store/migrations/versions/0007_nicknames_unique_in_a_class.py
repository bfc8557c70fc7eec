"""No two current members of a class share a nickname, case and spaces aside ("Ada", " ada ", "A da").

Each member gets its nickname's key (`class_rules.nickname_key`), and a unique index on the class and
the key of its current members holds on every server. In a class under way, a current member whose
nickname an earlier current member already has is renamed as a new one would be told to join
(`free_nickname`: "Ada 2"), so the board shows nobody under a classmate's name. (A run already
carries the class it was trained in, since 0003: ending a class deletes those runs, and no other.)"""

import sqlalchemy as sa
from alembic import op

from fmnist_core.store.class_rules import free_nickname, nickname_key

revision = "0007"
down_revision = "0006"

_members = sa.table("members", sa.column("id", sa.Integer), sa.column("class_id", sa.Integer),
                    sa.column("nickname", sa.Text), sa.column("nickname_key", sa.Text),
                    sa.column("left_at", sa.DateTime(timezone=True)))
CURRENT = sa.text("left_at IS NULL")


def upgrade() -> None:
    op.add_column("members", sa.Column("nickname_key", sa.Text))
    connection = op.get_bind()
    taken: dict[int, set[str]] = {}  # each class's keys of current members, in join order
    for member in connection.execute(sa.select(_members).order_by(_members.c.id)).all():
        nickname, key = member.nickname, nickname_key(member.nickname)
        if member.left_at is None:
            keys = taken.setdefault(member.class_id, set())
            if key in keys:
                nickname = free_nickname(nickname, keys)
                key = nickname_key(nickname)
            keys.add(key)
        connection.execute(sa.update(_members).where(_members.c.id == member.id)
                           .values(nickname=nickname, nickname_key=key))
    with op.batch_alter_table("members") as members:  # SQLite: a copy of the table, with it NOT NULL
        members.alter_column("nickname_key", existing_type=sa.Text, nullable=False)
    op.create_index("uq_members_current_nickname", "members", ["class_id", "nickname_key"], unique=True,
                    sqlite_where=CURRENT, postgresql_where=CURRENT)


def downgrade() -> None:
    op.drop_index("uq_members_current_nickname", table_name="members")
    with op.batch_alter_table("members") as members:
        members.drop_column("nickname_key")
