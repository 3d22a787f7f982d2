"""Request types in the app: the pane shows the type's fields, stage and approval; `f` edits
the fields with the widget of their kind, `w` moves stages, `A` approves or declines."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console
from sqlmodel import select
from textual.widgets import Checkbox, Input, Select, SelectionList

from helpdesk.models import Event, Ticket
from helpdesk.screens.fields import FieldsScreen
from helpdesk.screens.picker import PickerScreen
from helpdesk.screens.prompt import PromptScreen
from helpdesk.screens.ticket import TicketScreen
from helpdesk.services.core.actors import resolve_actor
from helpdesk.services.people.agents import add_team, update_agent
from helpdesk.services.tickets.lifecycle import NewTicket, TicketChanges, create_ticket, update_ticket
from helpdesk.services.types.catalog import load_types_file
from helpdesk.services.types.stages import move_stage
from tests.tui.conftest import ADMIN, TOM, settle
from tests.tui.test_actions import toasts

EXAMPLE = (Path(__file__).resolve().parents[2] / "data" / "types.example.toml").read_text(encoding="utf-8")
LI = "li@demo.helpdesk"


def as_(desk, who, fn):
    return desk.write(lambda s: fn(s, resolve_actor(s, who)))


def typed_desk(desk) -> None:
    """The example types on the demo desk: Tom in the warehouse, Li in finance."""
    def setup(s, admin):
        for team in ("warehouse", "finance", "purchasing"):
            add_team(s, admin, team)
        update_agent(s, admin, TOM, team="warehouse")
        update_agent(s, admin, LI, team="finance")
        load_types_file(s, admin, EXAMPLE, source="types.example.toml")

    as_(desk, ADMIN, setup)


def refund(desk, **fields) -> int:
    values = {"order_no": "SO-1", **fields}
    return as_(desk, ADMIN, lambda s, a: create_ticket(s, a, NewTicket(
        subject="退货：鞋子尺码不对", requester="buyer@example.com", type="退货退款", fields=values)).id)


def ticket(desk, tid: int) -> Ticket:
    with desk.read() as s:
        return s.get(Ticket, tid)


def pane(screen) -> str:
    console = Console(width=160, file=io.StringIO(), record=True)
    for part in ("#detail-head", "#detail-body"):
        console.print(screen.query_one(part).content)
    return console.export_text()


async def open_ticket(pilot, tid: int) -> TicketScreen:
    await settle(pilot)
    pilot.app.push_screen(TicketScreen(tid))
    for _ in range(10):
        await settle(pilot)
        if isinstance(pilot.app.screen, TicketScreen) and pilot.app.screen.ticket:
            break
    return pilot.app.screen


async def test_the_pane_shows_the_types_fields_in_order_its_stage_and_what_is_missing(make_app, demo_desk):
    typed_desk(demo_desk)
    tid = refund(demo_desk, refund_amount="199", reason="发错货", colour="red")
    # a field made required after the ticket was created: the pane says it is missing
    as_(demo_desk, ADMIN, lambda s, a: load_types_file(s, a, EXAMPLE.replace(
        'key = "refund_txn_id"', 'key = "contact"\nrequired = true\n\n[[types.fields]]\nkey = "refund_txn_id"')))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        text = pane(await open_ticket(pilot, tid))
    labels = ["订单号 / order number", "退款金额 / refund amount", "退货原因 / reason", "取件日期 / pickup date",
              "contact", "退款流水号 / refund transaction", "colour"]
    at = [text.index(label) for label in labels]
    assert at == sorted(at)  # the type's order, then the free fields
    assert "SO-1" in text and "199" in text and "发错货" in text
    contact = text[text.index("contact"):].splitlines()[0]
    assert "— required" in contact
    txn = text[text.index("退款流水号"):].splitlines()[0]
    assert "needed to be solved" in txn
    assert "1 of 4 · 客服受理" in text and "客服受理 → 仓储拦截 → 财务退款 → 客户确认" in text


async def test_the_pane_says_who_an_approval_waits_for(make_app, demo_desk):
    typed_desk(demo_desk)
    tid = refund(demo_desk)
    as_(demo_desk, TOM, lambda s, a: move_stage(s, a, tid, "仓储拦截"))
    as_(demo_desk, LI, lambda s, a: move_stage(s, a, tid, "财务退款"))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        text = pane(await open_ticket(pilot, tid))
    assert "3 of 4 · 财务退款" in text
    assert "pending · 0 of 1 · waiting for finance" in text


async def test_a_ticket_without_a_loaded_type_shows_no_fields_section(make_app, demo_desk):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_ticket(pilot, 1)
        assert "Fields ·" not in pane(screen) and "Stage" not in pane(screen)
        await pilot.press("f")
        await settle(pilot)
        assert not isinstance(app.screen, FieldsScreen)
        assert any("which has no fields of its own" in t for t in toasts(app))


async def test_f_edits_each_field_with_the_widget_of_its_kind(make_app, demo_desk):
    typed_desk(demo_desk)
    tid = refund(demo_desk, refund_amount="199")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_ticket(pilot, tid)
        await pilot.press("f")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FieldsScreen)
        widgets = [form.query_one(f"#field-{n}") for n in range(5)]
        assert [type(w) for w in widgets] == [Input, Input, Select, Input, Input]
        amount, reason, pickup = widgets[1], widgets[2], widgets[3]
        assert amount.value == "199" and app.focused is widgets[0]
        amount.value = "1,250.5"
        reason.value = "质量问题"
        pickup.value = "2026-03-05"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, FieldsScreen)
    fields = ticket(demo_desk, tid).fields
    assert fields["refund_amount"] == "1250.5" and fields["reason"] == "质量问题"
    assert fields["pickup_date"] == "2026-03-05" and fields["order_no"] == "SO-1"


async def test_a_bad_value_is_the_services_refusal_and_nothing_is_written(make_app, demo_desk):
    typed_desk(demo_desk)
    tid = refund(demo_desk, refund_amount="199")
    version = ticket(demo_desk, tid).version
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_ticket(pilot, tid)
        await pilot.press("f")
        await settle(pilot)
        form = app.screen
        await pilot.press("tab")
        assert app.focused is form.query_one("#field-1")
        await pilot.press("ctrl+a", "ctrl+k", *"abc")
        assert not form.query_one("#field-1").is_valid  # marked while typing
        form.query_one("#field-3").value = "3月5日"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form  # the form stays, with what was typed
        assert form.query_one("#field-1").value == "abc"
        assert any("refund_amount: 'abc' is not a number" in t for t in toasts(app))
        form.query_one("#field-0").value = ""  # order_no is required
        form.query_one("#field-1").value = "12"
        form.query_one("#field-3").value = ""
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert any(t.startswith("order_no: is required") for t in toasts(app))
    after = ticket(demo_desk, tid)
    assert after.version == version and after.fields == {"order_no": "SO-1", "refund_amount": "199"}


async def test_multi_and_bool_fields_and_nothing_changed(make_app, demo_desk):
    typed_desk(demo_desk)
    tid = as_(demo_desk, ADMIN, lambda s, a: create_ticket(s, a, NewTicket(
        subject="Laptop does not start", requester="rep@example.com", type="售后维修",
        fields={"serial": "SN-9", "fault": "不开机"})).id)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_ticket(pilot, tid)
        await pilot.press("f")
        await settle(pilot)
        form = app.screen
        faults, warranty = form.query_one("#field-1", SelectionList), form.query_one("#field-2", Checkbox)
        assert faults.selected == ["不开机"] and warranty.value is False
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form and "Nothing changed." in toasts(app)
        faults.select("电池")
        warranty.value = True
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, FieldsScreen)
    fields = ticket(demo_desk, tid).fields
    assert fields["fault"] == "不开机, 电池" and fields["under_warranty"] == "true"


async def test_someone_elses_change_is_refused_then_saved_on_a_second_ctrl_s(make_app, demo_desk):
    typed_desk(demo_desk)
    tid = refund(demo_desk)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_ticket(pilot, tid)
        await pilot.press("f")
        await settle(pilot)
        form = app.screen
        as_(demo_desk, TOM, lambda s, a: update_ticket(s, a, tid, TicketChanges(priority="high")))
        form.query_one("#field-1").value = "88"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form and ticket(demo_desk, tid).fields.get("refund_amount") is None
        assert any("press ctrl+s again" in t for t in toasts(app))
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, FieldsScreen)
    after = ticket(demo_desk, tid)
    assert after.fields["refund_amount"] == "88" and after.priority == "high"


async def test_w_moves_to_an_allowed_stage_and_the_team_rule_is_the_services(make_app, demo_desk):
    typed_desk(demo_desk)
    tid = refund(demo_desk)
    app = make_app(who=ADMIN)  # Mei is not in the warehouse
    async with app.run_test(size=(120, 40)) as pilot:
        await open_ticket(pilot, tid)
        await pilot.press("w")
        await settle(pilot)
        assert isinstance(app.screen, PickerScreen)
        assert [c.value for c in app.screen.choices] == ["仓储拦截"]
        await pilot.press("enter")
        await settle(pilot)
        assert any("only team warehouse moves tickets into '仓储拦截'" in t for t in toasts(app))
    assert ticket(demo_desk, tid).stage == "客服受理"
    app = make_app(who=TOM)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_ticket(pilot, tid)
        await pilot.press("w", "enter")
        await settle(pilot)
        assert ticket(demo_desk, tid).stage == "仓储拦截"
        assert "2 of 4 · 仓储拦截" in pane(screen)
        await pilot.press("w")
        await settle(pilot)
        assert [(c.value, c.hint) for c in app.screen.choices] == [("财务退款", "next"), ("客服受理", "back one")]


async def test_A_approves_and_a_decline_needs_a_comment_and_goes_back(make_app, demo_desk):
    typed_desk(demo_desk)
    tid = refund(demo_desk)
    as_(demo_desk, TOM, lambda s, a: move_stage(s, a, tid, "仓储拦截"))
    as_(demo_desk, LI, lambda s, a: move_stage(s, a, tid, "财务退款"))
    app = make_app(who=TOM)  # not an approver
    async with app.run_test(size=(120, 40)) as pilot:
        await open_ticket(pilot, tid)
        await pilot.press("w")
        await settle(pilot)
        assert not isinstance(app.screen, PickerScreen)
        assert any("cannot leave 财务退款 before it is approved (waiting for finance" in t for t in toasts(app))
        await pilot.press("A", "enter")
        await settle(pilot)
        assert any("is not one of them" in t for t in toasts(app))
    assert ticket(demo_desk, tid).approval == "pending"
    app = make_app(who=LI)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_ticket(pilot, tid)
        await pilot.press("A", "down", "down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, PromptScreen)
        await pilot.press(*"金额不符", "enter")
        await settle(pilot)
    after = ticket(demo_desk, tid)
    assert (after.stage, after.approval) == ("仓储拦截", "declined")
    with demo_desk.read() as s:
        reasons = [e.reason or "" for e in s.exec(select(Event).where(Event.ticket_id == tid))]
    assert any("declined by finance: 金额不符" in r for r in reasons)
    as_(demo_desk, LI, lambda s, a: move_stage(s, a, tid, "财务退款"))
    app = make_app(who=LI)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_ticket(pilot, tid)
        await pilot.press("A", "enter")
        await settle(pilot)
        assert "approved · 1 of 1" in pane(screen)
    assert ticket(demo_desk, tid).approval == "approved"


async def test_a_value_the_options_no_longer_list_is_kept_when_other_fields_change(make_app, demo_desk):
    typed_desk(demo_desk)
    tid = refund(demo_desk, reason="不想要了")
    as_(demo_desk, ADMIN, lambda s, a: load_types_file(s, a, EXAMPLE.replace(
        'options = ["质量问题", "发错货", "不想要了"]', 'options = ["质量问题", "发错货"]')))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_ticket(pilot, tid)
        await pilot.press("f")
        await settle(pilot)
        form = app.screen
        assert form.query_one("#field-2", Select).value == "不想要了"
        form.query_one("#field-1").value = "10"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, FieldsScreen)
    assert ticket(demo_desk, tid).fields == {"order_no": "SO-1", "refund_amount": "10", "reason": "不想要了"}
