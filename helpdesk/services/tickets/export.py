"""`helpdesk export`: tickets -> .xlsx, .csv or .json that `helpdesk import` reads back.

Streamed: tickets are read in keyset pages by number and written as they come (openpyxl
write-only mode for xlsx), so an export of a million tickets holds one page in memory.
The id column holds the ticket's external id, or `#N` when it has none; the importer
maps it to external_id. Text cells that a spreadsheet would run as a formula are
neutralised (helpdesk.sheets.safe_cell)."""

from __future__ import annotations

import csv
import json
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlmodel import Session

from helpdesk.errors import Invalid
from helpdesk.models import (
    Agent,
    Contact,
    Message,
    Organization,
    Team,
    Ticket,
)
from helpdesk.services.core.actors import Actor
from helpdesk.services.tickets.lifecycle import tags_of_many
from helpdesk.services.tickets.listing import condition, ticket_dicts
from helpdesk.sheets import safe_cell
from helpdesk.sheets.columns import known_field

PAGE = 500
XLSX_CELL_MAX = 32_767  # Excel refuses longer cells
FORMATS = (".xlsx", ".csv", ".json")
HEADERS = ["ID", "Subject", "Status", "Priority", "Type", "Channel", "Requester name",
           "Requester email", "Requester phone", "Organization", "Assignee", "Team", "Tags",
           "Created at", "Updated at", "Solved at"]
T = Ticket.__table__.c
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # what xlsx XML cannot hold


@dataclass
class ExportResult:
    count: int
    cut_cells: int = 0  # xlsx cells cut to Excel's limit


def export_tickets(session: Session, actor: Actor, text: str, out: str | Path, *,
                   zone: ZoneInfo, with_messages: bool = False) -> ExportResult:
    """Write the tickets matching `text` (all when empty) to `out`, by its extension."""
    out = Path(out)
    kind = out.suffix.lower()
    if kind not in FORMATS:
        raise Invalid(f"{out.name}: export writes {', '.join(FORMATS)}", field="out")
    where = condition(session, actor, text, tz=zone)
    try:
        if kind == ".json":
            return _write_json(session, where, out, with_messages)
        sheet = _Sheet(session, where, zone, with_messages)
        return _write_xlsx(sheet, out) if kind == ".xlsx" else _write_csv(sheet, out)
    except OSError as error:
        raise Invalid(f"{out}: cannot write ({error.strerror})", field="out") from None


def pages(session: Session, where) -> Iterator[list[Ticket]]:
    """Every matching ticket, by number, a page at a time (keyset: no OFFSET)."""
    last = 0
    while True:
        page = list(session.execute(select(Ticket).where(where, T.id > last)
                                    .order_by(T.id).limit(PAGE)).scalars())
        if not page:
            return
        yield page
        last = page[-1].id
        session.expunge_all()  # the identity map would otherwise keep every page


class _Sheet:
    """The export as rows of cells: the header first, then one row per ticket."""

    def __init__(self, session: Session, where, zone: ZoneInfo, with_messages: bool):
        self.session, self.where, self.zone, self.with_messages = session, where, zone, with_messages
        self.fields = self._field_keys()
        self.comments = self._most_messages() - 1 if with_messages else 0
        self.count = 0

    def _field_keys(self) -> list[str]:
        keys: dict[str, None] = {}
        last = 0
        while True:  # a light first pass over only the fields column
            rows = self.session.execute(select(T.id, T.fields).where(self.where, T.id > last)
                                        .order_by(T.id).limit(5000)).all()
            if not rows:
                return sorted(keys)
            for _, fields in rows:
                keys.update(dict.fromkeys(fields or {}))
            last = rows[-1][0]

    def _most_messages(self) -> int:
        counts = (select(func.count().label("n")).select_from(Message)
                  .where(Message.ticket_id.in_(select(T.id).where(self.where)))
                  .group_by(Message.ticket_id).subquery())
        return self.session.execute(select(func.max(counts.c.n))).scalar() or 0

    def header(self) -> list[str]:
        names = HEADERS + [_field_header(k) for k in self.fields]
        if self.with_messages:
            names += ["Description"] + ["Comment"] * max(0, self.comments)
        return names

    def rows(self, local_times: bool) -> Iterator[list]:
        for page in pages(self.session, self.where):
            related = _Related(self.session, page, self.with_messages)
            for ticket in page:
                self.count += 1
                yield self._row(ticket, related, local_times)

    def _row(self, t: Ticket, r: _Related, local: bool) -> list:
        who = r.contacts.get(t.requester_id)
        agent = r.agents.get(t.assignee_id)
        cells = [t.external_id or f"#{t.id}", t.subject, t.status, t.priority, t.type, t.channel,
                 who.name if who else None, who.email if who else None, who.phone if who else None,
                 r.orgs[t.organization_id].name if t.organization_id in r.orgs else None,
                 agent.email if agent else None,
                 r.teams[t.team_id].name if t.team_id in r.teams else None,
                 " ".join(r.tags[t.id]),
                 self._time(t.created_at, local), self._time(t.updated_at, local),
                 self._time(t.solved_at, local)]
        cells += [(t.fields or {}).get(k) for k in self.fields]
        if self.with_messages:
            messages = r.messages[t.id]
            cells.append(messages[0][2] if messages else None)
            later = [f"{at.astimezone(self.zone).isoformat()};{author};{body}"
                     for at, author, body in messages[1:]]
            cells += later + [None] * (self.comments - len(later))
        return cells

    def _time(self, value: datetime | None, local: bool):
        if value is None:
            return None
        value = value.astimezone(self.zone)
        return value.replace(tzinfo=None) if local else value.isoformat()


