"""`helpdesk import`: options, output, exit codes."""

from __future__ import annotations

import csv

BOB = "bob@example.com"


def sheet(tmp_path, rows, name="t.csv"):
    path = tmp_path / name
    with open(path, "w", encoding="utf-8", newline="") as stream:
        csv.writer(stream).writerows(rows)
    return path


ROWS = [["单号", "标题", "状态", "处理人", "创建时间"],
        ["A1", "打印机卡纸", "处理中", "Bob", "05/03/2025 09:30"],
        ["A2", "无法登录", "乱写", "Ghost", "06/03/2025"]]


def test_dry_run_prints_the_mapping_and_writes_nothing(staffed, tmp_path):
    path = sheet(tmp_path, ROWS)
    done = staffed("import", str(path), "--dry-run", who=BOB)
    assert done.code == 0
    assert "单号  ->  external_id" in done.err and "dry run: nothing was written" in done.err
    assert 't.csv, sheet "t", read as utf-8, comma-separated, header on row 1' in done.err
    assert 'unknown status "乱写"' in done.err
    assert staffed("ticket", "list", "--json").json()["total"] == 0
    assert not (tmp_path / "t.rejects.csv").exists()


def test_import_json_summary_dayfirst_and_rejects(staffed, tmp_path):
    path = sheet(tmp_path, ROWS)
    rejects = tmp_path / "bad.xlsx"
    done = staffed("import", str(path), "--json", "--dayfirst", "--rejects", str(rejects), who=BOB)
    assert done.code == 0
    report = done.json()
    assert (report["created"], report["rejected"], report["rejects_file"]) == (1, 1, str(rejects))
    assert report["errors"] == [{"row": 3, "column": "状态", "reason": report["errors"][0]["reason"]}]
    ticket = staffed("ticket", "list", "--json").json()["tickets"][0]
    assert ticket["created_at"] == "2025-03-05T09:30:00+00:00" and ticket["assignee"] == BOB
    assert rejects.exists()


def test_strict_refuses_with_exit_5(staffed, tmp_path):
    done = staffed("import", str(sheet(tmp_path, ROWS)), "--strict", who=BOB)
    assert done.code == 5 and "nothing was imported (--strict)" in done.err
    assert staffed("ticket", "list", "--json").json()["total"] == 0


def test_missing_corrupt_and_empty_files(staffed, tmp_path):
    assert staffed("import", str(tmp_path / "nope.xlsx"), who=BOB).code == 3
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a zip at all")
    done = staffed("import", str(broken), who=BOB)
    assert done.code == 5 and "broken.xlsx" in done.err and "Traceback" not in done.err
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert staffed("import", str(empty), who=BOB).code == 5


def test_the_map_option(staffed, tmp_path):
    path = sheet(tmp_path, [["Ref", "Was", "Stand"], ["X1", "Printer", "P0"]])
    mapping = tmp_path / "map.toml"
    mapping.write_text('[columns]\n"Ref" = "external_id"\n"Was" = "subject"\n"Stand" = "priority"\n'
                       '[priority]\n"P0" = "urgent"\n', encoding="utf-8")
    assert staffed("import", str(path), "--map", str(mapping), who=BOB).code == 0
    ticket = staffed("ticket", "list", "--json").json()["tickets"][0]
    assert ticket["priority"] == "urgent" and ticket["external_id"] == "X1"
    assert staffed("import", str(path), "--map", str(tmp_path / "no.toml"), who=BOB).code == 3


def test_the_sample_ledger_imports_cleanly(staffed, tmp_path):
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "data"
    done = staffed("import", str(root / "sample-ledger.xlsx"), "--map", str(root / "sample-map.toml"),
                   "--json", "--rejects", str(tmp_path / "r.csv"), who=BOB)
    assert done.code == 0, done.err
    report = done.json()
    assert report["created"] >= 28 and report["rejected"] == 1  # one row is bad on purpose
    assert staffed("import", str(root / "sample-ledger.xlsx"), "--map", str(root / "sample-map.toml"),
                   "--json", "--rejects", str(tmp_path / "r.csv"), who=BOB).json()["created"] == 0
