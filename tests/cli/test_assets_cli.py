"""`helpdesk asset ...`, `ticket ... --asset`, `contact show|note`, `org show|note`,
`import --assets` and the worker's warranty notice, as a user types them."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import openpyxl
import pytest
import time_machine

ADA, BOB = "ada@example.com", "bob@example.com"
NOW = datetime(2026, 12, 7, 10, 0, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def add(cli, *args):
    return cli("asset", "add", *args, who=BOB)


def test_add_show_list_and_a_duplicate_serial_exits_4_naming_it(staffed):
    assert add(staffed, "--serial", " ab-1 ", "--model", "ThinkPad X1", "--owner", "ann@acme.com",
               "--purchased", "2026-01-07", "--warranty-months", "12").code == 0
    dup = add(staffed, "--serial", "AB-1", "--model", "Other")
    assert dup.code == 4 and "'ab-1' already exists" in dup.err and "'AB-1'" in dup.err
    shown = staffed("asset", "show", "Ab-1", "--json").json()
    assert (shown["serial"], shown["owner"]["email"], shown["warranty"], shown["warranty_end"]) == \
        ("ab-1", "ann@acme.com", "in", "2027-01-06")
    human = staffed("asset", "show", "AB-1")
    assert "in until 2027-01-06 (30d left), 12 months" in human.out and "repair history: 0 tickets" in human.out
    assert staffed("asset", "show", "nope").code == 3
    listed = staffed("asset", "list", "--json").json()
    assert (listed["total"], listed["assets"][0]["serial"]) == (1, "ab-1")
    csv_out = staffed("asset", "list", "thinkpad", "--csv").out.splitlines()
    assert csv_out[0] == "serial,model,status,owner,organization,purchased,warranty_end,warranty"
    assert csv_out[1].startswith("ab-1,ThinkPad X1,active,ann@acme.com")


def test_bad_dates_and_both_warranty_forms_exit_5_naming_the_field(staffed):
    bad = add(staffed, "--serial", "X", "--purchased", "2026-02-30")
    assert bad.code == 5 and "purchased:" in bad.err
    both = add(staffed, "--serial", "X", "--purchased", "2026-01-01", "--warranty-months", "12",
               "--warranty-end", "2027-01-01", "--json")
    assert both.code == 5 and json.loads(both.err)["field"] == "warranty"
    assert staffed("asset", "list", "--json").json()["total"] == 0


def test_expiring_lists_only_the_eleven_month_old_asset(staffed):
    for serial, bought in (("ELEVEN", "2026-01-07"), ("THIRTEEN", "2025-11-07"), ("TEN", "2026-02-07")):
        assert add(staffed, "--serial", serial, "--purchased", bought, "--warranty-months", "12").code == 0
    out = staffed("asset", "expiring", "--days", "30", "--json").json()
    assert [a["serial"] for a in out["assets"]] == ["ELEVEN"]
    assert "ELEVEN" in staffed("asset", "expiring", "--days", "30").out


def test_worker_once_twice_sends_the_notice_once(staffed):
    add(staffed, "--serial", "ELEVEN", "--purchased", "2026-01-07", "--warranty-months", "12")
    first = staffed("worker", "--once", "--json", who=ADA).json()
    second = staffed("worker", "--once", "--json", who=ADA).json()
    assert (first["warranty-notices"]["assets"], second["warranty-notices"]["assets"]) == (1, 0)
    notes = staffed("notifications", "--json", who=ADA).json()
    items = notes["notifications"] if isinstance(notes, dict) else notes
    assert [n["kind"] for n in items].count("warranty") == 1


def test_ticket_asset_in_json_updates_jsonl_and_queries(staffed):
    add(staffed, "--serial", "SN-1", "--model", "HP M404", "--warranty-end", "2026-11-30")
    made = staffed("ticket", "create", "-s", "Jams", "--asset", "sn-1", "--json", who=BOB).json()
    assert made["asset"] == {"serial": "SN-1", "model": "HP M404", "warranty": "expired", "warranty_end": "2026-11-30"}
    other = staffed("ticket", "create", "-s", "Other", "--quiet", who=BOB).out.strip()
    changed = staffed("ticket", "update", other, "--asset", "SN-1", "--json", who=BOB).json()
    assert changed["changed"]["asset"] == {"old": None, "new": "SN-1"}
    assert "asset: SN-1 (HP M404)    warranty expired 2026-11-30" in staffed("ticket", "show", other).out
    lines = '{"subject": "From lines", "asset": "sn-1"}\n{"subject": "Shape of show", "asset": {"serial": "SN-1"}}\n'
    assert staffed("ticket", "create", "--from", "-", who=BOB, stdin=lines).code == 0
    bad = staffed("ticket", "create", "--from", "-", who=BOB, stdin='{"subject": "x", "asset": "NOPE"}\n')
    assert bad.code == 5 and "line 1: asset: no asset with serial 'NOPE'" in bad.err
    found = staffed("ticket", "list", "asset:sn-1 warranty:expired", "--json").json()
    assert found["total"] == 4
    assert staffed("ticket", "list", "warranty:soon").code == 5
    history = staffed("asset", "show", "sn-1", "--json").json()
    assert history["repairs"] == 4 and history["repair_history"][0]["subject"] == "Shape of show"
    assert staffed("ticket", "update", other, "--asset", "none", "--json", who=BOB).json()["asset"] is None
    assert staffed("ticket", "update", other, "--asset", "NOPE", who=BOB).code == 3


def test_asset_update_status_and_warranty_extension(staffed):
    add(staffed, "--serial", "SN-2", "--purchased", "2026-01-07", "--warranty-months", "12")
    done = staffed("asset", "update", "sn-2", "--status", "in_repair", "--warranty-end", "2028-01-06", "--json", who=BOB)
    data = done.json()
    assert (data["status"], data["warranty_end"], data["warranty_months"]) == ("in_repair", "2028-01-06", None)
    assert data["changed"]["status"] == {"old": "active", "new": "in_repair"}
    assert staffed("asset", "update", "sn-2", who=BOB).code == 2


def test_contact_360_and_notes(staffed):
    staffed("contact", "add", "ann@acme.com", "--name", "Ann", "--org", "Acme", who=BOB)
    add(staffed, "--serial", "SN-1", "--owner", "ann@acme.com", "--warranty-end", "2027-01-01")
    staffed("ticket", "create", "-s", "Broken", "-r", "ann@acme.com", "--asset", "SN-1", who=BOB)
    assert staffed("contact", "note", "ann@acme.com", "--body", "-", who=BOB, stdin="Calls after 14:00\n").code == 0
    assert staffed("contact", "note", "ann@acme.com", "--body", " ", who=BOB).code == 5
    assert staffed("contact", "note", "nobody@x.com", "--body", "x", who=BOB).code == 3
    data = staffed("contact", "show", "ann@acme.com", "--json").json()
    assert data["organization"] == {"name": "Acme", "tier": None} and (data["open"], data["solved"]) == (1, 0)
    assert data["tickets"][0]["asset"] == "SN-1" and data["assets"][0]["warranty"] == "in"
    assert (data["notes"][0]["author"], data["notes"][0]["body"]) == (BOB, "Calls after 14:00")
    staffed("contact", "note", "ann@acme.com", "--body", "\x1b[31mred\x1b[0m [b]x[/b]", who=BOB)
    human = staffed("contact", "show", "ann@acme.com").out
    assert "1 open, 0 solved" in human and "SN-1" in human and "Calls after 14:00" in human
    assert "red [b]x[/b]" in human and "\x1b" not in human  # shown literally, escapes removed


def test_org_show_and_note(staffed):
    staffed("contact", "add", "ann@acme.com", "--name", "Ann", "--org", "Acme", "--tier", "vip", who=BOB)
    add(staffed, "--serial", "PR-1", "--org", "acme")
    staffed("ticket", "create", "-s", "Toner", "-r", "ann@acme.com", who=BOB)
    assert staffed("org", "note", "ACME", "--body", "Renewal in March", who=BOB).code == 0
    data = staffed("org", "show", "acme", "--json").json()
    assert [c["email"] for c in data["contacts"]] == ["ann@acme.com"] and data["open"] == 1
    assert [a["serial"] for a in data["assets"]] == ["PR-1"] and data["notes"][0]["body"] == "Renewal in March"
    assert "Renewal in March" in staffed("org", "show", "Acme").out
    assert staffed("org", "show", "Initech").code == 3


def write_xlsx(path, rows):
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def test_import_assets_all_or_nothing_with_errors_by_row_and_field(staffed, tmp_path):
    rows = [["序列号", "型号", "客户邮箱", "公司", "购买日期", "保修期(月)", "保修截止", "状态"],
            ["SN-9001", "HP M404", "li@acme.cn", "Acme", datetime(2026, 3, 1), 24, None, "在用"],
            ["SN-9002", "Dell U2720", "wang@acme.cn", "Acme", "2026-05-01", None, "2027-05-01", "维修中"],
            [" sn-9001 ", "dup", None, None, None, None, None, None],
            ["SN-9003", "X", "not-an-email", None, None, None, None, None],
            ["SN-9004", "Y", None, None, "2026-13-01", None, None, None]]
    path = write_xlsx(tmp_path / "设备台账.xlsx", rows)
    dry = staffed("import", str(path), "--assets", "--dry-run", "--json", who=BOB)
    assert dry.code == 5
    report = dry.json()
    assert report["created"] == 2 and report["dry_run"]
    assert report["errors"] == [
        {"row": 4, "field": "serial", "reason": "'sn-9001' is also on row 2"},
        {"row": 5, "field": "owner", "reason": "'not-an-email' is not an email address"},
        {"row": 6, "field": "purchased", "reason": "'2026-13-01' is not a real date"}]
    real = staffed("import", str(path), "--assets", who=BOB)
    assert real.code == 5 and "row 5, owner:" in real.err and "nothing was imported" in real.err
    assert staffed("asset", "list", "--json").json()["total"] == 0  # nothing half-written
    path = write_xlsx(tmp_path / "good.xlsx", rows[:3])
    assert staffed("import", str(path), "--assets", "--dry-run", who=BOB).code == 0
    assert staffed("asset", "list", "--json").json()["total"] == 0
    done = staffed("import", str(path), "--assets", "--json", who=BOB).json()
    assert (done["created"], done["errors"]) == (2, [])
    again = staffed("import", str(path), "--assets", "--json", who=BOB).json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2)
    sn = staffed("asset", "show", "sn-9001", "--json").json()
    assert (sn["organization"], sn["warranty_end"], sn["status"]) == ("Acme", "2028-02-29", "active")
    assert staffed("asset", "show", "SN-9002", "--json").json()["status"] == "in_repair"


def test_import_assets_needs_a_serial_column(staffed, tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("model,owner\nX,a@b.cn\n", encoding="utf-8")
    done = staffed("import", str(path), "--assets", who=BOB)
    assert done.code == 5 and "no serial column" in done.err


def test_help_has_examples(staffed):
    for args in (["asset", "add"], ["asset", "expiring"], ["org", "show"], ["contact", "note"]):
        out = staffed(*args, "--help").out
        assert "Example" in out, args
