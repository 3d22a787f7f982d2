"""The portal over HTTP (Starlette's TestClient): identical answers for right and wrong
lookups, 404 for every bad link, 429, CSRF, headers, escaping, languages; GET writes nothing."""

from __future__ import annotations

import re
import warnings
from datetime import timedelta

import pytest
import time_machine
from portal_support import links_in, mailing, outbox, solve, ticket, token_of
from sqlalchemy import func, select

from helpdesk.models import Event, Message, Outbox, PortalHit, Rating, Survey, Ticket, utcnow
from helpdesk.services.customers.portal_links import make_token, revoke
from helpdesk.services.tickets.conversation import add_agent_message

warnings.filterwarnings("ignore", message=".*httpx.*")
from starlette.testclient import TestClient  # noqa: E402

from helpdesk.portal.app import create_app  # noqa: E402

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture
def portal(desk, crew):
    mailing(desk, crew.admin, portal__url="https://help.acme.test")
    return create_app(desk, base_url="http://testserver")


def client(portal, lang: str | None = None) -> TestClient:
    c = TestClient(portal, base_url="http://testserver")
    if lang:
        c.headers["Accept-Language"] = lang
    return c


def csrf(c: TestClient, path: str = "/") -> str:
    return CSRF.search(c.get(path).text).group(1)


def post(c: TestClient, path: str, data: dict, token: str | None = None, **kw):
    data = {"csrf": token if token is not None else csrf(c, path)} | data
    return c.post(path, data=data, follow_redirects=False, **kw)


def counts(desk) -> tuple:
    with desk.read() as s:
        return tuple(s.execute(select(func.count()).select_from(t)).scalar_one()
                     for t in (Event, Message, Outbox, PortalHit, Rating, Survey, Ticket))


def test_every_response_carries_the_protective_headers(portal):
    c = client(portal)
    for path in ("/", "/request", "/t/nope", "/survey/nope", "/healthz", "/static/portal.css", "/no/such/page"):
        r = c.get(path)
        assert r.headers["content-security-policy"].startswith("default-src 'none'"), path
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
        assert "form-action 'self'" in r.headers["content-security-policy"]
        assert (r.headers["referrer-policy"], r.headers["cache-control"], r.headers["x-content-type-options"]) == \
            ("no-referrer", "no-store", "nosniff"), path
    assert c.get("/healthz").text == "ok\n"


def test_right_and_wrong_lookups_answer_byte_for_byte_alike(desk, crew, portal):
    n = ticket(desk, crew.agent, "right@x.cn")
    c = client(portal)
    token = csrf(c)
    answers = []
    for number, email in ((n, "right@x.cn"), (n, "wrong@x.cn"), (99999, "right@x.cn")):
        r = post(c, "/", {"number": str(number), "email": email}, token)
        answers.append((r.status_code, sorted(r.headers.items()), r.content))
    assert answers[0] == answers[1] == answers[2]
    assert answers[0][0] == 200 and "set-cookie" not in dict(answers[0][1])
    [mail] = outbox(desk, "portal_link")
    assert mail.to_addr == "right@x.cn"
    assert token_of(links_in(mail)[0]) not in answers[0][2].decode()  # the link is mailed, never shown


def test_the_sixth_lookup_of_a_number_is_429_whatever_the_cookies(desk, crew, portal):
    n = ticket(desk, crew.agent)
    codes = []
    for i in range(6):
        c = client(portal)  # a fresh visitor each time: new cookies, new CSRF token
        codes.append(post(c, "/", {"number": str(n), "email": f"guess{i}@x.cn"}).status_code)
    assert codes == [200] * 5 + [429]
    with time_machine.travel(utcnow() + timedelta(minutes=11)):
        assert post(client(portal), "/", {"number": str(n), "email": "a@x.cn"}).status_code == 200


