"""Who the rows of an import are about: requesters, organizations, agents and teams.

Everything is looked up in dicts loaded once per run (an import of 100k rows cannot
afford a query per row). Requesters are matched by email, else phone, else name, and
created once; new rows get their ids when the batch that first needs them is written."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import func, insert, select, update
from sqlmodel import Session

from helpdesk.models import Agent, Contact, Organization, Team, utcnow
from helpdesk.services.core.bulk_sql import is_sqlite, listed

NAME_MAX = 200
_DIGITS = re.compile(r"\D")


class Ref:
    """A contact or organization: existing (id known) or new (id set once written)."""

    __slots__ = ("email", "id", "name", "org", "phone")

    def __init__(self, id: int | None, name: str, email: str | None = None,
                 phone: str | None = None, org: Ref | None = None):
        self.id, self.name, self.email, self.phone, self.org = id, name, email, phone, org


@dataclass
class Notices:
    """Warnings counted per cause, so 10,000 rows naming one unknown agent make one line."""

    rows: dict[str, list[int]] = field(default_factory=dict)

    def add(self, message: str, row: int) -> None:
        rows = self.rows.setdefault(message, [])
        if len(rows) < 5 or rows[-1] != row:
            rows.append(row)

    def lines(self) -> list[str]:
        return [f"{message} ({_rows_text(rows)})" for message, rows in self.rows.items()]


def _rows_text(rows: list[int]) -> str:
    shown = ", ".join(map(str, rows[:5]))
    return f"row {shown}" if len(rows) == 1 else f"rows {shown}" + (", ..." if len(rows) > 5 else "")


def _insert(session: Session, model, refs: list[Ref], values: Callable[[Ref], dict]) -> None:
    """Insert new rows and set their refs' ids. SQLite: the write transaction holds the
    database lock, so numbering after max(id) is safe and one executemany does it all."""
    if not refs:
        return
    if not is_sqlite(session):
        # PostgreSQL: another writer (a ticket create, mail, another import) may have
        # committed the same new contact or organization since the book was read; then
        # the row is theirs to share, not a unique key error (found by bench/stress.py)
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        key = model.email if model is Contact else model.name
        for ref in refs:
            row = values(ref)
            ref.id = session.execute(pg_insert(model).values(**row).on_conflict_do_nothing()
                                     .returning(model.id)).scalar()
            if ref.id is None:
                ref.id = session.execute(select(model.id).where(key == row[key.key])).scalar_one()
        return
    # SQLite: people another process created after the book was read (this transaction
    # holds the write lock now, so what is found here stays) are shared, not inserted again
    key = model.email if model is Contact else model.name
    keyed = {}
    for ref in refs:
        value = values(ref)[key.key]
        if value is not None:
            keyed.setdefault(value, []).append(ref)
    if keyed:
        shared = set()
        for value, found in session.execute(select(key, model.id).where(key.in_(listed(session, list(keyed))))):
            for ref in keyed.get(value, ()):
                ref.id = found
                shared.add(id(ref))
        refs = [ref for ref in refs if id(ref) not in shared]
        if not refs:
            return
    first = (session.execute(select(func.max(model.id))).scalar() or 0) + 1
    for number, ref in enumerate(refs, start=first):
        ref.id = number
    session.execute(insert(model), [{"id": ref.id, **values(ref)} for ref in refs])


def phone_key(phone: str | None) -> str | None:
    """'+86 138-0013-8000' and '13800138000' are one phone; short numbers are no key."""
    digits = _DIGITS.sub("", phone or "")
    if len(digits) < 5:
        return None
    return digits[-11:] if len(digits) > 11 else digits


def name_key(name: str | None) -> str:
    return " ".join((name or "").split()).casefold()


class PeopleBook:
    """The desk's people, loaded once; `save` writes the new ones of a batch."""

    def __init__(self, session: Session):
        self.notices = Notices()
        self.by_email: dict[str, Ref] = {}
        self.by_phone: dict[str, Ref] = {}
        self.by_name: dict[str, Ref] = {}
        self.orgs: dict[str, Ref] = {}
        self.new_orgs: list[Ref] = []  # not written yet
        self.new_contacts: list[Ref] = []
        self.created = {"contacts": 0, "organizations": 0}  # written and committed so far
        self.filled: dict[Ref, dict] = {}  # existing contacts whose blank email/phone/org a row fills
        self._saving: tuple[list[Ref], list[Ref], dict] | None = None  # written, not committed yet
        self._load(session)

    def _load(self, session: Session) -> None:
        for oid, name in session.execute(select(Organization.id, Organization.name)):
            self.orgs.setdefault(name_key(name), Ref(oid, name))
        org_of = {ref.id: ref for ref in self.orgs.values()}
        rows = session.execute(select(Contact.id, Contact.email, Contact.name, Contact.phone,
                                      Contact.organization_id).order_by(Contact.id))
        for cid, email, name, phone, oid in rows:
            self._remember(Ref(cid, name, email, phone, org_of.get(oid)))
        self.agents: dict[str, tuple[int, str, bool]] = {}
        for aid, email, name, role, active in session.execute(
                select(Agent.id, Agent.email, Agent.name, Agent.role, Agent.active).order_by(Agent.id)):
            for key in (email.lower(), name_key(name)):
                self.agents.setdefault(key, (aid, role, active))
        self.teams = {name_key(name): tid for tid, name in session.execute(select(Team.id, Team.name))}

    def _remember(self, ref: Ref) -> None:
        if ref.email:
            self.by_email.setdefault(ref.email.lower(), ref)
        key = phone_key(ref.phone)
        if key:
            self.by_phone.setdefault(key, ref)
        self.by_name.setdefault(name_key(ref.name), ref)

    # -- lookups ------------------------------------------------------------------

    def organization(self, name: str | None) -> Ref | None:
        if not name:
            return None
        key = name_key(name)
        org = self.orgs.get(key)
        if org is None:
            org = self.orgs[key] = Ref(None, " ".join(name.split())[:NAME_MAX])
            self.new_orgs.append(org)
        return org

    def requester(self, row: int, email: str | None, name: str | None, phone: str | None,
                  org: Ref | None) -> Ref | None:
        """The contact this row is about, created on first sight; None if the row names nobody."""
        name = " ".join(name.split())[:NAME_MAX] if name else None
        if not (email or phone or name):
            return None
        found = self._find(email, name, phone)
        if found is None:
            found = Ref(None, name or (email.split("@")[0] if email else phone), email, phone, org)
            self._remember(found)
            self.new_contacts.append(found)
            return found
        if name and email and name_key(name) != name_key(found.name):
            self.notices.add(f'requester {email} is named "{name}" here but "{found.name}" '
                             "elsewhere: the first name was kept", row)
        self._fill(found, email, phone, org)
        return found

    def _find(self, email: str | None, name: str | None, phone: str | None) -> Ref | None:
        if email:
            found = self.by_email.get(email)
            if found is not None:
                return found
        key = phone_key(phone)
        if key:
            found = self.by_phone.get(key)
            if found is not None and (not email or not found.email):
                return found
        if name and not email:
            found = self.by_name.get(name_key(name))
            if found is not None and (not key or not phone_key(found.phone)):
                return found
        return None

    def _fill(self, ref: Ref, email: str | None, phone: str | None, org: Ref | None) -> None:
        """A row may fill what the contact lacks; it never overwrites what it has."""
        changes = {}
        if email and not ref.email:
            ref.email = changes["email"] = email
            self.by_email.setdefault(email, ref)
        if phone and not ref.phone:
            ref.phone = changes["phone"] = phone
            if phone_key(phone):
                self.by_phone.setdefault(phone_key(phone), ref)
        if org is not None and ref.org is None:
            ref.org = changes["org"] = org
        if changes and ref.id is not None:
            self.filled.setdefault(ref, {}).update(changes)

    def agent(self, row: int, who: str | None) -> int | None:
        if not who:
            return None
        found = self.agents.get(who.strip().lower()) or self.agents.get(name_key(who))
        if found is None:
            self.notices.add(f'assignee "{who}" is not an agent: left unassigned '
                             "(add the agent and import again)", row)
            return None
        aid, role, active = found
        if role == "viewer" or not active:
            why = "a viewer" if role == "viewer" else "deactivated"
            self.notices.add(f'assignee "{who}" is {why}: left unassigned', row)
            return None
        return aid

    def agent_id(self, who: str | None) -> int | None:
        """A comment's author, if an agent wrote it (no warning: the name is kept anyway)."""
        found = self.agents.get(who.strip().lower()) or self.agents.get(name_key(who)) if who else None
        return found[0] if found else None

    def team(self, row: int, name: str | None) -> int | None:
        if not name:
            return None
        found = self.teams.get(name_key(name))
        if found is None:
            self.notices.add(f'team "{name}" does not exist: left without a team '
                             "(add it with `helpdesk team add` and import again)", row)
        return found

    # -- writing ------------------------------------------------------------------

    def save(self, session: Session) -> None:
        """Insert the new organizations and contacts, fill blanks of existing contacts.

        What was new so far belongs to this batch: rows met while it commits (the
        next batch is read meanwhile) wait for the next save. Until `saved`, another
        call writes the same people again with fresh ids: a retried transaction."""
        if self._saving is None:
            self._saving = self.new_orgs, self.new_contacts, self.filled
            self.new_orgs, self.new_contacts, self.filled = [], [], {}
        orgs, contacts, filled = self._saving
        now = utcnow()
        _insert(session, Organization, orgs, lambda ref: {"name": ref.name, "created_at": now})
        _insert(session, Contact, contacts, lambda ref: {
            "email": ref.email, "name": ref.name, "phone": ref.phone,
            "organization_id": ref.org.id if ref.org else None, "created_at": now})
        for ref, changes in filled.items():
            values = {k: v for k, v in changes.items() if k != "org"}
            if "org" in changes:
                values["organization_id"] = changes["org"].id
            session.execute(update(Contact).where(Contact.id == ref.id).values(**values))

    def saved(self) -> None:
        """The batch committed: its new people exist now."""
        if self._saving is not None:
            orgs, contacts, _ = self._saving
            self.created["organizations"] += len(orgs)
            self.created["contacts"] += len(contacts)
            self._saving = None
