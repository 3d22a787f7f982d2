"""The insight dashboard: `g i` and the palette open it, figures match the report, periods
switch, it follows changes made elsewhere, and ctrl+s saves an SVG."""

from __future__ import annotations

from helpdesk.screens.insight import InsightScreen
from helpdesk.services.core.actors import resolve_actor
from helpdesk.services.insight.reports import dashboard
from helpdesk.services.tickets.lifecycle import NewTicket, create_ticket
from helpdesk.widgets.insight import HeatGrid, Tile, pad
from tests.tui.conftest import ADMIN, FROZEN, poll_now, settle


def _tile(screen, key: str) -> str:
    return str(screen.query_one(f"#tile-{key}", Tile).content)


async def _open(pilot):
    await settle(pilot)
    await pilot.press("g", "i")
    await settle(pilot)
    assert isinstance(pilot.app.screen, InsightScreen)
    return pilot.app.screen


async def test_g_i_opens_the_dashboard_with_the_report_figures(make_app, demo_desk):
    app = make_app(clock=lambda: FROZEN)
    async with app.run_test(size=(140, 45)) as pilot:
        screen = await _open(pilot)
        with demo_desk.read() as s:
            expected = dashboard(s, resolve_actor(s, ADMIN), "7d", now=FROZEN)["summary"]
        assert _tile(screen, "created").splitlines()[1] == str(expected["created"])
        assert _tile(screen, "backlog").splitlines()[1] == str(expected["backlog"]["total"])
        assert "busiest hour" in str(screen.query_one(HeatGrid).content)
        assert screen.query_one("#insight-agents").row_count >= 1
        await pilot.press("escape")
        assert not isinstance(app.screen, InsightScreen)


async def test_period_keys_switch_the_figures(make_app, demo_desk):
    app = make_app(clock=lambda: FROZEN)
    async with app.run_test(size=(140, 45)) as pilot:
        screen = await _open(pilot)
        week = _tile(screen, "created")
        await pilot.press("d")
        await settle(pilot)
        assert screen.preset == "30d"
        with demo_desk.read() as s:
            month = dashboard(s, resolve_actor(s, ADMIN), "30d", now=FROZEN)["summary"]["created"]
        assert _tile(screen, "created").splitlines()[1] == str(month)
        assert "30 days" in str(screen.query_one("#insight-header").content)
        assert week


async def test_the_dashboard_follows_changes_made_elsewhere(make_app, demo_desk):
    app = make_app(clock=lambda: FROZEN)
    async with app.run_test(size=(140, 45)) as pilot:
        screen = await _open(pilot)
        before = int(_tile(screen, "created").splitlines()[1])

        def add(s):
            create_ticket(s, resolve_actor(s, ADMIN), NewTicket(subject="from the CLI", body="x",
                                                                 created_at=FROZEN))
        demo_desk.write(add)
        await poll_now(pilot)
        assert int(_tile(screen, "created").splitlines()[1]) == before + 1


async def test_palette_opens_the_dashboard(make_app):
    app = make_app(clock=lambda: FROZEN)
    async with app.run_test(size=(140, 45)) as pilot:
        await settle(pilot)
        assert "Insight dashboard" in {c.title for c in app.get_system_commands(app.screen)}
        await pilot.press("ctrl+p", *"Insight dashboard", "enter")
        await settle(pilot)
        assert isinstance(app.screen, InsightScreen)


async def test_ctrl_s_saves_an_svg(make_app, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = make_app(clock=lambda: FROZEN)
    async with app.run_test(size=(140, 45)) as pilot:
        await _open(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
    saved = list(tmp_path.glob("helpdesk-insight-*.svg"))
    assert len(saved) == 1 and saved[0].read_text(encoding="utf-8").startswith("<svg")


def test_labels_are_padded_by_display_width():
    assert pad("退货退款", 10) == "退货退款  "
    assert pad("billing", 10) == "billing   "
    assert pad("退货退款退货退款", 9) == "退货退款 "
