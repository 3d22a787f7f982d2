"""Side conversations: mail with a third party about a ticket, apart from the customer's.

Threading back by headers and by the "[#N-Sk]" subject tag; the requester is never a
recipient; a third party's reply never touches the ticket (status, SLA, first response),
never mails the customer, never opens a ticket; permissions and bad addresses."""

from __future__ import annotations

from email import message_from_bytes as _parse
from email import policy

import pytest
from sqlmodel import select

from helpdesk.errors import Conflict, Forbidden, Invalid, NotFound
from helpdesk.models import Event, MailReceipt, Message, Notification, Outbox, SideMessage, SlaClock, Ticket
from helpdesk.services.collaboration.followers import follow
from helpdesk.services.core.settings import set_setting
from helpdesk.services.mail import sides
from helpdesk.services.mail.intake import ingest
from helpdesk.services.sla.loading import load_policies
from helpdesk.services.tickets.lifecycle import NewTicket, close_ticket, create_ticket, get_ticket
from helpdesk.services.tickets.listing import ticket_detail

DESK = "support@acme.test"
WAREHOUSE = "warehouse@example.com"
SLA = """
[calendars.always]
timezone = "UTC"
hours = "24x7"

[[policies]]
name = "All"
match = "status:new,open,pending,on_hold,solved"
calendar = "always"
first_response = "1h"
next_response = "1h"
resolution = "8h"
"""


@pytest.fixture(autouse=True)
def blobs(tmp_path, monkeypatch):
    monkeypatch.setenv("HELPDESK_ATTACHMENTS", str(tmp_path / "blobs"))


@pytest.fixture
def tid(desk, crew) -> int:
    """An email ticket from alice, answered once (so it is open, with a first response)."""
    desk.write(lambda s: set_setting(s, crew.admin, "mail.from", DESK))
    return desk.write(lambda s: create_ticket(s, crew.agent, NewTicket(
        subject="退货 order SO-1234", body="包裹还没发出，请拦截。", requester="alice@example.com")).id)


def mail(*, frm=f"Warehouse <{WAREHOUSE}>", subject="Re: stock", mid="w1@example.com", body="已拦截。",
         in_reply_to=None, references=None) -> bytes:
    lines = [f"From: {frm}", f"To: {DESK}", f"Subject: {subject}", f"Message-ID: <{mid}>"]
    if in_reply_to:
        lines.append(f"In-Reply-To: <{in_reply_to}>")
    if references:
        lines.append("References: " + " ".join(f"<{r}>" for r in references))
    lines += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit", "",
              body]
    return "\r\n".join(lines).encode("utf-8")


def start(desk, actor, tid, to=(WAREHOUSE,), body="请拦截订单 SO-1234 的包裹", subject=None):
    return desk.write(lambda s: sides.start_side(s, actor, tid, list(to), body, subject))[0].id


def message_from_bytes(raw: bytes):
    return _parse(raw, policy=policy.default)


def outbox(desk) -> list[Outbox]:
    with desk.read() as s:
        return list(s.exec(select(Outbox).order_by(Outbox.id)))


def detail(desk, tid) -> dict:
    with desk.read() as s:
        return ticket_detail(s, get_ticket(s, tid))


def test_start_mails_the_third_party_only_with_its_own_id_and_tag(desk, crew, tid):
    side = start(desk, crew.agent, tid, to=(WAREHOUSE, "Finance@Example.com, warehouse@example.com"),
                 subject="拦截 SO-1234")
    [row] = [r for r in outbox(desk) if r.kind == "side"]
    msg = message_from_bytes(row.raw)
    assert row.to_addr == f"{WAREHOUSE}, finance@example.com" and "alice" not in row.raw.decode("ascii", "replace")
    assert msg["To"] == f"{WAREHOUSE}, finance@example.com" and msg["Cc"] is None
    assert msg["Subject"] == f"[#{tid}-S{side}] 拦截 SO-1234"
    assert msg["Message-ID"] == f"<{row.mail_message_id}>"
    t = detail(desk, tid)
    [conv] = t["side_conversations"]
    assert (conv["id"], conv["subject"], conv["to"], conv["state"]) == (side, "拦截 SO-1234",
                                                                       [WAREHOUSE, "finance@example.com"], "open")
    [m] = conv["messages"]
    assert (m["direction"], m["author"], m["body"]) == ("out", "bob@example.com", "请拦截订单 SO-1234 的包裹")
    assert all("SO-1234 的包裹" not in x["body"] for x in t["messages"])  # not in the customer's conversation
    assert any(e["field"] == "side_conversation" and e["new"] == (
        f"side conversation #{side} with {WAREHOUSE}, finance@example.com started") for e in t["events"])


