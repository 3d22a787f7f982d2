"""`helpdesk portal link|revoke` and `helpdesk ticket rate` from the shell."""

from __future__ import annotations

from helpdesk.db import open_desk
from helpdesk.services.customers.portal_links import open_token


def setup(cli):
    cli("agent", "add", "ada@example.com", "--name", "Ada", "--role", "admin")
    cli("ticket", "create", "-s", "Printer on fire", "--requester", "alice@example.com", who="ada@example.com")


def opens(db_path, token):
    desk = open_desk(db_path)
    try:
        with desk.read() as s:
            return open_token(s, token)
    finally:
        desk.close()


def test_portal_link_prints_a_working_link_and_revoke_withdraws_it(cli, db_path):
    setup(cli)
    r = cli("portal", "link", "#1", "--url", "https://help.acme.test", who="ada@example.com")
    assert r.code == 0 and r.out.startswith("https://help.acme.test/t/t.1.0."), r.err
    token = r.out.strip().rsplit("/", 1)[1]
    assert opens(db_path, token) == 1
    r = cli("portal", "revoke", "1", "--json", who="ada@example.com")
    assert r.code == 0 and r.json() == {"ticket": 1, "generation": 1}
    assert opens(db_path, token) is None
    fresh = cli("portal", "link", "1", "--json", who="ada@example.com").json()
    assert fresh["link"].startswith("http://127.0.0.1:8080/t/t.1.1.")  # default portal.url


def test_portal_link_errors(cli):
    setup(cli)
    assert cli("portal", "link", "99", who="ada@example.com").code == 3
    assert cli("portal", "link", "abc", who="ada@example.com").code == 5
    cli("agent", "add", "vic@example.com", "--name", "Vic", "--role", "viewer", who="ada@example.com")
    assert cli("portal", "link", "1", who="vic@example.com").code == 6  # viewers give no links


def test_ticket_rate_by_phone(cli):
    setup(cli)
    r = cli("ticket", "rate", "1", "good", who="ada@example.com")
    assert r.code == 4 and "not been solved" in r.err
    cli("ticket", "update", "1", "--status", "solved", who="ada@example.com")
    r = cli("ticket", "rate", "1", "good", "--comment", "电话回访：满意", "--nps", "10", "--json", who="ada@example.com")
    assert r.code == 0, r.err
    assert {k: r.json()[k] for k in ("rating", "comment", "nps", "source")} == \
        {"rating": "good", "comment": "电话回访：满意", "nps": 10, "source": "agent"}
    assert r.json()["taken_by_id"] is not None
    assert cli("ticket", "rate", "1", "meh", who="ada@example.com").code == 5
    assert cli("ticket", "rate", "1", "bad", who="ada@example.com").out.strip() == "#1 rated bad (taken by phone)"


def test_portal_help_has_examples(cli):
    r = cli("portal", "--help")
    assert r.code == 0 and "helpdesk portal link 42" in r.out and "127.0.0.1" in r.out
    assert "helpdesk ticket rate 42 good" in cli("ticket", "rate", "--help").out


def test_the_signing_key_is_never_shown_or_set(cli):
    setup(cli)
    cli("portal", "link", "1", who="ada@example.com")  # makes the key
    listed = cli("config", "get", "--json", who="ada@example.com")
    assert listed.code == 0 and "portal.signing_key" not in listed.json()
    assert cli("config", "get", "portal.signing_key", who="ada@example.com").code == 5
    assert cli("config", "set", "portal.signing_key", "guessable", who="ada@example.com").code == 5
