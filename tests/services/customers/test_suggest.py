"""Articles for a ticket: suggestions, a draft from the conversation, an article in a reply."""

from __future__ import annotations

import pytest
from sqlmodel import select

from helpdesk.errors import Conflict, Forbidden, Invalid
from helpdesk.models import Article, Message
from helpdesk.services.customers.suggest import draft_from_ticket, reply_with_article, suggest_for_ticket
from helpdesk.services.tickets.conversation import add_agent_message, add_customer_message
from tests.services.customers.kb_support import article, ticket


def suggested(desk, actor, n) -> list[str]:
    with desk.read() as s:
        return [a.title for a, _ in suggest_for_ticket(s, actor, n)]


FILLER = ["邮箱密码重置", "会议室投影仪", "报销流程说明", "Wi-Fi guest access", "Laptop battery care",
          "请假审批", "Shared drive quota", "显示器闪烁", "键盘失灵", "Phone voicemail setup"]


def test_the_article_that_fits_the_ticket_comes_first_and_drafts_never(desk, crew):
    for title in FILLER:  # a knowledge base has many articles: rare words weigh more than common ones
        article(desk, crew.agent, title, f"{title}：步骤说明 steps")
    article(desk, crew.agent, "如何更换硒鼓", "打印很淡：打开前盖，取出旧硒鼓，装入新硒鼓。")
    article(desk, crew.agent, "打印机卡纸", "打开后盖取出卡住的纸。打印机 重新启动。", state="internal")
    article(desk, crew.agent, "VPN keeps disconnecting", "Update the VPN client.")
    article(desk, crew.agent, "硒鼓 draft", "硒鼓 硒鼓 打印很淡", state="draft")
    article(desk, crew.agent, "硒鼓 archived", "硒鼓 硒鼓 打印很淡", state="archived")
    n = ticket(desk, crew.agent, "打印机打印很淡", "是不是硒鼓没粉了？")
    titles = suggested(desk, crew.viewer, n)
    assert titles[0] == "如何更换硒鼓"
    assert "打印机卡纸" in titles  # internal articles are suggested to agents
    assert not {"硒鼓 draft", "硒鼓 archived", "VPN keeps disconnecting"} & set(titles)


def test_english_tickets_find_english_articles_and_stop_words_alone_find_nothing(desk, crew):
    article(desk, crew.agent, "VPN keeps disconnecting", "Update the VPN client and sign in again.")
    article(desk, crew.agent, "Reset your password", "Use the self-service page to reset a password.")
    n = ticket(desk, crew.agent, "The VPN disconnects every hour", "Hi, the vpn drops. Thanks")
    assert suggested(desk, crew.agent, n) == ["VPN keeps disconnecting"]
    m = ticket(desk, crew.agent, "Hi there", "Thanks, it is what it is.")
    assert suggested(desk, crew.agent, m) == []


def test_at_most_five_articles_are_suggested(desk, crew):
    for i in range(8):
        article(desk, crew.agent, f"Printer tip {i}", "printer toner")
    n = ticket(desk, crew.agent, "Printer toner", "printer")
    assert len(suggested(desk, crew.agent, n)) == 5


def test_internal_notes_neither_steer_suggestions_nor_go_into_a_draft(desk, crew):
    article(desk, crew.agent, "Salary questions", "Payroll 工资 answers.")
    n = ticket(desk, crew.agent, "Monitor flickers", "The screen flickers.", requester="ann@example.com")
    desk.write(lambda s: add_agent_message(s, crew.agent, n, "salary payroll 工资 secret: ann's manager is angry", kind="note"))
    desk.write(lambda s: add_agent_message(s, crew.agent, n, "Please replace the HDMI cable."))
    desk.write(lambda s: add_customer_message(s, crew.agent, n, None, "That fixed it, thank you."))
    assert suggested(desk, crew.agent, n) == []
    aid = desk.write(lambda s: draft_from_ticket(s, crew.agent, n, category="Screens").id)
    with desk.read() as s:
        a = s.get(Article, aid)
        assert (a.title, a.state, a.category, a.source_ticket_id) == ("Monitor flickers", "draft", "Screens", n)
        assert "The screen flickers." in a.body and "Please replace the HDMI cable." in a.body
        assert "secret" not in a.body and "salary" not in a.body
        assert "ann@example.com" not in a.body  # no names or addresses, only what was said
        assert a.body.index("## Question") < a.body.index("## Answer")


