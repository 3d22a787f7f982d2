"""helpdesk.db: storage failures read as one sentence; a migration's backup never blocks a rerun."""

from __future__ import annotations

import sqlite3

import time_machine

from helpdesk.db import StorageError, backup_before_migration, open_desk, storage_error


def test_a_full_disk_is_found_behind_the_failed_savepoint_rollback_it_caused():
    try:
        try:
            raise sqlite3.OperationalError("database or disk is full")
        except sqlite3.OperationalError:
            raise sqlite3.OperationalError("no such savepoint: sa_savepoint_7")  # SQLite rolled back already
    except sqlite3.OperationalError as exc:
        found = storage_error(exc, "sqlite:////srv/desk.db")
    assert isinstance(found, StorageError) and found.exit_code == 1
    assert found.message.startswith("the disk is full") and "nothing stored was lost" in found.message


def test_a_read_only_file_names_the_file_and_other_errors_are_left_alone():
    found = storage_error(sqlite3.OperationalError("attempt to write a readonly database"), "sqlite:////srv/desk.db")
    assert "/srv/desk.db is read-only" in found.message
    assert storage_error(sqlite3.OperationalError("no such table: ticket"), "sqlite:////srv/desk.db") is None


def test_two_migration_backups_within_one_second_are_both_kept(tmp_path):
    desk = open_desk(str(tmp_path / "desk.db"))
    try:
        with time_machine.travel("2026-12-07 10:00:00+00:00", tick=False):
            first = backup_before_migration(desk, "0005")
            second = backup_before_migration(desk, "0005")  # a rerun after a failed migration
    finally:
        desk.close()
    assert first != second and first.exists() and second.exists()
