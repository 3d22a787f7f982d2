"""One batch of an import inside one transaction: find what exists, create the rest in bulk.

A ticket is found again by its external id (the sheet's id column) or, without one, by
the row's fingerprint. A found ticket whose stored fingerprint equals the row's is
unchanged (so a re-run does not undo what agents did since); otherwise the row's
non-blank cells update it. New tickets go in with SQLAlchemy Core bulk inserts (the
per-ticket `create_ticket` costs 1-2 ms, too slow for 100k rows): tickets, their
messages, tags, one 'imported' event each, and their full-text documents.

On SQLite the bulk inserts can be queued (`Batch.queued`) as one statement per table
over a JSON array, for `finish_batch` to run on the write-behind thread: SQLite works
through a whole statement without the GIL, while executemany needs it for every row."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from helpdesk import search
from helpdesk.models import (
    Event,
    ImportFingerprint,
    Message,
    SlaClock,
    Ticket,
    TicketTag,
)
from helpdesk.services.core import bus
from helpdesk.services.core.actors import Actor
from helpdesk.services.core.audit import record
from helpdesk.services.core.bulk_sql import (
    Queue,
    insert_rows,
    is_sqlite,
    listed,
    run_queued,
)
from helpdesk.services.imports.clocks_ahead import ClocksAhead, NewTicket, Undecided
from helpdesk.services.imports.people import PeopleBook
from helpdesk.services.insight.columns import COLUMNS as INSIGHT_COLUMNS
from helpdesk.services.insight.columns import FreshFigures
from helpdesk.services.imports.rows import NOT_WORKED_OUT, Draft
from helpdesk.services.sla.fresh import COLUMNS as CLOCK_COLUMNS
from helpdesk.services.sla.fresh import SUMMARY
from helpdesk.services.sla.policies import stored_config
from helpdesk.services.tickets.indexing import reindex

T, M, G, E = Ticket.__table__, Message.__table__, TicketTag.__table__, Event.__table__
F = ImportFingerprint.__table__
_COLUMNS = (T.c.id, T.c.external_id, T.c.fingerprint, T.c.subject, T.c.status, T.c.priority,
            T.c.type, T.c.channel, T.c.requester_id, T.c.organization_id, T.c.assignee_id,
            T.c.team_id, T.c.fields, T.c.created_at, T.c.solved_at, T.c.closed_at)
_PLAIN = ("subject", "status", "priority", "type", "channel", "created_at")
_ASSIGNED = ("assignee_id", "team_id")  # None here means "unknown": it never unassigns


@dataclass
class Outcome:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    created_ids: list[int] = field(default_factory=list)  # empty in a dry run
    updated_ids: list[int] = field(default_factory=list)


@dataclass
class Batch:
    """What a batch needs besides its drafts."""

    actor: Actor
    book: PeopleBook
    label: str  # the file's name, for events
    now: datetime
    apply: bool = True  # False: a dry run, classify only
    planned: set[str] | None = None  # dry run: keys an earlier batch would have created
    queued: Queue | None = None  # SQLite write-behind: statements for finish_batch
    ahead: ClocksAhead | None = None  # what work_out_clocks used on the drafts, before the transaction
    clocked: list[int] = field(default_factory=list)  # new tickets whose SLA clocks went in with them
    figured: list[int] = field(default_factory=list)  # new tickets whose report figures went in with them
    repeated: set[str] = field(default_factory=set)  # keys on several rows of the batch (a log)


def import_batch(session: Session, batch: Batch, drafts: list[Draft]) -> Outcome:
    """Plan and write one batch; with `batch.queued`, the bulk inserts (and the
    subscribers) wait for `finish_batch`, which must run in the same transaction."""
    outcome = Outcome()
    if batch.apply:
        batch.book.save(session)
    found = _existing(session, drafts)
    drafts = _past_what_was_applied(session, drafts, found, outcome)
    parts = _parts(drafts)
    batch.repeated = {key for key, rows in Counter(d.key for d in drafts).items() if rows > 1}
    for number, part in enumerate(parts):
        if number:
            _run_queued(session, batch)  # a later part must see the tickets an earlier one made
        _import_part(session, batch, part, outcome, found if number == 0 else None)
    if batch.queued is None:
        finish_batch(session, batch, outcome)
    return outcome


def finish_batch(session: Session, batch: Batch, outcome: Outcome) -> Outcome:
    _run_queued(session, batch)
    if batch.apply and (outcome.created_ids or outcome.updated_ids):
        bus.publish(session, bus.DomainEvent("tickets.imported", None, batch.actor, data={
            "ids": outcome.created_ids, "updated": outcome.updated_ids,
            "clocked": batch.clocked, "figured": batch.figured}))
    return outcome


def _run_queued(session: Session, batch: Batch) -> None:
    if batch.queued:
        run_queued(session, batch.queued)


def _parts(drafts: list[Draft]) -> list[list[Draft]]:
    """Split where a key repeats (a log with one row per state change): the later
    row must see the ticket the earlier one made."""
    parts, current, keys = [], [], set()
    for draft in drafts:
        if draft.key in keys:
            parts.append(current)
            current, keys = [], set()
        current.append(draft)
        keys.add(draft.key)
    return [*parts, current] if current else parts


def _past_what_was_applied(session: Session, drafts: list[Draft], found: dict,
                           outcome: Outcome) -> list[Draft]:
    """A sheet that logs a ticket's changes holds several rows for it, in order. Its
    rows up to the last one an import already applied (the ticket's current row, or
    one remembered in import_fingerprint) are done: counted unchanged, so a re-run
    never replays the log over what agents did since. The rows after it are new
    (appended to the log, or edited) and go in, in order."""
    known = _applied(session, {found[d.key].id for d in drafts if d.key in found})
    last: dict[str, int] = {}  # key -> the index of its last row already applied
    for index, draft in enumerate(drafts):
        old = found.get(draft.key)
        if old is not None and (draft.fingerprint == old.fingerprint or draft.fingerprint in known.get(old.id, ())):
            last[draft.key] = index
    if not last:
        return drafts
    kept = [draft for index, draft in enumerate(drafts) if index > last.get(draft.key, -1)]
    outcome.unchanged += len(drafts) - len(kept)
    return kept


def _import_part(session: Session, batch: Batch, drafts: list[Draft], outcome: Outcome,
                 found: dict | None = None) -> None:
    found = _existing(session, drafts) if found is None else found
    fresh, changed = [], []
    for draft in drafts:
        old = found.get(draft.key)
        if old is None and batch.planned is not None and draft.key in batch.planned:
            if draft.external_id:  # a dry run: an earlier row would have made it
                outcome.updated += 1
            else:
                outcome.unchanged += 1
        elif old is None:
            fresh.append(draft)
        elif old.fingerprint == draft.fingerprint:
            outcome.unchanged += 1
        else:
            changed.append((draft, old))
    outcome.created += len(fresh)
    if batch.apply:
        outcome.created_ids += _create(session, batch, fresh)
    elif batch.planned is not None:
        batch.planned.update(d.key for d in fresh)
    if changed:
        _update(session, batch, changed, outcome)


def _existing(session: Session, drafts: list[Draft]) -> dict[str, object]:
    """key -> the stored ticket: by external id, by fingerprint, or `#N` (our own export)
    when ticket N has no external id and was created at the row's creation time."""
    ext = [d.external_id for d in drafts if d.external_id]
    prints = [d.fingerprint for d in drafts if not d.external_id]
    found: dict[str, object] = {}
    if ext:
        for row in session.execute(select(*_COLUMNS).where(T.c.external_id.in_(listed(session, ext)))):
            found[f"x:{row.external_id}"] = row
    if prints:
        for row in session.execute(select(*_COLUMNS).where(T.c.fingerprint.in_(listed(session, prints)))):
            found.setdefault(f"f:{row.fingerprint}", row)
    own = {int(d.external_id[1:]): d for d in drafts if d.key not in found and _own_number(d)}
    if own:
        for row in session.execute(select(*_COLUMNS).where(and_(
                T.c.id.in_(list(own)), T.c.external_id.is_(None)))):
            draft = own[row.id]
            if _same_time(draft.values["created_at"], row.created_at):
                found[draft.key] = row
    return found