def test_a_post_without_the_csrf_token_is_refused_and_writes_nothing(desk, crew, portal):
    n = ticket(desk, crew.agent)
    before = counts(desk)
    c = client(portal)
    csrf(c)
    assert c.post("/", data={"number": str(n), "email": "alice@example.com"}).status_code == 403
    assert post(c, "/", {"number": str(n), "email": "alice@example.com"}, "forged-token-value-123456").status_code == 403
    bare = client(portal)  # a cross-site form: no cookie of ours
    assert bare.post("/request", data={"csrf": "x" * 32, "email": "a@x.cn", "subject": "s", "body": "b"}).status_code == 403
    link = desk.write(lambda s: make_token(s, n))
    assert c.post(f"/t/{link}", data={"body": "hi"}).status_code == 403
    assert counts(desk) == before


def test_gets_never_write(desk, crew, portal):
    n = ticket(desk, crew.agent)
    solve(desk, crew.agent, n)
    page_link = desk.write(lambda s: make_token(s, n))
    survey_link = desk.write(lambda s: make_token(s, n, "s"))
    before = counts(desk)
    c = client(portal)
    for path in ("/", "/request", f"/t/{page_link}", f"/survey/{survey_link}?r=good", f"/survey/{survey_link}?r=bad",
                 "/healthz", "/?number=1&email=a@x.cn"):
        assert c.get(path).status_code == 200, path
    assert counts(desk) == before


def test_every_bad_link_is_the_same_404(desk, crew, portal):
    a, b = ticket(desk, crew.agent), ticket(desk, crew.agent, "bob@example.com")
    good = desk.write(lambda s: make_token(s, a))
    expiring = desk.write(lambda s: make_token(s, b))
    revoked = desk.write(lambda s: make_token(s, b))
    c = client(portal)
    assert c.get(f"/t/{good}").status_code == 200
    desk.write(lambda s: revoke(s, crew.agent, b))
    flipped = good[:-3] + ("A" if good[-3] != "A" else "B") + good[-2:]
    wrong_ticket = good.replace(f"t.{a}.", f"t.{b}.", 1)
    with time_machine.travel(utcnow() + timedelta(days=31)):
        expired = c.get(f"/t/{expiring}")
    answers = [c.get(f"/t/{t}") for t in (flipped, wrong_ticket, revoked, "garbage", good.replace("t.", "s.", 1))]
    answers.append(expired)
    answers.append(c.post(f"/t/{flipped}", data={"body": "x"}))
    assert {(r.status_code, r.content) for r in answers} == {(404, answers[0].content)}


def test_outside_text_is_shown_as_text(desk, crew, portal):
    n = ticket(desk, crew.agent, subject='"><img src=x onerror=alert(1)>', body="<script>alert(1)</script>")
    desk.write(lambda s: add_agent_message(s, crew.agent, n, "<b>bold</b> & javascript:alert(1)"))
    page = client(portal).get("/t/" + desk.write(lambda s: make_token(s, n))).text
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img" not in page and "&lt;img src=x" in page and "<b>bold" not in page
    assert 'href="javascript' not in page


def test_notes_and_other_tickets_never_show(desk, crew, portal):
    n = ticket(desk, crew.agent)
    other = ticket(desk, crew.agent, "bob@example.com", body="Bob's invoice 4711")
    desk.write(lambda s: add_agent_message(s, crew.agent, n, "INTERNAL: refund denied", kind="note"))
    page = client(portal).get("/t/" + desk.write(lambda s: make_token(s, n))).text
    assert "It smokes." in page and "INTERNAL" not in page and "invoice 4711" not in page and f"#{other}" not in page


def test_a_reply_from_the_page_reopens_a_solved_ticket(desk, crew, portal):
    n = ticket(desk, crew.agent)
    solve(desk, crew.agent, n)
    link = desk.write(lambda s: make_token(s, n))
    c = client(portal)
    r = post(c, f"/t/{link}", {"body": "还是不行 <i>really</i>"})
    assert r.status_code == 303 and r.headers["location"] == f"/t/{link}?done=reply_sent"
    page = c.get(r.headers["location"]).text
    assert "Your reply was added." in page and "还是不行 &lt;i&gt;really&lt;/i&gt;" in page
    with desk.read() as s:
        assert s.get(Ticket, n).status == "open"
    empty = post(c, f"/t/{link}", {"body": "  "})
    assert empty.status_code == 400 and "Please fill this in." in empty.text


