"""bench/stress.py, small: 3 processes x 30 operations (plus the worker) on each backend,
checked from the database alone; and the checker itself, shown to catch what it looks for.

The full run (8 x 500 on SQLite and PostgreSQL) is `python -m bench.stress`; its figures
are in the README ("Proven under load")."""

from __future__ import annotations

import os
from datetime import datetime, timezone

import pytest
from sqlalchemy import create_engine, text

from bench import stress, stress_check, stress_desk

PROCS, OPS = 3, 30
BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("HELPDESK_TEST_PG") else [])


@pytest.fixture(scope="module", params=BACKENDS)
def small_run(request, tmp_path_factory):
    out = tmp_path_factory.mktemp(f"stress-{request.param}")
    with pytest.MonkeyPatch.context() as mp:  # hermetic, as conftest's isolated_user
        mp.setenv("HELPDESK_CONFIG", str(out / "user-config.toml"))
        mp.setenv("XDG_DATA_HOME", str(out / "xdg-data"))
        mp.delenv("HELPDESK_AGENT", raising=False)
        report = stress.run(PROCS, OPS, request.param, seed=7, out=out, keep=True)
    url = report["url"]
    yield report, url, out
    if request.param == "postgresql":
        stress_desk.drop_postgres(url)


def test_a_small_stress_run_has_no_violations(small_run):
    report, _, _ = small_run
    assert report["violations"] == []
    assert report["operations"] == PROCS * OPS
    kinds = report["kinds"]
    assert kinds["create"]["ok"] > 0 and kinds["update_if"]["ok"] > 0
    checked = report["checked"]
    assert checked["clocks"] > 0 and checked["routed assignments"] > 0 and checked["updates"] > 0


def test_the_checker_finds_each_injected_violation(small_run):
    """A lost event, a version bumped without one, an SLA breach announced twice, a clock
    that no longer matches its history, and a "database is locked" in a process's output."""
    report, url, out = small_run
    engine = create_engine(url)
    with engine.begin() as conn:
        tid, token = conn.execute(text(
            "SELECT ticket_id, new FROM event WHERE field = 'field.stress' ORDER BY id LIMIT 1")).one()
        # the database refuses to delete an event (migration 0013): lift that to forge a lost one
        if conn.dialect.name == "sqlite":
            conn.execute(text("DROP TRIGGER event_no_delete"))
        else:
            conn.execute(text("DROP TRIGGER event_no_delete ON event"))
        conn.execute(text("DELETE FROM event WHERE field = 'field.stress' AND new = :t"), {"t": token})
        bumped = conn.execute(text("SELECT id FROM ticket WHERE id <> :t ORDER BY id LIMIT 1"), {"t": tid}).scalar()
        conn.execute(text("UPDATE ticket SET version = version + 1 WHERE id = :t"), {"t": bumped})
        for _ in range(2):  # one breach announced twice (after every policy change of the ticket)
            conn.execute(text(
                "INSERT INTO event (ticket_id, entity, entity_id, at, actor, field, old, new, reason) "
                "VALUES (:t, 'ticket', :t, :at, 'system', 'sla.breached', NULL, "
                "'resolution breached at 2026-01-01T00:00:00+00:00', 'SLA policy standard')"),
                {"t": tid, "at": datetime(2026, 1, 1, tzinfo=timezone.utc)})
        moved = conn.execute(text("SELECT ticket_id, kind FROM sla_clock ORDER BY ticket_id, kind LIMIT 1")).one()
        conn.execute(text("UPDATE sla_clock SET target_seconds = target_seconds + 7 WHERE ticket_id = :t AND kind = :k"),
                     {"t": moved[0], "k": moved[1]})
    engine.dispose()
    (out / "p9.stderr").write_text("sqlite3.OperationalError: database is locked\n")
    found = stress_check.check(url, out)
    said = "\n".join(found.violations)
    assert f"succeeded on #{tid}, its change is in the events nowhere" in said
    assert f"#{bumped} is at version" in said
    assert "fired 2 times" in said
    assert f"#{moved[0]} {moved[1]}: stored" in said
    assert "p9.stderr: sqlite3.OperationalError: database is locked" in said
