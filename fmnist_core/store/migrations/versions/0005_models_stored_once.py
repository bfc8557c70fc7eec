"""A model's weights are stored once, however many runs have them: a run answered at once from an
identical earlier one (or trained again with the same settings and seed) refers to the same bytes.

`models` holds each distinct set of weights under its SHA-256; `run_models` says which a run has.
The old `weights` table (a copy per run) is moved over and dropped."""

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"

_weights = sa.table("weights", sa.column("run", sa.Integer), sa.column("data", sa.LargeBinary))
_models = sa.table("models", sa.column("digest", sa.String), sa.column("data", sa.LargeBinary))
_run_models = sa.table("run_models", sa.column("run", sa.Integer), sa.column("model", sa.String))


def upgrade() -> None:
    op.create_table(
        "models",
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.PrimaryKeyConstraint("digest", name="pk_models"),
    )
    op.create_table(
        "run_models",
        sa.Column("run", sa.Integer, nullable=False),
        sa.Column("model", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("run", name="pk_run_models"),
        sa.ForeignKeyConstraint(["run"], ["runs.id"], name="fk_run_models_run_runs", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["model"], ["models.digest"], name="fk_run_models_model_models"),
    )
    op.create_index("ix_run_models_model", "run_models", ["model"])
    connection = op.get_bind()
    stored: set[str] = set()
    for run in connection.scalars(sa.select(_weights.c.run)).all():  # one model in memory at a time
        data = connection.scalar(sa.select(_weights.c.data).where(_weights.c.run == run))
        digest = hashlib.sha256(data).hexdigest()
        if digest not in stored:
            connection.execute(sa.insert(_models).values(digest=digest, data=data))
            stored.add(digest)
        connection.execute(sa.insert(_run_models).values(run=run, model=digest))
    op.drop_table("weights")


def downgrade() -> None:
    op.create_table(
        "weights",
        sa.Column("run", sa.Integer, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.PrimaryKeyConstraint("run", name="pk_weights"),
        sa.ForeignKeyConstraint(["run"], ["runs.id"], name="fk_weights_run_runs", ondelete="CASCADE"),
    )
    op.execute(sa.insert(_weights).from_select(
        ["run", "data"], sa.select(_run_models.c.run, _models.c.data)
        .select_from(_run_models.join(_models, _run_models.c.model == _models.c.digest))))
    op.drop_index("ix_run_models_model", table_name="run_models")
    op.drop_table("run_models")
    op.drop_table("models")
