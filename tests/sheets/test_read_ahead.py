"""A workbook parsed ahead (while the import command starts up) is the one opened:
same rows, same errors; another sheet or a changed file is parsed again."""

from __future__ import annotations

import os

import pytest

from helpdesk.errors import Invalid
from helpdesk.sheets import open_sheet, workbook
from helpdesk.sheets.read import read_ahead

ROWS = [["Subject", "Status"], ["Printer jam", "open"], ["VPN down", "new"]]


@pytest.fixture
def parses(monkeypatch):
    """The calamine parses made, as (file name, sheet)."""
    made, real = [], workbook._parse

    def counted(path, sheet, by_content):
        made.append((path.name, sheet))
        return real(path, sheet, by_content)

    monkeypatch.setattr(workbook, "_parse", counted)
    monkeypatch.setattr(workbook, "_AHEAD", {})
    return made


def rows(source):
    return [cells for _, cells in source.rows()]


def test_the_sheet_read_ahead_is_opened_without_parsing_again(xlsx_file, parses):
    path = xlsx_file(ROWS)
    read_ahead(path)
    source = open_sheet(path)
    assert rows(source)[-1][:2] == ["VPN down", "new"]
    assert parses == [("t.xlsx", None)]
    assert workbook._AHEAD == {}  # handed over, not kept


def test_read_ahead_for_another_sheet_is_dropped(xlsx_file, parses):
    path = xlsx_file(ROWS, more_sheets={"Old": [["Subject"], ["Archived"]]})
    read_ahead(path, "Old")
    assert rows(open_sheet(path))[-1][:2] == ["VPN down", "new"]
    assert parses == [("t.xlsx", "Old"), ("t.xlsx", None)]
    assert workbook._AHEAD == {}


def test_a_file_changed_since_is_parsed_again(xlsx_file, parses):
    path = xlsx_file(ROWS)
    read_ahead(path)
    xlsx_file([*ROWS, ["Toner low", "open"]])
    os.utime(path, ns=(1, 1))  # whatever the clock's resolution: a different mtime
    assert rows(open_sheet(path))[-1][:2] == ["Toner low", "open"]
    assert len(parses) == 2


def test_a_broken_workbook_gives_the_same_error_read_ahead(tmp_path, parses):
    path = tmp_path / "t.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"\0" * 200)  # a zip header and nothing behind it
    with pytest.raises(Invalid) as direct:
        open_sheet(path)
    read_ahead(path)
    with pytest.raises(Invalid) as ahead:
        open_sheet(path)
    assert str(ahead.value) == str(direct.value)


def test_text_files_and_missing_files_are_left_alone(text_file, tmp_path, parses):
    read_ahead(text_file(ROWS))
    read_ahead(tmp_path / "missing.xlsx")
    assert parses == [] and workbook._AHEAD == {}
