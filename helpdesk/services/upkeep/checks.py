"""The doctor's checks, one function each: what is wrong with a desk, and what to do about it.

Every check reads; none writes. Each returns a `Check` whose `state` is `ok`, `problem`
or `skipped` (does not apply to this backend, or could not run) with one line saying
what was found and, for a problem, one line saying what to do. The crash tests reuse
`search_disagreement` and `integrity` to judge a desk after a killed process.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy import text as sql
from sqlmodel import Session

from helpdesk import search
from helpdesk.models import Outbox, SlaClock, Ticket

SLA_GRACE = timedelta(minutes=5)  # the worker sweeps every 30 s: 5 minutes late is a worker not sweeping
OUTBOX_LATE = timedelta(hours=1)  # queued mail still unsent after an hour
WORKER_LATE = timedelta(minutes=10)  # the heartbeat is written every minute
SHOWN = 10  # ticket numbers named in a finding


@dataclass
class Check:
    name: str
    state: str  # ok | problem | skipped
    summary: str
    advice: str | None = None
    details: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.state != "problem"

    def to_dict(self) -> dict:
        return {"check": self.name, "state": self.state, "summary": self.summary, "advice": self.advice,
                **({"details": self.details} if self.details else {})}


def ok(name: str, summary: str, **details) -> Check:
    return Check(name, "ok", summary, None, details)


def problem(name: str, summary: str, advice: str, **details) -> Check:
    return Check(name, "problem", summary, advice, details)


def numbers(ids, limit: int = SHOWN) -> str:
    ids = list(ids)
    shown = ", ".join(f"#{i}" for i in ids[:limit])
    return shown + (f" and {len(ids) - limit} more" if len(ids) > limit else "")


# -- schema -------------------------------------------------------------------------------

def schema(revision: str | None, head: str) -> Check:
    """The desk's Alembic revision against the newest this helpdesk knows."""
    if revision == head:
        return ok("schema", f"revision {head} (current)", revision=revision, head=head)
    if revision is None:
        return problem("schema", "no schema revision: this is not a helpdesk database, or it was never set up",
                       "run `helpdesk init` to create the tables (an empty file is fine)", revision=None, head=head)
    if revision > head:
        return problem("schema", f"revision {revision} is newer than this helpdesk knows ({head})",
                       "upgrade helpdesk (pip install -U helpdesk) before using this desk", revision=revision, head=head)
    return problem("schema", f"revision {revision}, this helpdesk is at {head}",
                   "run `helpdesk init` (or any command) to upgrade it; a copy of the file is kept first",
                   revision=revision, head=head)


# -- SQLite's own checks ----------------------------------------------------------------

def integrity(session: Session) -> Check:
    """`PRAGMA integrity_check`: the file's pages, indexes and the search table's structure."""
    if session.get_bind().dialect.name != "sqlite":
        return Check("integrity", "skipped", "PostgreSQL keeps its own pages (use pg_amcheck to check them)")
    rows = [r[0] for r in session.execute(sql("PRAGMA integrity_check")).all()]
    if rows == ["ok"]:
        return ok("integrity", "the database file is sound (PRAGMA integrity_check)")
    return problem("integrity", f"the database file is damaged: {rows[0]}" + (f" (+{len(rows) - 1} more)" if len(rows) > 1 else ""),
                   "stop every helpdesk process, restore the latest backup (`helpdesk backup` copies) or run "
                   "`sqlite3 FILE .recover | sqlite3 NEW.db`, then `helpdesk doctor --db NEW.db`",
                   findings=rows[:SHOWN])


def foreign_keys(session: Session) -> Check:
    """`PRAGMA foreign_key_check`: rows pointing at rows that are not there."""
    if session.get_bind().dialect.name != "sqlite":
        return Check("foreign_keys", "skipped", "PostgreSQL enforces foreign keys itself")
    rows = session.execute(sql("PRAGMA foreign_key_check")).all()
    if not rows:
        return ok("foreign_keys", "every reference points at a row that exists (PRAGMA foreign_key_check)")
    tables = sorted({r[0] for r in rows})
    return problem("foreign_keys", f"{len(rows)} rows point at rows that are gone (in {', '.join(tables)})",
                   "restore the latest backup, or report it with `helpdesk doctor --json` output: "
                   "helpdesk never writes such rows itself",
                   findings=[list(r) for r in rows[:SHOWN]])


# -- the search index --------------------------------------------------------------------

