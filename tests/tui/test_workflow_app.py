"""The app's side of work that moves itself: `m` macros, who is away, rules in the timeline."""

from __future__ import annotations

import io

from rich.console import Console
from sqlmodel import select

from helpdesk.models import Message, Ticket
from helpdesk.screens.confirm import ConfirmScreen
from helpdesk.screens.picker import PickerScreen
from helpdesk.services.core.actors import resolve_actor
from helpdesk.services.people.agents import update_agent
from helpdesk.services.workflow.stored import load_macros_file, load_rules_file
from helpdesk.widgets.ticket_view import timeline
from tests.tui.conftest import ADMIN, FROZEN, TOM, settle
from tests.tui.test_actions import open_queue, toasts

MACROS = '''
[[macros]]
name = "ask-for-serial"
reply = "Hello {{requester.first_name}}, could you send the serial of #{{ticket.id}}?"
set = { status = "pending" }
add_tags = ["serial-asked"]

[[macros]]
name = "escalate"
note = "Escalated to the lead."
set = { priority = "urgent" }
'''


def as_admin(desk, fn):
    return desk.write(lambda s: fn(s, resolve_actor(s, ADMIN)))


def replies(desk, tid: int) -> list[str]:
    with desk.read() as s:
        return list(s.execute(select(Message.body).where(Message.ticket_id == tid, Message.kind == "reply")
                              .order_by(Message.id)).scalars())


async def test_m_applies_a_macro_to_the_ticket_in_view(make_app, demo_desk):
    as_admin(demo_desk, lambda s, a: load_macros_file(s, a, MACROS))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_queue(pilot, "u")
        tid = screen.table.current
        before = len(replies(demo_desk, tid))
        await pilot.press("m")
        assert isinstance(app.screen, PickerScreen)
        await pilot.press(*"serial", "enter")
        await settle(pilot)
        sent = replies(demo_desk, tid)
        assert len(sent) == before + 1 and sent[-1].endswith(f"the serial of #{tid}?")
        with demo_desk.read() as s:
            assert s.get(Ticket, tid).status == "pending"
        assert any(t.startswith(f"#{tid}: macro ask-for-serial: reply sent") and "status → pending" in t
                   for t in toasts(app))


async def test_m_on_marked_rows_asks_then_applies_to_each(make_app, demo_desk):
    as_admin(demo_desk, lambda s, a: load_macros_file(s, a, MACROS))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_queue(pilot, "u")
        ids = [r.id for r in screen.window.rows[:2]]
        await pilot.press("space", "space", "m", *"escalate", "enter")
        assert isinstance(app.screen, ConfirmScreen) and "2 marked tickets" in app.screen.question
        await pilot.press("enter")
        await settle(pilot)
        with demo_desk.read() as s:
            assert {s.get(Ticket, i).priority for i in ids} == {"urgent"}
            notes = s.execute(select(Message.ticket_id).where(Message.body == "Escalated to the lead.")).scalars()
            assert sorted(notes) == sorted(ids)
        assert any("macro escalate on 2 tickets" in t for t in toasts(app))


async def test_m_without_macros_says_how_to_load_them(make_app, demo_desk):
    as_admin(demo_desk, lambda s, a: load_macros_file(s, a, ""))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_queue(pilot, "u")
        await pilot.press("m")
        await settle(pilot)
        assert not isinstance(app.screen, PickerScreen)
        assert any("helpdesk macro load" in t for t in toasts(app))


async def test_the_assign_picker_shows_load_and_who_is_away(make_app, demo_desk):
    as_admin(demo_desk, lambda s, a: update_agent(s, a, TOM, capacity=4, away=True))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_queue(pilot, "u")
        await pilot.press("a")
        picker = app.screen
        assert isinstance(picker, PickerScreen)
        tom = next(c for c in picker.choices if c.value == TOM)
        assert tom.hint.startswith(TOM) and tom.hint.endswith("/4 · away")


async def test_the_timeline_names_the_rule_that_fired(make_app, demo_desk):
    rules = '[[triggers]]\nname = "urgent printers"\non = ["updated"]\nwhen = "priority:low"\n' \
            'actions = { priority = "urgent" }\n'
    as_admin(demo_desk, lambda s, a: load_rules_file(s, a, rules))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_queue(pilot, "u")
        tid = screen.table.current
        await pilot.press("p", *"low", "enter")
        await settle(pilot)
        with demo_desk.read() as s:
            assert s.get(Ticket, tid).priority == "urgent"  # the trigger answered the change
        detail = app.read_ticket(tid)[0]
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(timeline(detail["events"], FROZEN))
    shown = console.export_text()
    assert "⚙ trigger urgent printers fired: changed priority" in shown
    assert "rule:urgent printers" in shown
