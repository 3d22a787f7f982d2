"""The knowledge base in the app: suggestions in the ticket pane, the KB screen (g k),
an article inserted into a reply from the composer (ctrl+o)."""

from __future__ import annotations

from sqlalchemy import select, text
from textual.widgets import Markdown, OptionList

from helpdesk.models import Article, Message, Ticket
from helpdesk.screens.compose import ComposeScreen
from helpdesk.screens.kb import ArticlePickerScreen, KbScreen
from helpdesk.screens.ticket import TicketScreen
from helpdesk.services.core.actors import resolve_actor
from helpdesk.services.customers.articles import add_article, set_state
from helpdesk.widgets.kb_suggestions import KbSuggestions
from tests.tui.conftest import ADMIN, settle

JAM = "## 步骤\n\n1. 关闭打印机电源\n2. 打开**后盖**，取出卡住的纸\n\n[bad](javascript:alert(1)) [b]not markup[/b]"


def clear_kb(desk) -> None:
    """The demo's own articles out of the way: each test here writes the ones it reads."""
    def clear(s):
        s.execute(text("DELETE FROM kb_search"))
        s.execute(text("DELETE FROM kb_article"))
    desk.write(clear)


def write_articles(desk) -> dict[str, int]:
    clear_kb(desk)

    def make(s):
        me = resolve_actor(s, ADMIN)
        ids = {}
        for title, body, state in [("打印机卡纸怎么处理", JAM, "published"),
                                   ("VPN disconnects every few minutes", "Update the VPN client.", "internal"),
                                   ("打印机卡纸 draft", "卡纸 卡纸 打印机", "draft")]:
            a = add_article(s, me, title, body)
            if state != "draft":
                set_state(s, me, a.id, state)
            ids[title] = a.id
        return ids
    return desk.write(make)


def jam_ticket(desk) -> int:
    with desk.read() as s:
        return s.execute(select(Ticket.id).where(Ticket.subject == "打印机卡纸", Ticket.status != "closed")
                         .order_by(Ticket.id)).scalars().first()


async def test_the_ticket_pane_suggests_the_published_article_and_never_the_draft(make_app, demo_desk):
    write_articles(demo_desk)
    tid = jam_ticket(demo_desk)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.push_screen(TicketScreen(tid))
        await settle(pilot, rounds=5)
        box = app.screen.query_one(KbSuggestions)
        assert box.display and [r["title"] for r in box.rows] == ["打印机卡纸怎么处理"]
        assert "Suggested articles" in str(box.content) and "draft" not in str(box.content)


async def test_no_suggestion_leaves_the_pane_as_it_was(make_app, demo_desk):
    clear_kb(demo_desk)  # a desk without articles
    tid = jam_ticket(demo_desk)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.push_screen(TicketScreen(tid))
        await settle(pilot, rounds=5)
        assert not app.screen.query_one(KbSuggestions).display


async def test_g_k_lists_searches_and_renders_an_article(make_app, demo_desk):
    ids = write_articles(demo_desk)
    app = make_app()
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        await pilot.press("g", "k")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, KbScreen)
        assert {r["id"] for r in screen.rows} == set(ids.values())  # drafts are listed for staff
        await pilot.press("slash", *"卡纸", "enter")
        await settle(pilot)
        assert [r["title"] for r in screen.rows] == ["打印机卡纸怎么处理"]  # search: no draft
        assert screen.shown_id == ids["打印机卡纸怎么处理"]
        markdown = screen.query_one("#kb-body", Markdown)
        assert markdown.source.startswith("## 步骤") and "[b]not markup[/b]" in markdown.source
        await pilot.press("slash", *"nothing-like-this", "enter")
        await settle(pilot)
        assert screen.rows == [] and "no article matches" in str(screen.query_one("#kb-status").content)
        await pilot.press("escape")  # back to the list
        await pilot.press("escape")  # back to the queue
        assert not isinstance(app.screen, KbScreen)


async def test_ctrl_o_inserts_the_suggested_article_and_counts_its_use(make_app, demo_desk):
    ids = write_articles(demo_desk)
    tid = jam_ticket(demo_desk)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        with demo_desk.read() as s:
            ticket = s.get(Ticket, tid)
            subject, version = ticket.subject, ticket.version
        app.push_screen(ComposeScreen(tid, subject, version))
        await settle(pilot)
        await pilot.press(*"您好")
        await pilot.press("ctrl+o")
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, ArticlePickerScreen)
        assert [r["id"] for r in picker.rows] == [ids["打印机卡纸怎么处理"]]
        await pilot.press(*"vpn")
        await settle(pilot)
        assert [r["title"] for r in picker.rows] == ["VPN disconnects every few minutes"]
        assert picker.query_one(OptionList).option_count == 1
        await pilot.press("backspace", "backspace", "backspace")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ComposeScreen)
        assert app.screen.draft.startswith("您好\n\n## 步骤")
        await pilot.press("ctrl+s")
        await settle(pilot)
    with demo_desk.read() as s:
        assert s.get(Article, ids["打印机卡纸怎么处理"]).use_count == 1
        last = s.execute(select(Message).where(Message.ticket_id == tid).order_by(Message.id.desc())).scalars().first()
        assert "关闭打印机电源" in last.body and last.kind == "reply"


def test_no_queue_takes_the_knowledge_bases_letter():
    from helpdesk.services.tickets.queues import BUILTIN, Queue, with_letters

    queues = with_letters([*BUILTIN, Queue("team:9", "Team kitchen", "team:kitchen")])
    assert "k" not in {q.letter for q in queues}
    assert queues[-1].letter == "t"  # the next free letter of its name (i is the insight dashboard's)
