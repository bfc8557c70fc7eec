"""Runs the migrations on the connection that `fmnist_core.store.migrate.alembic_config` hands over."""

from alembic import context

from fmnist_core.store.tables import metadata

if context.is_offline_mode():
    raise RuntimeError("The run store's migrations run on a live connection only (no --sql).")

connection = context.config.attributes["connection"]
# SQLite cannot alter most of a table in place; batch mode copies it into a new one instead.
context.configure(connection=connection, target_metadata=metadata,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
