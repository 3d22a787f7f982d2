"""`helpdesk import`: a spreadsheet -> tickets, in batches of whole tickets.

    job = open_import(path, map_text=..., sheet=..., dayfirst=..., tz=desk zone)
    report = run_import(desk, actor, job, dry_run=False, strict=False, progress=callback)

Reading and typing the cells is helpdesk.sheets' job (pure); this runs the batches.
Each batch of rows is one `desk.write` (one transaction), so a crash or ctrl-c leaves
whole tickets or none, and the same command run again finishes the job: rows that
went in are found again by external id or fingerprint and left alone."""

from __future__ import annotations

import re
import sqlite3
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from itertools import islice
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import Session

from helpdesk.db import Desk
from helpdesk.errors import Invalid, NotFound
from helpdesk.models import utcnow
from helpdesk.services.core.actors import Actor, require
from helpdesk.services.core.bulk_sql import is_sqlite
from helpdesk.services.core import collector
from helpdesk.services.imports.batch import (
    Batch,
    Outcome,
    finish_batch,
    import_batch,
    work_out_clocks,
)
from helpdesk.services.imports.people import PeopleBook
from helpdesk.services.imports.rows import DraftMaker
from helpdesk.services.imports.write_behind import Finisher
from helpdesk.sheets import (
    ColumnMap,
    ColumnPlan,
    Record,
    RowError,
    SheetSource,
    load_map,
    open_sheet,
    plan_columns,
    read_records,
    write_rejects,
)

BATCH = 10000  # rows per transaction
ERRORS_KEPT = 200  # shown in the summary; every bad row is in the rejects file
_BOOKS = {".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"}


@dataclass
class ImportJob:
    """An opened sheet and the plan for its columns: what the dry run shows first."""

    path: Path
    source: SheetSource
    plan: ColumnPlan
    tz: ZoneInfo
    dayfirst: bool

    def mapping(self) -> list[str]:
        return self.plan.describe()

    def records(self) -> Iterator[Record]:
        return read_records(self.source, self.plan, tz=self.tz, dayfirst=self.dayfirst)


@dataclass
class ImportReport:
    file: str
    sheet: str
    header_row: int
    dry_run: bool = False
    strict: bool = False
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    new_requesters: int = 0
    new_organizations: int = 0
    warnings: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)  # the first ERRORS_KEPT
    rejects_file: str | None = None
    refused: bool = False  # --strict and some row was bad: nothing was written
    interrupted: bool = False
    mapping: list[str] = field(default_factory=list)

    def add(self, outcome: Outcome) -> None:
        self.created += outcome.created
        self.updated += outcome.updated
        self.unchanged += outcome.unchanged

    def to_dict(self) -> dict:
        data = {k: v for k, v in self.__dict__.items() if k != "errors"}
        data["errors"] = [{"row": e.row, "column": e.column, "reason": e.reason} for e in self.errors]
        return data


def open_import(path: str | Path, *, map_text: str | None = None, sheet: str | None = None,
                dayfirst: bool | None = None, tz: ZoneInfo | None = None) -> ImportJob:
    """Open the sheet and plan its columns. NotFound / Invalid with one clear message."""
    column_map: ColumnMap | None = load_map(map_text) if map_text is not None else None
    cm = column_map or ColumnMap()
    source = open_sheet(path, sheet=sheet or cm.sheet, encoding=cm.encoding, header_row=cm.header_row)
    plan = plan_columns(source.headers, column_map)
    zone = ZoneInfo(cm.timezone) if cm.timezone else tz or ZoneInfo("UTC")
    first = dayfirst if dayfirst is not None else bool(cm.dayfirst)
    return ImportJob(Path(path), source, plan, zone, first)


