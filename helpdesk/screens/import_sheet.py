"""The import screen: pick a file, see the column mapping and the dry run, then import
it with a progress bar. The database work runs in thread workers that post messages;
the handlers here own every change to the widgets. Needs `app.desk` and `app.actor`."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, ProgressBar, Static
from textual.worker import Worker, WorkerState

from helpdesk.text import literal


class Previewed(Message):
    def __init__(self, mapping: list[str], report) -> None:
        super().__init__()
        self.mapping, self.report = mapping, report


class Advanced(Message):
    def __init__(self, rows: int, total: int | None) -> None:
        super().__init__()
        self.rows, self.total = rows, total


class Imported(Message):
    def __init__(self, report) -> None:
        super().__init__()
        self.report = report


class ImportScreen(Screen):
    """`ImportScreen(path)`: the path is prefilled and previewed at once when given."""

    CSS_PATH = "import_sheet.tcss"
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="import.back"),
        Binding("ctrl+r", "preview", "Dry run", id="import.preview"),
        Binding("ctrl+s", "run_import", "Import", id="import.run"),
    ]

    def __init__(self, path: str | None = None) -> None:
        super().__init__()
        self.path = path
        self.previewed: str | None = None  # the path the shown dry run is for

    def compose(self) -> ComposeResult:
        yield Label("Import tickets from a spreadsheet (.xlsx, .xls, .ods, .csv, .tsv)", id="import-title")
        with Horizontal(id="import-pick"):
            yield Input(value=self.path or "", placeholder="path/to/tickets.xlsx", id="import-path")
            yield Button("Dry run", id="import-preview")
            yield Button("Import", id="import-run", variant="primary", disabled=True)
        yield ProgressBar(id="import-progress", show_eta=True)
        with VerticalScroll(id="import-body"):
            yield Static(id="import-mapping")
            yield Static(id="import-result")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#import-progress").display = False
        if self.path:
            self.action_preview()
        else:
            self.query_one("#import-path", Input).focus()

    # -- actions -------------------------------------------------------------------

    @on(Button.Pressed, "#import-preview")
    @on(Input.Submitted, "#import-path")
    def action_preview(self) -> None:
        path = self._path()
        if path:
            self._say("#import-result", "reading the sheet ...")
            self.query_one("#import-run", Button).disabled = True
            self.preview(path)

    @on(Button.Pressed, "#import-run")
    def action_run_import(self) -> None:
        path = self._path()
        if not path or path != self.previewed:
            self.notify("run the dry run first (ctrl+r)", severity="warning")
            return
        self.query_one("#import-run", Button).disabled = True
        bar = self.query_one("#import-progress", ProgressBar)
        bar.display = True
        bar.update(total=None, progress=0)
        self.run_it(path)

    def _path(self) -> str | None:
        text = self.query_one("#import-path", Input).value.strip()
        if not text:
            self.notify("type the path of the sheet to import", severity="warning")
            return None
        return str(Path(text).expanduser())

    # -- workers (own sessions; results come back as messages) -------------------------

    def _job(self, path: str):
        from helpdesk.services.core.settings import desk_zone
        from helpdesk.services.imports.run import open_import

        with self.app.desk.read() as session:
            zone = desk_zone(session)
        return open_import(path, tz=zone)

    @work(thread=True, exclusive=True, exit_on_error=False, group="import")
    def preview(self, path: str) -> None:
        from helpdesk.services.imports.run import run_import

        job = self._job(path)
        report = run_import(self.app.desk, self.app.actor, job, dry_run=True)
        self.post_message(Previewed(job.mapping(), report))

    @work(thread=True, exclusive=True, exit_on_error=False, group="import")
    def run_it(self, path: str) -> None:
        from helpdesk.services.imports.run import estimate_rows, run_import

        job = self._job(path)
        total = estimate_rows(job)
        report = run_import(self.app.desk, self.app.actor, job,
                            progress=lambda rows: self.post_message(Advanced(rows, total)))
        self.post_message(Imported(report))

    # -- handlers ------------------------------------------------------------------

    def on_previewed(self, message: Previewed) -> None:
        self.previewed = self._path()
        self._say("#import-mapping", "Columns:\n" + "\n".join(f"  {line}" for line in message.mapping))
        self._say("#import-result", "Dry run (nothing written):\n" + summary(message.report))
        self.query_one("#import-run", Button).disabled = False

    def on_advanced(self, message: Advanced) -> None:
        total = max(message.total, message.rows) if message.total else None
        self.query_one("#import-progress", ProgressBar).update(total=total, progress=message.rows)

    def on_imported(self, message: Imported) -> None:
        bar = self.query_one("#import-progress", ProgressBar)
        bar.update(total=message.report.rows or 1, progress=message.report.rows or 1)
        self._say("#import-result", "Imported:\n" + summary(message.report))
        self.previewed = None
        self.notify(f"imported {message.report.created} new tickets; {message.report.updated} rows updated existing ones")

    @on(Worker.StateChanged)
    def worker_failed(self, event: Worker.StateChanged) -> None:
        if event.state != WorkerState.ERROR:
            return
        from helpdesk.errors import HelpdeskError

        error = event.worker.error
        text = error.message if isinstance(error, HelpdeskError) else f"{type(error).__name__}: {error}"
        self._say("#import-result", f"Not imported: {text}")
        self.query_one("#import-progress").display = False
        self.notify(literal(text), severity="error", timeout=10)

    def _say(self, where: str, text: str) -> None:
        self.query_one(where, Static).update(Text(literal(text, multiline=True)))


def summary(report) -> str:
    """The report as the screen shows it: counts, then bad rows and warnings."""
    lines = [f"  {report.rows} rows: {report.created} created, {report.updated} updated, "
             f"{report.unchanged} unchanged, {report.rejected} rejected",
             f"  new requesters: {report.new_requesters}, new organizations: {report.new_organizations}"]
    lines += [f"  rejected: {error}" for error in report.errors[:50]]
    lines += [f"  warning: {warning}" for warning in report.warnings]
    if report.rejects_file:
        lines.append(f"  bad rows written to {report.rejects_file}")
    if report.interrupted:
        lines.append("  interrupted: import again to finish")
    return "\n".join(lines)
