"""Which SLA policy a ticket about to be created falls under, decided in Python.

`sla_policies.policy_index` asks the database, so the ticket must be stored first
and its summary columns updated after. A bulk import that knows each new ticket's
policy before writing it stores the clocks and the summary with the ticket.

The answer must be the database's, so the terms follow SQLite's rules: lower()
folds ASCII letters only, LIKE ignores ASCII case, a comparison with NULL is
unknown (None here) and NOT unknown stays unknown. Terms that need the database
(free text, ticket numbers, a requester pattern with LIKE's wildcards) make
`PolicyMatcher.build` return None: the caller asks the database instead.
tests/services/imports/test_clocks_ahead.py checks the answers against the SQL on random tickets.

    matcher = PolicyMatcher.build(session, config, now)    # None: use policy_index
    index = matcher.index(NewTicket(...))                  # -1: no policy applies
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlmodel import Session

from helpdesk.errors import Invalid
from helpdesk.models import Contact, Organization
from helpdesk.query import Query, Term, parse
from helpdesk.query_sql import Compiler, priority_set
from helpdesk.services.sla.fresh import FreshClocks
from helpdesk.services.sla.policies import stored_config
from helpdesk.sla import STOPPED
from helpdesk.sla_config import SlaConfig

Truth = bool | None  # None: SQL's unknown
Test = Callable[["NewTicket"], Truth]
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


@dataclass(slots=True)
class NewTicket:
    """What a policy's match can look at, as the ticket will be stored."""

    status: str
    priority: str
    channel: str
    created_at: datetime
    updated_at: datetime
    type: str | None = None
    solved_at: datetime | None = None
    closed_at: datetime | None = None
    assignee_id: int | None = None
    team_id: int | None = None
    requester: object | None = None  # a contact: .id (None while new), .name, .email
    organization: object | None = None  # an organization: .id (None while new), .name
    tags: list[str] = field(default_factory=list)
    fields: dict = field(default_factory=dict)


class Undecided(Exception):
    """A value this module cannot compare as SQLite would (e.g. a float custom field)."""


class PolicyMatcher:
    def __init__(self, policies: list[list[Test] | None]):
        self._policies = policies  # per policy its ANDed terms; None: it matches nothing

    @classmethod
    def build(cls, session: Session, config: SlaConfig, now: datetime) -> PolicyMatcher | None:
        """None when the database must decide: not SQLite, or a term this cannot judge."""
        if session.get_bind().dialect.name != "sqlite":
            return None
        from helpdesk.services.core.settings import desk_zone

        zone, compiler, policies = desk_zone(session), Compiler(session, me=None, now=now), []
        for policy in config.policies:
            try:
                tests = _Terms(session, compiler).compile(parse(policy.match, now=now, tz=zone))
            except Invalid:
                tests = None  # as in the database: a policy whose names are gone matches nothing
            except _NeedsDatabase:
                return None
            policies.append(tests)
        return cls(policies)

    def index(self, ticket: NewTicket) -> int:
        """The index of the first policy whose match holds (is true, not unknown); -1 for none."""
        for index, tests in enumerate(self._policies):
            if tests is not None and all(test(ticket) is True for test in tests):
                return index
        return -1


class _NeedsDatabase(Exception):
    pass


