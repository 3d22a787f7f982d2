"""`helpdesk import FILE --assets`: an asset sheet through the spreadsheet reader.

All or nothing: every row is applied inside one transaction and every bad row is
reported (row number, field, reason); if any row is bad the caller rolls the whole
transaction back, so nothing is half-written. A serial already on the desk is
updated with the row's non-blank cells (running the same sheet again changes
nothing); blank cells leave a value alone. A dry run is the same work rolled back
(`Desk.rehearse`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlmodel import Session

from helpdesk.errors import HelpdeskError, Invalid
from helpdesk.services.core.actors import Actor, require
from helpdesk.services.customers.assets import (
    UNSET,
    AssetFields,
    add_asset,
    clean_serial,
    find_asset,
    update_asset,
)

# header (as sheets.columns.header_key folds it) -> field
HEADERS = {
    "serial": ("serial", "serial number", "serial no", "sn", "s/n", "序列号", "设备序列号", "sn号", "机身号", "资产编号"),
    "model": ("model", "product", "device", "型号", "设备型号", "产品型号", "设备名称", "产品"),
    "owner": ("owner", "owner email", "email", "customer email", "contact email", "客户邮箱", "邮箱", "联系人邮箱"),
    "org": ("org", "organization", "organisation", "company", "公司", "单位", "客户单位", "所属单位", "客户公司"),
    "purchased": ("purchased", "purchase date", "purchased on", "bought", "购买日期", "购买时间", "采购日期", "购入日期"),
    "warranty_months": ("warranty months", "warranty", "warranty period", "保修期", "保修月数", "保修期限"),
    "warranty_end": ("warranty end", "warranty until", "warranty expires", "warranty end date", "保修截止",
                     "保修到期", "保修截止日期", "保修到期日", "保修至"),
    "status": ("status", "状态", "设备状态"),
    "notes": ("notes", "note", "remarks", "备注", "说明"),
}
STATUS_WORDS = {"在用": "active", "使用中": "active", "正常": "active", "维修中": "in_repair", "返修": "in_repair",
                "送修": "in_repair", "报废": "retired", "停用": "retired", "退役": "retired"}
SHOWN_ERRORS = 50


@dataclass
class AssetSheet:
    file: str
    sheet: str
    header_row: int
    columns: dict[str, str]  # field -> header as written
    ignored: list[str]
    rows: list[tuple[int, dict[str, Any]]]  # (sheet row number, field -> raw cell)


@dataclass
class AssetImportReport:
    file: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[dict] = field(default_factory=list)  # {row, field, reason}
    dry_run: bool = False

    def to_dict(self) -> dict:
        return {"file": self.file, "rows": self.rows, "created": self.created, "updated": self.updated,
                "unchanged": self.unchanged, "rejected": len({e["row"] for e in self.errors}),
                "errors": self.errors, "dry_run": self.dry_run}

    def error_lines(self) -> list[str]:
        return [f"row {e['row']}, {e['field']}: {e['reason']}" for e in self.errors]


def read_asset_sheet(path: str | Path, sheet: str | None = None) -> AssetSheet:
    """Open the sheet and map its columns; a sheet without a serial column is Invalid."""
    from helpdesk.sheets import open_sheet
    from helpdesk.sheets.columns import header_key

    source = open_sheet(path, sheet=sheet)
    known = {name: target for target, names in HEADERS.items() for name in names}
    columns: dict[str, int] = {}
    shown: dict[str, str] = {}
    ignored = []
    for index, header in enumerate(source.headers):
        target = known.get(header_key(str(header or "")))
        if target and target not in columns:
            columns[target], shown[target] = index, str(header)
        elif str(header or "").strip():
            ignored.append(str(header))
    if "serial" not in columns:
        raise Invalid(f"{Path(path).name}: no serial column (headers: {', '.join(map(str, source.headers))}); "
                      "name one 'serial' or '序列号'", field="serial")
    rows = [(number, {f: cells[i] if i < len(cells) else None for f, i in columns.items()})
            for number, cells in source.rows()]
    return AssetSheet(Path(path).name, source.sheet_name, source.header_row, shown, ignored, rows)


def import_asset_rows(session: Session, actor: Actor, sheet: AssetSheet, *, dry_run: bool = False) -> AssetImportReport:
    """Apply every row in this transaction; errors are collected, not raised: the caller
    rolls back when `report.errors` (see `import_assets`)."""
    from helpdesk.sheets.cells import cell_text

    require(actor, "agent")
    report = AssetImportReport(sheet.file, rows=len(sheet.rows), dry_run=dry_run)
    seen: dict[str, int] = {}
    for number, cells in sheet.rows:
        text = {f: _cell(v, cell_text) for f, v in cells.items()}
        try:
            _serial, key = clean_serial(text.get("serial"))
        except Invalid as exc:
            report.errors.append({"row": number, "field": "serial", "reason": exc.reason})
            continue
        if key in seen:
            report.errors.append({"row": number, "field": "serial",
                                  "reason": f"{text['serial']!r} is also on row {seen[key]}"})
            continue
        seen[key] = number
        try:
            _apply_row(session, actor, text, report)
        except HelpdeskError as exc:
            report.errors.append({"row": number, "field": getattr(exc, "field", None) or "serial",
                                  "reason": getattr(exc, "reason", None) or exc.message})
    return report


def _cell(value: Any, cell_text) -> Any:
    if value is None:
        return None
    if hasattr(value, "year"):  # a real date cell
        return value
    return cell_text(value) or None


def _apply_row(session: Session, actor: Actor, text: dict[str, Any], report: AssetImportReport) -> None:
    status = text.get("status")
    if isinstance(status, str):
        status = STATUS_WORDS.get(status.strip(), status)
    months, end = text.get("warranty_months"), text.get("warranty_end")
    if months is not None and not str(months).strip().isdigit() and end is None:
        months, end = None, months  # a "warranty" column holding a date is its end
    given = {"model": text.get("model"), "owner": text.get("owner"), "org": text.get("org"),
             "purchased": text.get("purchased"), "warranty_months": months, "warranty_end": end,
             "status": status, "notes": text.get("notes")}
    if isinstance(given["owner"], str):
        given["owner"] = given["owner"].strip()
    existing = find_asset(session, text["serial"])
    if existing is None:
        add_asset(session, actor, text["serial"], given["model"], owner=given["owner"], org=given["org"],
                  purchased=given["purchased"], warranty_months=months, warranty_end=end,
                  status=status or "active", notes=given["notes"])
        report.created += 1
        return
    changes = AssetFields(**{k: (UNSET if v is None else v) for k, v in given.items()})
    if changes.warranty_months is not UNSET and changes.warranty_end is UNSET:
        changes.warranty_end = None
    elif changes.warranty_end is not UNSET and changes.warranty_months is UNSET:
        changes.warranty_months = None
    if update_asset(session, actor, existing.serial, changes):
        report.updated += 1
    else:
        report.unchanged += 1


def import_assets(desk, actor: Actor, path: str | Path, *, sheet: str | None = None,
                  dry_run: bool = False) -> tuple[AssetSheet, AssetImportReport]:
    """Read the sheet, then apply it in one transaction: committed only when no row is bad;
    a dry run is always rolled back. Raises Invalid (nothing written) naming the bad rows."""
    data = read_asset_sheet(path, sheet)
    if dry_run:
        return data, desk.rehearse(lambda s: import_asset_rows(s, actor, data, dry_run=True))

    def run(s: Session) -> AssetImportReport:
        report = import_asset_rows(s, actor, data)
        if report.errors:
            raise RowsRefused(report)
        return report

    return data, desk.write(run)


class RowsRefused(Invalid):
    """Some rows are bad: the whole sheet is refused (the transaction rolls back)."""

    def __init__(self, report: AssetImportReport):
        lines = report.error_lines()
        shown = lines[:SHOWN_ERRORS] + ([f"... and {len(lines) - SHOWN_ERRORS} more"] if len(lines) > SHOWN_ERRORS else [])
        bad = len({e["row"] for e in report.errors})
        super().__init__(f"{bad} of {report.rows} rows are bad; nothing was imported:\n  " + "\n  ".join(shown))
        self.report = report

    def to_dict(self) -> dict:
        return {**super().to_dict(), "errors": self.report.errors}

