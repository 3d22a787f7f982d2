"""Spreadsheet fixtures made on the spot: nothing binary is committed."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import openpyxl
import pytest
from openpyxl.utils.datetime import CALENDAR_MAC_1904


def make_xlsx(path: Path, rows: list[list], *, merges=(), epoch_1904=False, title="Tickets",
              more_sheets: dict[str, list[list]] | None = None) -> Path:
    book = openpyxl.Workbook()
    if epoch_1904:
        book.epoch = CALENDAR_MAC_1904
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    for merge in merges:
        sheet.merge_cells(merge)
    for name, extra in (more_sheets or {}).items():
        other = book.create_sheet(name)
        for row in extra:
            other.append(row)
    book.save(path)
    return path


def make_text(path: Path, rows: list[list], *, encoding="utf-8", delimiter=",") -> Path:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def make_ods(path: Path, rows: list[list]) -> Path:
    """A minimal OpenDocument spreadsheet: strings, floats and ISO datetimes."""
    ns = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"')
    body = "".join("<table:table-row>" + "".join(_ods_cell(c) for c in row) + "</table:table-row>"
                   for row in rows)
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ns} '
               f'office:version="1.2"><office:body><office:spreadsheet>'
               f'<table:table table:name="工单">{body}</table:table>'
               f"</office:spreadsheet></office:body></office:document-content>")
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest='
                '"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                '<manifest:file-entry manifest:full-path="/" manifest:media-type='
                '"application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry '
                'manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
                "</manifest:manifest>")
    with zipfile.ZipFile(path, "w") as archive:
        mimetype = "application/vnd.oasis.opendocument.spreadsheet"
        archive.writestr(zipfile.ZipInfo("mimetype"), mimetype)  # first and uncompressed
        archive.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
        archive.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
    return path


def _ods_cell(value) -> str:
    if value is None or value == "":
        return "<table:table-cell/>"
    if isinstance(value, (int, float)):
        return (f'<table:table-cell office:value-type="float" office:value="{value}">'
                f"<text:p>{value}</text:p></table:table-cell>")
    if hasattr(value, "isoformat"):
        return (f'<table:table-cell office:value-type="date" office:date-value='
                f'"{value.isoformat()}"><text:p>{value}</text:p></table:table-cell>')
    return (f'<table:table-cell office:value-type="string"><text:p>{escape(str(value))}'
            f"</text:p></table:table-cell>")


@pytest.fixture
def xlsx_file(tmp_path: Path):
    """xlsx_file(rows, name="t.xlsx", merges=..., epoch_1904=..., more_sheets=...) -> path"""
    return lambda rows, name="t.xlsx", **kw: make_xlsx(tmp_path / name, rows, **kw)


@pytest.fixture
def text_file(tmp_path: Path):
    """text_file(rows, name="t.csv", encoding=..., delimiter=...) -> path"""
    return lambda rows, name="t.csv", **kw: make_text(tmp_path / name, rows, **kw)


@pytest.fixture
def ods_file(tmp_path: Path):
    return lambda rows, name="t.ods": make_ods(tmp_path / name, rows)