def test_an_agents_small_talk_does_not_steer_suggestions(desk, crew):
    """"Working on it" and "tell us if it comes back" say nothing of the problem: an article
    that happens to say "working days" is not offered for a slow shared drive."""
    article(desk, crew.agent, "Send a device for repair", "Tell us the serial number; repairs take five working days.")
    article(desk, crew.agent, "Shared drive is slow", "Backups slow the shared drive in the afternoon.")
    n = ticket(desk, crew.agent, "Slow shared drive", "Opening files on the shared drive takes a minute.")
    desk.write(lambda s: add_agent_message(s, crew.agent, n, "Working on it. Tell us if it comes back."))
    assert suggested(desk, crew.agent, n) == ["Shared drive is slow"]


def test_a_suggestion_far_weaker_than_the_best_is_left_out(desk, crew):
    article(desk, crew.agent, "打印机卡纸怎么办", "打印机卡纸时打开后盖取出卡住的纸，尽快处理。")
    article(desk, crew.agent, "账号被锁定怎么办", "账号被锁定后请尽快修改密码。")
    n = ticket(desk, crew.agent, "打印机卡纸", "三楼的打印机每天早上都卡纸，麻烦尽快处理。")
    assert suggested(desk, crew.agent, n) == ["打印机卡纸怎么办"]


def test_a_draft_needs_a_public_conversation_and_an_agent(desk, crew):
    n = desk.write(lambda s: __import__("helpdesk.services.tickets.lifecycle", fromlist=["x"]).create_ticket(
        s, crew.agent, __import__("helpdesk.services.tickets.lifecycle", fromlist=["x"]).NewTicket(subject="Empty")).id)
    with pytest.raises(Invalid, match="no public conversation"):
        desk.write(lambda s: draft_from_ticket(s, crew.agent, n))
    m = ticket(desk, crew.agent, "x", "y")
    with pytest.raises(Forbidden):
        desk.write(lambda s: draft_from_ticket(s, crew.viewer, m))


def test_a_reply_with_an_article_sends_its_text_after_the_agents_words_and_counts_a_use(desk, crew):
    aid = article(desk, crew.agent, "Toner", "Open the cover and swap the toner.")
    n = ticket(desk, crew.agent, "Faint prints", "Prints are faint.")
    desk.write(lambda s: reply_with_article(s, crew.agent, n, aid, "Hi Ann,"))
    desk.write(lambda s: reply_with_article(s, crew.agent, n, aid))
    with desk.read() as s:
        bodies = [m.body for m in s.exec(select(Message).where(Message.ticket_id == n).order_by(Message.id))]
        assert bodies[1:] == ["Hi Ann,\n\nOpen the cover and swap the toner.", "Open the cover and swap the toner."]
        assert s.get(Article, aid).use_count == 2


def test_a_draft_or_archived_article_is_refused_and_nothing_is_sent(desk, crew):
    draft = article(desk, crew.agent, "Draft", "unfinished", state="draft")
    old = article(desk, crew.agent, "Old", "withdrawn", state="archived")
    n = ticket(desk, crew.agent, "Faint prints", "Prints are faint.")
    for aid, state in [(draft, "draft"), (old, "archived")]:
        with pytest.raises(Conflict, match=f"article {aid} is {state}"):
            desk.write(lambda s: reply_with_article(s, crew.agent, n, aid, "Hi"))
    with desk.read() as s:
        assert len(list(s.exec(select(Message).where(Message.ticket_id == n)))) == 1
        assert s.get(Article, draft).use_count == 0


def test_a_long_subject_makes_a_title_cut_to_fit(desk, crew):
    n = ticket(desk, crew.agent, "打印" * 200, "It jams.")
    aid = desk.write(lambda s: draft_from_ticket(s, crew.agent, n).id)
    with desk.read() as s:
        assert s.get(Article, aid).title == ("打印" * 200)[:300]
