"""Assets on SQLite and PostgreSQL: unique serials, warranty, expiring, repair history,
tickets linked with --asset, the query language, and the worker's notice sent once."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
import time_machine

from helpdesk.errors import Conflict, Invalid, NotFound
from helpdesk.services.customers.assets import (
    AssetFields,
    add_asset,
    asset_detail,
    expiring,
    get_asset,
    list_assets,
    update_asset,
)
from helpdesk.services.customers.notices import send_warranty_notices
from helpdesk.services.tickets.lifecycle import NewTicket, TicketChanges, create_ticket, update_ticket
from helpdesk.services.tickets.listing import find_tickets, ticket_detail

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=timezone.utc)  # today is 2026-12-07 in UTC


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def test_serials_are_one_asset_whatever_the_case_and_spaces(desk, crew):
    desk.write(lambda s: add_asset(s, crew.agent, " ab-1 ", "ThinkPad X1"))
    with pytest.raises(Conflict, match="'ab-1' already exists.*'AB-1'"):
        desk.write(lambda s: add_asset(s, crew.agent, "AB-1", "Other"))
    with pytest.raises(Conflict):
        desk.write(lambda s: add_asset(s, crew.agent, "ＡＢ-1"))  # full-width, as a Chinese input method types it
    with desk.read() as s:
        assert get_asset(s, "Ab-1").serial == "ab-1"
        assert list_assets(s)[1] == 1


def test_bad_input_names_the_field_and_writes_nothing(desk, crew):
    cases = [
        ({"serial": "  "}, "serial"),
        ({"serial": "X1", "warranty_months": 12}, "warranty_months"),  # months need a purchase date
        ({"serial": "X1", "purchased": "2026-02-30"}, "purchased"),
        ({"serial": "X1", "purchased": "2026-01-01", "warranty_months": 12, "warranty_end": "2027-01-01"}, "warranty"),
        ({"serial": "X1", "purchased": "2026-05-01", "warranty_end": "2026-04-01"}, "warranty_end"),
        ({"serial": "X1", "purchased": "2027-01-01"}, "purchased"),  # in the future
        ({"serial": "X1", "owner": "not-an-email"}, "owner"),
        ({"serial": "X1", "status": "lost"}, "status"),
    ]
    for kw, field in cases:
        serial = kw.pop("serial")
        with pytest.raises(Invalid) as caught:
            desk.write(lambda s: add_asset(s, crew.agent, serial, **kw))
        assert caught.value.field == field, kw
    with desk.read() as s:
        assert list_assets(s)[1] == 0


def test_viewers_cannot_add_assets(desk, crew):
    from helpdesk.errors import Forbidden

    with pytest.raises(Forbidden):
        desk.write(lambda s: add_asset(s, crew.viewer, "V-1"))


def test_expiring_lists_eleven_months_old_with_twelve_months_warranty_only(desk, crew):
    def make(s):
        add_asset(s, crew.agent, "ELEVEN", purchased=date(2026, 1, 7), warranty_months=12)  # ends 2027-01-06
        add_asset(s, crew.agent, "THIRTEEN", purchased=date(2025, 11, 7), warranty_months=12)  # expired
        add_asset(s, crew.agent, "TEN", purchased=date(2026, 2, 7), warranty_months=12)  # 61 days left
        add_asset(s, crew.agent, "RETIRED", purchased=date(2026, 1, 7), warranty_months=12, status="retired")

    desk.write(make)
    with desk.read() as s:
        assert [a.serial for a in expiring(s, 30)] == ["ELEVEN"]
        assert {a.serial for a in expiring(s, 61)} == {"ELEVEN", "TEN"}
        detail = asset_detail(s, "eleven")
    assert (detail["warranty"], detail["warranty_end"], detail["days_left"]) == ("in", "2027-01-06", 30)


def test_two_worker_runs_send_the_notice_once_and_a_new_end_date_is_told_again(desk, crew):
    from helpdesk.services.core import notifications

    desk.write(lambda s: add_asset(s, crew.agent, "ELEVEN", "HP M404", owner="ann@acme.com",
                                   purchased=date(2026, 1, 7), warranty_months=12))
    desk.write(lambda s: add_asset(s, crew.agent, "TEN", purchased=date(2026, 2, 7), warranty_months=12))
    first = desk.write(lambda s: send_warranty_notices(s))
    second = desk.write(lambda s: send_warranty_notices(s))
    assert (first["assets"], second["assets"]) == (1, 0)
    with desk.read() as s:
        notes = notifications.recent(s, crew.admin.agent_id)  # no ticket yet: the admins are told
    assert [n.kind for n in notes] == ["warranty"]
    assert "ELEVEN (HP M404), owner ann@acme.com ends 2027-01-06 (in 30 days)" in notes[0].text
    desk.write(lambda s: update_asset(s, crew.agent, "eleven", AssetFields(warranty_end="2027-01-02")))
    assert desk.write(lambda s: send_warranty_notices(s))["assets"] == 1  # a corrected end date: told again


def test_the_notice_goes_to_the_assignee_of_the_assets_latest_ticket(desk, crew):
    from helpdesk.services.core import notifications

    desk.write(lambda s: add_asset(s, crew.agent, "ELEVEN", purchased=date(2026, 1, 7), warranty_months=12))
    desk.write(lambda s: create_ticket(s, crew.agent, NewTicket(subject="Jams", asset="eleven",
                                                                 assignee="bob@example.com")))
    assert desk.write(lambda s: send_warranty_notices(s)) == {"assets": 1, "notifications": 1}
    with desk.read() as s:
        assert [n.kind for n in notifications.recent(s, crew.agent.agent_id)] == ["warranty"]
        assert notifications.recent(s, crew.admin.agent_id) == []


def test_asset_notice_days_setting_widens_the_window(desk, crew):
    from helpdesk.services.core.settings import set_setting

    desk.write(lambda s: add_asset(s, crew.agent, "TEN", purchased=date(2026, 2, 7), warranty_months=12))
    assert desk.write(lambda s: send_warranty_notices(s))["assets"] == 0
    desk.write(lambda s: set_setting(s, crew.admin, "asset.notice_days", "90"))
    assert desk.write(lambda s: send_warranty_notices(s))["assets"] == 1


def test_the_last_day_is_in_warranty_in_the_desks_time_zone(desk, crew):
    from helpdesk.services.core.settings import set_setting

    desk.write(lambda s: add_asset(s, crew.agent, "LAST", warranty_end="2026-12-07"))
    with desk.read() as s:
        assert asset_detail(s, "last")["warranty"] == "in"
    desk.write(lambda s: set_setting(s, crew.admin, "desk.timezone", "Pacific/Kiritimati"))  # UTC+14: already the 8th
    with desk.read() as s:
        assert asset_detail(s, "last")["warranty"] == "expired"


def test_tickets_link_an_asset_and_show_it_and_the_repair_history_is_newest_first(desk, crew):
    desk.write(lambda s: add_asset(s, crew.agent, "SN-1", "ThinkPad", purchased=date(2026, 1, 7), warranty_months=12))
    with time_machine.travel(datetime(2026, 12, 1, tzinfo=timezone.utc), tick=False):
        older = desk.write(lambda s: create_ticket(s, crew.agent, NewTicket(subject="Old fault", asset="sn-1")).id)
    newer = desk.write(lambda s: create_ticket(s, crew.agent, NewTicket(subject="No asset yet")).id)
    diff = desk.write(lambda s: update_ticket(s, crew.agent, newer, TicketChanges(asset=" SN-1 ")))
    assert diff == {"asset": (None, "SN-1")}
    with desk.read() as s:
        detail = asset_detail(s, "sn-1")
        shown = ticket_detail(s, s.get(__import__("helpdesk.models").models.Ticket, newer))
    assert [t["id"] for t in detail["repair_history"]] == [newer, older] and detail["repairs"] == 2
    assert shown["asset"] == {"serial": "SN-1", "model": "ThinkPad", "warranty": "in", "warranty_end": "2027-01-06"}
    assert shown["events"][-1]["field"] == "asset"
    assert desk.write(lambda s: update_ticket(s, crew.agent, newer, TicketChanges(asset=None))) == {"asset": ("SN-1", None)}
    with pytest.raises(NotFound, match="no asset with serial 'NOPE'"):
        desk.write(lambda s: update_ticket(s, crew.agent, older, TicketChanges(asset="NOPE")))


def test_query_language_finds_tickets_by_asset_and_warranty(desk, crew):
    def make(s):
        add_asset(s, crew.agent, "IN-1", warranty_end="2027-06-30")
        add_asset(s, crew.agent, "OUT-1", warranty_end="2026-01-01")
        add_asset(s, crew.agent, "UNK-1")
        return [create_ticket(s, crew.agent, NewTicket(subject=f"about {a}", asset=a)).id for a in ("in-1", "out-1", "unk-1")] \
            + [create_ticket(s, crew.agent, NewTicket(subject="no asset")).id]

    a_in, a_out, a_unknown, none = desk.write(make)

    def ids(text):
        with desk.read() as s:
            return {t.id for t in find_tickets(s, crew.agent, text).tickets}

    assert ids("asset:in-1") == {a_in} and ids('asset:" IN-1 "') == {a_in}
    assert ids("warranty:in") == {a_in} and ids("warranty:expired") == {a_out}
    assert ids("warranty:unknown") == {a_unknown} and ids("warranty:in,expired") == {a_in, a_out}
    assert ids("-warranty:expired") == {a_in, a_unknown, none}
    assert ids("asset:none") == {none}
    with pytest.raises(Invalid, match="unknown warranty state 'soon'"):
        ids("warranty:soon")


def test_update_asset_changes_and_records_each_field(desk, crew):
    from sqlalchemy import select

    from helpdesk.models import Event

    desk.write(lambda s: add_asset(s, crew.agent, "SN-2", purchased="2026-01-01", warranty_months=12))
    diff = desk.write(lambda s: update_asset(s, crew.agent, "sn-2", AssetFields(
        status="in repair", org="Acme", warranty_months=24)))
    assert diff["status"] == ("active", "in_repair") and diff["org"] == (None, "Acme")
    assert diff["warranty_end"] == (date(2026, 12, 31), date(2027, 12, 31))
    with desk.read() as s:
        fields = [e.field for e in s.execute(select(Event).where(Event.entity == "asset")).scalars()]
    assert fields[0] == "created" and {"status", "org", "warranty_months", "warranty_end"} <= set(fields)
    with pytest.raises(Conflict):
        desk.write(lambda s: (add_asset(s, crew.agent, "SN-3"), update_asset(s, crew.agent, "sn-3", AssetFields(serial="SN-2"))))
    with desk.read() as s:
        assert list_assets(s)[1] == 1  # the refused change left nothing, not even SN-3


def test_asset_list_filters(desk, crew):
    def make(s):
        add_asset(s, crew.agent, "A-1", "ThinkPad X1", owner="ann@acme.com", org="Acme", warranty_end="2027-01-01")
        add_asset(s, crew.agent, "B-1", "HP M404", org="Globex", warranty_end="2026-01-01")
        add_asset(s, crew.agent, "C-1", "ThinkPad T14")

    desk.write(make)
    with desk.read() as s:
        def serials(q):
            return [a.serial for a in list_assets(s, q)[0]]

        assert serials("thinkpad") == ["A-1", "C-1"]
        assert serials("org:acme") == ["A-1"] and serials("owner:ann@acme.com") == ["A-1"]
        assert serials("warranty:expired") == ["B-1"] and serials("warranty:unknown") == ["C-1"]
        assert serials("thinkpad warranty:in") == ["A-1"]
        with pytest.raises(Invalid):
            serials("warranty:later")