def _applied(session: Session, ids: set[int]) -> dict[int, set[str]]:
    """Ticket id -> the fingerprints of rows an import applied to it before its current one."""
    known: dict[int, set[str]] = defaultdict(set)
    if ids:
        for tid, fingerprint in session.execute(select(F.c.ticket_id, F.c.fingerprint).where(
                F.c.ticket_id.in_(listed(session, list(ids))))):
            known[tid].add(fingerprint)
    return known


def _same_time(a: datetime | None, b: datetime | None) -> bool:
    """Equal to the second: a spreadsheet's date serial loses the microseconds."""
    return a == b or (a is not None and b is not None and abs((a - b).total_seconds()) < 1)


def _own_number(draft: Draft) -> bool:
    ext = draft.external_id or ""
    return ext[:1] == "#" and ext[1:].isdigit() and "created_at" in draft.values


# -- creating -------------------------------------------------------------------

_TICKET = ("subject", "status", "priority", "type", "channel", "requester_id", "organization_id",
           "assignee_id", "team_id", "external_id", "fingerprint", "fields", "created_at",
           "updated_at", "solved_at", "closed_at")
_NEW_TICKET = {"parent_id": None, "merged_into_id": None, "first_response_at": None, "version": 1}
_MESSAGE = ("ticket_id", "kind", "author_agent_id", "author_contact_id", "author_name", "body",
            "channel", "created_at")
