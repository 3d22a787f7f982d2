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
