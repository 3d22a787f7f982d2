"""Reports: aggregate SQL over the ticket row's insight columns (see docs/reports.md).

Cohorts: `created` and everything about arrival (volume, first reply, SLA) count
tickets created in the period; `solved` and everything about the outcome
(resolution, FCR, wait times) count tickets whose last solve is in the period and
that are solved or closed now (merged tickets left out); reopens count reopen
events in the period; the backlog is rebuilt at the period's end. A query narrows
every cohort. Nothing here loops over tickets in Python."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import Integer, String, and_, case, cast, func, or_, select, text, true
from sqlmodel import Session

from helpdesk.models import REOPEN_WHERE, Agent, Event, Message, SlaClock, Team, Ticket, utcnow
from helpdesk.services.core.actors import Actor, require
from helpdesk.services.insight import satisfaction
from helpdesk.services.insight.period import Period

T = Ticket.__table__
E = Event.__table__
M = Message.__table__
C = SlaClock.__table__
DONE = ("solved", "closed")
ACTIVE = ("new", "open", "pending", "on_hold")
DAY = 86400
BUCKETS = ("under_24h", "d1_3", "d3_7", "over_7d")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass
class Scope:
    """What a report counts: the period, the query's condition, the desk's zone, now."""

    period: Period
    where: object
    tz: object
    now: datetime
    query: str = ""

    def within(self, column):
        if self.period.whole:
            return true()
        lo = column >= self.period.start if self.period.start is not None else true()
        return and_(lo, column < self.period.end)


def scope(session: Session, actor: Actor, period: Period, query: str = "", *, now: datetime | None = None) -> Scope:
    from helpdesk.services.core.settings import desk_zone
    from helpdesk.services.tickets.listing import condition

    require(actor, "viewer")
    now = now or utcnow()
    tz = desk_zone(session)
    where = condition(session, actor, query, now=now, tz=tz) if query.strip() else true()
    return Scope(period, where, tz, now, query.strip())


def _created(s: Scope):
    return and_(s.within(T.c.created_at), s.where)


def _solved(s: Scope):
    return and_(T.c.resolved_at.is_not(None), s.within(T.c.resolved_at), T.c.merged_into_id.is_(None), s.where)


# -- summary -------------------------------------------------------------------------

def summary(session: Session, sc: Scope) -> dict:
    created_where, solved_where = _created(sc), _solved(sc)
    run = session.execute
    out: dict = {"period": sc.period.to_json(), "query": sc.query, "timezone": str(sc.tz)}

    # arrival cohort: one pass over a covering index, grouped by the volume dimensions
    # (a few hundred groups at most), added up here
    groups = run(select(T.c.channel, T.c.priority, T.c.team_id, T.c.type, func.count(),
                        func.sum(case((and_(T.c.agent_replies == 0, T.c.merged_into_id.is_(None)), 1), else_=0)),
                        func.count(T.c.first_reply_seconds), func.sum(T.c.first_reply_seconds),
                        func.sum(T.c.first_reply_business), *_sla_sums(sc))
                 .where(created_where).group_by(T.c.channel, T.c.priority, T.c.team_id, T.c.type)).all()
    created = sum(g[4] for g in groups)
    no_reply = sum(g[5] or 0 for g in groups)
    fr_count = sum(g[6] for g in groups)
    fr_sum, fr_sum_b = sum(g[7] or 0 for g in groups), sum(g[8] or 0 for g in groups)
    teams = dict(run(select(Team.id, Team.name)).all())
    out["created"] = created

    # outcome cohort: one pass over the tickets solved in the period
    row = run(select(
        func.count(),
        func.sum(case((T.c.agent_replies >= 1, 1), else_=0)),
        func.sum(case((and_(T.c.agent_replies == 1, T.c.reopens == 0), 1), else_=0)),
        func.sum(case((T.c.agent_replies <= 1, 1), else_=0)),
        func.avg(T.c.resolution_seconds), func.avg(T.c.resolution_business),
        func.avg(T.c.open_seconds + T.c.on_hold_seconds), func.avg(T.c.open_seconds),
        func.avg(T.c.pending_seconds), func.avg(T.c.on_hold_seconds),
        func.avg(T.c.first_resolution_seconds), func.avg(T.c.first_resolution_business),
    ).select_from(T).where(solved_where)).one()
    solved, with_reply, fcr, one_touch = row[0], row[1] or 0, row[2] or 0, row[3] or 0
    out["solved"] = solved
    out["by_channel"] = _add_up(groups, lambda g: g[0])
    out["by_priority"] = _add_up(groups, lambda g: g[1])
    out["by_team"] = _add_up(groups, lambda g: teams.get(g[2], "(none)") if g[2] is not None else None)
    out["by_type"] = _add_up(groups, lambda g: g[3])
    out["first_reply"] = {
        "count": fr_count, "median": _percentile(session, T.c.first_reply_seconds, created_where, fr_count, 0.5),
        "mean": fr_sum // fr_count if fr_count else None,
        "p90": _percentile(session, T.c.first_reply_seconds, created_where, fr_count, 0.9),
        "median_business": _percentile(session, T.c.first_reply_business, created_where, fr_count, 0.5),
        "mean_business": fr_sum_b // fr_count if fr_count else None,
        "p90_business": _percentile(session, T.c.first_reply_business, created_where, fr_count, 0.9),
        "no_reply": no_reply}
    out["resolution"] = {
        "count": solved,
        "median": _percentile(session, T.c.resolution_seconds, solved_where, solved, 0.5),
        "median_business": _percentile(session, T.c.resolution_business, solved_where, solved, 0.5),
        "mean": _int(row[4]), "mean_business": _int(row[5]),
        "first_mean": _int(row[10]), "first_mean_business": _int(row[11])}
    out["time_in_status"] = {"requester_wait_mean": _int(row[6]), "agent_work_mean": _int(row[7]),
                             "pending_mean": _int(row[8]), "on_hold_mean": _int(row[9])}
    out["fcr"] = {"rate": _rate(fcr, with_reply), "count": fcr, "of": with_reply, "zero_reply": solved - with_reply,
                  "one_touch": {"rate": _rate(one_touch, solved), "count": one_touch, "of": solved}}
    out["reopen"] = reopens(session, sc, solved)
    out["sla"] = {}
    for n, kind in enumerate(("first_response", "resolution")):
        achieved, breached = (sum(g[9 + 2 * n + k] or 0 for g in groups) for k in (0, 1))
        out["sla"][kind] = {"achieved": achieved, "breached": breached, "rate": _rate(achieved, achieved + breached)}
    out["backlog"] = backlog(session, sc)["backlog"]
    counts = satisfaction.counts(session, sc.where, sc.period.start, sc.period.end)
    out["csat"] = satisfaction.csat_json(counts)
    out["nps"] = satisfaction.nps(counts)
    if counts is None:
        out["satisfaction"] = "no surveys on this desk"
    return out


def _add_up(groups, key) -> dict:
    totals: dict = {}
    for g in groups:
        k = key(g)
        k = "(none)" if k is None else k
        totals[k] = totals.get(k, 0) + g[4]
    return dict(sorted(totals.items(), key=lambda kv: (-kv[1], str(kv[0]))))


def _int(value) -> int | None:
    return None if value is None else int(value)


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _percentile(session: Session, column, where, n: int, q: float) -> int | None:
    """Exact, of the `n` non-null values: the median is the mean of the two middle values
    (floored), p90 the nearest rank; one `ORDER BY ... LIMIT 2 OFFSET k` over the column's index."""
    if not n:
        return None
    ordered = select(column).where(where, column.is_not(None)).order_by(column)
    if q == 0.5:
        values = session.execute(ordered.limit(2 - n % 2).offset((n - 1) // 2)).scalars().all()
        return int(sum(values) // len(values)) if values else None
    rank = max(1, math.ceil(round(q * n, 9)))
    value = session.execute(ordered.limit(1).offset(rank - 1)).scalar()
    return None if value is None else int(value)


def reopens(session: Session, sc: Scope, solved: int) -> dict:
    """Reopen events (solved/closed -> anything else) in the period, of the matching tickets;
    read from the small partial index `ix_event_reopen` (its condition written out literally,
    so the database can match it)."""
    cond = and_(text(" AND ".join(f"event.{part}" for part in REOPEN_WHERE.split(" AND "))), sc.within(E.c.at))
    if sc.query:
        cond = and_(cond, E.c.ticket_id.in_(select(T.c.id).where(sc.where)))
    events, tickets = session.execute(select(func.count(), func.count(E.c.ticket_id.distinct()))
                                      .select_from(E).where(cond)).one()
    return {"rate": _rate(tickets, solved), "tickets": tickets, "events": events}


def _sla_sums(sc: Scope) -> list:
    """Per clock (first response, resolution; copied on the ticket row): achieved = met at or
    before due; breached = met after due, or not met and past due now (a running clock past
    due counts before the sweep has fired it); one still in time is in neither."""
    out = []
    for due, met in ((T.c.sla_reply_due_at, T.c.sla_reply_met_at), (T.c.sla_resolve_due_at, T.c.sla_resolve_met_at)):
        achieved = and_(met.is_not(None), or_(due.is_(None), met <= due))
        breached = or_(and_(met.is_not(None), due.is_not(None), met > due),
                       and_(met.is_(None), due.is_not(None), due <= sc.now))
        out += [func.sum(case((achieved, 1), else_=0)), func.sum(case((breached, 1), else_=0))]
    return out


# -- backlog -------------------------------------------------------------------------

def backlog(session: Session, sc: Scope, at: datetime | None = None) -> dict:
    """The tickets not solved or closed at `at` (default: the period's end, at most now), with
    their ages then, rebuilt from the history. A ticket never reopened was active from its
    creation to its first solve (`first_solved_at`): one pass over a covering index. Only the
    reopened ones (a few percent) are read from their status changes: the last one up to
    `at`, or the status before the first one after it."""
    at = min(at or sc.period.end, sc.now)
    age = _age_seconds(session, at)
    buckets = [case((age < DAY, 1), else_=0), case((and_(age >= DAY, age < 3 * DAY), 1), else_=0),
               case((and_(age >= 3 * DAY, age < 7 * DAY), 1), else_=0), case((age >= 7 * DAY, 1), else_=0)]

    def count(source, *where) -> list[int]:
        row = session.execute(select(func.count(), *(func.sum(b) for b in buckets)).select_from(source)
                              .where(T.c.created_at <= at, sc.where, *where)).one()
        return [int(v or 0) for v in row]

    if at >= sc.now:
        totals = count(T, T.c.status.in_(ACTIVE))
    else:
        plain = count(T, T.c.reopens == 0, or_(T.c.first_solved_at.is_(None), T.c.first_solved_at > at))
        status_changes = and_(E.c.ticket_id == T.c.id, E.c.entity == "ticket", E.c.field == "status")
        before = select(E.c.new).where(status_changes, E.c.at <= at).order_by(E.c.id.desc()).limit(1)
        after = select(E.c.old).where(status_changes, E.c.at > at).order_by(E.c.id).limit(1)
        then = (select(T.c.created_at, func.coalesce(before.scalar_subquery(), after.scalar_subquery(),
                                                      T.c.status).label("st"))
                .where(T.c.reopens > 0, T.c.created_at <= at, sc.where)).subquery()
        age_then = _age_seconds(session, at, then.c.created_at)
        again = [case((age_then < DAY, 1), else_=0), case((and_(age_then >= DAY, age_then < 3 * DAY), 1), else_=0),
                 case((and_(age_then >= 3 * DAY, age_then < 7 * DAY), 1), else_=0),
                 case((age_then >= 7 * DAY, 1), else_=0)]
        row = session.execute(select(func.count(), *(func.sum(b) for b in again)).where(then.c.st.not_in(DONE))).one()
        totals = [a + int(b or 0) for a, b in zip(plain, row)]
    return {"at": at.isoformat(), "backlog": {"total": totals[0], **dict(zip(BUCKETS, totals[1:]))}}


def _age_seconds(session: Session, at: datetime, created=None):
    created = T.c.created_at if created is None else created
    if session.get_bind().dialect.name == "sqlite":
        naive = at.astimezone(timezone.utc).replace(tzinfo=None).isoformat(sep=" ")
        return (func.julianday(naive) - func.julianday(created)) * DAY
    return func.extract("epoch", at - created)


# -- heatmap ---------------------------------------------------------------------------

def heatmap(session: Session, sc: Scope) -> dict:
    """Tickets created by weekday x hour in the desk's time zone: counted by UTC quarter
    hour in SQL (one row per quarter hour that has tickets), placed in local time here."""
    slot = _quarter_hour(session, T.c.created_at)
    grid = [[0] * 24 for _ in range(7)]
    for text, n in session.execute(select(slot, func.count()).where(_created(sc)).group_by(slot)):
        when = datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=timezone.utc).astimezone(sc.tz)
        grid[when.weekday()][when.hour] += n
    return {"period": sc.period.to_json(), "query": sc.query, "timezone": str(sc.tz), "weekdays": list(WEEKDAYS),
            "hours": list(range(24)), "cells": grid, "total": sum(map(sum, grid))}


# -- agents ------------------------------------------------------------------------------

def agents(session: Session, sc: Scope) -> dict:
    """Per agent: public replies written in the period, tickets solved in the period (credited
    to the assignee at the solve, `resolver_id`, not to whoever holds them now), first replies
    given in the period with their mean times, CSAT at rating time."""
    written = select(M.c.author_agent_id, func.count()).where(
        M.c.kind == "reply", M.c.author_agent_id.is_not(None), sc.within(M.c.created_at))
    if sc.query:  # only then does a message need its ticket
        written = written.select_from(M.join(T, T.c.id == M.c.ticket_id)).where(sc.where)
    replies = dict(session.execute(written.group_by(M.c.author_agent_id)).all())
    solved = dict(session.execute(select(T.c.resolver_id, func.count()).where(_solved(sc), T.c.resolver_id.is_not(None))
                                  .group_by(T.c.resolver_id)).all())
    firsts = {r[0]: r[1:] for r in session.execute(
        select(T.c.first_reply_agent_id, func.count(), func.avg(T.c.first_reply_seconds), func.avg(T.c.first_reply_business))
        .where(sc.within(T.c.first_reply_at), T.c.first_reply_agent_id.is_not(None), sc.where)
        .group_by(T.c.first_reply_agent_id))}
    rated = satisfaction.counts(session, sc.where, sc.period.start, sc.period.end, by_agent=True)
    ids = set(replies) | set(solved) | set(firsts)
    people = {a.id: a for a in session.execute(select(Agent)).scalars()}
    rows = []
    for agent_id in sorted(ids, key=lambda i: (-replies.get(i, 0), people[i].email if i in people else "")):
        a = people.get(agent_id)
        count, mean, mean_b = firsts.get(agent_id, (0, None, None))
        rows.append({"agent": a.email if a else f"#{agent_id}", "name": a.name if a else None,
                     "replies": replies.get(agent_id, 0), "solved": solved.get(agent_id, 0),
                     "first_replies": count, "first_reply_mean": _int(mean), "first_reply_mean_business": _int(mean_b),
                     "csat": satisfaction.csat_json(rated.get(agent_id)) if rated else None})
    return {"period": sc.period.to_json(), "query": sc.query, "agents": rows}


# -- trend (the dashboard's sparklines) -----------------------------------------------------

def trend(session: Session, sc: Scope, days: int) -> dict:
    """Created and solved per local day over the last `days` days up to the period's end."""
    end_local = (min(sc.period.end, sc.now) - timedelta(microseconds=1)).astimezone(sc.tz).date()
    first = end_local - timedelta(days=days - 1)
    from helpdesk.services.insight.period import _midnight

    lo = _midnight(first, sc.tz)
    out = {}
    for name, column, extra in (("created", T.c.created_at, true()),
                                ("solved", T.c.resolved_at, T.c.merged_into_id.is_(None))):
        counts = [0] * days
        local_hour = heatmap_slot(session, column)
        for text, n in session.execute(select(local_hour, func.count()).where(column >= lo, column < sc.period.end,
                                                                               extra, sc.where).group_by(local_hour)):
            when = datetime.strptime(text, "%Y-%m-%d %H").replace(tzinfo=timezone.utc).astimezone(sc.tz)
            index = (when.date() - first).days
            if 0 <= index < days:
                counts[index] += n
        out[name] = counts
    out["days"] = [(first + timedelta(days=i)).isoformat() for i in range(days)]
    return out


def _quarter_hour(session: Session, column):
    """'YYYY-MM-DD HH:MM' of the UTC quarter hour `column` falls in."""
    if session.get_bind().dialect.name == "sqlite":
        return func.strftime("%Y-%m-%d %H:", column).concat(
            func.printf("%02d", cast(func.strftime("%M", column), Integer) // 15 * 15))
    utc = func.timezone("UTC", column)
    return func.to_char(utc, "YYYY-MM-DD HH24:").concat(
        func.lpad(cast(cast(func.extract("minute", utc), Integer) // 15 * 15, String), 2, "0"))


def heatmap_slot(session: Session, column):
    if session.get_bind().dialect.name == "sqlite":
        return func.strftime("%Y-%m-%d %H", column)
    return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD HH24")


# -- the app's dashboard ---------------------------------------------------------------------

TREND_DAYS = {"today": 14, "7d": 14, "30d": 30, "month": 31}


def dashboard(session: Session, actor: Actor, preset: str, *, now: datetime | None = None) -> dict:
    """Everything the dashboard shows for a period preset (today, 7d, 30d, month), in one read."""
    from helpdesk.services.core.settings import desk_zone
    from helpdesk.services.insight.period import named

    now = now or utcnow()
    sc = scope(session, actor, named(preset, tz=desk_zone(session), now=now), now=now)
    return {"summary": summary(session, sc), "trend": trend(session, sc, TREND_DAYS.get(preset, 14)),
            "agents": agents(session, sc)["agents"], "heatmap": heatmap(session, sc)}