_NEW_MESSAGE = {"mail_message_id": None, "headers": {}}
_TAG = ("ticket_id", "tag")
_EVENT = ("ticket_id", "entity_id", "new")  # the rest is the same for the whole batch
_CHANNEL, _CREATED, _STATUS, _SOLVED, _ASSIGNEE = (_TICKET.index(name) for name in (
    "channel", "created_at", "status", "solved_at", "assignee_id"))
FIGURES = INSIGHT_COLUMNS  # the report figures, worked out before the insert (insight.columns.FreshFigures)
_NO_FIGURES = tuple(0 if name in ("agent_replies", "reopens", "open_seconds", "pending_seconds", "on_hold_seconds")
                    else None for name in FIGURES)  # the columns' defaults: the subscriber works them out


def _create(session: Session, batch: Batch, drafts: list[Draft]) -> list[int]:
    if not drafts:
        return []
    rows = [_ticket_row(d, batch.now) for d in drafts]
    if is_sqlite(session):
        ids = _next_ids(session, len(rows))
        summaries, clocks, figures = _clocks_ahead(session, batch, ids, drafts, rows)
        if figures:  # the report figures too (insight.columns.FreshFigures): no pass after the insert
            insert_rows(session, T, ("id", *_TICKET, *SUMMARY, *FIGURES), [
                (tid, *row, *summary, *figured) for tid, row, summary, figured in zip(ids, rows, summaries, figures)],
                batch.queued, same=_NEW_TICKET)
        else:
            insert_rows(session, T, ("id", *_TICKET, *SUMMARY), [
                (tid, *row, *summary) for tid, row, summary in zip(ids, rows, summaries)],
                batch.queued, same=_NEW_TICKET)
        insert_rows(session, SlaClock.__table__, CLOCK_COLUMNS, clocks, batch.queued)
    else:  # SQLAlchemy's ordered RETURNING (SQLite would go row by row)
        ids = list(session.execute(insert(T).returning(T.c.id, sort_by_parameter_order=True),
                                   [dict(zip(_TICKET, row)) | _NEW_TICKET for row in rows]).scalars())
    messages, tags, events = [], [], []
    label = batch.label
    for tid, draft, row in zip(ids, drafts, rows):
        channel, created = row[_CHANNEL], row[_CREATED]
        for kind, body, at, contact, agent_id, name in draft.messages:
            messages.append((tid, kind, agent_id, contact.id if contact else None, name, body,
                             channel, at or created))
        if draft.tags:
            tags += [(tid, tag) for tag in draft.tags]
        events.append((tid, tid, f"{label} row {draft.row}"))
    insert_rows(session, M, _MESSAGE, messages, batch.queued, same=_NEW_MESSAGE)
    insert_rows(session, G, _TAG, tags, batch.queued)
    insert_rows(session, E, _EVENT, events, batch.queued, same={
        "entity": "ticket", "at": batch.now, "actor": batch.actor.label, "field": "imported",
        "old": None, "reason": None})
    if is_sqlite(session):  # new tickets: nothing to replace in the index
        indexed = [(tid, d.indexed if d.indexed is not None else search.index_text(d.document()))
                   for tid, d in zip(ids, drafts)]
        insert_rows(session, search.TABLE, ("rowid", "doc"), indexed, batch.queued)
    else:
        search.store(session, [(tid, d.document()) for tid, d in zip(ids, drafts)])
    return ids


