"""An import beside other writers (found by bench/stress.py on PostgreSQL): a requester or
an organization someone else created after the import read the desk's people is shared,
not a unique key error that fails the batch."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from helpdesk.models import Contact, Organization, Ticket
from helpdesk.services.imports import run as import_run
from helpdesk.services.imports.people import PeopleBook
from helpdesk.services.imports.run import open_import, run_import
from helpdesk.services.people.contacts import add_contact


def test_a_requester_created_meanwhile_is_shared_by_the_import(desk, crew, tmp_path, monkeypatch):
    sheet = tmp_path / "tickets.csv"
    sheet.write_text("Ticket ID,Subject,Email,Organization\nX-1,Printer jam,late@x.test,Acme Late\n", encoding="utf-8")

    class BookThenSomeoneElse(PeopleBook):
        def __init__(self, session):
            super().__init__(session)  # the import has read the desk's people; then an agent adds one
            desk.write(lambda s: add_contact(s, crew.agent, "late@x.test", "Late Comer", org="Acme Late"))

    monkeypatch.setattr(import_run, "PeopleBook", BookThenSomeoneElse)
    report = run_import(desk, crew.agent, open_import(sheet))
    assert (report.created, report.rejected) == (1, 0)
    with desk.read() as s:
        assert s.execute(select(func.count()).select_from(Contact).where(Contact.email == "late@x.test")).scalar() == 1
        assert s.execute(select(func.count()).select_from(Organization)).scalar() == 1
        contact = s.execute(select(Contact).where(Contact.email == "late@x.test")).scalar_one()
        assert s.execute(select(Ticket.requester_id).where(Ticket.external_id == "X-1")).scalar() == contact.id