def test_the_requester_is_never_a_recipient(desk, crew, tid):
    before = outbox(desk)
    with pytest.raises(Invalid, match="requester") as err:
        start(desk, crew.agent, tid, to=(WAREHOUSE, "ALICE@example.com"))
    assert err.value.field == "to"
    side = start(desk, crew.agent, tid)
    with pytest.raises(Invalid, match="requester"):
        desk.write(lambda s: sides.write_side(s, crew.agent, tid, side, "cc the customer", ["alice@example.com"]))
    assert [r.kind for r in outbox(desk)] == [r.kind for r in before] + ["side"]


@pytest.mark.parametrize("bad", ["warehouse", "a@b", "two@x.com three@y.com", "<x@y.com>", "张@例子.中国", DESK])
def test_a_bad_address_is_refused_naming_it_and_nothing_is_written(desk, crew, tid, bad):
    with pytest.raises(Invalid) as err:
        start(desk, crew.agent, tid, to=(WAREHOUSE, bad))
    assert err.value.field == "to" and (bad.split()[0] in err.value.message or bad.lower() in err.value.message)
    assert detail(desk, tid)["side_conversations"] == [] and [r.kind for r in outbox(desk)].count("side") == 0


def test_only_agents_and_only_with_mail_set_up(desk, crew, tid):
    with pytest.raises(Forbidden):
        start(desk, crew.viewer, tid)
    desk.write(lambda s: set_setting(s, crew.admin, "mail.from", None))
    with pytest.raises(Invalid, match="mail.from"):
        start(desk, crew.agent, tid)
    with pytest.raises(NotFound):
        start(desk, crew.agent, 999)
    desk.write(lambda s: set_setting(s, crew.admin, "mail.from", DESK))
    with pytest.raises(Invalid, match="to"):
        start(desk, crew.agent, tid, to=())
    with pytest.raises(Invalid, match="body"):
        start(desk, crew.agent, tid, body="  \n")
    desk.write(lambda s: close_ticket(s, crew.agent, tid))
    with pytest.raises(Conflict, match="closed"):
        start(desk, crew.agent, tid)


def test_a_reply_by_headers_threads_in_and_the_ticket_does_not_move(desk, crew, tid):
    desk.write(lambda s: load_policies(s, crew.admin, SLA))
    side = start(desk, crew.agent, tid)
    [row] = [r for r in outbox(desk) if r.kind == "side"]
    with desk.read() as s:
        ticket = s.get(Ticket, tid)
        before = (ticket.status, ticket.version, ticket.first_response_at, ticket.updated_at)
        clocks = {(c.kind, c.state, c.due_at) for c in s.exec(select(SlaClock).where(SlaClock.ticket_id == tid))}
    queued = len(outbox(desk))
    result = desk.write(lambda s: ingest(s, mail(subject="Re: whatever", in_reply_to=row.mail_message_id,
                                                 body="已拦截 [bold]x[/bold]\n\n> 请拦截")))
    assert (result.ticket, result.action, result.reason) == (tid, "appended", f"side conversation #{side}")
    with desk.read() as s:
        ticket = s.get(Ticket, tid)
        assert (ticket.status, ticket.version, ticket.first_response_at, ticket.updated_at) == before
        assert {(c.kind, c.state, c.due_at) for c in s.exec(select(SlaClock).where(SlaClock.ticket_id == tid))} == clocks
        assert s.exec(select(Message).where(Message.ticket_id == tid)).all()[-1].body == "包裹还没发出，请拦截。"
        assert len(s.exec(select(Ticket)).all()) == 1
    assert len(outbox(desk)) == queued  # no mail to the customer, no acknowledgement
    [conv] = detail(desk, tid)["side_conversations"]
    back = conv["messages"][-1]
    assert (back["direction"], back["author"], back["body"], back["outsider"]) == (
        "in", WAREHOUSE, "已拦截 [bold]x[/bold]", False)