def _next_ids(session: Session, count: int) -> list[int]:
    """SQLite: the write transaction holds the database lock (BEGIN IMMEDIATE), so
    numbering after max(id) is safe, and one statement inserts them all."""
    first = (session.execute(select(func.max(T.c.id))).scalar() or 0) + 1
    return list(range(first, first + count))


_NO_SUMMARY = (None,) * len(SUMMARY)


def work_out_clocks(session: Session, drafts: list[Draft], now: datetime) -> ClocksAhead | None:
    """Outside the write transaction (an import reads the next batch meanwhile): the SLA
    summary and clock rows of each draft not stored yet, for `_create` to number under
    the lock. None when the database must match the policies (sla_match)."""
    ahead = ClocksAhead.build(session, now, settle=True)
    if ahead is None:
        return None
    stored = _existing(session, drafts)
    try:
        for draft in drafts:
            if draft.key not in stored:
                draft.clocks = _clocks_of(ahead, 0, draft, _ticket_row(draft, now))
    except Undecided:
        return None
    return ahead


def _clocks_ahead(session: Session, batch: Batch, ids: list[int], drafts: list[Draft],
                  rows: list[tuple]) -> tuple[list[tuple], list[tuple], list[tuple]]:
    """The new tickets' SLA summary columns and clock rows, worked out before they are
    stored when Python can match the policies (sla_match); their ids go to
    batch.clocked. The rest get empty summaries, and the subscriber works theirs out
    after the batch: all of them when the database must match the policies, and
    those a later row of the batch changes again (a log: clocks for the last state).
    Drafts worked out ahead under the policies still stored are only numbered.
    The tickets clocked here get their report figures too (the third list, empty when
    none; ids in batch.figured); the others get the columns' defaults and the insight
    subscriber's pass."""
    nothing = [_NO_SUMMARY] * len(rows), [], []
    ahead = batch.ahead
    if ahead is None or ahead.config is not stored_config(session):
        ahead = ClocksAhead.build(session, batch.now, settle=True)
        for draft in drafts:
            draft.clocks = NOT_WORKED_OUT
    if ahead is None:
        return nothing
    clocks, summaries, clocked, figures = [], [], [], []
    fresh = FreshFigures(ahead.config)
    try:
        for tid, draft, row in zip(ids, drafts, rows):
            if draft.key in batch.repeated:  # the subscriber: clocks of where the log ends
                summaries.append(_NO_SUMMARY)
                figures.append(_NO_FIGURES)
                continue
            done = draft.clocks if draft.clocks is not NOT_WORKED_OUT else _clocks_of(ahead, tid, draft, row)
            clocked.append(tid)
            summary, clock_rows = done or (_NO_SUMMARY, ())
            summaries.append(summary)
            clocks += [(tid, *clock[1:]) for clock in clock_rows]
            created = row[_CREATED]
            figures.append(fresh.row(created, row[_STATUS], row[_SOLVED], [
                (at or created, agent_id, contact is not None)
                for kind, _, at, contact, agent_id, _ in draft.messages if kind == "reply"], summary[0], clock_rows,
                row[_ASSIGNEE]))
    except Undecided:
        return nothing
    batch.clocked += clocked
    batch.figured += clocked
    return summaries, clocks, figures if clocked else []


