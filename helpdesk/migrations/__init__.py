"""Alembic revisions. Never edit a revision that has landed; add a new one.

`HEAD` lets start-up check the schema without importing alembic; a test keeps
it equal to the newest revision."""

HEAD = "0015"