@dataclass
class SearchDisagreement:
    missing: list[int] = field(default_factory=list)  # tickets without a search row
    orphans: list[int] = field(default_factory=list)  # search rows without a ticket
    stale: list[int] = field(default_factory=list)  # rows whose text is not the ticket's text now

    @property
    def none(self) -> bool:
        return not (self.missing or self.orphans or self.stale)


def search_disagreement(session: Session, *, batch: int = 500) -> SearchDisagreement:
    """Tickets and the search index compared: every ticket has one row holding its text now."""
    from helpdesk.services.tickets.indexing import documents

    sqlite = session.get_bind().dialect.name == "sqlite"
    key = "rowid" if sqlite else "ticket_id"  # one row per ticket: FTS5's rowid, PostgreSQL's primary key
    found = SearchDisagreement()
    found.missing = list(session.execute(sql(
        f"SELECT t.id FROM ticket t WHERE NOT EXISTS (SELECT 1 FROM {search.TABLE} s WHERE s.{key} = t.id) ORDER BY t.id"
    )).scalars())
    found.orphans = list(session.execute(sql(
        f"SELECT s.{key} FROM {search.TABLE} s WHERE NOT EXISTS (SELECT 1 FROM ticket t WHERE t.id = s.{key}) ORDER BY 1"
    )).scalars())
    last = 0
    while True:
        ids = list(session.execute(select(Ticket.id).where(Ticket.id > last).order_by(Ticket.id).limit(batch)).scalars())
        if not ids:
            break
        last = ids[-1]
        docs = documents(session, ids)
        if sqlite:
            held = dict(session.execute(sql(
                f"SELECT rowid, doc FROM {search.TABLE} WHERE rowid BETWEEN :lo AND :hi"), {"lo": ids[0], "hi": ids[-1]}).all())
            found.stale += [tid for tid, doc in docs if tid in held and held[tid] != search.index_text(doc)]
        else:
            found.stale += list(session.execute(sql(
                f"SELECT u.id FROM unnest(CAST(:ids AS integer[]), CAST(:docs AS text[])) AS u(id, doc) "
                f"JOIN {search.TABLE} s ON s.ticket_id = u.id WHERE s.doc <> to_tsvector('simple', u.doc) ORDER BY u.id"),
                {"ids": [t for t, _ in docs], "docs": [search.index_text(d) for _, d in docs]}).scalars())
    return found


def search_index(session: Session) -> Check:
    found = search_disagreement(session)
    tickets = session.execute(select(func.count()).select_from(Ticket)).scalar_one()
    if found.none:
        return ok("search", f"the search index holds the current text of all {tickets} tickets", tickets=tickets)
    parts = []
    if found.missing:
        parts.append(f"{len(found.missing)} tickets are not in it ({numbers(found.missing)})")
    if found.stale:
        parts.append(f"{len(found.stale)} hold old text ({numbers(found.stale)})")
    if found.orphans:
        parts.append(f"{len(found.orphans)} rows belong to no ticket")
    return problem("search", "the search index disagrees with the tickets: " + "; ".join(parts),
                   "free-text search misses or mis-finds these tickets; report it (a bug), and rebuild the index "
                   "by moving the desk (`helpdesk migrate-db`) or restoring a backup",
                   tickets=tickets, missing=found.missing[:SHOWN], stale=found.stale[:SHOWN], orphans=found.orphans[:SHOWN])


# -- SLA clocks ---------------------------------------------------------------------------

def sla_unswept(session: Session, now: datetime) -> Check:
    """Warnings and breaches whose time has passed (beyond a grace) and which have not fired."""
    cutoff = now - SLA_GRACE
    c = SlaClock
    late = and_(c.met_at.is_(None), c.state.in_(["running", "breached"]), or_(
        and_(c.warn_at.is_not(None), c.warn_at <= cutoff, c.warned_at.is_(None)),
        and_(c.due_at.is_not(None), c.due_at <= cutoff, c.breach_fired_at.is_(None))))
    rows = session.execute(select(c.ticket_id, func.min(func.coalesce(c.warn_at, c.due_at)))
                           .where(late).group_by(c.ticket_id).order_by(c.ticket_id)).all()
    if not rows:
        return ok("sla", "no SLA warning or breach is waiting to fire")
    oldest = min(_aware(r[1]) for r in rows if r[1] is not None) if any(r[1] for r in rows) else None
    since = f", the oldest due {_ago(now - oldest)}" if oldest else ""
    return problem("sla", f"{len(rows)} tickets have SLA warnings or breaches due but not fired{since} ({numbers(r[0] for r in rows)})",
                   "start `helpdesk worker` (or run `helpdesk worker --once` from cron every minute): "
                   "it fires them and their actions", tickets=[r[0] for r in rows[:SHOWN]], count=len(rows))