def _clocks_of(ahead: ClocksAhead, tid: int, draft: Draft, row: tuple) -> tuple | None:
    done = ahead.rows(tid, _new_ticket(draft, row))
    return None if done is None else (done[1][1:], done[0])


def _new_ticket(draft: Draft, row: tuple) -> NewTicket:
    (_, status, priority, kind, channel, _, _, assignee, team, _, _, fields, created, updated, solved,
     closed) = row  # _TICKET's order
    return NewTicket(status, priority, channel, created, updated, kind, solved, closed, assignee, team,
                     draft.requester, draft.organization, draft.tags or [], fields)


def _ticket_row(draft: Draft, now: datetime) -> tuple:
    """A new ticket's values in `_TICKET` order."""
    v = draft.values
    created = v.get("created_at") or now
    status = v.get("status", "new")
    solved = v.get("solved_at")
    if solved is None and status in ("solved", "closed"):
        solved = v.get("updated_at") or created
    closed = (v.get("updated_at") or solved) if status == "closed" else None
    updated = max(t for t in (created, v.get("updated_at"), solved, closed) if t)
    return (v["subject"], status, v.get("priority", "normal"), v.get("type"), v.get("channel", "import"),
            draft.requester.id if draft.requester else None,
            draft.organization.id if draft.organization else None,
            v.get("assignee_id"), v.get("team_id"), draft.external_id, draft.fingerprint,
            v.get("fields", {}), created, updated, solved, closed)


def _update(session: Session, batch: Batch, changed: list, outcome: Outcome) -> None:
    ids = [old.id for _, old in changed]
    tags, bodies = defaultdict(set), defaultdict(set)
    for tid, tag in session.execute(select(G.c.ticket_id, G.c.tag).where(G.c.ticket_id.in_(ids))):
        tags[tid].add(tag)
    for tid, body in session.execute(select(M.c.ticket_id, M.c.body).where(M.c.ticket_id.in_(ids))):
        bodies[tid].add(body)
    since = _last_status_change(session, ids)
    touched, replaced = [], []
    for draft, old in changed:
        diff, messages = _diff(draft, old, tags[old.id]), [m for m in draft.messages if m[1] not in bodies[old.id]]
        if old.fingerprint:
            replaced.append({"ticket_id": old.id, "fingerprint": old.fingerprint})
        if not diff and not messages:
            outcome.unchanged += 1  # new fingerprint, same content (e.g. columns moved)
            if batch.apply:
                session.execute(update(T).where(T.c.id == old.id).values(fingerprint=draft.fingerprint))
            continue
        outcome.updated += 1
        if batch.apply:
            outcome.updated_ids.append(old.id)
            at = _changed_at(draft, since.get(old.id) or old.created_at, batch.now)
            _apply(session, batch, draft, old, diff, messages, at)
            since[old.id] = at
            touched.append(old.id)
    if replaced and batch.apply:  # remembered, so a re-run does not apply those rows again
        session.execute(_insert_new(session, F), replaced)
    if touched:
        session.flush()
        reindex(session, touched)


def _insert_new(session: Session, table):
    """INSERT that skips rows already there (a log that returns to an earlier state; two
    imports changing one ticket at once on PostgreSQL)."""
    if is_sqlite(session):
        return sqlite_insert(table).on_conflict_do_nothing()
    return postgresql_insert(table).on_conflict_do_nothing()


