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


# --- through the services: a refused file changes nothing stored ----------------


@pytest.fixture(scope="module")
def loaded_desk(tmp_path_factory):
    """A desk holding the shipped SLA policies, macros, rules and types."""
    from helpdesk.db import open_desk
    from helpdesk.services.core.actors import ANONYMOUS, actor_of
    from helpdesk.services.people import agents
    from helpdesk.services.sla.loading import load_policies
    from helpdesk.services.types.catalog import load_types_file
    from helpdesk.services.workflow.stored import load_macros_file, load_rules_file

    desk = open_desk(str(tmp_path_factory.mktemp("toml-fuzz") / "desk.db"))

    def setup(s):
        agents.add_agent(s, ANONYMOUS, "ada@example.com", "Ada Admin")
        admin = actor_of(agents.get_agent(s, "ada@example.com"))
        for team in ("vip", "billing", "warehouse", "finance", "repairs", "purchasing"):
            agents.add_team(s, admin, team)
        read = lambda name: (DATA / name).read_text(encoding="utf-8")  # noqa: E731
        load_policies(s, admin, read("sla.toml"))
        load_macros_file(s, admin, read("macros.example.toml"))
        load_rules_file(s, admin, read("rules.example.toml"))
        load_types_file(s, admin, read("types.example.toml"))
        return admin

    admin = desk.write(setup)
    yield desk, admin
    desk.close()


def _stored(desk) -> tuple:
    from sqlalchemy import func, select

    from helpdesk.models import Event, Setting

    with desk.read() as s:
        settings = sorted((row.key, repr(row.value)) for row in s.exec(select(Setting)).scalars())
        return settings, s.exec(select(func.count()).select_from(Event)).scalar_one()


def _service(name):
    from helpdesk.services.sla.loading import load_policies
    from helpdesk.services.types.catalog import load_types_file
    from helpdesk.services.workflow.stored import load_macros_file, load_rules_file

    return {"sla": load_policies, "rules": load_rules_file, "macros": load_macros_file, "types": load_types_file}[name]


SERVICE_SHAPES = {name: shape(LOADERS[name][1]) for name in ("sla", "rules", "macros", "types")}


@fuzz(60, deadline_ms=5000)
@given(st.sampled_from(sorted(SERVICE_SHAPES)).flatmap(lambda name: st.tuples(st.just(name), mutated(SERVICE_SHAPES[name]))))
def test_a_refused_file_leaves_the_stored_configuration_unchanged(loaded_desk, case):
    name, text = case
    desk, admin = loaded_desk
    before = _stored(desk)
    with bounded(f"toml: {name} load through the service"):
        try:
            desk.write(lambda s: _service(name)(s, admin, text))
        except Invalid as error:
            # what the file lacks (a macro a stored rule uses, a type tickets use) has no line to name
            absent = "no longer has" in error.message or "keep it in the file" in error.message
            assert LINE.search(error.message) or absent, error.message
            assert _stored(desk) == before
