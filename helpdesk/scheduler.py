"""Background jobs on APScheduler 3.x: the SLA sweep, mail fetch and send, automations.

Every job is `(name, interval seconds, function(desk))` in JOBS; adding one is
one line: `register("mail-fetch", 60, fetch_mail)`. Jobs call services through
`desk.write`, never the database directly.

Deadlines live in database columns and each scheduler keeps its jobs in
memory, so any number of processes (the TUI, `helpdesk worker`, a cron run of
`worker --once`) may run them at once: firing exactly once is decided in the
database by the services (a conditional UPDATE), not here.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timezone
from typing import Any

from helpdesk.db import Desk

log = logging.getLogger("helpdesk.scheduler")

SWEEP_BATCHES_MAX = 1000  # a safety stop: 500k due tickets per run is far beyond a small team


@dataclass(frozen=True)
class Job:
    name: str
    interval: float  # seconds between runs
    run: Callable[[Desk], Any]


JOBS: list[Job] = []


def register(name: str, interval: float, run: Callable[[Desk], Any]) -> Job:
    """Add a background job (replacing one of the same name)."""
    if interval <= 0:
        raise ValueError(f"job {name!r}: interval must be positive, got {interval}")
    job = Job(name, interval, run)
    JOBS[:] = [j for j in JOBS if j.name != name] + [job]
    return job


def heartbeat(desk: Desk) -> dict:
    """Stamp the desk with "the worker ran now" (read by `helpdesk doctor`)."""
    from helpdesk.services.upkeep.heartbeat import beat

    return desk.write(lambda s: beat(s))


def sla_sweep(desk: Desk) -> dict:
    """Fire every SLA warning and breach that is due, in batches of one transaction each."""
    from helpdesk.models import utcnow
    from helpdesk.services.sla.escalations import sweep

    totals = None
    for _ in range(SWEEP_BATCHES_MAX):
        now = utcnow()
        result = desk.write(lambda s: sweep(s, now=now))
        totals = result if totals is None else totals.add(result)
        if not result.more:
            break
    return {"tickets": totals.tickets, "warnings": totals.warnings, "breaches": totals.breaches}


def mail_fetch(desk: Desk) -> Any:
    from helpdesk.services.mail.imap import fetch_job

    return fetch_job(desk)


def mail_send(desk: Desk) -> Any:
    from helpdesk.services.mail.outbox import send_job

    return send_job(desk)


def automations(desk: Desk) -> Any:
    from helpdesk.services.workflow.automations import run_job

    return run_job(desk)


def surveys(desk: Desk) -> Any:
    from helpdesk.services.customers.survey_mail import survey_job

    return survey_job(desk)


def warranty_notices(desk: Desk) -> Any:
    from helpdesk.services.customers.notices import send_warranty_notices

    return desk.write(lambda s: send_warranty_notices(s))


register("sla-sweep", 30, sla_sweep)
register("automations", 60, automations)  # does nothing until rules with automations are loaded
register("mail-fetch", 60, mail_fetch)  # both do nothing until mail is configured
register("surveys", 60, surveys)  # before mail-send: a due survey goes out in the same run
register("mail-send", 60, mail_send)
register("warranty-notices", 3600, warranty_notices)  # once per asset whose warranty ends within asset.notice_days
register("heartbeat", 60, heartbeat)  # `helpdesk doctor` tells when the worker last ran


# -- running -------------------------------------------------------------------------

def run_once(desk: Desk) -> dict[str, Any]:
    """Run every job once, now (`worker --once`, for cron); a failing job does not stop the others."""
    results: dict[str, Any] = {}
    for job in list(JOBS):
        try:
            results[job.name] = job.run(desk)
        except Exception as exc:  # noqa: BLE001 - report it, run the rest
            log.exception("job %s failed", job.name)
            results[job.name] = {"error": f"{type(exc).__name__}: {exc}"}
    return results


def start_background(desk: Desk, *, interval: float | None = None):
    """Run the jobs in a background thread (the TUI while it is open); `stop(scheduler)` ends them."""
    scheduler = _new_scheduler()
    _add_jobs(scheduler, desk, interval)
    scheduler.start()
    return scheduler


def stop(scheduler, *, wait: bool = True) -> None:
    """Stop a scheduler; with `wait`, after the jobs that are running finish."""
    if scheduler.running:
        scheduler.shutdown(wait=wait)


def run_forever(desk: Desk, *, interval: float | None = None, on_start: Callable[[], None] | None = None) -> None:
    """`helpdesk worker`: run the jobs until SIGTERM, SIGINT or ctrl-c, then stop cleanly.

    The jobs run on the scheduler's threads; this thread only waits. A signal
    handler must not stop the scheduler itself (it could interrupt this thread
    inside a lock the stop needs), so it raises here and the stop happens
    after, letting a running job finish its transaction."""
    scheduler = _new_scheduler()
    _add_jobs(scheduler, desk, interval)
    signals = (signal.SIGTERM, signal.SIGINT)
    previous = {sig: signal.signal(sig, _raise_stop) for sig in signals}
    try:
        with _held(signals):  # a stop asked for while starting is acted on once started
            if on_start:
                on_start()
            scheduler.start()
        idle = threading.Event()  # never set: waiting on it is how this thread sleeps until a signal
        while True:
            idle.wait(3600)
    except (_Stop, KeyboardInterrupt):
        pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        stop(scheduler)


@contextmanager
def _held(signals: tuple[int, ...]):
    """Hold these signals back (POSIX) and deliver them on the way out; threads started inside inherit the mask."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, signals)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


class _Stop(Exception):
    """Raised in the main thread by SIGTERM / SIGINT while the worker waits."""


def _raise_stop(*_args) -> None:
    raise _Stop()


def _new_scheduler():
    from apscheduler.schedulers.background import (
        BackgroundScheduler,  # lazily: the CLI must start fast
    )

    return BackgroundScheduler(timezone=timezone.utc)


def _add_jobs(scheduler, desk: Desk, interval: float | None) -> None:
    from helpdesk.models import utcnow

    now = utcnow()
    for job in JOBS:
        scheduler.add_job(_guarded(job, desk), "interval", seconds=interval or job.interval, id=job.name,
                          name=job.name, next_run_time=now, max_instances=1, coalesce=True,
                          misfire_grace_time=None)


def _guarded(job: Job, desk: Desk) -> Callable[[], Any]:
    """A job whose failure is logged and retried at its next run, never kills the scheduler."""
    def run() -> Any:
        try:
            return job.run(desk)
        except Exception:  # noqa: BLE001
            log.exception("job %s failed; it runs again in %ss", job.name, job.interval)
            return None

    run.__name__ = f"job_{job.name}"
    return run
