"""Report files: .csv (UTF-8 with BOM, for Excel), .xlsx (native Excel charts, xlsxwriter),
.html (one self-contained page, inline SVG charts, no JavaScript). Every row goes in: no caps.

Cell text comes from the desk (team names, types, agent names): the CSV guards cells a
spreadsheet would run as formulas, xlsxwriter writes strings as strings, and the HTML
escapes everything."""

from __future__ import annotations

import csv
import html
from pathlib import Path

from helpdesk.errors import Invalid
from helpdesk.services.insight.tables import Table

SUFFIXES = (".xlsx", ".html", ".csv")


def write(path: Path, title: str, tables: list[Table]) -> Path:
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise Invalid(f"{path.name}: write .xlsx, .html or .csv", field="out")
    if suffix == ".csv":
        _csv(path, title, tables)
    elif suffix == ".xlsx":
        _xlsx(path, title, tables)
    else:
        path.write_text(page(title, tables), encoding="utf-8")
    return path


def _cell(value) -> str:
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _number(text) else text


def _number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def _csv(path: Path, title: str, tables: list[Table]) -> None:
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        out = csv.writer(f)
        out.writerow([_cell(title)])
        for t in tables:
            out.writerow([])
            out.writerow([_cell(t.title)])
            out.writerow([_cell(c) for c in t.columns])
            out.writerows([_cell(v) for v in row] for row in t.rows)


# -- Excel -------------------------------------------------------------------------------

def _xlsx(path: Path, title: str, tables: list[Table]) -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False,
                                           "strings_to_numbers": False})
    bold = book.add_format({"bold": True})
    big = book.add_format({"bold": True, "font_size": 14})
    used: set[str] = set()
    for t in tables:
        sheet = book.add_worksheet(_sheet_name(t.title, used))
        sheet.write_string(0, 0, title, big)
        sheet.write_string(1, 0, t.title, bold)
        for c, name in enumerate(t.columns):
            sheet.write_string(2, c, str(name), bold)
            sheet.set_column(c, c, max(10, min(40, len(str(name)) + 4)))
        for r, row in enumerate(t.rows, start=3):
            for c, value in enumerate(row):
                if isinstance(value, bool) or value is None:
                    sheet.write_blank(r, c, None) if value is None else sheet.write_boolean(r, c, value)
                elif isinstance(value, (int, float)):
                    sheet.write_number(r, c, value)
                else:
                    sheet.write_string(r, c, str(value))
        last = 2 + len(t.rows)
        if not t.rows:
            continue
        if t.chart == "heat":
            sheet.conditional_format(3, 1, last, len(t.columns) - 1,
                                     {"type": "2_color_scale", "min_color": "#FFFFFF", "max_color": "#C0392B"})
        elif t.chart in ("bar", "column"):
            chart = book.add_chart({"type": t.chart})
            for col in t.series:
                chart.add_series({"name": [sheet.name, 2, col], "categories": [sheet.name, 3, 0, last, 0],
                                  "values": [sheet.name, 3, col, last, col]})
            chart.set_title({"name": t.title})
            chart.set_legend({"position": "bottom" if len(t.series) > 1 else "none"})
            sheet.insert_chart(1, len(t.columns) + 1, chart)
    book.close()


def _sheet_name(title: str, used: set[str]) -> str:
    base = "".join(ch for ch in title if ch not in "[]:*?/\\")[:28] or "report"
    name, n = base, 2
    while name.lower() in used:
        name, n = f"{base[:25]} {n}", n + 1
    used.add(name.lower())
    return name


# -- HTML ----------------------------------------------------------------------------------

STYLE = """body{font-family:system-ui,'Noto Sans CJK SC','Microsoft YaHei',sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}h2{margin-top:1.5em}svg text{font-size:12px}
.heat td{text-align:center;min-width:1.6em}"""
COLOURS = ("#2E86C1", "#C0392B", "#27AE60", "#8E44AD")


def page(title: str, tables: list[Table]) -> str:
    e = html.escape
    parts = [f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{e(title)}</title>",
             f"<style>{STYLE}</style></head><body><h1>{e(title)}</h1>"]
    for t in tables:
        parts.append(f"<h2>{e(t.title)}</h2>")
        if t.chart in ("bar", "column") and t.rows:
            parts.append(_svg_bars(t))
        parts.append(_html_table(t))
    parts.append("</body></html>")
    return "\n".join(parts)


def _html_table(t: Table) -> str:
    e = html.escape
    top = max((v for row in t.rows for v in row[1:] if isinstance(v, int) and not isinstance(v, bool)), default=0)
    rows = []
    for row in t.rows:
        cells = []
        for i, v in enumerate(row):
            text = "" if v is None else str(v)
            number = isinstance(v, (int, float)) and not isinstance(v, bool)
            style = ""
            if t.chart == "heat" and i > 0 and number and top:
                share = v / top
                style = f' style="background:rgb(255,{int(255 - 180 * share)},{int(255 - 200 * share)})"'
            klass = ' class="n"' if number else ""
            cells.append(f"<td{klass}{style}>{e(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    head = "".join(f"<th>{e(str(c))}</th>" for c in t.columns)
    kind = ' class="heat"' if t.chart == "heat" else ""
    return f"<table{kind}><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _svg_bars(t: Table) -> str:
    """Horizontal bars, one group per row and one bar per series, scaled to the largest value."""
    e = html.escape
    values = [[row[c] if isinstance(row[c], (int, float)) else 0 for c in t.series] for row in t.rows]
    top = max((v for vs in values for v in vs), default=0) or 1
    bar, gap, label_w, width = 14, 6, 180, 420
    group = bar * len(t.series) + gap
    height = group * len(t.rows) + 24
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_w + width + 80}" height="{height}" '
           f'role="img" aria-label="{e(t.title)}">']
    for i, (row, vs) in enumerate(zip(t.rows, values)):
        y = i * group
        out.append(f'<text x="{label_w - 6}" y="{y + bar}" text-anchor="end">{e(str(row[0])[:40])}</text>')
        for j, v in enumerate(vs):
            w = round(width * v / top)
            yy = y + j * bar
            out.append(f'<rect x="{label_w}" y="{yy + 2}" width="{w}" height="{bar - 3}" fill="{COLOURS[j % 4]}"/>')
            out.append(f'<text x="{label_w + w + 4}" y="{yy + bar - 2}">{e(str(v))}</text>')
    legend_y = height - 6
    for j, col in enumerate(t.series):
        x = label_w + j * 140
        out.append(f'<rect x="{x}" y="{legend_y - 10}" width="10" height="10" fill="{COLOURS[j % 4]}"/>'
                   f'<text x="{x + 14}" y="{legend_y}">{e(str(t.columns[col]))}</text>')
    out.append("</svg>")
    return "".join(out)
