"""open_sheet: file kinds, encodings, delimiters, layout, and the one-message failures."""

from __future__ import annotations

import tracemalloc
from datetime import datetime

import pytest

from helpdesk.errors import Invalid, NotFound
from helpdesk.sheets import open_sheet

HEADER = ["工单编号", "标题", "状态", "创建时间"]
ROW = ["T-1", "打印机卡纸，无法打印", "处理中", "2025/3/5 09:30"]


def rows_of(source):
    return list(source.rows())


# --- text files -------------------------------------------------------------------------

@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_csv_in_every_encoding_spreadsheets_save(text_file, encoding):
    source = open_sheet(text_file([HEADER, ROW], encoding=encoding))
    assert source.headers == HEADER
    assert rows_of(source) == [(2, ROW)]
    assert source.delimiter == ","


def test_gbk_detected_even_after_a_long_ascii_head(text_file):
    filler = [["x", f"ascii only {i}", "open", "2025-03-05"] for i in range(40_000)]
    last = ["y", "中文标题", "open", ""]
    path = text_file([["id", "subject", "status", "created"], *filler, last], encoding="gbk")
    source = open_sheet(path)
    assert source.encoding == "gb18030"
    assert rows_of(source)[-1][1][1] == "中文标题"


def test_utf16_unicode_text_txt_is_tab_separated(text_file):
    path = text_file([HEADER, ROW], name="export.txt", encoding="utf-16", delimiter="\t")
    source = open_sheet(path)
    assert source.delimiter == "\t" and rows_of(source) == [(2, ROW)]


def test_utf16_without_bom_is_recognised(text_file):
    path = text_file([["Subject", "Status"], ["Printer", "open"]], encoding="utf-16-le")
    assert rows_of(open_sheet(path)) == [(2, ["Printer", "open"])]


@pytest.mark.parametrize("name,delimiter", [("t.tsv", "\t"), ("t.csv", ";"), ("t.csv", "\t"),
                                            ("t.csv", "|"), ("t.tsv", ",")])
def test_delimiter_is_sniffed_not_assumed(text_file, name, delimiter):
    rows = [["Subject", "Description", "Status"],
            ["Printer", "jammed, again; third time", "open"],
            ["VPN", "down, since 9:00", "pending"]]
    source = open_sheet(text_file(rows, name=name, delimiter=delimiter))
    assert source.delimiter == delimiter
    assert [cells for _, cells in source.rows()] == rows[1:]


def test_explicit_encoding_wins_and_unknown_one_is_invalid(text_file):
    path = text_file([HEADER, ROW], encoding="gbk")
    assert rows_of(open_sheet(path, encoding="gbk"))[0][1] == ROW
    with pytest.raises(Invalid, match="unknown text encoding"):
        open_sheet(path, encoding="klingon")


def test_wrong_encoding_is_one_invalid_naming_the_row(text_file):
    path = text_file([HEADER, ROW], encoding="gbk")
    with pytest.raises(Invalid, match=r"t\.csv: row 1 is not valid utf-8 text"):
        open_sheet(path, encoding="utf-8")


def test_multiline_quoted_cells_count_as_one_sheet_row(text_file):
    path = text_file([["Summary", "Description"], ["A", "line 1\nline 2\r\nline 3"], ["B", "x"]])
    assert rows_of(open_sheet(path)) == [(2, ["A", "line 1\nline 2\r\nline 3"]), (3, ["B", "x"])]


def test_short_rows_are_padded_to_the_header(text_file):
    assert rows_of(open_sheet(text_file([["Subject", "Status", "Tags"], ["x"]]))) == [
        (2, ["x", "", ""])]


# --- workbooks --------------------------------------------------------------------------

def test_xlsx_keeps_real_dates_and_numbers(xlsx_file):
    when = datetime(2025, 3, 5, 9, 30)
    rows = [HEADER, ["T-1", "标题", "已解决", when], [1001, "x", None, 45721]]
    source = open_sheet(xlsx_file(rows))
    assert source.sheet_name == "Tickets" and source.header_row == 1
    assert rows_of(source) == [(2, rows[1]), (3, [1001.0, "x", "", 45721.0])]
    assert source.datemode_1904 is False


def test_xlsm_extension_reads_like_xlsx(xlsx_file):
    assert open_sheet(xlsx_file([HEADER, ROW], name="t.xlsm")).headers == HEADER


def test_1904_date_system_is_detected_and_real_dates_stay_right(xlsx_file):
    when = datetime(2025, 3, 5, 9, 30)
    source = open_sheet(xlsx_file([HEADER, ["T-1", "x", "open", when]], epoch_1904=True))
    assert source.datemode_1904 is True
    assert rows_of(source) == [(2, ["T-1", "x", "open", when])]


