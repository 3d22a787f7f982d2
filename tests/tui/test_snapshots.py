"""Snapshots of the main screens: frozen time, the seeded demo desk, a fixed size, UTC."""

from __future__ import annotations

import time

import pytest
import time_machine

from tests.tui.conftest import FROZEN, settle


@pytest.fixture
def frozen(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    with time_machine.travel(FROZEN, tick=False):
        yield
    monkeypatch.undo()
    time.tzset()


async def ready(pilot) -> None:
    await settle(pilot)
    await pilot.pause(0.2)  # the detail pane waits a moment for the cursor to rest
    await settle(pilot)


def test_queue_screen(snap_compare, make_app, frozen):
    assert snap_compare(make_app(), terminal_size=(160, 40), run_before=ready)


def test_queue_screen_at_80x24(snap_compare, make_app, frozen):
    async def before(pilot):
        await ready(pilot)
        await pilot.press("g", "a", "j", "space", "j", "space")
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=before)


def test_ticket_detail(snap_compare, make_app, frozen):
    async def before(pilot):
        await ready(pilot)
        await pilot.press("enter", "e")
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=(100, 40), run_before=before)


def test_compose_note(snap_compare, make_app, frozen):
    async def before(pilot):
        await ready(pilot)
        await pilot.press("n", *"Called the customer; waiting for the serial number.")
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=(100, 30), run_before=before)


def test_help_screen(snap_compare, make_app, frozen):
    async def before(pilot):
        await ready(pilot)
        await pilot.press("question_mark")
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=(120, 40), run_before=before)


def test_ticket_of_a_request_type(snap_compare, make_app, demo_desk, frozen):
    """The pane of a ticket at an approval stage: stage 3 of 4, who must approve, the type's fields."""
    from helpdesk.screens.ticket import TicketScreen
    from helpdesk.services.types.stages import move_stage
    from tests.tui.test_types_app import LI, TOM, as_, refund, typed_desk

    typed_desk(demo_desk)
    tid = refund(demo_desk, refund_amount="199", reason="发错货", pickup_date="2026-03-05")
    as_(demo_desk, TOM, lambda s, a: move_stage(s, a, tid, "仓储拦截"))
    as_(demo_desk, LI, lambda s, a: move_stage(s, a, tid, "财务退款"))

    async def before(pilot):
        await ready(pilot)
        pilot.app.push_screen(TicketScreen(tid))
        await settle(pilot)
        await pilot.pause(0.1)
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=(100, 40), run_before=before)
