"""A run's weights, stored once per distinct content (`models`, by SHA-256) and shared by the runs
that have it (`run_models`): an identical run costs a row, not megabytes."""

import hashlib

from sqlalchemy import delete, exists, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from fmnist_core.store.tables import models, run_models


def keep_weights(connection: Connection, run: int, data: bytes) -> None:
    """Gives the run (its row id) these weights, storing them unless they are stored already."""
    digest = hashlib.sha256(data).hexdigest()
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    # Two servers may store the same weights at once: the second insert does nothing.
    connection.execute(dialect.insert(models).values(digest=digest, data=data)
                       .on_conflict_do_nothing(index_elements=["digest"]))
    connection.execute(delete(run_models).where(run_models.c.run == run))
    connection.execute(insert(run_models).values(run=run, model=digest))


def drop_unused_weights(connection: Connection) -> None:
    """Deletes the weights that no run has any more (after runs, or their weights, were deleted)."""
    connection.execute(delete(models).where(~exists().where(run_models.c.model == models.c.digest)))
