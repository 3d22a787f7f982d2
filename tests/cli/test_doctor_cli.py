"""`helpdesk doctor`: ok / PROBLEM per check with what to do; exit 0 only when healthy."""

from __future__ import annotations

import json

from sqlalchemy import text as sql

ADA = "ada@example.com"


def test_a_desk_whose_worker_ran_is_healthy_and_exits_0(staffed):
    staffed("sla", "load", "data/sla.toml", who=ADA)
    assert staffed("ticket", "create", "-s", "Printer", "-b", "jammed", who=ADA).code == 0
    before = staffed("doctor")
    assert before.code == 1 and "PROBLEM  worker" in before.out and "never ran" in before.out
    assert "-> start `helpdesk worker`" in before.out and "1 problem found" in before.err
    assert staffed("worker", "--once").code == 0  # the worker's run stamps its heartbeat
    after = staffed("doctor")
    assert after.code == 0, after.out
    assert "ok  worker" in after.out and "last ran" in after.out and "healthy" in after.err


def test_json_lists_every_check_and_the_exit_code_says_unhealthy(staffed, db_path):
    staffed("ticket", "create", "-s", "Printer", "-b", "jammed", who=ADA)
    from helpdesk.db import open_desk

    desk = open_desk(db_path)
    desk.write(lambda s: s.execute(sql("DELETE FROM ticket_search")))
    desk.close()
    r = staffed("doctor", "--json")
    assert r.code == 1
    doc = json.loads(r.out)
    assert doc["healthy"] is False and doc["problems"] == 1
    assert [c["check"] for c in doc["checks"]] == ["schema", "integrity", "foreign_keys", "search", "sla", "outbox", "worker"]
    search = next(c for c in doc["checks"] if c["check"] == "search")
    assert search["state"] == "problem" and search["details"]["missing"] == [1] and search["advice"]


def test_repair_rebuilds_the_search_rows_as_an_admin(staffed, db_path):
    staffed("ticket", "create", "-s", "Printer", "-b", "jammed", who=ADA)
    from helpdesk.db import open_desk

    desk = open_desk(db_path)
    desk.write(lambda s: s.execute(sql("DELETE FROM ticket_search")))
    desk.close()
    assert staffed("doctor", "--repair", who="bob@example.com").code == 6  # agents may not
    r = staffed("doctor", "--repair", who=ADA)
    assert r.code == 0 and "1 tickets reindexed" in r.err
    assert staffed("ticket", "list", "printer", "--json").json()["tickets"][0]["id"] == 1


def test_no_database_is_not_found_and_nothing_is_created(cli, tmp_path):
    r = cli("--db", str(tmp_path / "none.db"), "doctor")
    assert r.code == 3 and "no database at" in r.err and "helpdesk init" in r.err
    assert not (tmp_path / "none.db").exists()


def test_the_doctor_looks_at_an_old_desk_without_upgrading_it(cli, tmp_path):
    from alembic import command
    from sqlalchemy import create_engine

    from helpdesk.db import alembic_config

    path = tmp_path / "old.db"
    engine = create_engine(f"sqlite:///{path}")
    cfg = alembic_config()
    cfg.attributes["engine"] = engine
    command.upgrade(cfg, "0005")
    r = cli("--db", str(path), "doctor")
    assert r.code == 1 and "PROBLEM  schema" in r.out and "revision 0005" in r.out
    with engine.connect() as conn:
        assert conn.execute(sql("SELECT version_num FROM alembic_version")).scalar() == "0005"
    engine.dispose()
