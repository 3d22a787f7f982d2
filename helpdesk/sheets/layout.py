"""Where the table is on the sheet: the header row under titles and blank rows,
blank rows between records, and values carried down through merged cells."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice

from helpdesk.errors import Invalid
from helpdesk.sheets.cells import cell_text, is_blank, is_blank_row
from helpdesk.sheets.columns import known_field
from helpdesk.sheets.workbook import Merge, RawSheet

HEADER_SCAN = 30  # non-blank rows looked at when searching for the header


@dataclass
class SheetSource:
    """One sheet, laid out: `rows()` streams the records under the header."""

    sheet_name: str
    header_row: int  # as the spreadsheet shows it, 1-based
    headers: list[str]
    raw: RawSheet

    @property
    def datemode_1904(self) -> bool:
        return self.raw.datemode_1904

    @property
    def encoding(self) -> str | None:
        return self.raw.encoding

    @property
    def delimiter(self) -> str | None:
        return self.raw.delimiter

    def rows(self) -> Iterator[tuple[int, list]]:
        """(sheet row number, cells padded to the header width) for each non-blank row
        under the header; each call reads the sheet again from the top."""
        width = len(self.headers)
        carry = _Carry(self.raw.merges, self.header_row)
        for number, cells in self.raw.rows():
            if number <= self.header_row:
                continue
            if len(cells) < width:
                cells = list(cells) + [""] * (width - len(cells))
            blank = is_blank_row(cells)  # before carrying: a carried value alone is no record
            if carry.active or number in carry.starts:
                cells = carry.apply(number, list(cells))
            if not blank:
                yield number, cells


class _Carry:
    """Merged cells keep their value only in the top-left cell; a ledger that merged
    状态 or 处理人 down over several records means that value for each of them.
    Only carried down its own column, never across: a wide merge is a layout choice."""

    def __init__(self, merges: list[Merge], header_row: int):
        self.starts: dict[int, list[tuple[int, int]]] = {}
        for first_row, first_col, last_row, _ in merges:
            if last_row > first_row and first_row + 1 > header_row and first_col >= 0:
                self.starts.setdefault(first_row + 1, []).append((first_col, last_row + 1))
        self.active: list[tuple[int, int, object]] = []  # (column, last row, value)

    def apply(self, number: int, cells: list) -> list:
        self.active = [a for a in self.active if a[1] >= number]
        for column, _, value in self.active:
            if column < len(cells) and is_blank(cells[column]):
                cells[column] = value
        for column, last in self.starts.get(number, ()):
            if column < len(cells):
                self.active.append((column, last, cells[column]))
        return cells


def lay_out(raw: RawSheet, header_row: int | None = None) -> SheetSource:
    head = list(islice(((n, c) for n, c in raw.rows() if not is_blank_row(c)), HEADER_SCAN + 1))
    if not head:
        raise Invalid(f'sheet "{raw.name}" is empty: it has no cells with data')
    if header_row is None:
        number, cells = _find_header(head[:HEADER_SCAN])
    else:
        number, cells = _given_header(raw, header_row)
    if len(head) < HEADER_SCAN + 1 and all(n <= number for n, _ in head):
        raise Invalid(f'sheet "{raw.name}" has a header row ({number}) '
                      "but no rows of data under it")
    headers = [cell_text(c) for c in cells]
    while headers and not headers[-1]:
        headers.pop()  # trailing blank header cells: empty columns, nothing to map
    return SheetSource(raw.name, number, headers, raw)


def _find_header(head: list[tuple[int, list]]) -> tuple[int, list]:
    """The row naming the most known fields; else the first row that looks like
    headers (two or more text cells, as wide as the table)."""
    scores = [sum(known_field(cell_text(c)) is not None for c in cells) for _, cells in head]
    best = max(range(len(head)), key=lambda i: (scores[i], -i))
    if scores[best] >= 2:
        return head[best]
    widest = max(_filled(cells) for _, cells in head)
    for number, cells in head:
        filled = _filled(cells)
        texts = all(type(c) is str for c in cells if not is_blank(c))
        if filled >= 2 and filled * 2 >= widest and texts:
            return number, cells
    return head[0]


def _filled(cells: list) -> int:
    return sum(not is_blank(c) for c in cells)


def _given_header(raw: RawSheet, header_row: int) -> tuple[int, list]:
    for number, cells in raw.rows():
        if number == header_row:
            if is_blank_row(cells):
                raise Invalid(f"row {header_row} is blank; it cannot be the header row",
                              field="header_row")
            return number, cells
        if number > header_row:
            break
    raise Invalid(f'sheet "{raw.name}" has no row {header_row}', field="header_row")