def test_a_reply_by_references_only_and_a_reply_to_a_reply(desk, crew, tid):
    side = start(desk, crew.agent, tid)
    [row] = [r for r in outbox(desk) if r.kind == "side"]
    desk.write(lambda s: ingest(s, mail(mid="w1@example.com", references=["x@else", row.mail_message_id])))
    desk.write(lambda s: ingest(s, mail(frm="Boss <boss@example.com>", mid="w2@example.com",
                                        in_reply_to="w1@example.com", body="我也看到了")))
    [conv] = detail(desk, tid)["side_conversations"]
    assert [(m["author"], m["outsider"]) for m in conv["messages"]] == [
        ("bob@example.com", False), (WAREHOUSE, False), ("boss@example.com", True)]
    assert conv["to"] == [WAREHOUSE]  # someone else answering does not become a participant
    assert conv["id"] == side


def test_by_subject_tag_when_the_headers_are_lost(desk, crew, tid):
    side = start(desk, crew.agent, tid)
    result = desk.write(lambda s: ingest(s, mail(subject=f"回复：【＃{tid}－S{side}】拦截", mid="w9@example.com")))
    assert (result.ticket, result.reason) == (tid, f"side conversation #{side}")
    # a tag naming a side conversation of another ticket is no thread: a new ticket
    other = desk.write(lambda s: ingest(s, mail(subject=f"Re: [#{tid + 1}-S{side}] x", mid="w10@example.com")))
    assert other.action == "created" and other.ticket != tid


def test_writing_again_threads_the_mail_and_reopens_a_closed_one(desk, crew, tid):
    side = start(desk, crew.agent, tid)
    desk.write(lambda s: ingest(s, mail(in_reply_to=[r for r in outbox(desk) if r.kind == "side"][0].mail_message_id)))
    assert desk.write(lambda s: sides.close_side(s, crew.agent, tid, side)) is True
    assert desk.write(lambda s: sides.close_side(s, crew.agent, tid, side)) is False
    desk.write(lambda s: sides.write_side(s, crew.agent, tid, side, "再确认一下", ["finance@example.com"]))
    last = [r for r in outbox(desk) if r.kind == "side"][-1]
    msg = message_from_bytes(last.raw)
    assert msg["In-Reply-To"] == "<w1@example.com>" and msg["Subject"].startswith(f"[#{tid}-S{side}] Re: ")
    assert last.to_addr == f"{WAREHOUSE}, finance@example.com"
    [conv] = detail(desk, tid)["side_conversations"]
    assert conv["state"] == "open" and conv["to"] == [WAREHOUSE, "finance@example.com"]
    desk.write(lambda s: sides.close_side(s, crew.agent, tid, side))
    desk.write(lambda s: ingest(s, mail(mid="w3@example.com", in_reply_to=last.mail_message_id)))
    assert detail(desk, tid)["side_conversations"][0]["state"] == "open"  # a reply opens it again
    with pytest.raises(NotFound):
        desk.write(lambda s: sides.write_side(s, crew.agent, tid, side + 1, "x"))


def test_a_reply_on_a_closed_ticket_still_files_there_and_opens_nothing(desk, crew, tid):
    start(desk, crew.agent, tid)
    mid = [r for r in outbox(desk) if r.kind == "side"][0].mail_message_id
    desk.write(lambda s: close_ticket(s, crew.agent, tid))
    result = desk.write(lambda s: ingest(s, mail(in_reply_to=mid)))
    assert (result.ticket, result.action) == (tid, "appended")
    with desk.read() as s:
        assert s.get(Ticket, tid).status == "closed" and len(s.exec(select(Ticket)).all()) == 1
        assert s.exec(select(MailReceipt.action)).all() == ["appended"]


