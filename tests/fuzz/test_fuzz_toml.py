"""Fuzzing the TOML loaders (SLA, rules, macros, types, import map).

Documents are the shipped files' valid shapes with mutations (toml_shapes.py). A
loader either accepts one or refuses it with `Invalid` naming a line, never a
traceback; a file refused by the service leaves what the desk had stored unchanged."""

from __future__ import annotations

import re

import pytest
from fuzz_support import bounded, fuzz
from hypothesis import example, given
from hypothesis import strategies as st
from toml_shapes import DATA, mutated, shape

from helpdesk.errors import Invalid
from helpdesk.macros import load_macros
from helpdesk.request_types import load_types
from helpdesk.rules import load_rules
from helpdesk.sheets.mapfile import load_map
from helpdesk.sla_config import load_sla_config

LOADERS = {
    "sla": (load_sla_config, "sla.toml"),
    "rules": (load_rules, "rules.example.toml"),
    "macros": (load_macros, "macros.example.toml"),
    "types": (load_types, "types.example.toml"),
    "map": (load_map, "sample-map.toml"),
}
LINE = re.compile(r"\bline \d+|at end of document")  # tomllib: "(at line 3, column 7)" or the end


def check_loader(name: str, text: str) -> bool:
    """True when accepted; a refusal must be Invalid naming a line."""
    load, _ = LOADERS[name]
    try:
        load(text)
    except Invalid as error:
        assert LINE.search(error.message), f"{name}: no line in {error.message!r}"
        return False
    return True


@pytest.mark.parametrize("name", sorted(LOADERS))
def test_the_shipped_files_load(name):
    load, file = LOADERS[name]
    load((DATA / file).read_text(encoding="utf-8"))


def _target(name):
    base = shape(LOADERS[name][1])

    @fuzz(120, deadline_ms=3000)
    @given(mutated(base))
    def run(text):
        with bounded(f"toml: {name} loader"):
            check_loader(name, text)

    return run


test_sla_loader_fuzz = _target("sla")
test_rules_loader_fuzz = _target("rules")
test_macros_loader_fuzz = _target("macros")
test_types_loader_fuzz = _target("types")
test_map_loader_fuzz = _target("map")


@fuzz(150, deadline_ms=3000)
@given(st.sampled_from(sorted(LOADERS)), st.text(max_size=200) | st.binary(max_size=200).map(
    lambda b: b.decode("utf-8", "replace")))
def test_random_text_to_every_loader(name, text):
    with bounded(f"toml: {name} loader, random text"):
        check_loader(name, text)
