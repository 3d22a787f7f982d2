"""Request types on the portal's request form: a customer picks a type the desk offers
there and answers its fields, checked by the same rules as `ticket create --field`;
agents-only fields and internal types stay out of sight."""

from __future__ import annotations

import html
from urllib.parse import urlencode
import warnings

import pytest
from portal_support import mailing
from sqlalchemy import func, select

from helpdesk.errors import Invalid
from helpdesk.models import Ticket
from helpdesk.request_types import load_types
from helpdesk.services.types.catalog import load_types_file

warnings.filterwarnings("ignore", message=".*httpx.*")
from starlette.testclient import TestClient  # noqa: E402

from helpdesk.portal.app import create_app  # noqa: E402
from tests.portal.test_http import csrf, post  # noqa: E402

TYPES = """
[[types]]
name = "退货退款"
description = "电商退货退款"
portal = true

[[types.fields]]
key = "order_no"
label = "订单号"
required = true

[[types.fields]]
key = "refund_amount"
label = "退款金额"
kind = "number"
min = 0
max = 5000

[[types.fields]]
key = "reason"
kind = "choice"
options = ["质量问题", "发错货", "不想要了"]

[[types.fields]]
key = "pickup_date"
kind = "date"

[[types.fields]]
key = "faults"
kind = "multi"
options = ["屏幕", "电池", "其他"]

[[types.fields]]
key = "opened"
kind = "bool"

[[types.fields]]
key = "refund_txn_id"
required_for = ["solved"]
portal = false

[[types]]
name = "Internal audit"
[[types.fields]]
key = "auditor"
"""


@pytest.fixture
def portal(desk, crew):
    mailing(desk, crew.admin, portal__url="https://help.acme.test")
    desk.write(lambda s: load_types_file(s, crew.admin, TYPES))
    return create_app(desk, base_url="http://testserver")


def client(portal) -> TestClient:
    c = TestClient(portal, base_url="http://testserver")
    c.headers["Accept-Language"] = "zh-CN"
    return c


def tickets(desk) -> int:
    with desk.read() as s:
        return s.execute(select(func.count()).select_from(Ticket)).scalar_one()


BASE = {"name": "王芳", "email": "wang@example.cn", "subject": "退货：尺码不对", "body": "鞋子尺码不对，想退货。"}


def test_the_form_offers_only_portal_types_and_asks_only_their_portal_fields(portal):
    c = client(portal)
    page = c.get("/request").text
    assert "退货退款" in page and "Internal audit" not in page
    assert 'name="field.order_no"' not in page  # no type chosen: the plain form
    typed = html.unescape(c.get("/request", params={"type": "退货退款"}).text)
    for key in ("order_no", "refund_amount", "reason", "pickup_date", "faults", "opened"):
        assert f'name="field.{key}"' in typed, key
    assert "refund_txn_id" not in typed  # finance fills it in
    assert 'type="date"' in typed and "(≥ 0, ≤ 5000)" in typed and 'type="checkbox"' in typed
    internal = c.get("/request", params={"type": "Internal audit"}).text
    assert "auditor" not in internal and "请从列出的类型中选择" in internal


def test_a_typed_request_is_refused_per_field_and_nothing_is_written(desk, portal):
    c = client(portal)
    answers = {"type": "退货退款", "field.refund_amount": "abc", "field.reason": "其他", "field.pickup_date": "3月5日",
               "field.opened": "maybe"}
    r = post(c, "/request", BASE | answers, csrf(c, "/request"))
    assert r.status_code == 400
    page = r.text
    for code in ("请填写此项", "请输入数字", "请从列出的选项中选择", "请输入日期", "请选择是或否"):
        assert code in page, code
    assert 'value="abc"' in page and "鞋子尺码不对" in page  # what was typed stays, to correct
    assert tickets(desk) == 0
    over = post(c, "/request", BASE | {"type": "退货退款", "field.order_no": "JD1", "field.refund_amount": "9000"},
                csrf(c, "/request"))
    assert over.status_code == 400 and "超出了所示范围" in over.text and tickets(desk) == 0


def test_a_typed_request_becomes_a_typed_ticket(desk, portal):
    c = client(portal)
    answers = {"type": "退货退款", "field.order_no": " JD20261207001 ", "field.refund_amount": "199.50",
               "field.reason": "发错货", "field.pickup_date": "2026-12-09", "field.opened": "no",
               "field.refund_txn_id": "forged", "field.auditor": "me"}
    data = {"csrf": csrf(c, "/request")} | BASE | answers
    data = list(data.items()) + [("field.faults", "屏幕"), ("field.faults", "电池")]  # two ticked boxes
    r = c.post("/request", content=urlencode(data), follow_redirects=False,
               headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 200, r.text
    with desk.read() as s:
        ticket = s.execute(select(Ticket)).scalar_one()
        assert (ticket.type, ticket.channel) == ("退货退款", "web")
        assert ticket.fields == {"order_no": "JD20261207001", "refund_amount": "199.5", "reason": "发错货",
                                 "pickup_date": "2026-12-09", "faults": "屏幕, 电池", "opened": "false"}


def test_an_unknown_or_internal_type_is_refused_without_naming_the_desks_types(desk, portal):
    c = client(portal)
    for name in ("Internal audit", "no such type"):
        r = post(c, "/request", BASE | {"type": name, "field.auditor": "x"}, csrf(c, "/request"))
        assert r.status_code == 400 and "请从列出的类型中选择" in r.text
        assert "Internal audit" not in r.text
    assert tickets(desk) == 0


def test_a_plain_request_still_works_beside_the_types(desk, portal):
    c = client(portal)
    assert post(c, "/request", BASE, csrf(c, "/request")).status_code == 200
    with desk.read() as s:
        assert s.execute(select(Ticket.type)).scalar_one() is None


def test_a_portal_type_cannot_hide_a_field_it_requires():
    bad = TYPES.replace('key = "order_no"\nlabel = "订单号"\nrequired = true',
                        'key = "order_no"\nlabel = "订单号"\nrequired = true\nportal = false')
    with pytest.raises(Invalid) as exc:
        load_types(bad)
    assert "'order_no' is required on create" in str(exc.value) and "line 5" in str(exc.value)
    with pytest.raises(Invalid, match="portal must be true or false"):
        load_types(TYPES.replace("portal = true", 'portal = "yes"'))


def test_the_request_page_shows_the_customers_answers_and_never_the_agents_fields(desk, crew, portal):
    from helpdesk.services.customers.portal_links import make_token
    from helpdesk.services.tickets.lifecycle import TicketChanges, update_ticket

    c = client(portal)
    answers = {"type": "退货退款", "field.order_no": "JD20261207001", "field.reason": "发错货"}
    assert post(c, "/request", BASE | answers, csrf(c, "/request")).status_code == 200
    with desk.read() as s:
        n = s.execute(select(Ticket.id)).scalar_one()
    desk.write(lambda s: update_ticket(s, crew.agent, n, TicketChanges(fields={"refund_txn_id": "TXN-SECRET-9"})))
    page = c.get(f"/t/{desk.write(lambda s: make_token(s, n))}").text
    assert "订单号" in page and "JD20261207001" in page and "发错货" in page
    assert "TXN-SECRET-9" not in page and "refund_txn_id" not in page
