"""`helpdesk import` / `helpdesk export`: tickets in and out of spreadsheets."""

from __future__ import annotations

import sys
from typing import Optional

import typer

from helpdesk import render
from helpdesk.commands.common import JSON, desk, read

SHOWN_ERRORS = 20
_DELIMITERS = {",": "comma", "\t": "tab", ";": "semicolon", "|": "bar"}


def import_(
    file: str = typer.Argument(..., help="The sheet: .xlsx, .xlsm, .xlsb, .xls, .ods, .csv, .tsv or .txt."),
    map_: Optional[str] = typer.Option(None, "--map", help="MAP.toml: column and value corrections."),
    sheet: Optional[str] = typer.Option(None, "--sheet", help="Sheet name (or number) of a workbook."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show the mapping and what would happen; write nothing."),
    strict: bool = typer.Option(False, "--strict", help="All or nothing: import nothing if any row is bad."),
    dayfirst: bool = typer.Option(False, "--dayfirst", help="Read 05/03/2025 as 5 March."),
    rejects: Optional[str] = typer.Option(None, "--rejects", help="Where bad rows go (default: NAME.rejects.csv/.xlsx next to FILE)."),
    assets: bool = typer.Option(False, "--assets", help="The sheet lists assets (serial, model, owner, warranty), not tickets."),
    json_out: bool = JSON,
) -> None:
    """Import tickets from a spreadsheet (safe to run again: it updates, never duplicates).

    Examples:\n
      helpdesk import 工单台账.xlsx --dry-run          (see the mapping and the counts)\n
      helpdesk import tickets.csv --map map.toml\n
      helpdesk import export.xlsx --strict --json\n
      helpdesk import 设备台账.xlsx --assets --dry-run   (an asset sheet; all or nothing)
    """
    if assets:
        from helpdesk.commands.assets import import_sheet

        return import_sheet(file, sheet, dry_run, json_out)
    from helpdesk.sheets.read import read_ahead

    read_ahead(file, sheet)  # parses while the rest starts up; a --map naming the sheet parses again
    from helpdesk.errors import Invalid
    from helpdesk.services.core.settings import desk_zone
    from helpdesk.services.imports.run import open_import, read_map, run_import

    map_text = read_map(map_) if map_ else None
    zone, who = read(lambda s, a: (desk_zone(s), a))
    job = open_import(file, map_text=map_text, sheet=sheet, dayfirst=dayfirst or None, tz=zone)
    if dry_run and not json_out:
        _print_mapping(job)
    with _progress(job, enabled=sys.stderr.isatty()) as tick:
        report = run_import(desk(), who, job, dry_run=dry_run, strict=strict, rejects=rejects, progress=tick)
    if json_out:
        render.emit_json(report.to_dict())
    else:
        _print_report(report)
    if report.refused:
        raise Invalid(f"{report.rejected} of {report.rows} rows are bad; nothing was imported (--strict)")
    if report.interrupted:
        raise typer.Exit(130)


def _print_mapping(job) -> None:
    source = job.source
    read_as = ""
    if source.encoding:  # a text file: what was sniffed, so a wrong guess shows before the import
        read_as = f", read as {source.encoding}, {_DELIMITERS.get(source.delimiter, repr(source.delimiter))}-separated"
    render.say(f"{job.path.name}, sheet \"{source.sheet_name}\"{read_as}, header on row {source.header_row}:")
    for line in job.mapping():
        render.say(f"  {line}")


class _progress:
    """A rich progress bar on stderr, only for a person watching a terminal."""

    def __init__(self, job, *, enabled: bool):
        self.job, self.enabled, self.bar = job, enabled, None

    def __enter__(self):
        if not self.enabled:
            return lambda rows: None
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        from helpdesk.services.imports.run import estimate_rows

        self.bar = Progress(TextColumn("importing"), BarColumn(), MofNCompleteColumn(),
                            TextColumn("{task.fields[speed]} rows/s"), TimeRemainingColumn(),
                            console=render.console(stderr=True), transient=True)
        self.bar.start()
        task = self.bar.add_task("rows", total=estimate_rows(self.job), speed="-")

        def tick(rows: int) -> None:
            elapsed = self.bar.tasks[0].elapsed or 0
            total = self.bar.tasks[0].total
            speed = f"{rows / elapsed:,.0f}" if elapsed else "-"
            self.bar.update(task, completed=rows, speed=speed,
                            total=max(total, rows) if total is not None else None)
        return tick

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.stop()


def _print_report(report) -> None:
    for error in report.errors[:SHOWN_ERRORS]:
        render.say(f"rejected: {error}", style="red")
    if report.rejected > SHOWN_ERRORS:
        render.say(f"... {report.rejected - SHOWN_ERRORS} more rejected rows (all are in the rejects file)")
    for warning in report.warnings:
        render.say(f"warning: {warning}", style="yellow")
    verb = "would be" if report.dry_run else ""
    # counted per row: a sheet that logs a ticket's changes updates one ticket several times
    rows = [("created a ticket", report.created), ("updated a ticket", report.updated),
            ("changed nothing", report.unchanged), ("rejected", report.rejected),
            ("warnings", len(report.warnings)), ("new requesters", report.new_requesters),
            ("new organizations", report.new_organizations)]
    render.say(f"{report.rows:,} rows read from {report.file}")
    render.table(("rows" + (f" ({verb})" if verb else ""), "count"),
                 [(name, f"{count:,}") for name, count in rows])
    if report.rejects_file:
        render.say(f"bad rows written to {report.rejects_file}: fix them there and import that file")
    if report.dry_run:
        render.say("dry run: nothing was written")
    if report.interrupted:
        render.say("interrupted: whole batches went in; run the same command again to finish")


def export(
    query: list[str] = typer.Argument(None, help="Which tickets (query language); all when empty."),
    out: str = typer.Option(..., "--out", "-o", help="FILE.xlsx, FILE.csv or FILE.json"),
    with_messages: bool = typer.Option(False, "--with-messages", help="Add each ticket's conversation."),
    json_out: bool = JSON,
) -> None:
    """Export tickets to a spreadsheet that `helpdesk import` reads back.

    Examples:\n
      helpdesk export --out all.xlsx\n
      helpdesk export status:open,pending --out open.csv\n
      helpdesk export tag:printer --out printer.json --with-messages
    """
    from helpdesk.services.core.settings import desk_zone
    from helpdesk.services.tickets.export import export_tickets

    text = " ".join(query or [])
    done = read(lambda s, who: export_tickets(s, who, text, out, zone=desk_zone(s),
                                              with_messages=with_messages))
    if json_out:
        render.emit_json({"query": text, "file": out, "count": done.count, "cut_cells": done.cut_cells})
        return
    render.say(f"exported {done.count:,} tickets to {out}")
    if done.cut_cells:
        render.say(f"warning: {done.cut_cells} cells were longer than Excel allows and were cut; "
                   "export to .csv or .json to keep them whole", style="yellow")
