"""SLA configuration errors name the line of the file (helpdesk.sla_config), and what sla.py re-exports."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpdesk import sla, sla_config
from helpdesk.errors import Invalid
from helpdesk.sla_config import line_of, load_sla_config

DEFAULT = (Path(__file__).resolve().parents[1] / "data" / "sla.toml").read_text()


def line_with(text: str, needle: str, after: int = 0) -> int:
    lines = text.splitlines()
    return next(i for i in range(after, len(lines)) if needle in lines[i]) + 1


def error_of(text: str) -> str:
    with pytest.raises(Invalid) as caught:
        load_sla_config(text)
    return str(caught.value)


@pytest.mark.parametrize("old, new, needle, message", [
    ("warn_at = 0.75", "warn_at = 2", "warn_at = 2", 'policies[1] "VIP urgent": warn_at: must be a fraction'),
    ('tue = "09:00-18:00"', 'tue = "18:00-09:00"', 'tue = "18:00-09:00"', "calendars.office: hours.tue: range"),
    ('resolution = "27h"', 'resolutoin = "27h"', "resolutoin", "unknown key 'resolutoin'"),
    ('timezone = "UTC"                      #', 'timezone = "Mars/Base" #', "Mars/Base", "unknown time zone"),
    ('calendar = "office"\nfirst_response = "4h"', 'calendar = "ofice"\nfirst_response = "4h"', '"ofice"',
     "unknown calendar 'ofice'"),
    ('on_warning = { notify = ["assignee", "team"] }', 'on_warning = { notify = ["boss"] }', '"boss"',
     "on_warning: notify: unknown recipient 'boss'"),
])
def test_errors_name_the_line(old, new, needle, message):
    bad = DEFAULT.replace(old, new, 1)
    assert bad != DEFAULT
    error = error_of(bad)
    assert message in error and error.endswith(f"(at line {line_with(bad, needle)})")


def test_unknown_section_and_policy_without_the_key():
    bad = DEFAULT + '\n[[policy]]\nname = "x"\n'
    assert error_of(bad).endswith(f"(at line {line_with(bad, '[[policy]]')})")
    missing = DEFAULT.replace('name = "High"\n', "")
    header = line_with(missing, "[[policies]]", after=line_with(missing, 'name = "Urgent"'))
    assert "policies[3]: name: missing name" in error_of(missing)
    assert error_of(missing).endswith(f"(at line {header})")


def test_line_of_hours_written_inline_and_unknown_places():
    text = '[calendars.office]\ntimezone = "UTC"\nhours = { mon = "x" }\n'
    assert line_of(text, "calendars.office: hours.mon") == 3
    assert line_of(text, "calendars.elsewhere: timezone") is None
    assert line_of("", "sla config") is None


def test_sla_module_re_exports_the_config_half():
    assert sla.load_sla_config is sla_config.load_sla_config and sla.Policy is sla_config.Policy
