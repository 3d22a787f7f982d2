"""JSON Lines run again (after a run that committed but never said so): the same tickets, once."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from helpdesk.errors import Invalid
from helpdesk.models import Message, Ticket
from helpdesk.services.tickets.from_lines import create_from_lines


def lines(*items):
    return [(n, json.dumps(item)) for n, item in enumerate(items, 1)]


FEED = lines({"external_id": "A-1", "subject": "Printer", "body": "jammed"},
             {"external_id": "A-2", "subject": "Scanner", "body": "dark"})


def counts(desk):
    with desk.read() as s:
        return s.execute(select(func.count()).select_from(Ticket)).scalar(), s.execute(select(func.count()).select_from(Message)).scalar()


def test_running_the_same_lines_again_creates_nothing_twice(desk, crew):
    first = desk.write(lambda s: create_from_lines(s, crew.agent, FEED))
    existing: list[int] = []
    again = desk.write(lambda s: create_from_lines(s, crew.agent, FEED, existing))
    assert again == [] and existing == first
    assert counts(desk) == (2, 2)


def test_a_longer_feed_run_again_creates_only_the_new_lines(desk, crew):
    desk.write(lambda s: create_from_lines(s, crew.agent, FEED))
    more = FEED + lines({}, {}, {"external_id": "A-3", "subject": "Badge", "body": "lost"})[2:]
    existing: list[int] = []
    created = desk.write(lambda s: create_from_lines(s, crew.agent, more, existing))
    assert len(created) == 1 and len(existing) == 2 and counts(desk) == (3, 3)


def test_an_external_id_taken_by_another_ticket_is_still_refused(desk, crew):
    desk.write(lambda s: create_from_lines(s, crew.agent, FEED))
    clash = lines({"external_id": "A-1", "subject": "Something else"})
    with pytest.raises(Invalid, match="already used"):
        desk.write(lambda s: create_from_lines(s, crew.agent, clash))
    assert counts(desk) == (2, 2)


def test_the_cli_says_which_lines_were_there_already(staffed, tmp_path):
    feed = tmp_path / "feed.jsonl"
    feed.write_text("\n".join(text for _, text in FEED) + "\n")
    assert staffed("ticket", "create", "--from", str(feed), who="bob@example.com").code == 0
    r = staffed("ticket", "create", "--from", str(feed), "--json", who="bob@example.com")
    assert r.code == 0 and r.json() == {"created": [], "count": 0, "existing": [1, 2]}
    r = staffed("ticket", "create", "--from", str(feed), who="bob@example.com")
    assert "2 lines were already there" in r.err
