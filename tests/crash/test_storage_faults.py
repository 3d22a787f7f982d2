"""A full disk or a read-only database file: one clear line, exit 1, nothing lost; then the job can finish."""

from __future__ import annotations

import pytest

from tests.crash import crash_support as crash
from tests.crash.conftest import SIZE

COUNTED = ("ticket", "message", "event", "ticket_tag", "sla_clock", "contact")


def contents(db) -> dict:
    return {table: crash.scalar(db, f"SELECT count(*) FROM {table}") for table in COUNTED} | {
        "revision": crash.scalar(db, "SELECT version_num FROM alembic_version"),
        "urgent": crash.scalar(db, "SELECT count(*) FROM ticket WHERE priority IN ('urgent', 'high')")}


def faulted(name, templates, tmp_path, fault: dict, words: str):
    job = crash.JOBS[name]
    folder = crash.copy_desk(templates(name)[0], tmp_path / "desk")
    db = folder / "desk.db"
    before = contents(db)
    faults = dict(fault)
    if "HELPDESK_TEST_READONLY" in faults:
        faults["HELPDESK_TEST_READONLY"] = str(db)
    if "HELPDESK_TEST_MAX_PAGES" in faults:  # no room to grow
        faults["HELPDESK_TEST_MAX_PAGES"] = str(crash.scalar(db, "PRAGMA page_count"))
    run = crash.child(job.argv(folder), extra_env=faults)
    assert run.returncode == 1, (run.returncode, run.stderr)
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("helpdesk: ") and words in lines[0], run.stderr
    assert "Traceback" not in run.stderr and "[SQL:" not in run.stderr
    assert contents(db) == before  # nothing half-written, nothing lost
    assert crash.whole_or_absent(db) == []
    code, _out, err = crash.cli(*job.argv(folder))  # room again: the same command finishes the job
    assert code == 0, err
    assert crash.job_done(job, db, SIZE) == []


@pytest.mark.parametrize("name", list(crash.JOBS))
def test_a_full_disk_says_so_in_one_line_and_loses_nothing(name, templates, tmp_path):
    faulted(name, templates, tmp_path, {"HELPDESK_TEST_MAX_PAGES": "?"}, "the disk is full")


@pytest.mark.parametrize("name", ["lines", "bulk", "migration"])
def test_a_read_only_database_says_so_in_one_line_and_loses_nothing(name, templates, tmp_path):
    faulted(name, templates, tmp_path, {"HELPDESK_TEST_READONLY": "?"}, "is read-only")


def test_the_doctor_reads_a_read_only_desk(templates, tmp_path):
    folder = crash.copy_desk(templates("lines")[0], tmp_path / "desk")
    db = folder / "desk.db"
    run = crash.child(["--db", str(db), "doctor"], extra_env={"HELPDESK_TEST_READONLY": str(db)})
    assert run.returncode in (0, 1) and "ok  integrity" in run.stdout and "ok  search" in run.stdout, run.stderr