def _field_header(key: str) -> str:
    """A custom field keeps its name unless the importer would take it for a ticket field."""
    return f"Custom field ({key})" if known_field(key) else key


class _Related:
    """The rows one page of tickets points at, loaded in a few queries."""

    def __init__(self, session: Session, page: list[Ticket], with_messages: bool):
        self.contacts = _by_id(session, Contact, {t.requester_id for t in page})
        self.orgs = _by_id(session, Organization, {t.organization_id for t in page})
        self.agents = _by_id(session, Agent, {t.assignee_id for t in page})
        self.teams = _by_id(session, Team, {t.team_id for t in page})
        ids = [t.id for t in page]
        self.tags = tags_of_many(session, ids)
        self.messages: dict[int, list[tuple]] = defaultdict(list)
        if with_messages:
            self._load_messages(session, ids)

    def _load_messages(self, session: Session, ids: list[int]) -> None:
        rows = session.execute(
            select(Message.ticket_id, Message.created_at, Agent.email, Contact.email,
                   Message.author_name, Message.body)
            .outerjoin(Agent, Agent.id == Message.author_agent_id)
            .outerjoin(Contact, Contact.id == Message.author_contact_id)
            .where(Message.ticket_id.in_(ids)).order_by(Message.created_at, Message.id))
        for tid, at, agent, contact, name, body in rows:
            author = (agent or contact or name or "").replace(";", ",")
            self.messages[tid].append((at, author, body))


def _by_id(session: Session, model, ids: set) -> dict:
    ids.discard(None)
    if not ids:
        return {}
    return {row.id: row for row in session.execute(select(model).where(model.id.in_(ids))).scalars()}


def _write_csv(sheet: _Sheet, out: Path) -> ExportResult:
    with out.open("w", encoding="utf-8-sig", newline="") as stream:  # BOM: Excel reads Chinese right
        writer = csv.writer(stream)
        writer.writerow(sheet.header())
        for row in sheet.rows(local_times=False):
            writer.writerow(["" if v is None else safe_cell(v) for v in row])
    return ExportResult(sheet.count)


def _write_xlsx(sheet: _Sheet, out: Path) -> ExportResult:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    page = book.create_sheet("Tickets")
    page.append(sheet.header())
    cut = 0
    for row in sheet.rows(local_times=True):
        cells = []
        for value in row:
            if type(value) is str:
                value = _XML_ILLEGAL.sub("", value)
                if len(value) > XLSX_CELL_MAX:
                    value, cut = value[:XLSX_CELL_MAX], cut + 1
            cells.append(safe_cell(value))
        page.append(cells)
    book.save(out)
    return ExportResult(sheet.count, cut)


def _write_json(session: Session, where, out: Path, with_messages: bool) -> ExportResult:
    count = 0
    with out.open("w", encoding="utf-8") as stream:
        stream.write("[")
        for page in pages(session, where):
            dicts = ticket_dicts(session, page)
            if with_messages:
                related = _Related(session, page, True)
                for data in dicts:
                    data["messages"] = [{"author": a or None, "body": b, "created_at": at.isoformat()}
                                        for at, a, b in related.messages[data["id"]]]
            for data in dicts:
                stream.write(("\n" if count == 0 else ",\n")
                             + json.dumps(data, ensure_ascii=False, default=str))
                count += 1
        stream.write("\n]\n")
    return ExportResult(count)