def _diff(draft: Draft, old, old_tags: set[str]) -> dict:
    v, diff = draft.values, {}
    for name in _ASSIGNED:  # first, as `touch` records them: a row that solves it for a new assignee credits them
        if v.get(name) is not None and v[name] != getattr(old, name):
            diff[name] = (getattr(old, name), v[name])
    for name in _PLAIN:
        if name in v and v[name] != getattr(old, name) and not (
                name == "created_at" and _same_time(v[name], old.created_at)):
            diff[name] = (getattr(old, name), v[name])
    for name, ref in (("requester_id", draft.requester), ("organization_id", draft.organization)):
        if ref is not None and ref.id != getattr(old, name):
            diff[name] = (getattr(old, name), ref.id)
    if v.get("fields"):
        merged = {**(old.fields or {}), **v["fields"]}
        if merged != (old.fields or {}):
            diff["fields"] = (old.fields or {}, merged)
    if draft.tags is not None and set(draft.tags) != old_tags:
        diff["tags"] = (sorted(old_tags), draft.tags)
    _diff_times(v, old, diff)
    return diff


def _diff_times(v: dict, old, diff: dict) -> None:
    status = v.get("status", old.status)
    solved = v.get("solved_at")
    if solved is None and status in ("solved", "closed") and old.solved_at is None:
        solved = v.get("updated_at") or v.get("created_at") or old.created_at
    if solved is not None and solved != old.solved_at:
        diff["solved_at"] = (old.solved_at, solved)
    if status == "closed" and old.closed_at is None:
        diff["closed_at"] = (None, v.get("updated_at") or solved or old.solved_at or old.created_at)


def _last_status_change(session: Session, ids: list[int]) -> dict[int, datetime]:
    return dict(session.execute(select(E.c.ticket_id, func.max(E.c.at)).where(
        E.c.ticket_id.in_(ids), E.c.entity == "ticket", E.c.field == "status").group_by(E.c.ticket_id)).all())


def _changed_at(draft: Draft, after: datetime, now: datetime) -> datetime:
    """When a row's changes happened: its own updated time (each row of a log carries when
    its state began, and SLA clocks are counted from the history), kept after the
    ticket's last status change so the history stays in order, and not after now."""
    at = draft.values.get("updated_at")
    return now if at is None else min(max(at, after), now)


def _apply(session: Session, batch: Batch, draft: Draft, old, diff: dict, messages: list,
           at: datetime) -> None:
    values = {name: new for name, (_, new) in diff.items() if name != "tags"}
    values.update(fingerprint=draft.fingerprint, updated_at=batch.now, version=T.c.version + 1)
    session.execute(update(T).where(T.c.id == old.id).values(**values))
    if "tags" in diff:
        before, after = set(diff["tags"][0]), set(diff["tags"][1])
        if before - after:
            session.execute(G.delete().where(and_(G.c.ticket_id == old.id, G.c.tag.in_(before - after))))
        if after - before:
            session.execute(insert(G), [{"ticket_id": old.id, "tag": t} for t in sorted(after - before)])
    if messages:
        session.execute(insert(M), [{
            "ticket_id": old.id, "kind": kind, "author_agent_id": agent_id,
            "author_contact_id": contact.id if contact else None, "author_name": name, "body": body,
            "channel": None, "mail_message_id": None, "headers": {}, "created_at": at or batch.now,
        } for kind, body, at, contact, agent_id, name in messages])
        diff = {**diff, "messages": (None, f"{len(messages)} added")}
    reason = f"import {batch.label} row {draft.row}"
    for name, (before, after) in diff.items():
        if name == "fields":
            for key in sorted(set(before) | set(after)):
                if before.get(key) != after.get(key):
                    record(session, batch.actor, "ticket", old.id, f"field.{key}", before.get(key),
                           after.get(key), reason=reason, at=at)
        else:
            record(session, batch.actor, "ticket", old.id, name.removesuffix("_id"), before, after,
                   reason=reason, at=at)

