"""Bringing a database up to the newest schema with Alembic, from code: no alembic.ini is needed.

A new revision, from a database at head: `alembic.command.revision(alembic_config(connection),
message="...", autogenerate=True)` writes it into `migrations/versions`.
"""

from pathlib import Path

from sqlalchemy.engine import Connection

MIGRATIONS = Path(__file__).with_name("migrations")


# Alembic is imported when a database is opened, not with the store: 0.1 s off every page's start.
def alembic_config(connection: Connection):
    """An Alembic config for these migrations that runs them on `connection` (see migrations/env.py)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


def upgrade(connection: Connection, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(connection), revision)
