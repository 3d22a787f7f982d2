"""The desk the permission tests share: built once per module, with an admin, an agent,
a viewer, loaded SLA policies, a request type with stages and an approval, rules, macros,
a knowledge base, an asset and mail settings; and fresh things to act on for each call."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path

from helpdesk.db import Desk, open_desk
from helpdesk.services.core.actors import ANONYMOUS, SYSTEM, Actor, actor_of, nobody

ROOT = Path(__file__).resolve().parents[2]
ADA, BOB, VIC = "ada@example.com", "bob@example.com", "vic@example.com"
ALICE = "alice@example.com"
NOBODY_WHY = "no agent is set for this desk (tried --as, HELPDESK_AGENT and the user config); use --as EMAIL or HELPDESK_AGENT"

TYPES = """
[[types]]
name = "change"

[[types.stages]]
name = "asked"

[[types.stages]]
name = "doing"

[[types.stages]]
name = "review"
approval = { approvers = ["support"], needed = 1 }

[[types.stages]]
name = "done"
"""

MACROS = """
[[macros]]
name = "ack"
note = "Looking at #{{ticket.id}}."
add_tags = ["acked"]
"""

RULES = """
[[triggers]]
name = "hot"
on = ["created", "updated"]
when = "priority:urgent -tag:hot"
actions = { add_tags = ["hot"] }

