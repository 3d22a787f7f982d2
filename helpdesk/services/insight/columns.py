"""The insight figures on the ticket row, kept right when the change happens.

A subscriber notes every ticket a change touches (created, updated, a message
added, merged) and, once just before the commit, works its figures out again
from its history (`history.figures`) and writes them: a few indexed reads per
changed ticket, so reports never walk the history. The import and JSON Lines
call `refresh` for their batches; migrations 0010 and 0015 call `refresh_all`.

Plain column reads and writes (no ORM objects), so the migration can run it on a
schema that later revisions extend."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import bindparam, inspect, or_, select, update
from sqlmodel import Session

from helpdesk.models import Agent, Event, Message, SlaClock, Ticket
from helpdesk.services.core import bus
from helpdesk.services.sla.policies import clocks_may_move
from helpdesk.services.insight.history import DONE, Post, StatusChange, figures, resolver

T = Ticket.__table__
M = Message.__table__
E = Event.__table__
C = SlaClock.__table__
A = Agent.__table__
CHUNK = 500
COLUMNS = ("first_reply_at", "first_reply_agent_id", "first_reply_seconds", "first_reply_business",
           "agent_replies", "reopens", "first_solved_at", "first_resolution_seconds",
           "first_resolution_business", "resolved_at", "resolution_seconds", "resolution_business",
           "open_seconds", "pending_seconds", "on_hold_seconds",
           "sla_reply_due_at", "sla_reply_met_at", "sla_resolve_due_at", "sla_resolve_met_at", "resolver_id")
CLOCKS = {"first_response": ("sla_reply_due_at", "sla_reply_met_at"),
          "resolution": ("sla_resolve_due_at", "sla_resolve_met_at")}
_PENDING = "insight_tickets"


@bus.subscribe("ticket.created", "ticket.updated", "message.added")
def _touched(session: Session, event: bus.DomainEvent) -> None:
    if event.ticket_id is None:
        return
    if event.name == "ticket.updated" and not clocks_may_move(session, event):
        # the figures read the status history, the messages and the clocks: none moved (who
        # solved it, `resolver_id`, moves only with a solve: a later reassignment names them)
        return
    session.info.setdefault(_PENDING, set()).add(event.ticket_id)
    bus.at_commit(session, "insight.columns", _flush_pending)


@bus.many(_touched)
def _many_touched(session: Session, events: list[bus.DomainEvent]) -> None:
    session.info.setdefault(_PENDING, set()).update(e.ticket_id for e in events if e.ticket_id is not None and not (
        e.name == "ticket.updated" and not clocks_may_move(session, e)))
    bus.at_commit(session, "insight.columns", _flush_pending)


@bus.subscribe("sla.reloaded")
def _reloaded(session: Session, event: bus.DomainEvent) -> None:
    """New SLA policies: clocks and calendars changed for every ticket not closed."""
    session.flush()
    refresh(session, session.execute(select(T.c.id).where(T.c.status != "closed")).scalars().all())


@bus.subscribe("tickets.imported", "tickets.created")
def _many(session: Session, event: bus.DomainEvent) -> None:
    """Imports and JSON Lines: their batches' tickets, created and updated."""
    created, updated = list(event.data.get("ids", ())), list(event.data.get("updated", ()))
    figured = event.data.get("figured")  # written with the rows (`fresh_figures`): nothing to do
    if figured:
        figured = set(figured)
        created = [tid for tid in created if tid not in figured]
    if not (created or updated):
        return
    batches = session.info.setdefault("insight_batches", [])
    batches.append((created, updated))
    bus.at_commit(session, "insight.batches", _flush_batches)  # after the SLA clocks are in


def _flush_batches(session: Session) -> None:
    session.flush()
    for created, updated in session.info.pop("insight_batches", []):
        if not created and not updated:
            continue
        worked = _with_history(session, created)
        done = _solved_without_history(session, worked)
        refresh(session, sorted(set(worked) - done) + updated)
        _copy_clocks(session, sorted(set(created) - set(worked)))