# -- the mail outbox ------------------------------------------------------------------------

def outbox(session: Session, now: datetime) -> Check:
    """Mail that failed for good, or waits unsent for long."""
    failed = session.execute(select(func.count()).select_from(Outbox).where(Outbox.status == "failed")).scalar_one()
    late = session.execute(select(func.count(), func.min(Outbox.created_at)).where(
        Outbox.status == "queued", Outbox.created_at <= now - OUTBOX_LATE)).one()
    if not failed and not late[0]:
        queued = session.execute(select(func.count()).select_from(Outbox).where(Outbox.status == "queued")).scalar_one()
        return ok("outbox", f"no mail is stuck ({queued} queued)" if queued else "no mail is stuck")
    error = session.execute(select(Outbox.last_error).where(Outbox.last_error.is_not(None))
                            .order_by(Outbox.id.desc()).limit(1)).scalar()
    parts = []
    if failed:
        parts.append(f"{failed} messages failed for good")
    if late[0]:
        parts.append(f"{late[0]} queued messages unsent for over {_ago(OUTBOX_LATE, suffix='')}, the oldest since {_ago(now - _aware(late[1]))}")
    return problem("outbox", "; ".join(parts) + (f" (last error: {error})" if error else ""),
                   "check `helpdesk config get mail.smtp_url` and mail.from, see `helpdesk mail outbox --status failed`, "
                   "then `helpdesk mail send` (the worker sends queued mail every minute)",
                   failed=failed, late=late[0])


# -- the worker ---------------------------------------------------------------------------------

def worker(session: Session, now: datetime) -> Check:
    """When the worker's jobs last ran (their heartbeat), and whether this desk needs them."""
    from helpdesk.services.upkeep.heartbeat import last_seen

    at, seen = last_seen(session)
    needs = _worker_needed(session)
    if at is None:
        if not needs:
            return ok("worker", "the worker never ran; nothing needs it yet (no SLA policies, automations, mail or surveys)")
        return problem("worker", f"the worker never ran on this desk, yet it has {needs}",
                       "start `helpdesk worker` (keep it running, e.g. as a service), or run "
                       "`helpdesk worker --once` from cron every minute")
    age = now - _aware(at)
    where = f" on {seen.get('host')}" if seen.get("host") else ""
    if age <= WORKER_LATE:
        return ok("worker", f"the worker last ran {_ago(age)}{where}", last_seen=at.isoformat())
    if not needs:
        return ok("worker", f"the worker last ran {_ago(age)}{where}; nothing needs it now", last_seen=at.isoformat())
    return problem("worker", f"the worker last ran {_ago(age)}{where}, and this desk has {needs}",
                   "start `helpdesk worker` (or `helpdesk worker --once` from cron every minute)",
                   last_seen=at.isoformat())


def _worker_needed(session: Session) -> str | None:
    """What on this desk only the worker does, in words (None: nothing)."""
    from helpdesk.models import Survey
    from helpdesk.services.core.settings import get_setting
    from helpdesk.services.workflow.stored import stored_rules

    if get_setting(session, "sla.config"):
        return "SLA policies to sweep"
    if stored_rules(session).automations:
        return "automations to run"
    if get_setting(session, "mail.smtp_url") or get_setting(session, "mail.imap_url"):
        return "mail to fetch and send"
    if session.execute(select(Outbox.id).where(Outbox.status == "queued").limit(1)).first():
        return "queued mail"
    if session.execute(select(Survey.ticket_id).where(Survey.status == "queued").limit(1)).first():
        return "surveys to send"
    return None


# -- words ----------------------------------------------------------------------------------------

def _aware(value: datetime) -> datetime:
    from datetime import timezone

    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _ago(delta: timedelta, *, suffix: str = " ago") -> str:
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 60:
        text = f"{seconds} s"
    elif seconds < 3600:
        text = f"{seconds // 60} min"
    elif seconds < 48 * 3600:
        text = f"{seconds // 3600} h"
    else:
        text = f"{seconds // 86400} days"
    return text + suffix
