"""helpdesk.scheduler: the job registry, --once, the background scheduler, and a clean stop on SIGTERM."""

from __future__ import annotations

import os
import signal
import threading

import pytest

from helpdesk import scheduler


@pytest.fixture
def jobs(monkeypatch):
    """An empty registry for the test; the real one comes back afterwards."""
    monkeypatch.setattr(scheduler, "JOBS", [])
    return scheduler.JOBS


def test_the_sla_sweep_is_registered():
    assert [(j.name, j.interval) for j in scheduler.JOBS if j.name == "sla-sweep"] == [("sla-sweep", 30)]


def test_adding_a_job_is_one_line_and_replaces_by_name(jobs):
    scheduler.register("mail-fetch", 60, lambda desk: "fetched")
    scheduler.register("mail-fetch", 120, lambda desk: "fetched again")
    assert [(j.name, j.interval) for j in jobs] == [("mail-fetch", 120)]
    with pytest.raises(ValueError):
        scheduler.register("broken", 0, lambda desk: None)


def test_run_once_runs_every_job_and_reports_failures(jobs):
    seen = []
    scheduler.register("one", 10, lambda desk: seen.append(desk) or {"done": 1})
    scheduler.register("boom", 10, lambda desk: 1 / 0)
    scheduler.register("two", 10, lambda desk: "ok")
    results = scheduler.run_once("the desk")
    assert results == {"one": {"done": 1}, "boom": {"error": "ZeroDivisionError: division by zero"}, "two": "ok"}
    assert seen == ["the desk"]


def test_background_scheduler_runs_jobs_at_once_and_stops(jobs):
    ran = threading.Event()
    scheduler.register("ping", 3600, lambda desk: ran.set())
    sched = scheduler.start_background("the desk")
    try:
        assert ran.wait(timeout=10)  # the first run is immediate; no sleeping for an interval
        assert sched.running and [j.id for j in sched.get_jobs()] == ["ping"]
    finally:
        scheduler.stop(sched)
    assert not sched.running
    scheduler.stop(sched)  # stopping twice is harmless


def test_a_failing_job_does_not_kill_the_scheduler(jobs):
    second = threading.Event()
    scheduler.register("boom", 3600, lambda desk: 1 / 0)
    scheduler.register("after", 3600, lambda desk: second.set())
    sched = scheduler.start_background("the desk")
    try:
        assert second.wait(timeout=10) and sched.running
    finally:
        scheduler.stop(sched)


def test_worker_stops_cleanly_on_sigterm(jobs):
    ran, started = [], []
    previous = signal.getsignal(signal.SIGTERM)
    scheduler.register("work-then-term", 3600, lambda desk: (ran.append(desk), os.kill(os.getpid(), signal.SIGTERM)))
    scheduler.run_forever("the desk", on_start=lambda: started.append(True))  # returns once stopped
    assert ran == ["the desk"] and started == [True]
    assert signal.getsignal(signal.SIGTERM) is previous  # the handler is put back
