"""Finding tickets: every query field against real rows, full-text in English and CJK, keyset pages."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpdesk import search
from helpdesk.errors import Invalid
from helpdesk.models import Ticket
from helpdesk.services.people import contacts
from helpdesk.services.tickets import conversation
from helpdesk.services.tickets.lifecycle import (
    NewTicket,
    TicketChanges,
    create_ticket,
    update_ticket,
)
from helpdesk.services.tickets.listing import find_tickets


@pytest.fixture
def tickets(desk, crew):
    """A small desk whose tickets each answer a different query."""

    def make(s):
        contacts.add_contact(s, crew.admin, "vip@acme.com", "Victoria", org="Acme", tier="vip")
        mk = lambda **kw: create_ticket(s, crew.agent, NewTicket(**kw)).id  # noqa: E731
        ids = {
            "printer": mk(subject="Printer jams on page two", body="The office printer jams", requester="alice@example.com",
                          tags=["printer"], priority="high", assignee="bob@example.com", team="support"),
            "refund": mk(subject="申请退款", body="三月份被重复扣费了两次", requester="wang@example.cn", priority="urgent",
                         fields={"order": "A-17"}),
            "japanese": mk(subject="ログインできません", body="パスワードを再設定しました", requester="sato@example.jp"),
            "vip": mk(subject="Board meeting projector", requester="vip@acme.com", priority="low", tags=["av", "spam"]),
            "ok": mk(subject="Is it ok to reboot", body="ok?", requester="alice@example.com", type="question"),
        }
        update_ticket(s, crew.agent, ids["vip"], TicketChanges(status="pending"))
        s.get(Ticket, ids["refund"]).external_id = "GD-0042"  # as an import stores a sheet's id
        conversation.add_agent_message(s, crew.agent, ids["ok"], "Yes, reboot the 打印机 please")
        return ids

    return desk.write(make)


def ids(desk, actor, text, **kw):
    with desk.read() as s:
        return {t.id for t in find_tickets(s, actor, text, **kw).tickets}


FINDS = [
    ("status:new", {"printer", "refund", "japanese"}),
    ("external:GD-0042", {"refund"}),
    ("ext:GD-0042,GD-9", {"refund"}),
    ("ext:gd-0042", set()),  # as written in the sheet
    ("-external:GD-0042", {"printer", "japanese", "vip", "ok"}),
    ("status:open,pending", {"vip", "ok"}),
    ("-status:new", {"vip", "ok"}),
    ("priority:>=high", {"printer", "refund"}),
    ("priority:<normal", {"vip"}),
    ("assignee:bob@example.com", {"printer"}),
    ("assignee:me", {"printer"}),
    ("assignee:none", {"refund", "japanese", "vip", "ok"}),
    ("-assignee:bob@example.com", {"refund", "japanese", "vip", "ok"}),
    ("team:support", {"printer"}),
    ("tag:printer", {"printer"}),
    ("-tag:spam", {"printer", "refund", "japanese", "ok"}),
    ("requester:alice@example.com", {"printer", "ok"}),
    ("org:acme", {"vip"}),
    ("org.tier:vip", {"vip"}),
    ("type:question", {"ok"}),
    ("field.order:A-17", {"refund"}),
    ("printer", {"printer"}),
    ("print", {"printer"}),  # a word is also a prefix
    ('"jams on page"', {"printer"}),
    ("退款", {"refund"}),  # two-character Chinese word
    ("重复扣费", {"refund"}),  # a word inside a sentence without spaces
    ("打印机", {"ok"}),  # found in a reply, not the subject
    ("ログイン", {"japanese"}),
    ("ok", {"ok"}),  # two-letter English word
    ("Victoria", {"vip"}),  # requester name
    ("printer -tag:printer", set()),
    ("status:new priority:urgent 退款", {"refund"}),
    ("tag:printer,av", {"printer", "vip"}),
    ("-printer -tag:av", {"refund", "japanese", "ok"}),
]


@pytest.mark.parametrize("query, expected", FINDS)
def test_query_finds_exactly(desk, crew, tickets, query, expected):
    assert ids(desk, crew.agent, query) == {tickets[k] for k in expected}


@pytest.mark.parametrize("query, expected", FINDS)
def test_a_check_of_one_ticket_answers_as_the_listing(desk, crew, tickets, query, expected):
    """The `few` form (a trigger checking one new ticket: text and tag terms look up that
    ticket's own rows) gives each ticket the answer the listing gives."""
    from sqlalchemy import select

    from helpdesk.models import utcnow
    from helpdesk.query_sql import Compiler
    from helpdesk.services.tickets.listing import parse_query

    with desk.read() as s:
        compiler = Compiler(s, me=crew.agent.agent_id, now=utcnow(), count_hits=False, few=True)
        cond = compiler.compile(parse_query(query))
        found = {tid for tid in tickets.values()
                 if s.execute(select(Ticket.id).where(Ticket.id == tid, cond)).first() is not None}
    assert found == {tickets[k] for k in expected}


def test_created_and_updated_terms(desk, crew, tickets):
    assert len(ids(desk, crew.agent, "created:<1h")) == 5
    assert ids(desk, crew.agent, "created:>1h") == set()
    tomorrow = (datetime.now(timezone.utc) + timedelta(days=1)).date().isoformat()
    assert ids(desk, crew.agent, f"created:>{tomorrow}") == set()


@pytest.mark.parametrize("query, names", [
    ("colour:red", "colour"), ("status:opn", "opn"), ("assignee:ghost@example.com", "ghost"),
    ("team:nowhere", "nowhere"), ('"unterminated', "quote"), ("!!!", "no letters"),
])
def test_bad_terms_name_the_problem(desk, crew, tickets, query, names):
    with pytest.raises(Invalid) as err:
        ids(desk, crew.agent, query)
    assert names in err.value.message.lower() or names in str(err.value).lower()


def test_me_without_an_agent_is_explained(desk, crew, tickets):
    from helpdesk.services.core.actors import ANONYMOUS

    with pytest.raises(Invalid, match="acting agent"):
        ids(desk, ANONYMOUS, "assignee:me")


def test_keyset_pages_cover_everything_once(desk, crew):
    desk.write(lambda s: [create_ticket(s, crew.agent, NewTicket(subject=f"T{i}", priority=["low", "high"][i % 2])) for i in range(23)])
    for sort in ("updated", "id", "priority", "due"):
        seen, cursor = [], None
        with desk.read() as s:
            while True:
                page = find_tickets(s, crew.agent, "", limit=5, sort=sort, after=cursor)
                seen += [t.id for t in page.tickets]
                assert page.total == 23
                if page.cursor is None:
                    break
                cursor = page.cursor
        assert sorted(seen) == list(range(1, 24)), sort


@given(st.text(min_size=1, max_size=30))
@settings(max_examples=300, deadline=None, derandomize=True)
def test_any_phrase_becomes_a_valid_search_or_a_clear_error(phrase):
    try:
        expr = search.fts_query(phrase)
    except Invalid:
        return
    import sqlite3

    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE t USING fts5(doc, tokenize='unicode61 remove_diacritics 2', prefix='1 2')")
    db.execute("INSERT INTO t VALUES (?)", (search.index_text(phrase),))
    assert db.execute("SELECT count(*) FROM t WHERE t MATCH ?", (expr,)).fetchone()[0] == 1  # finds itself


def test_common_words_page_fast_and_count_says_at_least(desk, crew, monkeypatch):
    from helpdesk import query_sql
    from helpdesk.services.tickets import listing

    monkeypatch.setattr(query_sql, "MANY_HITS", 5)
    monkeypatch.setattr(listing, "COUNT_CAP", 10)
    desk.write(lambda s: [create_ticket(s, crew.agent, NewTicket(subject=f"printer {i}")) for i in range(30)])
    with desk.read() as s:
        alone = find_tickets(s, crew.agent, "printer", limit=7)
        assert (alone.total, alone.total_exact) == (30, True)
        mixed = find_tickets(s, crew.agent, "printer status:new", limit=7, sort="id")
        assert (mixed.total, mixed.total_exact) == (10, False)
        assert [t.id for t in mixed.tickets] == list(range(30, 23, -1))
        rest = find_tickets(s, crew.agent, "printer status:new", limit=100, sort="id", after=mixed.cursor)
        assert len(rest.tickets) == 23
