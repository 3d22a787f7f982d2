"""Alembic environment: the engine comes from `helpdesk.db.alembic_config`."""

from alembic import context
from sqlmodel import SQLModel

import helpdesk.models  # noqa: F401  (registers the tables)

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    shared = config.attributes.get("connection")
    if shared is not None:  # the caller's transaction (migrate-db): it commits, not us
        context.configure(connection=shared, target_metadata=target_metadata, render_as_batch=True)
        context.run_migrations()
        return
    engine = config.attributes.get("engine")
    if engine is None:
        from sqlalchemy import create_engine

        engine = create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
