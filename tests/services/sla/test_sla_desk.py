"""The SLA desk's set-up and its notifications."""

from __future__ import annotations

from helpdesk.services.core import notifications
from sla_support import sla_desk, utc  # noqa: F401  (sla_desk is a fixture)


# --- tests of the set-up itself and of notifications ---------------------------------


def test_policies_are_stored_and_first_match_wins(sla_desk):
    vip = sla_desk.create(utc(2026, 1, 5, 9), requester="vip@acme.example", priority="urgent")
    urgent = sla_desk.create(utc(2026, 1, 5, 9), priority="urgent", tags=["berlin"])
    berlin = sla_desk.create(utc(2026, 1, 5, 9), tags=["berlin"])
    plain = sla_desk.create(utc(2026, 1, 5, 9))
    assert [sla_desk.ticket(t).sla_policy for t in (vip, urgent, berlin, plain)] == ["VIP", "Urgent", "Berlin", "Office"]


def test_notifications_unread_since_and_mark_read(sla_desk):
    tid = sla_desk.create(utc(2026, 1, 5, 9))
    me, other = sla_desk.agent.agent_id, sla_desk.mate.agent_id

    def add(s):
        return [notifications.notify(s, me, tid, "sla.warning", f"note {i}") for i in range(3)] + [
            notifications.notify(s, other, tid, "sla.warning", "not yours")]

    sla_desk.at(utc(2026, 1, 5, 10), add)
    with sla_desk.desk.read() as s:
        mine = notifications.unread(s, me)
        assert [n.text for n in mine] == ["note 0", "note 1", "note 2"]
        assert [n.text for n in notifications.unread(s, me, since_id=mine[0].id)] == ["note 1", "note 2"]
    changed = sla_desk.at(utc(2026, 1, 5, 11), lambda s: notifications.mark_read(
        s, me, [mine[0].id, mine[1].id, mine[1].id + 100]))
    assert changed == 2
    assert [n.text for n in sla_desk.notes_of(sla_desk.agent)] == ["note 2"]
    assert sla_desk.at(utc(2026, 1, 5, 11), lambda s: notifications.mark_read(s, other, [mine[2].id])) == 0
    assert [n.text for n in sla_desk.notes_of(sla_desk.mate)] == ["not yours"]