_CLOCK_PLACES = {kind: (COLUMNS.index(due), COLUMNS.index(met)) for kind, (due, met) in CLOCKS.items()}
_PLACE = {name: i for i, name in enumerate(COLUMNS)}


class FreshFigures:
    """The figures of tickets about to be created with no status history (an import's
    new rows), in COLUMNS order, so they go in with the rows: what `refresh` would work
    out from them once stored (their public messages, status, solve time, SLA policy's
    calendar and fresh clocks), without the reads and the update after the insert."""

    def __init__(self, config):
        self.config, self._calendars = config, {}
        self._plain = None  # an active ticket with no public message: the same for all

    def row(self, created_at: datetime, status: str, solved_at: datetime | None, replies: list[tuple],
            policy: str | None, clock_rows, assignee_id: int | None = None) -> tuple:
        """replies: (at, agent id, by a person) per public message, in the order stored;
        clock_rows: the ticket's new sla_clock rows (`sla.fresh.COLUMNS` order)."""
        out = self._figures(created_at, status, solved_at, replies, policy, clock_rows)
        out[_PLACE["resolver_id"]] = assignee_id if status in DONE else None  # it came solved: its assignee's
        return tuple(out)

    def _figures(self, created_at, status, solved_at, replies, policy, clock_rows) -> list:
        for reply in replies:
            if reply[1] is not None:  # an agent's reply: the whole history counts
                return self._worked_out(created_at, status, solved_at, replies, policy, clock_rows)
        # no agent reply and no status history: the defaults, and a solve if it came solved
        if self._plain is None:
            plain = figures(_aware(created_at), "open", None, [], [], lambda a, b: 0)
            self._plain = [plain.get(name) for name in COLUMNS]
        out = list(self._plain)
        if status in ("solved", "closed"):  # as `figures`: created -> solved_at (or created)
            created = _aware(created_at)
            solved = _aware(solved_at) or created
            seconds = max(0, int((solved - created).total_seconds()))
            business = _business(self.config, policy, self._calendars)(created, solved) if solved > created else 0
            for name, value in (("first_solved_at", solved), ("first_resolution_seconds", seconds),
                                ("first_resolution_business", business), ("resolved_at", solved),
                                ("resolution_seconds", seconds), ("resolution_business", business)):
                out[_PLACE[name]] = value
        for clock in clock_rows:
            at = _CLOCK_PLACES.get(clock[1])
            if at:
                out[at[0]], out[at[1]] = clock[6], clock[8]
        return out

    def _worked_out(self, created_at, status, solved_at, replies, policy, clock_rows) -> tuple:
        posts = []
        ordered = sorted(range(len(replies)), key=lambda i: replies[i][0])  # by time, then as stored
        for place, i in enumerate(ordered):
            at, agent_id, person = replies[i]
            posts.append(Post(_aware(at), agent_id, agent_id is None and not person and place > 0))
        new = figures(_aware(created_at), status, _aware(solved_at), posts, [],
                      _business(self.config, policy, self._calendars))
        for pair in CLOCKS.values():
            new[pair[0]] = new[pair[1]] = None
        for clock in clock_rows:
            pair = CLOCKS.get(clock[1])
            if pair:
                new[pair[0]], new[pair[1]] = clock[6], clock[8]
        return [new.get(name) for name in COLUMNS]


