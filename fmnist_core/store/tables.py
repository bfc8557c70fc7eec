"""The run store's tables, in SQLAlchemy Core; the migrations in `migrations/versions` build them.

A seat has runs; a run has one row per finished epoch, and its model's weights in a table of their
own, so that listing runs never reads megabytes of weights: each distinct set of weights once, under
its SHA-256, which runs trained alike (the same settings and seed) share. A class (a teacher's) has
members, each a seat with a nickname no other current member has; a run trained while its seat was a
current member carries the class, and goes with it. A seat has at most one write-up (the lesson's six
answers and the evidence ticked), which carries the class it was last saved or handed in under, and
goes with the seat and with that class. Each app server that shares the database has a heartbeat
row, so the others can tell when it is gone.
"""

from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.types import DateTime, TypeDecorator

# Named constraints, so a later migration (a batch one on SQLite especially) can refer to them.
metadata = MetaData(naming_convention={
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every database (SQLite itself keeps no time zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"A stored time must be timezone-aware; got {value!r}.")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utc_now() -> datetime:
    return datetime.now(UTC)


seats = Table(
    "seats", metadata,
    Column("id", Integer, primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),  # SHA-256, hex
    Column("code_hash", String(64), nullable=False, unique=True),  # scrypt, hex
    Column("code_prefix", String(3), nullable=True, index=True),  # the code's first 3 (None: an old seat)
    Column("code_salt", LargeBinary, nullable=True),  # the code's own salt (None: LEGACY_SALT)
    Column("token_locked", LargeBinary, nullable=False),
    Column("code_locked", LargeBinary, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False, index=True),
)

classes = Table(
    "classes", metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(6), nullable=False, unique=True),  # normalised, e.g. K7P2QX; not secret
    Column("teacher_key_hash", String(64), nullable=False, unique=True),  # SHA-256, hex
    Column("created_at", UTCDateTime, nullable=False),
    Column("plan_setting", String(64)),  # the one setting the class varies, or none
    Column("plan_values", Text),  # JSON list of its values as ExperimentConfig.to_query() texts
    Column("controls", Text, nullable=False, server_default="{}"),  # JSON {setting: "lock"|"hide"}
    Column("show_standing", Boolean, nullable=False, server_default=false()),
    Column("anonymous", Boolean, nullable=False, server_default=false()),
    Column("capacity", Integer, nullable=False),
    Column("write_first", Boolean, nullable=False, server_default=false()),  # write-up before training
)

members = Table(
    "members", metadata,
    Column("id", Integer, primary_key=True),  # its order is the join order
    Column("class_id", Integer, ForeignKey("classes.id", ondelete="CASCADE"), nullable=False),
    Column("seat_id", Integer, ForeignKey("seats.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("nickname", Text, nullable=False),
    Column("nickname_key", Text, nullable=False),  # class_rules.nickname_key: case and spaces aside
    Column("joined_at", UTCDateTime, nullable=False),
    Column("left_at", UTCDateTime),  # None while a current member
    Column("slot", Integer),  # index into the class's plan_values; None without a plan
    Column("seed", Integer, nullable=False),
    UniqueConstraint("class_id", "seat_id"),
    # No two current members of a class share a nickname, whichever server let them in.
    Index("uq_members_current_nickname", "class_id", "nickname_key", unique=True,
          sqlite_where=text("left_at IS NULL"), postgresql_where=text("left_at IS NULL")),
)

runs = Table(
    "runs", metadata,
    Column("id", Integer, primary_key=True),
    Column("seat_id", Integer, ForeignKey("seats.id", ondelete="CASCADE"), nullable=False),
    Column("run_id", String(64), nullable=False),
    Column("name", Text, nullable=False),
    Column("config", Text, nullable=False),  # JSON of ExperimentConfig.to_query()
    Column("server", String(200), nullable=False),  # which app server trains it
    Column("state", String(16), nullable=False, index=True),
    Column("created_at", UTCDateTime, nullable=False, index=True),
    Column("finished_at", UTCDateTime),
    Column("test_loss", Float),
    Column("test_accuracy", Float),
    Column("seconds", Float),
    Column("test_logits", LargeBinary),  # float16, (images, 10), row-major
    Column("class_id", Integer, ForeignKey("classes.id", ondelete="CASCADE"), index=True),
    Column("confusion", LargeBinary),  # int32, (10, 10): counts[true, predicted] on the test set
    UniqueConstraint("seat_id", "run_id"),
)

epochs = Table(
    "epochs", metadata,
    Column("run", Integer, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("epoch", Integer, primary_key=True),
    Column("loss", Float, nullable=False),
    Column("accuracy", Float, nullable=False),
    Column("val_loss", Float, nullable=False),
    Column("val_accuracy", Float, nullable=False),
    Column("seconds", Float, nullable=False),
    Column("ended_at", UTCDateTime),  # when the training finished the epoch
    Column("saved_at", UTCDateTime),  # when it reached the database
)

models = Table(  # each distinct set of weights once, however many runs have it
    "models", metadata,
    Column("digest", String(64), primary_key=True),  # SHA-256 of data, hex
    Column("data", LargeBinary, nullable=False),  # opaque: whatever the model saver wrote
)

run_models = Table(
    "run_models", metadata,
    Column("run", Integer, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("model", String(64), ForeignKey("models.digest"), nullable=False, index=True),
)

writeups = Table(  # one a seat: the lesson's write-up
    "writeups", metadata,
    Column("seat_id", Integer, ForeignKey("seats.id", ondelete="CASCADE"), primary_key=True),
    # The class it was last saved or handed in under (None: none), whose end deletes it.
    Column("class_id", Integer, ForeignKey("classes.id", ondelete="CASCADE"), index=True),
    Column("answers", Text, nullable=False),  # JSON {"1": Markdown text, …}: the questions written
    Column("evidence", Text, nullable=False),  # JSON list of the keys ticked, sorted: ["1:data", …]
    Column("updated_at", UTCDateTime, nullable=False),  # an answer or the evidence last changed
    Column("handed_in_at", UTCDateTime),  # None until handed in (again after a move to another class)
    Column("checked_against", Text),  # what its hints compared it with at the hand-in: opaque JSON
)

servers = Table(
    "servers", metadata,
    Column("name", String(200), primary_key=True),  # as in runs.server: host:port
    Column("heard_at", UTCDateTime, nullable=False),  # its last heartbeat, by the database's clock
)

client_events = Table(  # what one browser did lately, for limits that hold across tabs and servers
    "client_events", metadata,
    Column("id", Integer, primary_key=True),
    Column("client", String(64), nullable=False),  # SHA-256 of the browser's own id, hex
    Column("event", String(16), nullable=False),  # e.g. "seat": it started a seat
    Column("at", UTCDateTime, nullable=False, index=True),
    Index("ix_client_events_client", "client", "event", "at"),
)
