"""Signed portal links: they open their ticket only, while unexpired and not revoked."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from portal_support import ticket

from helpdesk.errors import Forbidden, NotFound
from helpdesk.models import Event, utcnow
from helpdesk.services.customers.portal_links import agent_link, make_token, open_token, revoke


def opens(desk, token, purpose="t"):
    with desk.read() as s:
        return open_token(s, token, purpose)


def test_a_link_opens_its_ticket_and_nothing_else(desk, crew):
    a, b = ticket(desk, crew.agent), ticket(desk, crew.agent, "bob@example.com")
    token = desk.write(lambda s: make_token(s, a))
    assert opens(desk, token) == a
    # the same signature with the other ticket's number, every single changed character: nothing
    assert opens(desk, token.replace(f"t.{a}.", f"t.{b}.", 1)) is None
    for i in range(len(token)):
        changed = token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1:]
        assert opens(desk, changed) is None, changed
    assert opens(desk, token + "x") is None and opens(desk, "") is None and opens(desk, "a" * 500) is None


def test_a_ticket_link_is_not_a_survey_link(desk, crew):
    n = ticket(desk, crew.agent)
    token = desk.write(lambda s: make_token(s, n, "t"))
    assert opens(desk, token, "s") is None
    assert opens(desk, desk.write(lambda s: make_token(s, n, "s")), "s") == n


def test_links_expire_after_30_days_or_the_configured_days(desk, crew):
    n = ticket(desk, crew.agent)
    token = desk.write(lambda s: make_token(s, n))
    with time_machine.travel(utcnow() + timedelta(days=29, hours=23)):
        assert opens(desk, token) == n
    with time_machine.travel(utcnow() + timedelta(days=30, minutes=1)):
        assert opens(desk, token) is None
    from helpdesk.services.core.settings import set_setting

    desk.write(lambda s: set_setting(s, crew.admin, "portal.link_days", "2"))
    short = desk.write(lambda s: make_token(s, n))
    with time_machine.travel(utcnow() + timedelta(days=2, minutes=1)):
        assert opens(desk, short) is None


def test_revoke_withdraws_every_earlier_link_and_is_audited(desk, crew):
    n = ticket(desk, crew.agent)
    old = desk.write(lambda s: make_token(s, n))
    assert desk.write(lambda s: revoke(s, crew.agent, n)) == 1
    assert opens(desk, old) is None
    new = desk.write(lambda s: make_token(s, n))
    assert opens(desk, new) == n
    with desk.read() as s:
        from sqlmodel import select

        assert s.exec(select(Event).where(Event.ticket_id == n, Event.field == "portal_links")).first() is not None


def test_agent_link_needs_an_agent_and_a_ticket(desk, crew):
    n = ticket(desk, crew.agent)
    link = desk.write(lambda s: agent_link(s, crew.agent, n, "https://help.acme.test/"))
    assert link.startswith("https://help.acme.test/t/t.")
    with pytest.raises(Forbidden):
        desk.write(lambda s: agent_link(s, crew.viewer, n))
    with pytest.raises(NotFound):
        desk.write(lambda s: agent_link(s, crew.agent, 9999))


def test_each_desk_signs_with_its_own_key(tmp_path, crew, desk):
    from helpdesk.db import open_desk

    n = ticket(desk, crew.agent)
    token = desk.write(lambda s: make_token(s, n))
    other = open_desk(str(tmp_path / "other.db"))
    try:
        from helpdesk.services.core.actors import SYSTEM

        ticket(other, SYSTEM)
        with other.read() as s:
            assert open_token(s, token) is None  # no key there yet: nothing opens
        other.write(lambda s: make_token(s, n))
        with other.read() as s:
            assert open_token(s, token) is None  # another key
    finally:
        other.close()
