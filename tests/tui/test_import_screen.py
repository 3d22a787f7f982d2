"""The import screen in a tiny host app: dry run first, then the import with progress."""

from __future__ import annotations

import asyncio
import csv

from textual.app import App
from textual.widgets import Button, Static

from helpdesk.screens.import_sheet import ImportScreen


class Host(App):
    def __init__(self, desk, actor, path=None):
        super().__init__()
        self.desk, self.actor, self.path = desk, actor, path

    def on_mount(self) -> None:
        self.push_screen(ImportScreen(self.path))


def sheet(tmp_path):
    path = tmp_path / "t.csv"
    with open(path, "w", encoding="utf-8", newline="") as stream:
        csv.writer(stream).writerows([["ID", "Subject", "Status"], ["1", "Printer [bold]jams", "open"],
                                      ["2", "bad", "frobbed"]])
    return path


def text_of(screen, selector):
    return str(screen.query_one(selector, Static).content)


async def wait_for_workers(app, pilot):
    await app.workers.wait_for_complete()
    await pilot.pause()


def test_dry_run_then_import(desk, crew, tmp_path):
    asyncio.run(dry_run_then_import(desk, crew, tmp_path))
    with desk.read() as s:
        from helpdesk.services.tickets.listing import find_tickets

        assert [t.subject for t in find_tickets(s, crew.agent, "").tickets] == ["Printer [bold]jams"]


async def dry_run_then_import(desk, crew, tmp_path):
    app = Host(desk, crew.agent, str(sheet(tmp_path)))
    async with app.run_test() as pilot:
        await wait_for_workers(app, pilot)
        screen = app.screen
        assert "ID  ->  external_id" in text_of(screen, "#import-mapping")
        assert "1 created" in text_of(screen, "#import-result")
        assert "Printer" not in text_of(screen, "#import-result")
        assert not screen.query_one("#import-run", Button).disabled
        await pilot.press("ctrl+s")
        await wait_for_workers(app, pilot)
        assert "Imported:" in text_of(screen, "#import-result")
        assert "t.rejects.csv" in text_of(screen, "#import-result")


def test_a_missing_file_is_a_message_not_a_crash(desk, crew, tmp_path):
    asyncio.run(missing_file(desk, crew))
    with desk.read() as s:
        from helpdesk.services.tickets.listing import find_tickets

        assert find_tickets(s, crew.agent, "").tickets == []


async def missing_file(desk, crew):
    app = Host(desk, crew.agent)
    async with app.run_test() as pilot:
        screen = app.screen
        await pilot.click("#import-path")
        await pilot.press(*"nope.xlsx", "enter")
        await wait_for_workers(app, pilot)
        assert "no such file" in text_of(screen, "#import-result")
        assert screen.query_one("#import-run", Button).disabled
        await pilot.press("ctrl+s")  # refused until a dry run succeeded
        await pilot.pause()