[[automations]]
name = "stale"
when = "status:pending status_age:>72h -tag:stale"
actions = { add_tags = ["stale"] }
"""

MAIL = (b"From: Carol <carol@example.org>\r\nTo: support@acme.test\r\nSubject: Paper jam\r\n"
        b"Message-ID: <m{n}@example.org>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nIt jams again.\r\n")


@dataclass
class PermissionDesk:
    desk: Desk
    tmp: Path
    actors: dict[str, Actor]
    setup_events: list[tuple]  # the events the set-up wrote, compared again at the end
    counter: itertools.count = field(default_factory=lambda: itertools.count(1))

    @property
    def admin(self) -> Actor:
        return self.actors["admin"]

    def n(self) -> int:
        return next(self.counter)

    def write(self, fn):
        return self.desk.write(fn)

    # -- fresh things to act on (made by the admin) --------------------------------------
    def ticket(self, **kw) -> int:
        from helpdesk.services.tickets.lifecycle import NewTicket, create_ticket

        kw.setdefault("requester", ALICE)
        kw.setdefault("team", "support")
        kw.setdefault("body", "The printer on floor 3 jams.")
        return self.write(lambda s: create_ticket(s, self.admin, NewTicket(subject=f"Printer {self.n()}", **kw)).id)

    def solved(self) -> int:
        from helpdesk.services.tickets.lifecycle import TicketChanges, update_ticket

        t = self.ticket()
        self.write(lambda s: update_ticket(s, self.admin, t, TicketChanges(status="solved")))
        return t

    def staged(self, at: str = "asked") -> int:
        from helpdesk.services.types.stages import move_stage

        t = self.ticket(type="change")
        for stage in ("doing", "review", "done")[: ("asked", "doing", "review", "done").index(at)]:
            self.write(lambda s, stage=stage: move_stage(s, self.admin, t, stage))
        return t

    def article(self, state: str = "published") -> int:
        from helpdesk.services.customers.articles import add_article, set_state

        def make(s):
            a = add_article(s, self.admin, f"Printer jams {self.n()}", "Open tray 2 and pull the paper out.")
            if state != "draft":
                set_state(s, self.admin, a.id, state)
            return a.id

        return self.write(make)

    def agent(self) -> str:
        from helpdesk.services.people.agents import add_agent

        email = f"temp{self.n()}@example.com"
        self.write(lambda s: add_agent(s, self.admin, email, "Temp"))
        return email

    def team(self) -> str:
        from helpdesk.services.people.agents import add_team

        name = f"team{self.n()}"
        self.write(lambda s: add_team(s, self.admin, name))
        return name

    def asset(self) -> str:
        from helpdesk.services.customers.assets import add_asset

        serial = f"SN-{self.n()}"
        self.write(lambda s: add_asset(s, self.admin, serial, "LaserJet", owner=ALICE))
        return serial

    def side(self, ticket: int) -> int:
        from helpdesk.services.mail.sides import start_side

        return self.write(lambda s: start_side(s, self.admin, ticket, ["parts@vendor.example"], "Do you have a tray?")[0].id)

    def view(self, actor: Actor | None = None, *, shared: bool = False) -> str:
        from helpdesk.services.tickets.views import add_view

        name = f"view{self.n()}"
        self.write(lambda s: add_view(s, actor or self.admin, name, "status:open", shared=shared))
        return name

    def file(self, name: str, text: str | bytes) -> str:
        path = self.tmp / f"{self.n()}-{name}"
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
        return str(path)

    def events(self, by: str | None = None) -> int:
        """How many events (recorded by `by`: an actor's label, or "portal")."""
        from sqlalchemy import func, select

        from helpdesk.models import Event

        stmt = select(func.count()).select_from(Event)
        with self.desk.read() as s:
            return s.execute(stmt if by is None else stmt.where(Event.actor == by)).scalar_one()


def build(tmp: Path) -> PermissionDesk:
    """The shared desk at tmp/desk.db."""
    from helpdesk.services.core.settings import set_setting
    from helpdesk.services.people import agents
    from helpdesk.services.people.contacts import add_contact
    from helpdesk.services.sla.loading import load_policies
    from helpdesk.services.types.catalog import load_types_file
    from helpdesk.services.workflow.stored import load_macros_file, load_rules_file

    desk = open_desk(str(tmp / "desk.db"))

    def staff(s):
        agents.add_agent(s, ANONYMOUS, ADA, "Ada Admin")
        admin = actor_of(agents.get_agent(s, ADA))
        agents.add_team(s, admin, "support")
        agents.add_team(s, admin, "billing")
        agents.update_agent(s, admin, ADA, team="support")
        agents.add_agent(s, admin, BOB, "Bob Agent", "agent", "support")
        agents.add_agent(s, admin, VIC, "Vic Viewer", "viewer")
        add_contact(s, admin, ALICE, "Alice", org="Acme")
        set_setting(s, admin, "mail.from", "support@acme.test")
        set_setting(s, admin, "portal.url", "https://help.acme.test")
        set_setting(s, admin, "desk.name", "Acme help")
        load_policies(s, admin, (ROOT / "data" / "sla.toml").read_text(encoding="utf-8"))
        load_types_file(s, admin, TYPES)
        load_macros_file(s, admin, MACROS)
        load_rules_file(s, admin, RULES)
        return {role: actor_of(agents.get_agent(s, email)) for role, email in
                (("admin", ADA), ("agent", BOB), ("viewer", VIC))}

    actors = desk.write(staff)
    lock_events(desk)
    actors["nobody"] = nobody(NOBODY_WHY)
    actors["system"] = SYSTEM
    return PermissionDesk(desk, tmp, actors, event_rows(desk))


UPDATE_REFUSED = "test: an event row was updated"


def lock_events(desk: Desk) -> None:
    """From here on any UPDATE of an event fails the operation that tried it (the database
    itself refuses a DELETE: migration 0013). SQLite only."""
    with desk.engine.begin() as conn:
        conn.exec_driver_sql("CREATE TRIGGER test_event_no_update BEFORE UPDATE ON event "
                             f"BEGIN SELECT RAISE(ABORT, '{UPDATE_REFUSED}'); END")


def event_rows(desk: Desk) -> list[tuple]:
    """Every event, whole, in id order."""
    from sqlalchemy import select

    from helpdesk.models import Event

    cols = [Event.id, Event.ticket_id, Event.entity, Event.entity_id, Event.at, Event.actor, Event.field,
            Event.old, Event.new, Event.reason]
    with desk.read() as s:
        return [tuple(r) for r in s.execute(select(*cols).order_by(Event.id))]
