"""A throwaway PostgreSQL database on the HELPDESK_TEST_PG server, as conftest's `db_url` makes one."""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager

import pytest


def pg_url() -> str | None:
    return os.environ.get("HELPDESK_TEST_PG")


needs_pg = pytest.mark.skipif(not pg_url(), reason="HELPDESK_TEST_PG names no PostgreSQL server")


@contextmanager
def throwaway_database(prefix: str = "helpdesk_test"):
    """Yields the URL of a new empty database, dropped afterwards."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(pg_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(pg_url()).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
