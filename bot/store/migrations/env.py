"""Alembic environment: run by bot.store.migrate with a connection already open."""

from alembic import context

from bot.store.tables import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
