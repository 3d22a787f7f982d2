"""Reading spreadsheets for `helpdesk import`: pure, streamed, no database.

    source = open_sheet(path, sheet=None)          # NotFound / Invalid, one clear message
    plan = plan_columns(source.headers, load_map(text) if text else None)
    for record in read_records(source, plan, tz=ZoneInfo("Asia/Shanghai")):
        record.row, record.values, record.fields, record.errors, record.raw, record.fingerprint
"""

from helpdesk.sheets.cells import safe_cell
from helpdesk.sheets.columns import FIELDS, Column, ColumnPlan, plan_columns
from helpdesk.sheets.layout import SheetSource
from helpdesk.sheets.mapfile import ColumnMap, load_map
from helpdesk.sheets.read import open_sheet
from helpdesk.sheets.records import Record, RowError, read_records
from helpdesk.sheets.rejects import write_rejects
from helpdesk.sheets.values import PRIORITIES, STATUSES, Comment

__all__ = [
    "FIELDS", "PRIORITIES", "STATUSES", "Column", "ColumnMap", "ColumnPlan", "Comment",
    "Record", "RowError", "SheetSource", "load_map", "open_sheet", "plan_columns",
    "read_records", "safe_cell", "write_rejects",
]
