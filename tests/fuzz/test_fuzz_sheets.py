"""Fuzzing the spreadsheet reader and the import: mutated xlsx and CSV files.

Cells of every type (numbers, dates, booleans, formulas, errors), control characters,
escape sequences and markup, empty and very wide sheets, bad encodings. A file the
reader cannot use at all is one typed error; otherwise every bad cell is an error of
its row (reported, skipped), never a traceback; what is stored is plain text."""

from __future__ import annotations

import csv
import io
import itertools
import math
from datetime import datetime

import pytest
import xlsxwriter
from fuzz_support import bounded, fuzz, hostile_text
from hypothesis import example, given
from hypothesis import strategies as st

from helpdesk.errors import HelpdeskError

HEADERS = ["subject", "description", "status", "priority", "requester_email", "requester_name", "created_at",
           "tags", "ticket id", "organization", "type", "channel", "comments", "标题", "状态", "custom", "",
           "=1+1", "subject", "\x1b[31mred", "[bold]x", "x" * 300]
CELLS = st.one_of(
    hostile_text(max_pieces=5, surrogates=False),
    st.sampled_from(["open", "solved", "urgent", "high", "nope", "a@example.com", "not an email", "2026-01-01",
                     "2026-02-30", "31/12/2026", "yesterday", "1e309", "-0", "TRUE", "#N/A", "#DIV/0!", "=1/0",
                     "=HYPERLINK(\"http://evil\",\"x\")", "+cmd|' /C calc'!A0", "@SUM(1)", "-1", "", " ", "退款",
                     "tag1, tag2", "x" * 40_000]),
    st.integers(-(2**53), 2**53), st.floats(allow_nan=True, allow_infinity=True), st.booleans(), st.none(),
    st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(9999, 1, 1)),
)


@st.composite
def sheet(draw) -> list[list]:
    width = draw(st.integers(1, 8))
    headers = draw(st.lists(st.sampled_from(HEADERS) | st.text(max_size=10), min_size=width, max_size=width))
    if draw(st.integers(0, 9)) == 0:
        headers += [f"wide {n}" for n in range(draw(st.integers(100, 600)))]  # a very wide sheet
    rows = draw(st.lists(st.lists(CELLS, max_size=len(headers) + 2), max_size=12))
    if draw(st.integers(0, 15)) == 0:
        return []  # an empty sheet
    return [headers, *rows]


def write_xlsx(path, rows: list[list]) -> None:
    book = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False,
                                           "strings_to_urls": False, "nan_inf_to_errors": True})
    page = book.add_worksheet("Tickets")
    when = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, str) and value.startswith("=") and r:
                page.write_formula(r, c, value, None, "cached")
            elif isinstance(value, bool):
                page.write_boolean(r, c, value)
            elif isinstance(value, (int, float)):
                page.write_number(r, c, float(value) if not (isinstance(value, int) and abs(value) > 2**53) else 0)
            elif isinstance(value, datetime):
                page.write_datetime(r, c, value, when)
            else:
                page.write_string(r, c, str(value)[:32767])
    book.close()


def write_text(path, rows: list[list], encoding: str, delimiter: str, damage: bytes) -> None:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter).writerows(
        [["" if v is None else (repr(v) if isinstance(v, float) and not math.isfinite(v) else v) for v in row]
         for row in rows])
    data = buffer.getvalue().encode(encoding, "replace")
    if damage and data:
        at = len(data) // 2
        data = data[:at] + damage + data[at:]
    path.write_bytes(data)


files = st.tuples(
    sheet(),
    st.sampled_from(["xlsx", "xlsx", "csv", "csv", "tsv", "txt"]),
    st.sampled_from(["utf-8", "utf-8-sig", "gbk", "utf-16", "latin-1"]),
    st.sampled_from([",", ";", "\t", "|"]),
    st.sampled_from([b"", b"", b"\xff\xfe\x00", b"\x00", b'"', b"\r", b"\xe4\xbd"]),
)
NAMES = itertools.count()


@pytest.fixture(scope="module")
def import_desk(tmp_path_factory):
    from helpdesk.db import open_desk
    from helpdesk.services.core.actors import ANONYMOUS, actor_of
    from helpdesk.services.people import agents

    desk = open_desk(str(tmp_path_factory.mktemp("sheet-fuzz") / "desk.db"))

    def setup(s):
        agents.add_agent(s, ANONYMOUS, "ada@example.com", "Ada Admin")
        return actor_of(agents.get_agent(s, "ada@example.com"))

    yield desk, desk.write(setup), tmp_path_factory.mktemp("sheets")
    desk.close()


@fuzz(100, deadline_ms=30_000)
@given(files)
@example(([["subject", "status"], ["\x1b]0;owned\x07[bold]x", "=1/0"], [None, "nope"]], "xlsx", "utf-8", ",", b""))
@example(([["subject"], []], "csv", "utf-16", ";", b"\xff\xfe\x00"))
def test_an_import_reports_bad_rows_and_never_crashes(import_desk, case):
    from sqlalchemy import select

    from helpdesk.models import Ticket
    from helpdesk.services.imports.run import open_import, run_import
    from helpdesk.sheets import read_records

    rows, ext, encoding, delimiter, damage = case
    desk, admin, folder = import_desk
    path = folder / f"sheet{next(NAMES)}.{ext}"
    if ext == "xlsx":
        write_xlsx(path, rows)
    else:
        write_text(path, rows, encoding, "\t" if ext == "tsv" else delimiter, damage)
    with bounded("sheets: read and import"):
        try:
            job = open_import(path)
        except HelpdeskError as error:  # the whole file is unusable: one clear message
            assert error.message and "Traceback" not in error.message
            return
        for record in read_records(job.source, job.plan, tz=job.tz):
            assert all(e.row == record.row and e.reason for e in record.errors)
        with desk.read() as s:
            before = set(s.exec(select(Ticket.id)).scalars())
        report = run_import(desk, admin, open_import(path), rejects=folder / f"rejects{next(NAMES)}.csv")
    assert report.rejected <= report.rows and all(e.row and e.reason for e in report.errors)
    with desk.read() as s:
        for ticket in s.exec(select(Ticket).where(Ticket.id.not_in(before))).scalars():
            assert "\x00" not in ticket.subject
