"""The query language's parse half: text -> Query, errors, and describe()."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpdesk.errors import Invalid
from helpdesk.query import (
    ACTIVE_STATUSES,
    DATE_FIELDS,
    FIELDS,
    PRIORITIES,
    SLA_STATES,
    STATUSES,
    Query,
    Term,
    describe,
    parse,
)

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)  # 20:00 in Shanghai
SHANGHAI = ZoneInfo("Asia/Shanghai")


def q(text: str, tz: ZoneInfo = SHANGHAI) -> tuple[Term, ...]:
    return parse(text, now=NOW, tz=tz).terms


def one(text: str, tz: ZoneInfo = SHANGHAI) -> Term:
    (term,) = q(text, tz)
    return term


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def error(text: str) -> str:
    with pytest.raises(Invalid) as caught:
        parse(text, now=NOW, tz=SHANGHAI)
    return caught.value.message


# --- shape -------------------------------------------------------------------


def test_empty_text_is_a_query_with_no_terms():
    assert parse("", now=NOW, tz=SHANGHAI) == Query(())
    assert q("   \t\n ") == ()


def test_terms_keep_order_source_and_are_anded():
    query = parse("status:open  tag:Printer", now=NOW, tz=SHANGHAI)
    assert [t.source for t in query.terms] == ["status:open", "tag:Printer"]
    assert query.source == "status:open  tag:Printer"


def test_source_is_not_part_of_equality():
    assert one("STATUS:OPEN") == one("status:open")


def test_naive_now_is_a_programming_error():
    with pytest.raises(ValueError):
        parse("status:open", now=datetime(2026, 1, 1), tz=SHANGHAI)


def test_fields_lists_every_canonical_field_with_help():
    assert "status" in FIELDS and "org.tier" in FIELDS and "field.KEY" in FIELDS
    assert all(isinstance(h, str) and h for h in FIELDS.values())


# --- status and priority -----------------------------------------------------


def test_status_values_and_commas():
    assert one("status:open,pending") == Term("status", "=", ("open", "pending"))
    assert one("status:Solved").values == ("solved",)


@pytest.mark.parametrize("word", ["on_hold", "hold", "on-hold", "ON-HOLD", '"on hold"'])
def test_status_on_hold_spellings(word):
    assert one(f"status:{word}").values == ("on_hold",)


def test_status_active_expands_and_dedupes():
    assert one("status:active").values == ACTIVE_STATUSES
    expected = ("open", "new", "pending", "on_hold", "closed")
    assert one("status:open,active,open,closed").values == expected
    assert set(STATUSES) - set(ACTIVE_STATUSES) == {"solved", "closed"}


def test_priority_equality_and_order():
    assert one("priority:high,urgent") == Term("priority", "=", ("high", "urgent"))
    for op in (">", ">=", "<", "<="):
        assert one(f"priority:{op}High") == Term("priority", op, ("high",))
    assert PRIORITIES == ("low", "normal", "high", "urgent")


# --- people, places and words -----------------------------------------------


@pytest.mark.parametrize(
    "text, field, value",
    [
        ("type:Incident", "type", "incident"),
        ("type:feature", "type", "feature"),
        ("channel:Email", "channel", "email"),
        ("assignee:me", "assignee", "me"),
        ("assignee:none", "assignee", "none"),
        ("assignee:Bob@Example.com", "assignee", "bob@example.com"),
        ("team:Billing", "team", "billing"),
        ("team:none", "team", "none"),
        ("requester:alice@example.com", "requester", "alice@example.com"),
        ('requester:"Alice Smith"', "requester", "alice smith"),
        ("org:ACME", "org", "acme"),
        ("org:none", "org", "none"),
        ("org.tier:VIP", "org.tier", "vip"),
        ("tier:vip", "org.tier", "vip"),
        ("tag:printer", "tag", "printer"),
        ('tag:"vip customer"', "tag", "vip customer"),
        ('tag:"a,b"', "tag", "a,b"),
    ],
)
def test_word_fields(text, field, value):
    assert one(text) == Term(field, "=", (value,))


def test_custom_fields_lowercase_the_key_and_keep_the_value():
    assert one("field.Serial:ABC123") == Term("field.serial", "=", ("ABC123",))
    assert one('field.model:"LaserJet 4000",X1').values == ("LaserJet 4000", "X1")


# --- ticket numbers -----------------------------------------------------------


def test_ids_aliases_and_ranges():
    assert one("id:12,13") == Term("id", "=", (12, 13))
    assert one("number:7") == Term("id", "=", (7,))
    assert one("#123") == Term("id", "=", (123,))
    assert one("-#5") == Term("id", "=", (5,), negated=True)
    assert one("id:>=100") == Term("id", ">=", (100,))
    assert one("id:<5") == Term("id", "<", (5,))


def test_hash_without_digits_is_free_text():
    assert one("#urgent") == Term("text", "=", ("#urgent",))


# --- dates --------------------------------------------------------------------


def test_absolute_dates_are_local_instants_in_utc():
    # Shanghai is UTC+8: local midnight Jan 1 is 16:00 UTC on Dec 31.
    assert one("created:>2026-01-01") == Term("created", ">", (utc(2025, 12, 31, 16),))
    assert one("created:<=2026-01-01T09:30").values == (utc(2026, 1, 1, 1, 30),)
    assert one("created:>=2026/1/5").values == (utc(2026, 1, 4, 16),)
    assert one("created:<2026-01-01T09:30:15Z").values == (utc(2026, 1, 1, 9, 30, 15),)
    assert one("created:<2026-01-01T09:30+01:00").values == (utc(2026, 1, 1, 8, 30),)


def test_a_bare_date_is_its_whole_local_day():
    assert one("solved:2026-01-01") == Term(
        "solved", "between", (utc(2025, 12, 31, 16), utc(2026, 1, 1, 16))
    )


def test_a_day_across_a_dst_change_is_23_hours():
    start, end = one("closed:2026-03-08", ZoneInfo("America/New_York")).values
    assert (start, end - start) == (utc(2026, 3, 8, 5), timedelta(hours=23))


def test_today_and_yesterday_follow_the_local_calendar():
    # NOW is 20:00 on Mar 10 in Shanghai, and already Mar 11 in Kiritimati (UTC+14).
    assert one("updated:today").values == (utc(2026, 3, 9, 16), utc(2026, 3, 10, 16))
    assert one("updated:Yesterday").values == (utc(2026, 3, 8, 16), utc(2026, 3, 9, 16))
    kiritimati = ZoneInfo("Pacific/Kiritimati")  # UTC+14: already Mar 11 there
    assert one("updated:today", kiritimati).values[0] == utc(2026, 3, 10, 10)
    assert one("created:<today") == Term("created", "<", (utc(2026, 3, 9, 16),))


@pytest.mark.parametrize(
    "text, op, ago",
    [
        ("updated:<7d", ">", timedelta(days=7)),
        ("updated:<=2h", ">=", timedelta(hours=2)),
        ("updated:>30m", "<", timedelta(minutes=30)),
        ("updated:>=2w", "<=", timedelta(weeks=2)),
        ("updated:<90s", ">", timedelta(seconds=90)),
        ("updated:<7D", ">", timedelta(days=7)),
    ],
)
def test_ages_flip_the_op_so_less_than_means_more_recent(text, op, ago):
    assert one(text) == Term("updated", op, (NOW - ago,))


def test_ranges_cover_both_days_and_accept_ages():
    assert one("created:2026-01-01..2026-01-31").values == (
        utc(2025, 12, 31, 16),
        utc(2026, 1, 31, 16),
    )
    assert one("created:yesterday..today").values == (utc(2026, 3, 8, 16), utc(2026, 3, 10, 16))
    assert one("created:7d..1d").values == (NOW - timedelta(days=7), NOW - timedelta(days=1))
    assert one("created:2026-01-01T09:30Z..2026-01-01T10:00Z").values == (
        utc(2026, 1, 1, 9, 30),
        utc(2026, 1, 1, 10),
    )


@pytest.mark.parametrize("field", DATE_FIELDS)
def test_every_date_field(field):
    assert one(f"{field}:>2026-01-01").field == field


# --- sla ----------------------------------------------------------------------


def test_sla_states_and_due_conditions():
    assert one("sla:breached,paused") == Term("sla", "=", ("breached", "paused"))
    assert one("sla:due<2h").values == (("due", "<", 7200),)
    assert one("sla:due<=30m,Warning").values == (("due", "<=", 1800), "warning")
    assert one("sla:due>1d").values == (("due", ">", 86400),)
    assert {one(f"sla:{s}").values[0] for s in SLA_STATES} == set(SLA_STATES)


# --- free text, negation, quoting, full-width punctuation --------------------


def test_free_text_words_and_phrases_keep_case():
    assert q('Printer "Paper Jam" -spam') == (
        Term("text", "=", ("Printer",)),
        Term("text", "=", ("Paper Jam",)),
        Term("text", "=", ("spam",), negated=True),
    )


def test_cjk_text_without_spaces():
    assert q("退款 打印机坏了 プリンター") == tuple(
        Term("text", "=", (w,)) for w in ("退款", "打印机坏了", "プリンター")
    )


def test_text_with_a_non_field_colon_stays_text():
    assert one("注意：打印机") == Term("text", "=", ("注意：打印机",))
    assert one("10:30") == Term("text", "=", ("10:30",))
    assert one('"re: refund"') == Term("text", "=", ("re: refund",))


def test_negation_of_any_term():
    assert one("-tag:spam") == Term("tag", "=", ("spam",), negated=True)
    assert one("-priority:>=high") == Term("priority", ">=", ("high",), negated=True)
    assert one('-"paper jam"') == Term("text", "=", ("paper jam",), negated=True)


def test_quotes_escapes_and_curly_quotes():
    assert one(r'"say \"hi\" \\ now"').values == ('say "hi" \\ now',)
    assert one("“打印机 坏了”").values == ("打印机 坏了",)
    assert one('tag:"vip customer",urgent').values == ("vip customer", "urgent")
    assert "unknown priority '>high'" in error('priority:">high"')  # quoted: not an op


def test_full_width_colon_and_comma():
    assert one("status：open，pending") == Term("status", "=", ("open", "pending"))
    assert one("tag：退款") == Term("tag", "=", ("退款",))


def test_ideographic_space_separates_terms():
    assert len(q("status:open\u3000退款")) == 2


# --- errors -------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "status:opn",
            "status:opn — unknown status 'opn' (use new, open, pending, on_hold, solved, closed",
        ),
        ("colour:red", "colour:red — unknown field 'colour' (fields: status, priority,"),
        ("stauts:open", "did you mean 'status'?"),
        ("status:", "status: — empty value"),
        ("status:open,", "status:open, — empty value"),
        ('tag:""', "empty value"),
        ('tag:"vip', 'tag:"vip — unterminated quote'),
        ('"paper jam', "unterminated quote"),
        ("status:>open", "status:>open — status has no order"),
        ("tag:<x", "tag has no order"),
        ("field.amount:>5,7", "a comparison takes one value"),
        ("approval:maybe", "unknown approval state 'maybe' (use pending, approved, declined)"),
        ("priority:top", "unknown priority 'top' (use low, normal, high, urgent)"),
        ("priority:>high,low", "a comparison takes one value"),
        ("id:abc", "'abc' is not a ticket number"),
        ("id:0", "'0' is not a ticket number"),
        ("#12x", "'12x' is not a ticket number"),
        ("id:99999999999999999999", "is not a ticket number"),
        ("created:soon", "'soon' is not a date"),
        ("created:2026-02-30", "'2026-02-30' is not a real date"),
        ("created:0001-01-01..2026-01-01", "out of range"),
        ("created:9999-12-31", "out of range"),
        ("created:<2026-01-01T09:30+99:00", "out of range"),
        ("updated:7d", "say which side: updated:<7d (less than 7d ago) or updated:>7d"),
        ("created:2026-01-01T09:30", "a time needs a side"),
        ("created:2026-01-01,2026-01-02", "a date takes one value"),
        ("created:>2026-01-01..2026-01-02", "a range takes no comparison"),
        ("created:2026-02-01..2026-01-01", "the range ends before it starts"),
        ("created:2026-01-01..", "'' is not a date"),
        ("sla:late", "unknown SLA condition 'late'"),
        ("sla:due<2", "unknown SLA condition 'due<2'"),
        ("sla:>2h", "sla has no order"),
        ("field.:x", "name the custom field"),
        ("-", "nothing after '-'"),
        ('""', "empty phrase"),
    ],
)
def test_errors_name_the_term_and_say_why(text, expected):
    assert expected in error(text)


def test_error_names_the_bad_term_among_good_ones():
    assert error("status:open colour:red tag:x").startswith("colour:red — ")


# --- describe -----------------------------------------------------------------


def test_describe_normalises():
    text = 'STATUS:Active priority:>=High tag:"vip customer" -#5 sla:due<120m 退款 "a b" -x'
    assert describe(parse(text, now=NOW, tz=SHANGHAI)) == (
        'status:new,open,pending,on_hold priority:>=high tag:"vip customer" -id:5 '
        'sla:due<2h 退款 "a b" -x'
    )


def test_external_ids_keep_their_case_and_round_trip():
    query = parse("ext:GD-0042,T-7 -external:\"ID 9\"", now=NOW, tz=SHANGHAI)
    assert [(t.field, t.values, t.negated) for t in query.terms] == [
        ("external", ("GD-0042", "T-7"), False), ("external", ("ID 9",), True)]
    assert parse(describe(query), now=NOW, tz=SHANGHAI) == query


def test_describe_writes_dates_as_utc_instants():
    described = describe(parse("created:2026-01-01 updated:<7d", now=NOW, tz=SHANGHAI))
    assert described == (
        "created:2025-12-31T16:00:00Z..2026-01-01T16:00:00Z updated:>2026-03-03T12:00:00Z"
    )


def test_describe_quotes_text_that_would_read_as_syntax():
    terms = tuple(Term("text", "=", (p,)) for p in ("status:open", "-x", "#1", "a,b", 'x"y'))
    assert describe(Query(terms)) == r'"status:open" "-x" "#1" "a,b" "x\"y"'


# --- properties ----------------------------------------------------------------

ZONES = st.sampled_from(
    [ZoneInfo(z) for z in ("UTC", "Asia/Shanghai", "America/New_York", "Pacific/Kiritimati",
                           "America/Santiago", "Pacific/Pago_Pago")]
)
NOWS = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)
FRAGMENTS = st.sampled_from(
    [*FIELDS, "field.x", "tier", "number", "#", "-", ":", "：", ",", "，", '"', "“", "”",
     "\\",
     " ", "\u3000", ">", ">=", "<", "<=", "..", "=", "7d", "2h", "0s", "due<", "today",
     "2026-01-01", "T09:30", "Z", "+01:00", "0001-01-01", "9999-12-31", "open", "active",
     "high", "me", "none", "退款", "12", "99999999999999999999", "abc"]
)
ARBITRARY = st.one_of(st.text(), st.lists(FRAGMENTS).map("".join))


@given(text=ARBITRARY, now=NOWS, tz=ZONES)
def test_parse_raises_only_invalid(text, now, tz):
    try:
        query = parse(text, now=now, tz=tz)
    except Invalid:
        return
    assert parse(describe(query), now=now, tz=tz) == query


def canonical(value: str, lower: bool = True) -> bool:
    """Whether a value is already in the form parse() produces."""
    stripped = value.strip()
    return bool(stripped) and value == (stripped.lower() if lower else stripped)


WORDS = st.text(min_size=1).filter(canonical)
TEXTS = st.text(min_size=1).filter(lambda v: canonical(v, lower=False))
ORDER_OPS = st.sampled_from([">", ">=", "<", "<="])
INSTANTS = st.datetimes(
    min_value=datetime(1900, 1, 1), max_value=datetime(9000, 1, 1), timezones=st.just(UTC)
)


def unique(values: list) -> tuple:
    return tuple(dict.fromkeys(values))


def ordered(field: str, values: st.SearchStrategy) -> st.SearchStrategy:
    equal = st.lists(values, min_size=1, max_size=3).map(lambda v: (field, "=", unique(v)))
    compare = st.tuples(st.just(field), ORDER_OPS, values.map(lambda v: (v,)))
    return st.one_of(equal, compare)


def between(field: str) -> st.SearchStrategy:
    pairs = st.tuples(INSTANTS, INSTANTS).filter(lambda p: p[0] < p[1])
    return pairs.map(lambda p: (field, "between", p))


def listed(field: str, values: st.SearchStrategy) -> st.SearchStrategy:
    return st.lists(values, min_size=1, max_size=3).map(lambda v: (field, "=", unique(v)))


DUE = st.tuples(
    st.just("due"), ORDER_OPS,
    st.tuples(st.integers(0, 999_999), st.sampled_from([1, 60, 3600, 86400, 604800])).map(
        lambda p: p[0] * p[1]
    ),
)
TERM_PARTS = st.one_of(
    listed("status", st.sampled_from(STATUSES)),
    ordered("priority", st.sampled_from(PRIORITIES)),
    ordered("id", st.integers(1, 10**18 - 1)),
    *(listed(f, WORDS) for f in ("type", "channel", "assignee", "team", "requester", "org",
                                 "org.tier", "tag")),
    listed("sla", st.one_of(st.sampled_from(SLA_STATES), DUE)),
    st.from_regex(r"field\.[a-z0-9_][a-z0-9_.\-]*", fullmatch=True).flatmap(
        lambda f: listed(f, st.text(min_size=1).filter(lambda v: canonical(v, lower=False)))
    ),
    *(st.tuples(st.just(f), ORDER_OPS, INSTANTS.map(lambda d: (d,))) for f in DATE_FIELDS),
    *(between(f) for f in DATE_FIELDS),
    TEXTS.map(lambda t: ("text", "=", (t,))),
)
TERMS = st.builds(lambda parts, neg: Term(*parts, negated=neg), TERM_PARTS, st.booleans())


@given(terms=st.lists(TERMS, max_size=6), now=NOWS, tz=ZONES)
def test_describe_round_trips(terms, now, tz):
    query = Query(tuple(terms))
    assert parse(describe(query), now=now, tz=tz) == query


def test_typed_custom_fields_compare():
    term = one("field.refund_amount:>=100")
    assert (term.field, term.op, term.values) == ("field.refund_amount", ">=", ("100",))
    assert one("field.pickup_date:<2026-03-01").op == "<"
    assert [t.field for t in q("stage:财务退款 stage_age:>24h approval:pending approver:me")] == [
        "stage", "stage_age", "approval", "approver"]
