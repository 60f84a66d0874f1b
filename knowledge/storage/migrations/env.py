"""Alembic's environment for Guichet's database: always run from knowledge.storage.migrate with a connection
(there is no alembic.ini; `guichet db upgrade` and every start of the bot call it)."""

from alembic import context

from knowledge.storage.migrate import include_name
from knowledge.storage.tables import metadata

connection = context.config.attributes["connection"]


# SQLite cannot alter most columns in place: "batch" migrations copy the table, as Alembic recommends.
context.configure(connection=connection, target_metadata=metadata,
                  render_as_batch=connection.dialect.name == "sqlite", compare_type=True,
                  include_name=include_name)
with context.begin_transaction():
    context.run_migrations()
