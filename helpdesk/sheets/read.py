"""open_sheet: any file a user brings -> a SheetSource, or one clear error."""

from __future__ import annotations

from pathlib import Path

from helpdesk.errors import HelpdeskError, Invalid, NotFound
from helpdesk.sheets import workbook
from helpdesk.sheets.delimited import (
    check_encoding,
    detect_encoding,
    iter_delimited,
    sniff_delimiter,
)
from helpdesk.sheets.layout import SheetSource, lay_out
from helpdesk.sheets.workbook import RawSheet, open_workbook

_ZIP = b"PK\x03\x04"
_CFB = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # OLE2: .xls, and every encrypted .xlsx
_OOXML = {".xlsx", ".xlsm", ".xlsb"}
_BOOKS = _OOXML | {".xls", ".ods"}
_TEXT = {".csv": ",", ".tsv": "\t", ".tab": "\t", ".txt": "\t"}  # Excel's "Unicode text" is .txt
SUPPORTED = ", ".join(sorted(_BOOKS | set(_TEXT)))


def open_sheet(
    path: str | Path,
    *,
    sheet: str | None = None,
    encoding: str | None = None,
    header_row: int | None = None,
) -> SheetSource:
    """Open the sheet to import and find its header row.

    Raises NotFound for a missing file or sheet, Invalid for an empty, corrupt,
    encrypted or unsupported one; the message names the file and what to do."""
    path = Path(path)
    head = _head(path)
    return lay_out(_raw_sheet(path, head, sheet, encoding), header_row)


def _head(path: Path) -> bytes:
    try:
        with path.open("rb") as stream:
            head = stream.read(4096)
    except FileNotFoundError:
        raise NotFound(f"{path}: no such file") from None
    except IsADirectoryError:
        raise Invalid(f"{path}: is a folder, not a spreadsheet") from None
    except OSError as error:
        raise Invalid(f"{path}: cannot be read ({error.strerror})") from None
    if not head:
        raise Invalid(f"{path.name}: the file is empty")
    return head


def read_ahead(path: str | Path, sheet: str | None = None) -> None:
    """Start parsing a workbook in the background (see workbook.read_ahead); `open_sheet`
    with the same file and sheet then takes it. Text files are streamed: nothing to do.
    Any problem is left for `open_sheet` to report."""
    path = Path(path)
    try:
        by_content = _workbook(path, _head(path))
    except HelpdeskError:
        return
    if by_content is not None:
        workbook.read_ahead(path, sheet, by_content)


def _raw_sheet(path: Path, head: bytes, sheet: str | None, encoding: str | None) -> RawSheet:
    by_content = _workbook(path, head)
    if by_content is not None:
        return open_workbook(path, sheet, by_content=by_content)
    ext = path.suffix.lower()
    _refuse_markup(path, head)
    if ext not in _TEXT and ext != ".xls":  # many web systems save tab-separated text as .xls
        raise Invalid(f"{path.name}: unsupported file type; use one of {SUPPORTED}")
    return _text_sheet(path, ext, head, encoding)


def _workbook(path: Path, head: bytes) -> bool | None:
    """For a workbook, whether calamine must sniff its format (the extension lies);
    None for text. Invalid for an encrypted or damaged workbook."""
    ext = path.suffix.lower()
    if head.startswith(_CFB):
        if ext in _OOXML or ext == ".ods":
            raise Invalid(f"{path.name}: encrypted (password-protected) or not a real {ext} file; "
                          "remove the password in Excel and save it again as .xlsx")
        return ext != ".xls"
    if head.startswith(_ZIP):
        return ext not in _BOOKS
    if ext in _BOOKS and ext != ".xls":
        raise Invalid(f"{path.name}: damaged or not a real {ext} file (it is not a zip archive)")
    return None


def _refuse_markup(path: Path, head: bytes) -> None:
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1024].lower()
    if start.startswith(b"<") and any(tag in start for tag in (b"<html", b"<table", b"<!doctype")):
        raise Invalid(f"{path.name}: a web page (HTML) saved with a spreadsheet name; "
                      "open it in a spreadsheet program and save it as .xlsx or .csv")
    if start.startswith(b"<?xml"):
        raise Invalid(f"{path.name}: an XML spreadsheet (Excel 2003 XML); save it as .xlsx")


def _text_sheet(path: Path, ext: str, head: bytes, encoding: str | None) -> RawSheet:
    encoding = check_encoding(encoding) if encoding else detect_encoding(path)
    wide = encoding.replace("_", "-").startswith(("utf-16", "utf-32"))
    if head.count(0) > len(head) // 10 and not wide:
        raise Invalid(f"{path.name}: not a spreadsheet or a text file (binary data)")
    delimiter = sniff_delimiter(path, encoding, _TEXT.get(ext, "\t"))
    return RawSheet(path.stem, lambda: iter_delimited(path, encoding, delimiter),
                    encoding=encoding, delimiter=delimiter)