def _solved_without_history(session: Session, ids: list[int]) -> set[int]:
    """New tickets that came solved or closed (a sheet's history) with no replies, no status
    changes and no SLA policy: their figures are their creation and solve times alone
    (`history.figures` with empty histories), written in one executemany, not worked out
    one by one."""
    done: set[int] = set()
    for start in range(0, len(ids), CHUNK * 10):
        chunk = ids[start:start + CHUNK * 10]
        replied = select(M.c.id).where(M.c.ticket_id == T.c.id, M.c.kind == "reply", M.c.author_agent_id.is_not(None))
        changed = select(E.c.id).where(E.c.ticket_id == T.c.id, E.c.field == "status")
        rows = session.execute(select(T.c.id, T.c.created_at, T.c.solved_at, T.c.assignee_id).where(
            T.c.id.in_(chunk), T.c.status.in_(("solved", "closed")), T.c.sla_policy.is_(None),
            ~replied.exists(), ~changed.exists())).all()
        values = []
        for tid, created, solved, assignee in rows:
            created, solved = _aware(created), _aware(solved) or _aware(created)
            seconds = max(0, int((solved - created).total_seconds()))
            values.append({"_id": tid, "first_solved_at": solved, "resolved_at": solved,
                           "first_resolution_seconds": seconds, "first_resolution_business": seconds,
                           "resolution_seconds": seconds, "resolution_business": seconds,
                           "resolver_id": assignee})  # it came solved: its assignee solved it
            done.add(tid)
        if values:
            session.execute(update(T).where(T.c.id == bindparam("_id")).values(
                {k: bindparam(k) for k in values[0] if k != "_id"}).execution_options(synchronize_session=False),
                values)
    return done


def _copy_clocks(session: Session, ids: list[int]) -> None:
    """The SLA clock times of new tickets without history, in one UPDATE per chunk."""
    for start in range(0, len(ids), CHUNK * 10):
        chunk = ids[start:start + CHUNK * 10]
        values = {}
        for kind, (due, met) in CLOCKS.items():
            values[due] = select(C.c.due_at).where(C.c.ticket_id == T.c.id, C.c.kind == kind).scalar_subquery()
            values[met] = select(C.c.met_at).where(C.c.ticket_id == T.c.id, C.c.kind == kind).scalar_subquery()
        session.execute(update(T).where(T.c.id.in_(chunk), T.c.sla_policy.is_not(None)).values(values)
                        .execution_options(synchronize_session=False))


def _with_history(session: Session, ids: list[int]) -> list[int]:
    """Of new tickets, those whose figures differ from a fresh ticket's (solved or closed, or
    with an agent's reply or a status change): one indexed query per chunk, so a bulk create
    of open tickets costs the import next to nothing."""
    out: list[int] = []
    for start in range(0, len(ids), CHUNK * 10):
        chunk = ids[start:start + CHUNK * 10]
        replied = select(M.c.id).where(M.c.ticket_id == T.c.id, M.c.kind == "reply", M.c.author_agent_id.is_not(None))
        changed = select(E.c.id).where(E.c.ticket_id == T.c.id, E.c.field == "status")
        out += session.execute(select(T.c.id).where(T.c.id.in_(chunk), or_(
            T.c.status.in_(("solved", "closed")), replied.exists(), changed.exists()))).scalars().all()
    return out


def _flush_pending(session: Session) -> None:
    ids = session.info.pop(_PENDING, set())
    if ids:
        session.flush()
        refresh(session, sorted(ids))


def refresh_all(session: Session) -> int:
    """Every ticket (migrations 0010 and 0015, the demo desk); returns how many. Only the
    columns the schema has: an older revision backfills what it added, not later ones."""
    present = {c["name"] for c in inspect(session.connection()).get_columns("ticket")}
    columns = tuple(name for name in COLUMNS if name in present)
    done, last = 0, 0
    while True:
        ids = list(session.execute(select(T.c.id).where(T.c.id > last).order_by(T.c.id).limit(CHUNK * 20)).scalars())
        if not ids:
            return done
        refresh(session, ids, columns)
        done, last = done + len(ids), ids[-1]