def test_ods(ods_file):
    when = datetime(2025, 3, 5, 9, 30)
    source = open_sheet(ods_file([["标题", "创建时间", "n"], ["打印机坏了", when, 3.0]]))
    assert source.sheet_name == "工单"
    assert rows_of(source) == [(2, ["打印机坏了", when, 3.0])]


def test_excel_error_cells_read_as_blank(xlsx_file):
    source = open_sheet(xlsx_file([["Subject", "Status"], ["x", "#N/A"], ["#DIV/0!", "#VALUE!"]]))
    rows = rows_of(source)
    assert rows[0] == (2, ["x", ""])  # openpyxl writes #N/A as an error cell; calamine: ""
    assert len(rows) == 1  # a row of nothing but error codes is a blank row


def test_data_that_does_not_start_at_a1_keeps_sheet_row_numbers(tmp_path):
    # Pins calamine 0.9: iter_rows() pads the rows above the data, not the columns left of it.
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet["C5"], sheet["D5"], sheet["C6"], sheet["D8"] = "Subject", "Status", "Printer", "open"
    book.save(tmp_path / "t.xlsx")
    source = open_sheet(tmp_path / "t.xlsx")
    assert source.header_row == 5 and source.headers == ["Subject", "Status"]
    assert rows_of(source) == [(6, ["Printer", ""]), (8, ["", "open"])]


# --- layout -----------------------------------------------------------------------------

def test_header_found_under_title_and_blank_rows_and_blank_rows_between_records(xlsx_file):
    path = xlsx_file([["2025年3月 工单台账"], [], ["制表人：张三", None, "导出：2025-04-01"], [],
                      HEADER, ROW, [], [], ["T-2", "网络慢", "待处理", "2025.3.6"]],
                     merges=["A1:D1"])
    source = open_sheet(path)
    assert source.header_row == 5 and source.headers == HEADER
    assert [n for n, _ in source.rows()] == [6, 9]


def test_header_without_known_names_is_the_first_wide_text_row(text_file):
    path = text_file([["Quarterly dump"], [], ["Alpha", "Beta", "Gamma"], ["1", "2", "3"]])
    source = open_sheet(path)
    assert source.header_row == 3 and source.headers == ["Alpha", "Beta", "Gamma"]


def test_header_row_can_be_given(text_file):
    path = text_file([["Subject", "Status"], ["Title", "State"], ["x", "open"]])
    assert open_sheet(path, header_row=2).headers == ["Title", "State"]
    with pytest.raises(Invalid, match="no row 9"):
        open_sheet(path, header_row=9)


def test_merged_cells_carry_down_only_inside_their_range(xlsx_file):
    path = xlsx_file([["工单编号", "标题", "状态", "处理人"],
                      ["T-1", "a", "处理中", "张三"],
                      ["T-2", "b", None, None],
                      ["T-3", "c", None, None],
                      ["T-4", "d", None, None],
                      ["T-5", "e wide merge", None, None]],
                     merges=["C2:C4", "D2:D3", "B6:D6"])
    cells = [c for _, c in open_sheet(path).rows()]
    assert [c[2] for c in cells] == ["处理中", "处理中", "处理中", "", ""]
    assert [c[3] for c in cells] == ["张三", "张三", "", "", ""]
    assert cells[4][1:] == ["e wide merge", "", ""]  # a merge across is not copied across


def test_first_sheet_with_data_unless_sheet_is_named(xlsx_file):
    path = xlsx_file([], title="Cover", more_sheets={"2024": [HEADER, ROW], "2025": [HEADER]})
    assert open_sheet(path).sheet_name == "2024"
    with pytest.raises(Invalid, match="no rows of data"):
        open_sheet(path, sheet="2025")
    assert open_sheet(path, sheet="2").sheet_name == "2024"  # a number is the sheet's position
    with pytest.raises(NotFound, match=r'no sheet named "2026" \(sheets: Cover, 2024, 2025\)'):
        open_sheet(path, sheet="2026")


