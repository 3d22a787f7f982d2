"""Inputs the fuzz tests found that crashed or misbehaved, kept as plain tests.

Each was a traceback or an error without a place before its fix; the minimal input
is written out here so it stays fixed whatever the fuzzers draw next time."""

from __future__ import annotations

import re

import pytest

from helpdesk.errors import Invalid
from helpdesk.macros import load_macros
from helpdesk.request_types import load_types
from helpdesk.rules import load_rules
from helpdesk.sheets.mapfile import load_map
from helpdesk.sla_config import load_sla_config

LINE = re.compile(r"\bline (\d+)")

POLICY = '[[policies]]\nname = "P"\nmatch = ""\ncalendar = "c"\nresolution = "1h"\n'


def refused_at(load, text: str) -> int:
    with pytest.raises(Invalid) as caught:
        load(text)
    found = LINE.search(caught.value.message)
    assert found, caught.value.message
    return int(found[1])


# --- time zone names that are not files: OSError, not "unknown time zone" --------


@pytest.mark.parametrize("zone", ["America", "A" * 300])
def test_an_sla_calendar_zone_that_is_a_directory_or_too_long_is_invalid(zone):
    text = f'[calendars.c]\ntimezone = "{zone}"\nhours = "24x7"\n' + POLICY
    assert refused_at(load_sla_config, text) == 2


@pytest.mark.parametrize("zone", ["America", "A" * 300])
def test_an_import_map_zone_that_is_a_directory_or_too_long_is_invalid(zone):
    assert refused_at(load_map, f'timezone = "{zone}"\n') == 1


@pytest.mark.parametrize("zone", ["America", "A" * 300])
def test_config_set_desk_timezone_to_a_directory_is_invalid(desk, crew, zone):
    from helpdesk.services.core.settings import set_setting

    with pytest.raises(Invalid, match="unknown time zone"):
        desk.write(lambda s: set_setting(s, crew.admin, "desk.timezone", zone))


# --- a value of the wrong type where a name was expected -------------------------


def test_an_sla_policy_calendar_that_is_a_list_is_invalid():
    text = '[calendars.c]\ntimezone = "UTC"\nhours = "24x7"\n' + POLICY.replace('calendar = "c"', "calendar = []")
    assert refused_at(load_sla_config, text) == 7


# --- refusals that named no line --------------------------------------------------


def test_an_sla_calendar_written_as_a_plain_value_names_its_line():
    assert refused_at(load_sla_config, '[calendars]\noffice = ""\n' + POLICY) == 2


def test_macros_written_as_a_plain_value_name_their_line():
    assert refused_at(load_macros, 'macros = ""\n') == 1


def test_an_unknown_table_in_a_types_file_names_its_line():
    assert refused_at(load_types, "\n[calendars.office]\n") == 2


def test_a_map_column_written_as_a_table_names_its_line():
    assert refused_at(load_map, '[columns]\n"a" = "subject"\n[columns."序号"]\n') == 3


def test_an_array_of_tables_in_a_map_names_its_line():
    assert refused_at(load_map, '[[triggers]]\ntimezone = ""\n') == 1


def test_rules_still_name_the_line_they_always_did():
    text = '[[triggers]]\nname = "a"\non = ["created"]\nwhen = "status:nope"\nactions = { priority = "high" }\n'
    assert refused_at(load_rules, text) == 4


# --- text the database cannot hold, from any door ------------------------------------


@pytest.mark.parametrize("subject", ["a\ud800b", "a\x00b", "\udcff\udcfe"])
def test_a_lone_surrogate_or_nul_in_outside_text_is_stored_as_text(desk, crew, subject):
    """Undecodable bytes in a command-line argument arrive as lone surrogates, a JSON
    "\\u0000" as NUL: SQLite could not encode the one, PostgreSQL refuses the other."""
    from sqlalchemy import select

    from helpdesk.models import Message, Ticket
    from helpdesk.services.tickets.lifecycle import NewTicket, create_ticket

    number = desk.write(lambda s: create_ticket(s, crew.admin, NewTicket(
        subject=subject, body="body " + subject, requester="eve@example.com", requester_name="Eve " + subject,
        fields={"serial": subject})).id)
    with desk.read() as s:
        ticket = s.get(Ticket, number)
        body = s.exec(select(Message.body).where(Message.ticket_id == number)).scalars().first()
    for text in (ticket.subject, body, ticket.fields["serial"]):
        assert "\x00" not in text and not any("\ud800" <= c <= "\udfff" for c in text)
    assert ticket.subject.replace("\ufffd", "?") == subject.replace("\x00", "").replace("\ud800", "?") \
        .replace("\udcff", "?").replace("\udcfe", "?")


def test_ticket_create_with_undecodable_bytes_in_its_subject(cli, staffed):
    result = cli("ticket", "create", "--subject", "bad \udcff bytes", "--quiet", who="ada@example.com")
    assert result.code == 0, result.err
    shown = cli("ticket", "show", result.out.strip(), who="ada@example.com")
    assert "bad \ufffd bytes" in shown.out


def test_literal_replaces_a_lone_surrogate():
    from helpdesk.text import literal

    assert literal("a\ud800b") == "a\ufffdb"
    assert literal("x\udcff\n", multiline=True) == "x\ufffd\n"


# --- CLI lines that quoted outside text as it was ------------------------------------


def test_an_error_line_quoting_a_bidi_override_or_escape_is_literal(cli, staffed):
    result = cli("ticket", "list", '"\u202eevil', who="ada@example.com")
    assert result.code == 5 and "\u202e" not in result.err and "evil" in result.err
    result = cli("ticket", "list", "status:\x1b]0;owned\x07", who="ada@example.com")
    assert result.code == 5 and "\x1b" not in result.err and "\x07" not in result.err


def test_status_lines_are_literal(capsys):
    from helpdesk import render

    render.say("rejected: row 2: status: '\x1b[31mred\x1b]0;t\x07' is not a status")
    render.show("sheet \u202eevil\u202c")
    captured = capsys.readouterr()
    assert "\x1b" not in captured.err and "\x07" not in captured.err and "status: 'red'" in captured.err
    assert "\u202e" not in captured.out and "sheet evil" in captured.out


# --- a spreadsheet number far past any date ------------------------------------------


@pytest.mark.parametrize("value", ["1e15", "1e309", "-1e12"])
def test_a_huge_number_in_a_date_column_is_an_error_of_its_row(desk, crew, tmp_path, value):
    from helpdesk.services.imports.run import open_import, run_import

    path = tmp_path / "dates.csv"
    path.write_text(f"subject,created_at\nfine,2026-01-01\nbroken,{value}\n", encoding="utf-8")
    report = run_import(desk, crew.admin, open_import(path))
    assert report.created == 1 and report.rejected == 1
    assert report.errors[0].row == 3 and "not a date" in report.errors[0].reason


# --- a From header of 200 KB ----------------------------------------------------------


def test_a_huge_address_header_is_read_only_in_part():
    from fuzz_support import bounded

    from helpdesk.mail import parse_message

    piece = b"A" * 500 + b"\x1b]52;c;ZXZpbA==\x07"
    raw = b"From: " + piece * 400 + b", Bob <bob@example.com>\r\nSubject: x\r\n\r\nbody"
    with bounded("regression: 200 KB From header", 20):
        parsed = parse_message(raw)
    assert parsed.body_text == "body"
