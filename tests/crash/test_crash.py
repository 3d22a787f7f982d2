"""Killed mid-job (SIGKILL at seeded database steps): the desk stays whole and a rerun finishes the job.

50 kills in all, spread over six jobs: an .xlsx import, a bulk update, a JSON Lines
create, mail ingest, a rules run over many tickets and a schema migration. After each
kill the file is sound, the search index agrees with the tickets and every ticket is
whole or absent; the same command run again completes the job with nothing twice.
A larger seeded run: `python bench/crash.py` (figures in README.md)."""

from __future__ import annotations

import pytest

from tests.crash import crash_support as crash
from tests.crash.conftest import SIZE

SEED = 16
KILLS = 50
SHARES = crash.shares(KILLS, list(crash.JOBS))


@pytest.mark.parametrize("name", list(crash.JOBS))
def test_a_killed_job_leaves_a_whole_desk_and_a_rerun_completes_it(name, tmp_path, templates):
    job = crash.JOBS[name]
    template, steps = templates(name)
    outcomes = [crash.kill_once(job, template, SIZE, point, tmp_path / f"kill-{n}")
                for n, point in enumerate(crash.points(SEED, name, steps, SHARES[name]))]
    assert [(o.point, o.violations) for o in outcomes if o.violations] == []
    assert sum(o.killed for o in outcomes) >= len(outcomes) - 1  # step counts may drift by a statement or two


def test_the_kill_points_cover_the_whole_run():
    got = crash.points(SEED, "bulk", 100, 200)
    assert min(got) == 1 and max(got) == 101  # from the first statement to "after the last commit"
    assert sum(crash.shares(KILLS, list(crash.JOBS)).values()) == KILLS