def test_followers_hear_of_a_reply_and_the_customer_gets_nothing(desk, crew, tid):
    desk.write(lambda s: follow(s, crew.admin, tid))
    start(desk, crew.agent, tid)
    mid = [r for r in outbox(desk) if r.kind == "side"][0].mail_message_id
    desk.write(lambda s: ingest(s, mail(in_reply_to=mid)))
    with desk.read() as s:
        texts = [n.text for n in s.exec(select(Notification).where(Notification.agent_id == crew.admin.agent_id))]
        to_customer = [r for r in s.exec(select(Outbox)) if "alice@example.com" in r.to_addr and r.kind != "ack"]
        events = s.exec(select(Event).where(Event.ticket_id == tid, Event.field == "side_conversation")).all()
    assert any(f"side conversation #1: reply from {WAREHOUSE}" in t for t in texts)
    assert any("started" in t for t in texts)
    assert to_customer == []
    assert [e.actor for e in events] == ["bob@example.com", WAREHOUSE]


def test_attachments_of_a_reply_are_kept(desk, crew, tid, tmp_path):
    start(desk, crew.agent, tid)
    mid = [r for r in outbox(desk) if r.kind == "side"][0].mail_message_id
    raw = (f"From: {WAREHOUSE}\r\nTo: {DESK}\r\nSubject: Re: x\r\nMessage-ID: <a1@example.com>\r\n"
           f"In-Reply-To: <{mid}>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
           "--b\r\nContent-Type: text/plain\r\n\r\nsee the photo\r\n--b\r\nContent-Type: image/png\r\n"
           "Content-Disposition: attachment; filename=box.png\r\nContent-Transfer-Encoding: base64\r\n\r\n"
           "iVBORw0KGgo=\r\n--b--\r\n").encode()
    desk.write(lambda s: ingest(s, raw))
    with desk.read() as s:
        [m] = s.exec(select(SideMessage).where(SideMessage.direction == "in")).all()
    [a] = sides.message_json(m)["attachments"]
    assert (a["filename"], a["size"]) == ("box.png", 8) and a["path"]


def test_the_same_reply_delivered_twice_is_filed_once(desk, crew, tid):
    start(desk, crew.agent, tid)
    mid = [r for r in outbox(desk) if r.kind == "side"][0].mail_message_id
    assert desk.write(lambda s: ingest(s, mail(in_reply_to=mid))).action == "appended"
    again = desk.write(lambda s: ingest(s, mail(in_reply_to=mid)))
    assert (again.action, again.reason) == ("ignored", "duplicate")
    assert len(detail(desk, tid)["side_conversations"][0]["messages"]) == 2


def test_a_merge_moves_side_conversations_and_their_tag_still_threads(desk, crew, tid):
    from helpdesk.services.tickets.lifecycle import merge_tickets

    side = start(desk, crew.agent, tid)
    target = desk.write(lambda s: create_ticket(s, crew.agent, NewTicket(subject="same parcel", body="x",
                                                                         requester="alice@example.com")).id)
    desk.write(lambda s: merge_tickets(s, crew.agent, tid, target))
    assert detail(desk, tid)["side_conversations"] == []
    result = desk.write(lambda s: ingest(s, mail(subject=f"Re: [#{tid}-S{side}] x", mid="m1@example.com")))
    assert (result.ticket, result.reason) == (target, f"side conversation #{side}")
    [conv] = detail(desk, target)["side_conversations"]
    assert [m["direction"] for m in conv["messages"]] == ["out", "in"]


def test_search_finds_a_ticket_by_what_the_third_party_wrote(desk, crew, tid):
    """Agents look for the warehouse's words ("SF1234567", "已签收") and land on the ticket;
    after a merge the words lead to the ticket the conversation moved to."""
    from helpdesk.services.tickets.lifecycle import merge_tickets
    from helpdesk.services.tickets.listing import find_tickets

    def found(text: str) -> list[int]:
        with desk.read() as s:
            return [t.id for t in find_tickets(s, crew.agent, text).tickets]

    side = start(desk, crew.agent, tid, body="请确认快递单号")
    [row] = [r for r in outbox(desk) if r.kind == "side"]
    assert found("快递单号") == [tid]
    desk.write(lambda s: ingest(s, mail(in_reply_to=row.mail_message_id, body="顺丰单号 SF1234567，客户已签收。")))
    assert found("SF1234567") == [tid] and found("已签收") == [tid]
    target = desk.write(lambda s: create_ticket(s, crew.agent, NewTicket(subject="same parcel", body="x",
                                                                         requester="alice@example.com")).id)
    desk.write(lambda s: merge_tickets(s, crew.agent, tid, target))
    assert found("SF1234567") == [target]
    assert side
