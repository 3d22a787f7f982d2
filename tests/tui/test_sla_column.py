"""The queue's SLA column and the detail pane count business time as `sla status` does; subjects show whole."""

from __future__ import annotations

import io
import json
import time
from datetime import datetime, timezone

import pytest
import time_machine

from helpdesk.db import open_desk
from helpdesk.services.core.actors import resolve_actor
from helpdesk.services.sla.loading import load_policies
from helpdesk.services.tickets.lifecycle import NewTicket, create_ticket
from helpdesk.widgets.cells import duration
from tests.tui.conftest import ADMIN, settle

UTC = timezone.utc
SUBJECT = "Laptop will not charge after the update!"  # 40 characters
OFFICE = """
[calendars.office]
timezone = "UTC"
hours = { mon = "09:00-17:00", tue = "09:00-17:00", wed = "09:00-17:00", thu = "09:00-17:00", fri = "09:00-17:00" }

[[policies]]
name = "Office"
calendar = "office"
resolution = "10h"
"""
WEDNESDAY = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)  # the late ticket: due Thu 11:00
THURSDAY = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)   # the fresh one: 8h used by 17:00, due Fri 11:00
FRIDAY = datetime(2026, 3, 6, 9, 0, tzinfo=UTC)     # over the weekend: 8h on Friday, due Mon 11:00
EVENING = datetime(2026, 3, 5, 20, 0, tzinfo=UTC)   # closed: 2 business hours left over the night (15h by the wall)
AFTERNOON = datetime(2026, 3, 5, 14, 0, tzinfo=UTC)  # Thursday, open
SATURDAY = datetime(2026, 3, 7, 12, 0, tzinfo=UTC)


@pytest.fixture
def utc_viewer(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def office_desk(demo_db, utc_viewer):
    """The demo desk on office hours, with a ticket created Wednesday, one Thursday morning and one
    Friday morning: (db, {creation moment: ticket id})."""
    desk = open_desk(demo_db)

    def new(subject):
        return lambda s: create_ticket(s, resolve_actor(s, ADMIN), NewTicket(subject=subject)).id

    with time_machine.travel(WEDNESDAY, tick=False):
        desk.write(lambda s: load_policies(s, resolve_actor(s, ADMIN), OFFICE))
    made = {}
    for moment, subject in ((WEDNESDAY, "Late one"), (THURSDAY, SUBJECT), (FRIDAY, "Over the weekend")):
        with time_machine.travel(moment, tick=False):
            made[moment] = desk.write(new(subject))
    desk.close()
    return demo_db, made


def line_of(table, ticket_id: int) -> str:
    y = table.index_of(ticket_id) - table.scroll_offset.y
    return "".join(segment.text for segment in table.render_line(y))


def shown(widget) -> str:
    """What a Static shows, as plain text."""
    from rich.console import Console

    console = Console(width=200, file=io.StringIO(), record=True)
    console.print(widget.content)
    return console.export_text()


def cli_clock(db: str, ticket_id: int, capsys) -> dict:
    """The resolution clock `helpdesk sla status --json` prints for the ticket."""
    from helpdesk.cli import run

    capsys.readouterr()
    assert run(["--db", db, "sla", "status", f"id:{ticket_id}", "--json"]) == 0
    return json.loads(capsys.readouterr().out)["tickets"][0]["sla"]["resolution"]


async def open_queue(pilot, *ids: int):
    await settle(pilot)
    await pilot.press("slash", *"id:" + ",".join(map(str, ids)), "enter")
    await settle(pilot)


@pytest.mark.parametrize("size", [(120, 40), (160, 40)])
async def test_column_counts_business_time_and_shows_the_whole_subject(make_app, office_desk, size):
    db, made = office_desk
    fresh, late = made[THURSDAY], made[WEDNESDAY]
    with time_machine.travel(EVENING, tick=False):
        app = make_app(db=db)
        async with app.run_test(size=size) as pilot:
            await open_queue(pilot, fresh, late)
            table = app.screen.table
            row = line_of(table, fresh)
            assert SUBJECT in row
            assert "2h00m Fri 11:00" in row  # business time, not the 15h to the due moment
            overdue = table.cells[late]["sla"]
            assert str(overdue) == "-6h00m 11:00"  # due today: the time is enough
            assert overdue.style == app.palette.breached


@pytest.mark.parametrize("moment, cells", [
    (AFTERNOON, {THURSDAY: "5h00m Fri 11:00", WEDNESDAY: "-3h00m 11:00"}),  # during business hours
    # across the weekend: Saturday counts for nothing; a pair wider than the column keeps the whole countdown
    (SATURDAY, {FRIDAY: "2h00m Mon 11:00", THURSDAY: "-6h00m Fri 11:00", WEDNESDAY: "-14h00m Thu"}),
])
async def test_column_says_what_sla_status_says(make_app, office_desk, capsys, moment, cells):
    db, made = office_desk
    with time_machine.travel(moment, tick=False):
        cli = {made[k]: cli_clock(db, made[k], capsys) for k in cells}
        app = make_app(db=db)
        async with app.run_test(size=(120, 40)) as pilot:
            await open_queue(pilot, *cli)
            shown_cells = {k: str(app.screen.table.cells[made[k]]["sla"]) for k in cells}
    assert shown_cells == cells
    for k, text in shown_cells.items():  # the same figure and due moment as the CLI's, cell by cell
        countdown, due = text.split(" ", 1)
        clock = cli[made[k]]
        assert countdown == duration(clock["remaining_seconds"])
        due_at = datetime.fromisoformat(clock["due_at"])
        assert due in (f"{due_at:%a %H:%M}", f"{due_at:%H:%M}", f"{due_at:%a}")


async def test_detail_agrees_with_sla_status(make_app, office_desk, capsys):
    db, made = office_desk
    fresh, late = made[THURSDAY], made[WEDNESDAY]
    with time_machine.travel(EVENING, tick=False):
        expected = {t: cli_clock(db, t, capsys)["remaining_seconds"] for t in (fresh, late)}
        assert expected == {fresh: 2 * 3600, late: -6 * 3600}
        app = make_app(db=db)
        async with app.run_test(size=(160, 40)) as pilot:
            await open_queue(pilot, fresh, late)
            screen = app.screen
            assert {t: screen.clocks[t].remaining(app.now) for t in (fresh, late)} == expected
            screen.table.cursor = screen.table.index_of(late)
            await pilot.pause(0.2)
            await settle(pilot)
            sla = shown(screen.query_one("#detail-sla"))
            assert "6h 00m overdue · Thu 11:00" in sla


async def test_detail_counts_down_live_in_business_time(make_app, office_desk):
    db, made = office_desk
    now = [EVENING]  # the app's clock: its one-second timer reads the moment the test set
    with time_machine.travel(EVENING, tick=False):
        app = make_app(db=db, clock=lambda: now[0])
        async with app.run_test(size=(100, 40)) as pilot:  # full screen ticket
            await open_queue(pilot, made[THURSDAY])
            await pilot.press("enter")
            await settle(pilot)
            sla = app.screen.query_one("#detail-sla")
            assert "2h 00m left · Fri 11:00" in shown(sla)
            now[0] = app.now = datetime(2026, 3, 6, 9, 30, tzinfo=UTC)  # the office opened half an hour ago
            await pilot.pause()
            assert "1h 30m left · Fri 11:00" in shown(sla)
