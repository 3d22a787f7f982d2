"""Demo desk: three agents, two teams, ~40 contacts, ~200 tickets in English and Chinese.

Built through the same services as real work (so clocks, events and the search
index are right), then spread over the past weeks. Seeded: the same every time."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlmodel import Session

from helpdesk.models import Event, Message, Ticket, utcnow
from helpdesk.services.core.actors import SYSTEM, actor_of
from helpdesk.services.people import agents as agent_book
from helpdesk.services.people import contacts as contact_book
from helpdesk.services.tickets import conversation
from helpdesk.services.tickets.lifecycle import (
    NewTicket,
    TicketChanges,
    create_ticket,
    update_ticket,
)

ADMIN_EMAIL = "mei@demo.helpdesk"
AGENTS = [(ADMIN_EMAIL, "Mei Chen", "admin", "support"), ("tom@demo.helpdesk", "Tom Baker", "agent", "support"),
          ("li@demo.helpdesk", "Li Wei", "agent", "repairs")]
ORGS = [("Acme Corp", "vip"), ("Globex", None), ("星辰科技", "vip"), ("Initech", None), ("华联商贸", None)]
FIRST = ["Alice", "Bob", "Carol", "Dan", "Erin", "Frank", "Grace", "Heidi", "Ivan", "Judy", "Mallory", "Niaj",
         "Olivia", "Peggy", "Rupert", "Sybil", "Trent", "Victor", "Walter", "Yuki"]
CN_NAMES = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄丽", "周杰", "吴昊", "徐婷", "孙强",
            "马超", "朱琳", "胡军", "郭雪", "何平", "高峰", "林晓", "罗娟"]
EN_TOPICS = [
    ("Printer on floor 3 jams every morning", "The printer jams on the first job of the day. Paper is the usual A4.", "printer"),
    ("Cannot log in to the portal", "I reset my password twice and still get 'invalid credentials'.", "login"),
    ("Invoice shows the wrong VAT number", "Our invoice INV-2291 has last year's VAT number on it.", "billing"),
    ("Refund for a double charge", "I was charged twice for the March subscription. Please refund one.", "refund"),
    ("Laptop battery swelling", "The battery of my laptop is swelling and the touchpad lifts up.", "repair"),
    ("VPN disconnects every 10 minutes", "Since the update the VPN drops every ten minutes on Wi-Fi.", "vpn"),
    ("Request a new monitor", "Could I get a second monitor for the design work?", "hardware"),
    ("Email bounces from a customer domain", "Mail to our customer at globex bounces with 550 errors.", "email"),
    ("Warranty repair for a phone", "Screen flickers after two months; the phone is under warranty.", "warranty"),
    ("Slow shared drive", "Opening files on the shared drive takes over a minute.", "network"),
]
CN_TOPICS = [
    ("打印机卡纸", "三楼的打印机每天早上第一份文件就卡纸，麻烦尽快处理。", "printer"),
    ("申请退款", "三月份的订阅被重复扣费了两次，请退还其中一笔。", "refund"),
    ("发票抬头错误", "我们收到的发票抬头写错了公司名称，需要重新开具。", "billing"),
    ("笔记本电脑无法开机", "电脑昨晚还正常，今天按电源键没有任何反应。", "repair"),
    ("无法登录系统", "重置密码后仍然提示用户名或密码错误。", "login"),
    ("手机屏幕保修", "手机买了两个月屏幕闪烁，还在保修期内，请问如何送修？", "warranty"),
    ("网络很慢", "办公室下午网络特别慢，视频会议经常卡顿。", "network"),
    ("账号被锁定", "输错几次密码后账号被锁定了，请帮忙解锁。", "login"),
]
EN_REPLIES = ["Thanks for reporting this — I'm looking into it now.", "Could you send a photo or a screenshot?",
              "We have ordered the part; it should arrive in two days.", "This is fixed on our side, please try again."]
CN_REPLIES = ["收到，我们正在处理，请稍等。", "请提供一下设备的序列号。", "配件已经下单，预计两天内到货。", "问题已经解决，请再试一下。"]
CUSTOMER_FOLLOWUPS = ["Any update on this?", "It happened again this morning.", "还是不行，请再看一下。", "好的，谢谢！"]
STATUS_MIX = ["new"] * 4 + ["open"] * 6 + ["pending"] * 3 + ["on_hold"] * 1 + ["solved"] * 4 + ["closed"] * 3
PRIORITY_MIX = ["low"] * 2 + ["normal"] * 5 + ["high"] * 3 + ["urgent"] * 1
TICKETS = 200


def load(session: Session) -> str:
    """Load the demo desk once; a desk that already has tickets is left alone."""
    if session.execute(select(func.count()).select_from(Ticket)).scalar_one():
        return "skipped: the desk already has tickets"
    rng = random.Random(2026)
    admin = _people(session)
    agents = [actor_of(agent_book.get_agent(session, email)) for email, *_ in AGENTS]
    contacts = _contacts(session, admin, rng)
    now = utcnow()
    for n in range(TICKETS):
        _ticket(session, rng, agents, contacts, now - timedelta(minutes=rng.randint(10, 60 * 24 * 30)), n)
    return f"{len(AGENTS)} agents, {len(contacts)} contacts, {TICKETS} tickets"


def _people(session: Session):
    for name in ("support", "repairs"):
        if not agent_book.find_team(session, name):
            agent_book.add_team(session, SYSTEM, name)
    for email, name, role, team in AGENTS:
        if not agent_book.find_agent(session, email):
            agent_book.add_agent(session, SYSTEM, email, name, role, team)
    return actor_of(agent_book.get_agent(session, ADMIN_EMAIL))


def _contacts(session: Session, admin, rng: random.Random) -> list[tuple[str, bool]]:
    out = []
    for i in range(40):
        chinese = i % 2 == 1
        name = CN_NAMES[i // 2 % len(CN_NAMES)] if chinese else f"{FIRST[i // 2 % len(FIRST)]} {chr(65 + i % 26)}."
        org, tier = ORGS[i % len(ORGS)]
        email = f"customer{i + 1}@{'example.cn' if chinese else 'example.com'}"
        if not contact_book.find_contact(session, email):
            contact_book.add_contact(session, admin, email, name, org=org, phone=f"+86 138 0000 {i:04d}" if chinese else None)
            if tier:
                contact_book.get_or_create_org(session, org, tier)
        out.append((email, chinese))
    return out


def _ticket(session: Session, rng: random.Random, agents, contacts, created, n: int) -> None:
    email, chinese = contacts[n % len(contacts)]
    subject, body, tag = rng.choice(CN_TOPICS if chinese else EN_TOPICS)
    agent = rng.choice(agents)
    status = rng.choice(STATUS_MIX)
    ticket = create_ticket(session, agent, NewTicket(
        subject=subject, body=body, requester=email, priority=rng.choice(PRIORITY_MIX), tags=[tag],
        type=rng.choice(["question", "incident", "problem", "task"]), channel=rng.choice(["email", "phone", "chat", "web"]),
        assignee=None if status == "new" and rng.random() < 0.6 else agent.email,
        team="repairs" if tag in ("repair", "warranty", "printer") else "support", created_at=created,
    ))
    if status != "new":
        conversation.add_agent_message(session, agent, ticket.id, rng.choice(CN_REPLIES if chinese else EN_REPLIES))
        if rng.random() < 0.5:
            contact = contact_book.find_contact(session, email)
            conversation.add_customer_message(session, agent, ticket.id, contact, rng.choice(CUSTOMER_FOLLOWUPS))
        if rng.random() < 0.3:
            conversation.add_agent_message(session, agent, ticket.id, "Checked the logs; see attached notes.", kind="note")
        target = "solved" if status == "closed" else status
        if target != ticket.status:
            update_ticket(session, agent, ticket.id, TicketChanges(status=target))
        if status == "closed":
            from helpdesk.services.tickets.lifecycle import close_ticket

            close_ticket(session, agent, ticket.id)
    _spread_in_time(session, ticket.id, created, rng)


def _spread_in_time(session: Session, ticket_id: int, created, rng: random.Random) -> None:
    """Give messages and events believable times after the ticket was opened."""
    at, now = created, utcnow() - timedelta(minutes=rng.randint(1, 30))
    for message in session.execute(select(Message).where(Message.ticket_id == ticket_id).order_by(Message.id)).scalars():
        message.created_at = min(at, now)
        at += timedelta(minutes=rng.randint(5, 180))
    session.execute(update(Event).where(Event.ticket_id == ticket_id).values(at=min(at, now)))
    ticket = session.get(Ticket, ticket_id)
    ticket.updated_at = min(at, now)
    if ticket.first_response_at:
        ticket.first_response_at = created + timedelta(minutes=rng.randint(5, 240))
    for name in ("solved_at", "closed_at"):
        if getattr(ticket, name):
            setattr(ticket, name, ticket.updated_at)
    session.flush()