def test_the_request_form_shows_errors_then_opens_a_ticket(desk, portal):
    c = client(portal, "zh-CN,zh;q=0.9,en;q=0.8")
    bad = post(c, "/request", {"name": "王芳", "email": "nope", "subject": "", "body": "内容"}, csrf(c, "/request"))
    assert bad.status_code == 400 and "请输入有效的邮箱地址。" in bad.text and "请填写此项。" in bad.text
    assert 'value="王芳"' in bad.text  # what was typed is kept
    ok = post(c, "/request", {"name": "王芳", "email": "wang@example.cn", "subject": "打印机卡纸", "body": "每天早上"},
              csrf(c, "/request"))
    assert ok.status_code == 200 and "工单已创建" in ok.text
    with desk.read() as s:
        assert s.execute(select(Ticket.channel)).scalars().all() == ["web"]
    assert [m.to_addr for m in outbox(desk, "web_ack")] == ["wang@example.cn"]


def test_pages_speak_chinese_or_english_by_accept_language(portal):
    assert "查询工单进度" in client(portal, "zh-CN,zh;q=0.9").get("/").text
    assert 'lang="zh-CN"' in client(portal, "zh-TW").get("/").text
    assert "Track your request" in client(portal, "en-US,en;q=0.9,zh;q=0.8").get("/").text
    assert "Track your request" in client(portal, "fr").get("/").text


def test_the_survey_page_preselects_and_records_only_on_post(desk, crew, portal):
    n = ticket(desk, crew.agent)
    solve(desk, crew.agent, n)
    link = desk.write(lambda s: make_token(s, n, "s"))
    c = client(portal)
    page = c.get(f"/survey/{link}?r=bad").text
    assert re.search(r'value="bad" checked', page) and not re.search(r'value="good" checked', page)
    with desk.read() as s:
        assert s.get(Rating, n) is None
    r = post(c, f"/survey/{link}", {"rating": "good", "comment": "<b>快</b>", "nps": "9"}, csrf(c, f"/survey/{link}"))
    assert r.status_code == 303
    thanks = c.get(r.headers["location"]).text
    assert "Thank you for your rating" in thanks and "&lt;b&gt;快&lt;/b&gt;" in thanks
    with desk.read() as s:
        row = s.get(Rating, n)
        assert (row.rating, row.comment, row.nps, row.source) == ("good", "<b>快</b>", 9, "portal")
    nothing = post(c, f"/survey/{link}", {"rating": "", "nps": "12"}, csrf(c, f"/survey/{link}"))
    assert nothing.status_code == 400
    # a ticket link does not open the survey, nor the other way round
    assert c.get("/survey/" + desk.write(lambda s: make_token(s, n, "t"))).status_code == 404
    assert c.get(f"/t/{link}").status_code == 404


def test_a_closed_ticket_cannot_be_rated_from_the_page(desk, crew, portal):
    from helpdesk.services.tickets.lifecycle import close_ticket

    n = ticket(desk, crew.agent)
    solve(desk, crew.agent, n)
    link = desk.write(lambda s: make_token(s, n, "s"))
    c = client(portal)
    token = csrf(c, f"/survey/{link}")
    desk.write(lambda s: close_ticket(s, crew.agent, n))
    assert "can no longer be rated" in c.get(f"/survey/{link}").text
    assert post(c, f"/survey/{link}", {"rating": "good"}, token).status_code == 409


def test_no_files_or_exports_are_reachable(portal):
    c = client(portal)
    for path in ("/static/../db.py", "/static/portal.css/../../app.py", "/static/", "/export", "/templates/base.html",
                 "/%2e%2e/%2e%2e/etc/passwd", "/t/../healthz/../../etc/passwd", "/attachments/1"):
        assert c.get(path).status_code == 404, path


def test_a_large_form_is_refused(portal):
    c = client(portal)
    r = post(c, "/request", {"body": "x" * 100_000, "email": "a@x.cn", "subject": "s"}, csrf(c, "/request"))
    assert r.status_code == 413
