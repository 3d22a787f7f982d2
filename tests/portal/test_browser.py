"""The portal's main paths in a real browser: headless Chromium from Debian's packages,
driven with Playwright (never a browser download), against the portal served by uvicorn
on a loopback port over a temporary desk.

Skipped only when the browser is missing on a developer's machine; with CI=true a
missing browser fails. HELPDESK_SCREENSHOTS=DIR saves the status page there
(docs/screenshots/portal-status.png in the README comes from this test)."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select
from portal_support import links_in, mailing, outbox, solve, token_of

from helpdesk.db import open_desk
from helpdesk.models import Rating, Ticket
from helpdesk.services.core.actors import ANONYMOUS, actor_of
from helpdesk.services.people import agents
from helpdesk.services.tickets.conversation import add_agent_message
from helpdesk.services.tickets.lifecycle import NewTicket, TicketChanges, create_ticket, update_ticket

CHROMIUM = os.environ.get("HELPDESK_CHROMIUM", "/usr/bin/chromium")
TYPES = (Path(__file__).resolve().parents[2] / "data" / "types.example.toml").read_text(encoding="utf-8")


def _browser_or_skip():
    missing = None
    try:
        from playwright.sync_api import sync_playwright  # noqa: F401
    except ImportError:
        missing = "the playwright package is not installed"
    if missing is None and not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        missing = f"no Chromium at {CHROMIUM} (apt-get install chromium fonts-noto-cjk)"
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests cannot run in CI: {missing}")
        pytest.skip(missing)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A desk with a staged ticket, and the portal on 127.0.0.1:PORT in a thread."""
    _browser_or_skip()
    import uvicorn

    from helpdesk.portal.app import create_app
    from helpdesk.services.types.catalog import load_types_file
    from helpdesk.services.types.stages import move_stage

    desk = open_desk(str(tmp_path_factory.mktemp("portal") / "desk.db"))

    def make(s):
        agents.add_agent(s, ANONYMOUS, "ada@example.com", "Ada Admin")
        admin = actor_of(agents.get_agent(s, "ada@example.com"))
        for team in ("support", "warehouse", "finance", "repairs", "purchasing"):
            agents.add_team(s, admin, team)
        li = actor_of(agents.add_agent(s, admin, "li@example.com", "李伟", "agent", "warehouse"))
        load_types_file(s, admin, TYPES)
        return admin, li

    admin, li = desk.write(make)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    mailing(desk, admin, portal__url=base, desk__name="Acme 客服")

    def staged(s):
        t = create_ticket(s, li, NewTicket(
            subject="退货退款：订单 TB-1001 发错货", type="退货退款", requester="wang.fang@example.cn",
            requester_name="王芳", body="收到的是黑色款，我订的是白色。请安排退货退款。",
            fields={"order_no": "TB-1001", "refund_amount": "99.90", "reason": "发错货"}))
        add_agent_message(s, li, t.id, "王女士您好，非常抱歉发错了颜色。快递员明天上午上门取件，取件后我们会立即安排退款。")
        add_agent_message(s, li, t.id, "内部：仓库核对批次 B-77 标签贴错", kind="note")
        move_stage(s, li, t.id, "仓储拦截")
        update_ticket(s, li, t.id, TicketChanges(status="pending"))
        return t.id

    number = desk.write(staged)
    server = uvicorn.Server(uvicorn.Config(create_app(desk, base_url=base), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)  # waiting for the server thread to listen, not for time to pass
    yield {"desk": desk, "base": base, "number": number, "li": li, "admin": admin}
    server.should_exit = True
    thread.join(10)
    desk.close()


@pytest.fixture(scope="module")
def browser(site):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"], headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN", extra_http_headers={"Accept-Language": "zh-CN,zh;q=0.9"},
                                  viewport={"width": 900, "height": 1100})
    yield context.new_page()
    context.close()


def test_track_then_open_the_mailed_link_and_reply(site, page):
    desk, number = site["desk"], site["number"]
    page.goto(site["base"] + "/")
    assert page.locator("h1").inner_text() == "查询工单进度"
    page.fill("#number", str(number))
    page.fill("#email", "wang.fang@example.cn")
    page.click("button[type=submit]")
    assert "查看链接已发往该邮箱" in page.locator(".notice").inner_text()
    assert "/t/" not in page.content()  # never shown, only mailed
    [mail] = outbox(desk, "portal_link")
    link = links_in(mail)[0]
    page.goto(link)
    assert page.locator("h1.subject").inner_text() == "退货退款：订单 TB-1001 发错货"
    assert page.locator(".facts .status").inner_text() == "等待您的回复"
    assert page.locator(".stages .current .label").inner_text() == "仓储拦截"
    text = page.locator(".conversation").inner_text()
    assert "快递员明天上午上门取件" in text and "批次 B-77" not in text
    if os.environ.get("HELPDESK_SCREENSHOTS"):
        target = Path(os.environ["HELPDESK_SCREENSHOTS"]) / "portal-status.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(target), full_page=True)
    page.fill("#body", "好的，明天上午家里有人。<script>alert(1)</script>")
    page.click("form.card button[type=submit]")
    assert page.locator(".notice").first.inner_text() == "您的回复已添加。"
    assert page.locator(".post.customer").last.locator(".body").inner_text() == \
        "好的，明天上午家里有人。<script>alert(1)</script>"
    with desk.read() as s:
        assert s.get(Ticket, number).status == "open"  # the customer answered: back to the desk


