"""The crash jobs' desks, built once per test session (every kill works on a copy)."""

from __future__ import annotations

import pytest

from tests.crash import crash_support as crash

SIZE = 20  # tickets, rows, lines or messages per job: enough for every kind of statement


@pytest.fixture(scope="session")
def templates(tmp_path_factory):
    """name -> (the job's desk folder, the steps of a whole run), built on first use."""
    built: dict[str, tuple] = {}

    def get(name: str):
        if name not in built:
            built[name] = crash.template(crash.JOBS[name], tmp_path_factory.mktemp(f"{name}-template") / "desk", SIZE)
        return built[name]

    return get