def read_map(path: str | Path) -> str:
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise NotFound(f"{path}: no such map file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise Invalid(f"{path}: cannot read the map file ({error})") from None


def default_rejects_path(path: Path) -> Path:
    """Next to the input: tickets.xlsx -> tickets.rejects.xlsx, anything else -> .csv."""
    suffix = ".xlsx" if path.suffix.lower() in _BOOKS else ".csv"
    return path.with_name(f"{path.stem}.rejects{suffix}")


Progress = Callable[[int], None]  # rows read so far


def run_import(desk: Desk, actor: Actor, job: ImportJob, *, dry_run: bool = False,
               strict: bool = False, rejects: str | Path | None = None, batch: int = BATCH,
               progress: Progress | None = None) -> ImportReport:
    """Import the sheet; bad rows are reported, skipped and written to the rejects file.

    strict: nothing is written if any row is bad. dry_run: nothing is written at all
    (not even the rejects file). ctrl-c stops after the last whole batch."""
    require(actor, "agent")
    report = ImportReport(str(job.path), job.source.sheet_name, job.source.header_row,
                          dry_run=dry_run, strict=strict, mapping=job.mapping())
    from helpdesk.services.types.catalog import stored_types

    with desk.read() as session:
        book, types = PeopleBook(session), stored_types(session)
    maker = DraftMaker(book, {c.target: c.header for c in reversed(job.plan.columns)},
                       index=desk.backend == "sqlite" and not dry_run, types=types)
    rejected: list[tuple[list, str]] = []
    try:
        with collector.paused() as tidy:
            run = _Run(desk, job, report, maker, rejected, progress, tidy)
            if strict and run.find_bad_rows():
                report.refused = True
            elif dry_run:
                run.rehearse(batch)
            else:
                run.write(actor, batch)
    except KeyboardInterrupt:
        report.interrupted = True
    report.warnings = job.plan.warnings + book.notices.lines()
    if dry_run:
        report.new_requesters = len(book.new_contacts)
        report.new_organizations = len(book.new_orgs)
    else:
        report.new_requesters = book.created["contacts"]
        report.new_organizations = book.created["organizations"]
        if rejected:
            target = Path(rejects) if rejects else default_rejects_path(job.path)
            write_rejects(target, job.source.headers, rejected)
            report.rejects_file = str(target)
    return report


class _Run:
    def __init__(self, desk: Desk, job: ImportJob, report: ImportReport, maker: DraftMaker,
                 rejected: list, progress: Progress | None, tidy: Callable[[], None]):
        self.desk, self.job, self.report, self.maker = desk, job, report, maker
        self.rejected, self.progress = rejected, progress or (lambda rows: None)
        self.tidy = tidy  # the garbage collector is paused: its young objects, between batches

    def find_bad_rows(self) -> bool:
        """--strict: a first pass that only checks every row."""
        for record in self.job.records():
            self.report.rows += 1
            self._check(record)
            if self.report.rows % BATCH == 0:
                self.tidy()
                self.progress(self.report.rows)
        self.progress(self.report.rows)
        return self.report.rejected > 0

    def batches(self, size: int) -> Iterator[list]:
        records = self.job.records()
        self.report.rows = 0
        while chunk := list(islice(records, size)):
            self.report.rows += len(chunk)
            drafts = [self.maker.draft(r) for r in chunk if self._check(r)]
            yield drafts
            self.tidy()
            self.progress(self.report.rows)

    def _check(self, record: Record) -> bool:
        problems = self.maker.problems(record)
        if not problems:
            return True
        self.report.rejected += 1
        room = ERRORS_KEPT - len(self.report.errors)
        self.report.errors += problems[:max(0, room)]
        reasons = "; ".join(f"{e.column}: {e.reason}" for e in problems)
        self.rejected.append((record.raw, f"row {record.row}, {reasons}"))
        return False

    def write(self, actor: Actor, size: int) -> None:
        """Batch after batch; each one commits on the writer thread while the next is read."""
        book, tuning, finisher = self.maker.book, _Tuning(), Finisher(self.desk)
        try:
            for drafts in self.batches(size):
                now = utcnow()
                with self.desk.read() as session:  # while the batch before commits
                    ahead = work_out_clocks(session, drafts, now)
                self._settle(finisher)
                batch = Batch(actor, book, self.job.path.name, now, queued=[], ahead=ahead)
                session, outcome = finisher.begin(partial(_plan, batch=batch, drafts=drafts, tuning=tuning))
                # bound now: the loop moves on while the writer thread runs it
                finisher.finish(session, partial(finish_batch, batch=batch, outcome=outcome))
        finally:
            try:
                self._settle(finisher)  # the batch in flight commits (or fails) before we stop
            finally:
                finisher.close()
                tuning.restore()

    def _settle(self, finisher: Finisher) -> None:
        outcome = finisher.wait()
        if outcome is not None:
            self.maker.book.saved()
            self.report.add(outcome)

    def rehearse(self, size: int) -> None:
        """The dry run: classify every row in one read transaction; nothing is written."""
        from helpdesk.services.core.actors import SYSTEM

        planned: set[str] = set()
        with self.desk.read() as session:
            for drafts in self.batches(size):
                batch = Batch(SYSTEM, self.maker.book, self.job.path.name, utcnow(),
                              apply=False, planned=planned)
                self.report.add(import_batch(session, batch, drafts))


def _plan(session: Session, *, batch: Batch, drafts: list, tuning: _Tuning) -> Outcome:
    return import_batch(tuning.tuned(session), batch, drafts)


# -- SQLite tuning for the run -----------------------------------------------------

# A page cache that holds the ticket table's indexes (13 of them, each touched by every
# insert) and checkpoints every ~80 MB of log instead of every 4 MB: a third off the
# time SQLite takes. Set on the connections the run writes with, then put back.
_PRAGMAS = {"cache_size": -65536, "wal_autocheckpoint": 20000}


class _Tuning:
    def __init__(self):
        self.before: dict[str, int] = {}
        self.connections: list = []  # DB-API connections tuned (the pool may hand out several)

    def tuned(self, session: Session) -> Session:
        if is_sqlite(session):
            connection = session.connection()
            raw = connection.connection.dbapi_connection
            if all(raw is not seen for seen in self.connections):
                for name, value in _PRAGMAS.items():
                    self.before.setdefault(name, connection.exec_driver_sql(f"PRAGMA {name}").scalar())
                    connection.exec_driver_sql(f"PRAGMA {name} = {value}")
                self.connections.append(raw)
        return session

    def restore(self) -> None:
        """Back to what they were, on every connection tuned (none of them is in a
        transaction of the run any more; a pragma needs none)."""
        for raw in self.connections:
            try:
                for name, value in self.before.items():
                    raw.execute(f"PRAGMA {name} = {int(value)}")
            except sqlite3.Error:  # closed by the pool since: nothing left to put back
                continue
        self.connections.clear()


# -- progress -----------------------------------------------------------------------

_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="[A-Z]*\d+:?[A-Z]*(\d+)?"')


def estimate_rows(job: ImportJob) -> int | None:
    """Roughly how many rows the sheet has, for an ETA; None when it cannot tell cheaply."""
    path = job.path
    try:
        if zipfile.is_zipfile(path):
            return _xlsx_rows(path, job.source.sheet_name)
        size = path.stat().st_size
        with path.open("rb") as stream:
            head = stream.read(1 << 16)
    except (OSError, zipfile.BadZipFile, KeyError):
        return None
    lines = head.count(b"\n")
    if not lines:
        return None
    return max(1, int(size * lines / len(head)) - job.source.header_row)


def _xlsx_rows(path: Path, sheet_name: str) -> int | None:
    with zipfile.ZipFile(path) as archive:
        names = [n for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
        target = _sheet_part(archive, sheet_name) or (names[0] if len(names) == 1 else None)
        if target is None:
            return None
        with archive.open(target) as stream:
            found = _DIMENSION.search(stream.read(4096))
    if not found or not found.group(1):
        return None
    return int(found.group(1))


def _sheet_part(archive: zipfile.ZipFile, sheet_name: str) -> str | None:
    """The worksheet file of a named sheet (workbook.xml names it, its .rels locates it)."""
    try:
        book = archive.read("xl/workbook.xml").decode("utf-8", "replace")
        rels = archive.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
    except KeyError:
        return None
    from html import unescape

    for name, rid in re.findall(r'<(?:\w+:)?sheet\b[^>]*?name="([^"]*)"[^>]*?r:id="([^"]*)"', book):
        if unescape(name) == sheet_name:
            target = re.search(rf'Id="{re.escape(rid)}"[^>]*?Target="([^"]*)"', rels) or \
                re.search(rf'Target="([^"]*)"[^>]*?Id="{re.escape(rid)}"', rels)
            if target:
                part = target.group(1).lstrip("/")
                return part if part.startswith("xl/") else f"xl/{part}"
    return None