def refresh(session: Session, ticket_ids, columns: tuple[str, ...] = COLUMNS) -> None:
    """Work the figures of these tickets out from their history and write those that changed."""
    from helpdesk.services.sla.policies import stored_config

    ids = sorted(set(ticket_ids))
    if not ids:
        return
    config = stored_config(session)
    calendars: dict = {}
    agent = _agents(session)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        rows = session.execute(select(T.c.id, T.c.created_at, T.c.status, T.c.solved_at, T.c.sla_policy,
                                      T.c.assignee_id, *(T.c[name] for name in columns)).where(T.c.id.in_(chunk))).all()
        posts: dict[int, list[Post]] = {i: [] for i in chunk}
        firsts: dict[int, int] = {}
        for m in session.execute(select(M.c.id, M.c.ticket_id, M.c.created_at, M.c.author_agent_id,
                                        M.c.author_contact_id).where(M.c.ticket_id.in_(chunk), M.c.kind == "reply")
                                 .order_by(M.c.ticket_id, M.c.created_at, M.c.id)):
            first = firsts.setdefault(m.ticket_id, m.id)
            automatic = m.author_agent_id is None and m.author_contact_id is None and m.id != first
            posts[m.ticket_id].append(Post(_aware(m.created_at), m.author_agent_id, automatic))
        changes: dict[int, list[StatusChange]] = {i: [] for i in chunk}
        handovers: dict[int, list[tuple]] = {i: [] for i in chunk}  # status and assignee, for `resolver`
        for e in session.execute(select(E.c.ticket_id, E.c.at, E.c.field, E.c.old, E.c.new).where(
                E.c.ticket_id.in_(chunk), E.c.entity == "ticket", E.c.field.in_(("status", "assignee")))
                .order_by(E.c.ticket_id, E.c.id)):
            handovers[e.ticket_id].append((_aware(e.at), e.field, e.old, e.new))
            if e.field == "status":
                changes[e.ticket_id].append(StatusChange(_aware(e.at), e.old or "new", e.new or "new"))
        clocks: dict[int, dict] = {i: {} for i in chunk}
        for c in session.execute(select(C.c.ticket_id, C.c.kind, C.c.due_at, C.c.met_at).where(
                C.c.ticket_id.in_(chunk), C.c.kind.in_(tuple(CLOCKS)))):
            due, met = CLOCKS[c.kind]
            clocks[c.ticket_id][due], clocks[c.ticket_id][met] = _aware(c.due_at), _aware(c.met_at)
        updates = []
        for row in rows:
            business = _business(config, row.sla_policy, calendars)
            new = figures(_aware(row.created_at), row.status, _aware(row.solved_at), posts[row.id], changes[row.id],
                          business)
            new.update({name: clocks[row.id].get(name) for pair in CLOCKS.values() for name in pair})
            new["resolver_id"] = resolver(row.status, row.assignee_id, handovers[row.id], agent)
            if any(_same(getattr(row, k)) != _same(new[k]) for k in columns):
                updates.append({"_id": row.id, **{k: new[k] for k in columns}})
        if updates:
            session.execute(update(T).where(T.c.id == bindparam("_id")).values(
                {k: bindparam(k) for k in columns}).execution_options(synchronize_session=False), updates)
    for obj in list(session.identity_map.values()):  # loaded rows show what was just written
        if isinstance(obj, Ticket) and obj.id in set(ids):
            session.expire(obj, list(columns))


def _agents(session: Session):
    """agent(value) -> id of the agent an assignee event names: an email (`touch`, routing)
    or an id (the import's updates). Agents are read once, when first asked."""
    emails: dict[str, int] = {}

    def agent(value: str) -> int | None:
        if value.isdigit():
            return int(value)
        if not emails:
            emails.update((email.lower(), i) for i, email in session.execute(select(A.c.id, A.c.email)))
        return emails.get(value.lower())
    return agent


def _business(config, policy_name: str | None, cache: dict):
    """business(a, b) on the calendar of the ticket's SLA policy; calendar seconds without one."""
    if policy_name not in cache:
        calendar = None
        if config is not None and policy_name:
            try:
                calendar = config.calendar_for(config.policy(policy_name))
            except Exception:  # a policy removed since: wall-clock time
                calendar = None
        if calendar is None:
            cache[policy_name] = lambda a, b: max(0, int((b - a).total_seconds()))
        else:
            from helpdesk.calendar import business_seconds_between

            cache[policy_name] = lambda a, b, c=calendar: business_seconds_between(c, a, b)
    return cache[policy_name]


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is timezone.utc:
        return value
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def _same(value):
    return _aware(value) if isinstance(value, datetime) else value