class _Terms:
    """Query terms -> tests, with the names looked up as `query_sql.Compiler` does."""

    def __init__(self, session: Session, compiler: Compiler):
        self.session, self.compiler = session, compiler

    def compile(self, query: Query) -> list[Test]:
        return [self.term(term) for term in query.terms]

    def term(self, term: Term) -> Test:
        test, column = self._positive(term)
        if not term.negated:
            return test
        if column is None:
            return lambda t: _not(test(t))
        # as the SQL: "-assignee:bob" still lists unassigned tickets (NULL is "not bob")
        return lambda t: _or(_not(test(t)), column(t) is None)

    def _positive(self, term: Term) -> tuple[Test, Callable | None]:
        f, values = term.field, term.values
        if f in ("status", "channel", "type"):
            wanted = set(values)
            column = _attr(f)
            return (lambda t: _in(column(t), wanted)), (column if f == "type" else None)
        if f == "priority":
            wanted = set(priority_set(term))
            return (lambda t: t.priority in wanted), None
        if f in ("created", "updated", "solved", "closed"):
            column = _attr(f"{f}_at")
            return _ordered(column, term), (column if f in ("solved", "closed") else None)
        if f == "tag":
            wanted = {v.lower() for v in values}
            return (lambda t: any(tag in wanted for tag in t.tags)), None
        if f in ("assignee", "team"):
            lookup = self.compiler._agent_ids if f == "assignee" else self.compiler._team_ids
            return _people(term, _attr(f"{f}_id"), lookup)
        if f == "org":
            return self._org(term)
        if f == "requester":
            return self._requester(values)
        if f == "org.tier":
            return self._tier(values), None
        if f == "sla":  # a new ticket has no SLA state yet: every sla term is unknown
            return (lambda t: None), (lambda t: None)
        if f.startswith("field."):
            key, wanted = f.split(".", 1)[1], {v.lower() for v in values}
            column = lambda t: _field_text(t.fields.get(key))  # noqa: E731
            return (lambda t: _in(column(t), wanted)), column
        raise _NeedsDatabase(f)  # text, id: the database knows

    def _org(self, term: Term) -> tuple[Test, Callable]:
        wants_none, names = "none" in term.values, {v for v in term.values if v != "none"}
        org = _attr("organization")

        def test(t: NewTicket) -> Truth:
            found = org(t)
            if found is None:
                return True if wants_none else None
            return _lower(found.name) in names

        return test, org

    def _requester(self, values: tuple) -> tuple[Test, Callable]:
        if any("%" in v or "_" in v for v in values if "@" not in v):
            raise _NeedsDatabase("requester")  # LIKE wildcards: the database decides
        emails = {v for v in values if "@" in v}
        parts = [_lower(v) for v in values if "@" not in v]
        who = _attr("requester")

        def test(t: NewTicket) -> Truth:
            contact = who(t)
            if contact is None:
                return None
            email = _lower(contact.email) if contact.email is not None else None
            name = _lower(contact.name)
            return email in emails or any(part in name for part in parts)

        return test, who

    def _tier(self, values: tuple) -> Test:
        tiers = [v.lower() for v in values]
        contacts = set(self.session.execute(select(Contact.id).where(func.lower(Contact.tier).in_(tiers))).scalars())
        orgs = set(self.session.execute(select(Organization.id).where(func.lower(Organization.tier).in_(tiers))).scalars())

        def member(ref, ids: set) -> Truth:  # ref.id IN (ids): a new one has no tier yet
            if ref is None:
                return None if ids else False
            return ref.id in ids

        return lambda t: _or(member(t.requester, contacts), member(t.organization, orgs))


# -- SQL's three-valued logic ----------------------------------------------------------

def _not(value: Truth) -> Truth:
    return None if value is None else not value


def _or(*values: Truth) -> Truth:
    if True in values:
        return True
    return None if None in values else False


def _in(value, wanted: set) -> Truth:
    return None if value is None else value in wanted


def _attr(name: str) -> Callable:
    return lambda t: getattr(t, name)


def _lower(text: str) -> str:
    """SQLite's lower(): ASCII letters only."""
    return text.translate(_ASCII_LOWER)


def _field_text(value) -> str | None:
    """lower(json_extract(fields, '$.key')) as SQLite gives it."""
    if value is None or isinstance(value, str):
        return None if value is None else _lower(value)
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    raise Undecided(f"custom field value {value!r}")


def _ordered(column: Callable, term: Term) -> Test:
    if term.op == "between":
        lo, hi = term.values
        return lambda t: None if column(t) is None else lo <= column(t) < hi
    if term.op == "=":
        wanted = set(term.values)
        return lambda t: _in(column(t), wanted)
    bound, op = term.values[0], term.op
    compare = {">": lambda v: v > bound, ">=": lambda v: v >= bound,
               "<": lambda v: v < bound, "<=": lambda v: v <= bound}[op]
    return lambda t: None if column(t) is None else compare(column(t))


def _people(term: Term, column: Callable, lookup) -> tuple[Test, Callable]:
    """assignee/team: 'none' or names, resolved to ids (an unknown name is Invalid)."""
    wants_none = "none" in term.values
    names = [v for v in term.values if v != "none"]
    ids = set(lookup(term, names)) if names else set()

    def test(t: NewTicket) -> Truth:
        value = column(t)
        if value is None:
            return True if wants_none else (None if ids else False)
        return value in ids

    return test, column


class ClocksAhead:
    """A new ticket's policy, clocks and summary worked out before it is stored, so a
    bulk import writes them with the ticket (no UPDATE after, no query for the policy).

        ahead = ClocksAhead.build(session, now, settle=True)   # None: the database decides
        clock_rows, summary_row = ahead.rows(ticket_id, NewTicket(...)) or ([], None)
    """

    def __init__(self, config: SlaConfig, matcher, fresh: FreshClocks):
        self.config, self.matcher, self.fresh = config, matcher, fresh

    @classmethod
    def build(cls, session, now: datetime, *, settle: bool = False) -> ClocksAhead | None:
        """None when the desk has no policies, or a policy needs the database to match."""
        config = stored_config(session)
        if config is None or not config.policies:
            return None
        matcher = PolicyMatcher.build(session, config, now)
        if matcher is None:
            return None
        return cls(config, matcher, FreshClocks(config, now, settled_at=now if settle else None))

    def rows(self, ticket_id: int, ticket) -> tuple[list[tuple], tuple] | None:
        """None for a solved or closed ticket (history gets no clocks) or one no policy
        covers. sla_match.Undecided for a value only the database can compare."""
        if ticket.status in STOPPED:
            return None
        index = self.matcher.index(ticket)
        if index < 0:
            return None
        return self.fresh.rows(ticket_id, ticket.created_at, ticket.status, self.config.policies[index])