def test_a_bad_link_is_not_found(site, page):
    response = page.goto(site["base"] + "/t/t.1.0.9999999999.forged")
    assert response.status == 404 and page.locator("h1").inner_text() == "页面不存在"


def test_the_request_form(site, page):
    page.goto(site["base"] + "/request")
    page.fill("#name", "Zhang San")
    page.fill("#email", "not an address")
    page.fill("#subject", "VPN 连不上")
    page.fill("#body", "从昨天开始 VPN 一直连不上。")
    # the browser's own check would stop a bad address: send the form as a script-less client would
    page.eval_on_selector("form[method=post]", "f => f.noValidate = true")
    page.click("form[method=post] button[type=submit]")
    assert page.locator("#email-error").inner_text() == "请输入有效的邮箱地址。"
    assert page.input_value("#subject") == "VPN 连不上"
    page.fill("#email", "zhang.san@example.cn")
    page.click("form[method=post] button[type=submit]")
    assert "工单已创建" in page.locator(".notice").inner_text()
    [ack] = outbox(site["desk"], "web_ack")
    page.goto(links_in(ack)[0])
    assert page.locator("h1.subject").inner_text() == "VPN 连不上"


def test_a_typed_request_from_the_picker_to_the_ticket(site, page):
    """The shipped 退货退款 type, picked without any script: its fields appear with their
    widgets, a wrong amount is shown at its field, then the ticket holds the answers."""
    page.goto(site["base"] + "/request")
    page.select_option("#type", "退货退款")
    page.click("form.picker button")
    assert page.locator("#field-pickup_date").get_attribute("type") == "date"
    assert page.locator("#field-refund_txn_id").count() == 0  # agents only
    page.fill("#email", "li.lei@example.cn")
    page.fill("#subject", "退货：尺码不对")
    page.fill("#body", "鞋子尺码不对。")
    page.fill("#field-order_no", "JD20261207001")
    page.fill("#field-refund_amount", "abc")
    page.select_option("#field-reason", "发错货")
    page.click("form[method=post] button[type=submit]")
    assert page.locator("[id='field.refund_amount-error']").inner_text() == "请输入数字。"
    assert page.input_value("#field-order_no") == "JD20261207001"
    page.fill("#field-refund_amount", "199.5")
    page.fill("#field-pickup_date", "2026-12-09")
    page.click("form[method=post] button[type=submit]")
    assert "工单已创建" in page.locator(".notice").inner_text()
    with site["desk"].read() as s:
        ticket = s.execute(select(Ticket).where(Ticket.subject == "退货：尺码不对")).scalar_one()
    assert ticket.type == "退货退款" and ticket.fields["refund_amount"] == "199.5"
    assert ticket.fields["pickup_date"] == "2026-12-09" and ticket.fields["reason"] == "发错货"


def test_the_survey_link_preselects_and_records_on_submit(site, page):
    desk = site["desk"]

    def solved_ticket(s):
        return create_ticket(s, site["li"], NewTicket(subject="Mouse broken", requester="wang.fang@example.cn",
                                                      body="The left button sticks.")).id

    n = desk.write(solved_ticket)
    solve(desk, site["li"], n)
    from helpdesk.services.customers.portal_links import make_token

    token = desk.write(lambda s: make_token(s, n, "s"))
    page.goto(f"{site['base']}/survey/{token}?r=good")
    assert page.is_checked("input[value=good]") and not page.is_checked("input[value=bad]")
    with desk.read() as s:
        assert s.get(Rating, n) is None  # opening the link rates nothing
    page.check("input[value=bad]")
    page.fill("#comment", "等了三天")
    page.select_option("#nps", "4")
    page.click("button[type=submit]")
    assert "感谢您的评价" in page.locator(".notice").inner_text()
    with desk.read() as s:
        row = s.get(Rating, n)
        assert (row.rating, row.comment, row.nps) == ("bad", "等了三天", 4)
    assert token_of(page.url) == token



def test_a_missing_browser_fails_in_ci_and_skips_elsewhere(monkeypatch):
    import sys

    monkeypatch.setattr(sys.modules[__name__], "CHROMIUM", "/nonexistent/chromium")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="cannot run in CI"):
        _browser_or_skip()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="no Chromium"):
        _browser_or_skip()