def test_hidden_sheets_come_after_visible_ones(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "lookup"
    book.active.append(["Subject", "Status"])
    book.active.append(["hidden data", "open"])
    book.active.sheet_state = "hidden"
    visible = book.create_sheet("工单")
    visible.append(HEADER)
    visible.append(ROW)
    book.save(tmp_path / "t.xlsx")
    assert open_sheet(tmp_path / "t.xlsx").sheet_name == "工单"
    assert open_sheet(tmp_path / "t.xlsx", sheet="LOOKUP").sheet_name == "lookup"


def test_a_merged_value_alone_does_not_make_a_record(xlsx_file):
    path = xlsx_file([["标题", "状态"], ["a", "处理中"], [None, None], ["b", None]],
                     merges=["B2:B4"])
    assert rows_of(open_sheet(path)) == [(2, ["a", "处理中"]), (4, ["b", "处理中"])]


def test_rows_can_be_read_twice(text_file):
    source = open_sheet(text_file([HEADER, ROW]))
    assert rows_of(source) == rows_of(source)  # a dry run, then the import


# --- one clear message ------------------------------------------------------------------

def test_missing_file_is_not_found(tmp_path):
    with pytest.raises(NotFound, match="no such file"):
        open_sheet(tmp_path / "nope.xlsx")


def test_folder_is_invalid(tmp_path):
    with pytest.raises(Invalid, match="is a folder"):
        open_sheet(tmp_path)


@pytest.mark.parametrize("name", ["t.xlsx", "t.csv", "t.ods"])
def test_empty_file_is_invalid(tmp_path, name):
    (tmp_path / name).write_bytes(b"")
    with pytest.raises(Invalid, match="the file is empty"):
        open_sheet(tmp_path / name)


def test_file_of_blank_lines_is_invalid(tmp_path):
    (tmp_path / "t.csv").write_text("\n,,\n  \n")
    with pytest.raises(Invalid, match="no cells with data"):
        open_sheet(tmp_path / "t.csv")


def test_workbook_with_no_cells_is_invalid(xlsx_file):
    with pytest.raises(Invalid, match="the workbook is empty"):
        open_sheet(xlsx_file([]))


def test_corrupt_xlsx_is_invalid(tmp_path):
    (tmp_path / "t.xlsx").write_bytes(b"PK\x03\x04 this zip was cut short")
    with pytest.raises(Invalid, match="damaged or not a real spreadsheet"):
        open_sheet(tmp_path / "t.xlsx")


def test_text_named_xlsx_is_invalid(tmp_path):
    (tmp_path / "t.xlsx").write_text("Subject,Status\nx,open\n")
    with pytest.raises(Invalid, match=r"not a real \.xlsx file"):
        open_sheet(tmp_path / "t.xlsx")


def test_ole2_file_named_xlsx_is_encrypted_or_not_real(tmp_path):
    # What Excel writes for a password-protected workbook: an OLE2 (CFB) container.
    (tmp_path / "t.xlsx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504)
    with pytest.raises(Invalid, match=r"encrypted \(password-protected\) or not a real \.xlsx"):
        open_sheet(tmp_path / "t.xlsx")


def test_corrupt_xls_is_invalid(tmp_path):
    (tmp_path / "t.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504)
    with pytest.raises(Invalid, match="damaged or not a real spreadsheet"):
        open_sheet(tmp_path / "t.xls")


def test_html_saved_as_xls_is_invalid(tmp_path):
    (tmp_path / "t.xls").write_text("<html><body><table><tr><td>x</td></tr></table></body></html>")
    with pytest.raises(Invalid, match="web page"):
        open_sheet(tmp_path / "t.xls")


def test_tab_separated_text_saved_as_xls_is_read(text_file):
    path = text_file([HEADER, ROW], name="export.xls", encoding="gbk", delimiter="\t")
    assert rows_of(open_sheet(path)) == [(2, ROW)]


def test_xlsx_zip_named_csv_is_read_by_content(xlsx_file):
    assert open_sheet(xlsx_file([HEADER, ROW], name="t.csv")).headers == HEADER


def test_binary_file_is_invalid(tmp_path):
    (tmp_path / "t.csv").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) + b"\x00" * 2000)
    with pytest.raises(Invalid, match="binary data"):
        open_sheet(tmp_path / "t.csv")


def test_unsupported_extension_is_invalid(tmp_path):
    (tmp_path / "t.pdf").write_text("%PDF-1.4")
    with pytest.raises(Invalid, match="unsupported file type"):
        open_sheet(tmp_path / "t.pdf")


# --- streaming --------------------------------------------------------------------------

def test_reading_a_200k_row_csv_keeps_memory_bounded(tmp_path):
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8", newline="") as stream:
        stream.write("工单编号,标题,问题描述,状态,创建时间\n")
        line = ("T-{0},打印机卡纸 {0},客户说第三台打印机又卡纸了，已经是本周第三次，请尽快处理。,"
                "处理中,2025/3/5 09:30\n")
        for i in range(200_000):
            stream.write(line.format(i))
    assert path.stat().st_size > 20_000_000
    tracemalloc.start()
    try:
        count = sum(1 for _ in open_sheet(path).rows())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 200_000
    assert peak < 50 * 1024 * 1024
