"""TUI fixtures: a demo desk built once (at a frozen instant) and copied per test, and app helpers."""

from __future__ import annotations

import asyncio
import inspect
import shutil
from datetime import datetime, timezone

import pytest
import time_machine

from helpdesk.db import open_desk

FROZEN = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)
ADMIN = "mei@demo.helpdesk"
TOM = "tom@demo.helpdesk"


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    """Run `async def` tests here with asyncio (no async plugin needed for Pilot tests)."""
    if inspect.iscoroutinefunction(pyfuncitem.obj):
        names = pyfuncitem._fixtureinfo.argnames
        asyncio.run(pyfuncitem.obj(**{name: pyfuncitem.funcargs[name] for name in names}))
        return True
    return None


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory):
    """The demo desk (200 tickets), made once per session at FROZEN time."""
    from helpdesk.services.desk.setup import initialise

    path = tmp_path_factory.mktemp("demo") / "demo.db"
    mp = pytest.MonkeyPatch()
    mp.setenv("HELPDESK_CONFIG", str(path.parent / "config.toml"))
    with time_machine.travel(FROZEN, tick=False):
        desk = open_desk(str(path))
        initialise(desk, demo=True)
        desk.close()
    mp.undo()
    return path


@pytest.fixture
def demo_db(demo_template, tmp_path):
    path = tmp_path / "desk.db"
    shutil.copy(demo_template, path)
    return str(path)


@pytest.fixture
def demo_desk(demo_db):
    desk = open_desk(demo_db)
    yield desk
    desk.close()


@pytest.fixture
def make_app(demo_db):
    """make_app(who=ADMIN, db=None) -> HelpdeskApp on the demo desk, without background jobs or timed polls."""
    from helpdesk.app import HelpdeskApp

    def make(who: str | None = ADMIN, db: str | None = None, **kw):
        kw.setdefault("background", False)
        kw.setdefault("poll_seconds", 3600)
        return HelpdeskApp(db=db or demo_db, who=who, **kw)

    return make


async def settle(pilot, rounds: int = 3) -> None:
    """Let workers finish and their messages be handled."""
    for _ in range(rounds):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def poll_now(pilot) -> None:
    """Run one change poll (the app schedules them; tests do not wait for timers)."""
    await settle(pilot)
    pilot.app.poll()
    await settle(pilot)
