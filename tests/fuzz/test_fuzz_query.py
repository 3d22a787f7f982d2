"""Fuzzing the query language: random and grammar-shaped text.

Never a traceback and never a hang: either a Query, or `Invalid` naming the term it
stumbled on. Every query that parses also compiles to SQL and runs on SQLite."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from fuzz_support import bounded, fuzz, hostile_text
from hypothesis import example, given
from hypothesis import strategies as st

from helpdesk.errors import Invalid
from helpdesk.query import ALIASES, FIELDS, describe, parse

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
ZONE = ZoneInfo("Asia/Shanghai")

KEYS = [k for k in FIELDS if k != "field.KEY"] + list(ALIASES) + [
    "field.serial", "field.refund_amount", "field.", "FIELD.X", "Status", "stauts", "x", "a.b-c", "sla.due"]
VALUES = [
    "open", "pending", "on_hold", "hold", "active", "low", "high", "urgent", "me", "none", "vip",
    "breached", "due<2h", "due<=30m", "due>1d", "due<", "2026-01-01", "2026-02-30", "2026/3/1",
    "2026-01-01T09:30", "2026-01-01T09:30:15.5Z", "2026-01-01T25:61+14:00", "9999-12-31", "0000-01-01",
    "today", "yesterday", "7d", "30m", "2w", "999999w", "1000000w", "72h", "2026-01-01..2026-01-31",
    "2026-02-01..2026-01-01", "..", "a..b", "123", "0", "-1", "99999999999999999999", "1e3", "0x10",
    "退款", "SN-1001", "ada@example.com", "in", "expired", "unknown", "approved", "", " ", "pending,", ",",
    "\"quoted value\"", "“全角”", "\"", "\\", "：", "，",
]
OPS = ["", ">", ">=", "<", "<=", "=", "<>", ">>"]


@st.composite
def term(draw) -> str:
    kind = draw(st.sampled_from(["field", "field", "field", "word", "phrase", "number", "junk"]))
    sign = draw(st.sampled_from(["", "", "-", "--"]))
    if kind == "field":
        key = draw(st.sampled_from(KEYS) | st.from_regex(r"[A-Za-z][A-Za-z0-9_.\-]{0,8}", fullmatch=True))
        colon = draw(st.sampled_from([":", ":", "："]))
        values = draw(st.lists(st.sampled_from(VALUES) | st.text(max_size=6), min_size=1, max_size=3))
        comma = draw(st.sampled_from([",", "，"]))
        return f"{sign}{key}{colon}{draw(st.sampled_from(OPS))}{comma.join(values)}"
    if kind == "word":
        return sign + draw(st.sampled_from(["printer", "打印机不工作", "退款", "a", "ab", "x*", "NEAR", "AND",
                                            "OR", "NOT", "^", "(", ")", "'", "%", "_", "\\", "{", "*"]))
    if kind == "phrase":
        body = draw(st.text(max_size=12))
        return sign + draw(st.sampled_from(['"{}"', "“{}”", '"{}', "“{}\"", '"{}\\"'])).format(body)
    if kind == "number":
        return sign + "#" + draw(st.sampled_from(["1", "12", "0", "", "1,2", "99999999999999999999", "1a", "#"]))
    return draw(hostile_text(max_pieces=4))


queries = st.lists(term(), max_size=6).map(" ".join)


def check_parse(text: str):
    """A Query, or Invalid whose message names the term (the source text that was bad)."""
    try:
        query = parse(text, now=NOW, tz=ZONE)
    except Invalid as error:
        message = error.message
        assert "Traceback" not in message
        assert " — " in message, message  # "<the term as typed> — why"
        named = message.split(" — ", 1)[0]
        assert named.rstrip("…") and named.rstrip("…")[:20] in text, (named, text)
        return None
    assert parse(describe(query), now=NOW, tz=ZONE) == query
    return query


@fuzz(400, deadline_ms=2000)
@given(queries)
@example('"unterminated')
@example("created:2026-01-01..")
@example("-")
def test_grammar_shaped_queries_parse_or_name_the_term(text):
    with bounded("query: grammar-shaped parse"):
        check_parse(text)


@fuzz(300, deadline_ms=2000)
@given(st.one_of(st.text(), hostile_text(), st.text(alphabet=':："“”\\,，-#<>=. a1', max_size=40)))
def test_random_text_parses_or_names_the_term(text):
    with bounded("query: random text parse"):
        check_parse(text)


@pytest.fixture(scope="module")
def searched_desk(tmp_path_factory):
    """A small desk with an agent, a team and a few tickets to run compiled queries on."""
    from helpdesk.db import open_desk
    from helpdesk.services.core.actors import ANONYMOUS, actor_of
    from helpdesk.services.people import agents
    from helpdesk.services.tickets.lifecycle import NewTicket, create_ticket

    desk = open_desk(str(tmp_path_factory.mktemp("query-fuzz") / "desk.db"))

    def setup(s):
        agents.add_agent(s, ANONYMOUS, "ada@example.com", "Ada Admin")
        admin = actor_of(agents.get_agent(s, "ada@example.com"))
        agents.add_team(s, admin, "support")
        for subject in ("printer jam 打印机卡纸", "refund 退款", "[bold]markup[/bold] \x1b[31m"):
            create_ticket(s, admin, NewTicket(subject=subject, body="body text", requester="c@example.com"))
        return admin

    admin = desk.write(setup)
    yield desk, admin
    desk.close()


@fuzz(150, deadline_ms=5000)
@given(queries)
@example("printer 退款 -tag:spam")
@example("\"\\\\\" a")
@example("field.x:>1e3 field.y:<abc")
def test_valid_queries_run_on_sqlite(searched_desk, text):
    from helpdesk.services.tickets.listing import find_tickets

    desk, admin = searched_desk
    with bounded("query: parse -> SQL on SQLite"):
        if check_parse(text) is None:
            return
        try:
            with desk.read() as s:
                find_tickets(s, admin, text, now=NOW, tz=ZONE)
        except Invalid as error:  # no agent 'bob', no letters to search: refused, naming the term or field
            assert " — " in error.message or error.field, error.message
