"""Query tree (helpdesk.query) -> SQLAlchemy conditions on Ticket.

Names in a query (agents, teams) are looked up here, so an unknown one is an
`Invalid` naming the term rather than a silently empty result."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Float, and_, case, cast, exists, false, func, not_, or_, select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from helpdesk import search
from helpdesk.errors import Invalid
from helpdesk.models import (
    PRIORITIES,
    Agent,
    Asset,
    Contact,
    Organization,
    Setting,
    Team,
    Ticket,
    TicketApprover,
    TicketAsset,
    TicketFollower,
    TicketSkill,
    TicketTag,
)
from helpdesk.query import Query, Term

T = Ticket.__table__.c
# Above this many hits, a text term is better checked row by row while walking the
# sort index (stopping at the page size) than by sorting every hit.
MANY_HITS = 3000
ORDERED_OPS = {">": "__gt__", ">=": "__ge__", "<": "__lt__", "<=": "__le__", "=": "__eq__"}


class Compiler:
    def __init__(self, session: Session, *, me: int | None, now: datetime, age_start=None, count_hits: bool = True,
                 few: bool = False):
        """age_start(seconds) -> the instant that many seconds before now; an automation
        that names a calendar passes one that counts business time. count_hits=False
        skips counting a text term's hits (one query each), which only helps the planner
        of a listing; a rule checked against a few ticket ids does not need it. few: the
        query is asked of a few tickets only, so text and tag terms look up each ticket's
        own rows rather than gather every matching ticket of the desk (a trigger on one
        new ticket: about half the time of its check)."""
        self.session = session
        self.count_hits = count_hits
        self.few = few
        self.me = me
        self.now = now
        self.age_start = age_start or (lambda seconds: now - timedelta(seconds=seconds))
        self.dialect = session.get_bind().dialect.name
        self.many_hits = False  # some text term matches many tickets: exact counts get costly

    def compile(self, query: Query) -> ColumnElement:
        return and_(True, *(self.term(t) for t in query.terms))

    def term(self, term: Term) -> ColumnElement:
        cond, nullable_col = self._positive(term)
        if not term.negated:
            return cond
        # "-assignee:bob" must still list unassigned tickets: NULL is "not bob".
        return or_(not_(cond), nullable_col.is_(None)) if nullable_col is not None else not_(cond)

    def _positive(self, term: Term) -> tuple[ColumnElement, Any]:
        f, values = term.field, term.values
        if f in ("status", "channel"):
            return T[f].in_(values), None
        if f == "type":  # loaded types keep their spelling (Refund); built-in ones are lower case
            return func.lower(T.type).in_(values), T.type
        if f == "stage":
            return func.lower(T.stage).in_([v for v in values if v != "none"]) | (
                T.stage.is_(None) if "none" in values else false()), T.stage
        if f == "approval":
            return T.approval.in_(values), T.approval
        if f == "approver":
            ids = self._agent_ids(term, list(values))
            return T.id.in_(select(TicketApprover.ticket_id).where(TicketApprover.agent_id.in_(ids))), None
        if f == "stage_age":
            since = func.coalesce(T.stage_changed_at, T.created_at)
            flipped = {">": "<", ">=": "<=", "<": ">", "<=": ">="}[term.op]
            return and_(T.stage.is_not(None), getattr(since, ORDERED_OPS[flipped])(self.age_start(values[0]))), None
        if f == "priority":
            return T.priority.in_(priority_set(term)), None
        if f == "id":
            return _ordered(T.id, term), None
        if f == "external":
            return T.external_id.in_(values), T.external_id
        if f in ("created", "updated", "solved", "closed"):
            return _ordered(T[f"{f}_at"], term), T[f"{f}_at"] if f in ("solved", "closed") else None
        if f == "tag":
            tags = [v.lower() for v in values]
            if self.few:
                return exists().where(TicketTag.ticket_id == T.id, TicketTag.tag.in_(tags)), None
            return T.id.in_(select(TicketTag.ticket_id).where(TicketTag.tag.in_(tags))), None
        if f == "skill":
            return T.id.in_(select(TicketSkill.ticket_id).where(TicketSkill.skill.in_(values))), None
        if f == "status_age":
            # older than N = its status changed before now - N; imports may leave the column empty
            since = func.coalesce(T.status_changed_at, T.updated_at)
            start = self.age_start(values[0])
            flipped = {">": "<", ">=": "<=", "<": ">", "<=": ">="}[term.op]
            return getattr(since, ORDERED_OPS[flipped])(start), None
        if f == "follower":
            followed = select(TicketFollower.ticket_id).where(TicketFollower.agent_id.in_(self._agent_ids(term, values)))
            return T.id.in_(followed), None
        if f == "assignee":
            return self._people(term, T.assignee_id, self._agent_ids), T.assignee_id
        if f == "team":
            return self._people(term, T.team_id, self._team_ids), T.team_id
        if f == "requester":
            return T.requester_id.in_(self._contact_ids(values)), T.requester_id
        if f == "org":
            return self._people(term, T.organization_id, self._org_ids), T.organization_id
        if f == "org.tier":
            return self._tier(values), None
        if f == "sla":
            return or_(*(self._sla(v, term) for v in values)), T.sla_state
        if f.startswith("field."):
            col = T.fields[f.split(".", 1)[1]].as_string()
            if term.op != "=":
                return self._compared(col, term), col
            return func.lower(col).in_([v.lower() for v in values]), col
        if f == "asset":
            keys = [v for v in values if v != "none"]
            linked = select(TicketAsset.ticket_id).join(Asset, Asset.id == TicketAsset.asset_id)
            cond = T.id.in_(linked.where(Asset.serial_key.in_(keys))) if keys else false()
            return (or_(cond, T.id.not_in(select(TicketAsset.ticket_id))) if "none" in values else cond), None
        if f == "warranty":
            return T.id.in_(select(TicketAsset.ticket_id).join(Asset, Asset.id == TicketAsset.asset_id)
                            .where(or_(*(self._warranty(v) for v in values)))), None
        if f == "text":
            return and_(*(self._text(v) for v in values)), None
        raise Invalid(f"{term.source} — field {f!r} cannot be searched yet", field=f)

    def _warranty(self, state: str) -> ColumnElement:
        """An asset's warranty on the desk's local day (desk.timezone): the last day counts as in."""
        from zoneinfo import ZoneInfo

        zone = self.session.get(Setting, "desk.timezone")
        today = self.now.astimezone(ZoneInfo((zone.value if zone else None) or "UTC")).date()
        if state == "in":
            return Asset.warranty_end >= today
        if state == "expired":
            return Asset.warranty_end < today
        return Asset.warranty_end.is_(None)

    def _compared(self, col, term: Term) -> ColumnElement:
        """field.KEY:>100 compares numbers, only where the value is one (free text never
        errors); field.KEY:<2026-03-01 compares dates as text, which ISO dates sort as."""
        value = term.values[0]
        try:
            number = float(value)
        except ValueError:
            return and_(col.is_not(None), getattr(col, ORDERED_OPS[term.op])(value))
        if self.dialect == "postgresql":
            numeric = col.op("~")(r"^[+-]?[0-9]+(\.[0-9]+)?$")
        else:
            numeric = and_(col != "", func.trim(col, "0123456789.+-") == "")
        as_number = case((numeric, cast(col, Float)), else_=None)  # CASE: the cast never sees text
        return getattr(as_number, ORDERED_OPS[term.op])(number)

    def _text(self, phrase: str) -> ColumnElement:
        if self.few:
            return search.matches_ticket(self.dialect, phrase, T.id)
        ids = search.matching_ids(self.dialect, phrase)
        if not self.count_hits or search.count_matches(self.session, phrase) <= MANY_HITS:
            return T.id.in_(ids)
        self.many_hits = True
        if self.dialect != "sqlite":
            return T.id.in_(ids)
        # "+ 0" hides the primary key from SQLite's planner, so it walks the ORDER BY index
        # and probes the (cached) hit list per row instead of sorting every hit.
        return (T.id + 0).in_(ids)

    def _people(self, term: Term, col, lookup) -> ColumnElement:
        wants_none = "none" in term.values
        names = [v for v in term.values if v != "none"]
        conds = [col.is_(None)] if wants_none else []
        if names:
            conds.append(col.in_(lookup(term, names)))
        return or_(*conds)

    def _agent_ids(self, term: Term, names: list[str]) -> list[int]:
        ids = []
        for name in names:
            if name == "me":
                if self.me is None:
                    raise Invalid(f"{term.source} — 'me' needs an acting agent (--as EMAIL or HELPDESK_AGENT)", field=term.field)
                ids.append(self.me)
                continue
            found = self.session.execute(select(Agent.id).where(
                or_(func.lower(Agent.email) == name, func.lower(Agent.name) == name))).scalars().all()
            if not found:
                raise Invalid(f"{term.source} — no agent {name!r}", field=term.field)
            ids.extend(found)
        return ids

    def _team_ids(self, term: Term, names: list[str]) -> list[int]:
        found = self.session.execute(select(Team.id, func.lower(Team.name)).where(func.lower(Team.name).in_(names))).all()
        missing = set(names) - {n for _, n in found}
        if missing:
            raise Invalid(f"{term.source} — no team {sorted(missing)[0]!r}", field="team")
        return [i for i, _ in found]

    def _org_ids(self, term: Term, names: list[str]):
        return select(Organization.id).where(func.lower(Organization.name).in_(names))

    def _contact_ids(self, values) -> Any:
        conds = []
        for v in values:
            conds.append(func.lower(Contact.email) == v if "@" in v else func.lower(Contact.name).contains(v))
        return select(Contact.id).where(or_(*conds))

    def _tier(self, values) -> ColumnElement:
        tiers = [v.lower() for v in values]
        by_contact = select(Contact.id).where(func.lower(Contact.tier).in_(tiers))
        by_org = select(Organization.id).where(func.lower(Organization.tier).in_(tiers))
        return or_(T.requester_id.in_(by_contact), T.organization_id.in_(by_org))

    def _sla(self, value, term: Term) -> ColumnElement:
        if isinstance(value, tuple):
            _, op, seconds = value
            bound = self.now + timedelta(seconds=seconds)
            running = T.sla_state.in_(("running", "warning", "breached"))
            return and_(running, getattr(T.sla_due_at, ORDERED_OPS[op])(bound))
        # A running clock past its due second is breached now, even before the sweep marks it.
        overdue = and_(T.sla_state.in_(("running", "warning")), T.sla_due_at.is_not(None), T.sla_due_at <= self.now)
        if value == "breached":
            return or_(T.sla_state == "breached", overdue)
        if value in ("running", "warning"):
            states = ("running", "warning") if value == "running" else ("warning",)
            return and_(T.sla_state.in_(states), not_(overdue))
        return T.sla_state == value


def _ordered(col, term: Term) -> ColumnElement:
    if term.op == "between":
        lo, hi = term.values
        return and_(col >= lo, col < hi)
    if term.op == "=":
        return col.in_(term.values)
    return getattr(col, ORDERED_OPS[term.op])(term.values[0])


def priority_set(term: Term) -> list[str]:
    if term.op == "=":
        return list(term.values)
    rank = PRIORITIES.index(term.values[0])
    keep = {">": lambda r: r > rank, ">=": lambda r: r >= rank, "<": lambda r: r < rank, "<=": lambda r: r <= rank}[term.op]
    return [p for r, p in enumerate(PRIORITIES) if keep(r)]
