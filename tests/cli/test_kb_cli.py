"""`helpdesk kb ...` and `ticket reply --article` as a user types them."""

from __future__ import annotations

import pytest


@pytest.fixture
def kb(staffed):
    """A staffed desk with one published article about toner and a draft."""
    r = staffed("kb", "add", "--title", "如何更换硒鼓", "--body", "# 更换硒鼓\n\n打开前盖，取出旧硒鼓。\n\n[bad](javascript:alert(1))",
                "--category", "打印机", "--json", who="bob@example.com")
    assert r.code == 0, r.err
    assert r.json()["state"] == "draft"
    assert staffed("kb", "publish", "1", who="bob@example.com").code == 0
    assert staffed("kb", "add", "--title", "硒鼓 draft", "--body", "硒鼓 unfinished", who="bob@example.com").code == 0
    return staffed


def test_search_finds_the_published_article_by_two_characters_and_a_longer_phrase(kb):
    for words in ("硒鼓", "旧硒鼓"):
        r = kb("kb", "search", words, "--json")
        assert r.code == 0 and [a["title"] for a in r.json()] == ["如何更换硒鼓"], r.err
    assert kb("kb", "search", "硒鼓", "--state", "draft", "--json").json()[0]["title"] == "硒鼓 draft"
    r = kb("kb", "search", "复印机")
    assert r.code == 0 and "no article matches" in r.err


def test_add_reads_the_body_from_stdin_and_internal_skips_the_draft(kb):
    r = kb("kb", "add", "--title", "VPN", "--body", "-", "--internal", "--json", who="bob@example.com", stdin="Reconnect.\n")
    assert r.code == 0 and r.json()["state"] == "internal" and r.json()["body"] == "Reconnect."


def test_list_filters_and_prints_csv_and_json(kb):
    r = kb("kb", "list", "--state", "published", "--csv")
    assert r.out.splitlines() == ["id,state,category,title,use_count,helpful,not_helpful,updated_at",
                                  r.out.splitlines()[1]] and r.out.splitlines()[1].startswith("1,published,打印机,如何更换硒鼓,0,0,0,")
    assert [a["id"] for a in kb("kb", "list", "--json").json()] == [2, 1]
    assert kb("kb", "list", "--category", "nothing").err.strip() == "no articles match"
    r = kb("kb", "list", "--state", "gone")
    assert r.code == 5 and "unknown state 'gone'" in r.err


def test_show_renders_markdown_and_never_a_script_link(kb):
    r = kb("kb", "show", "1")
    assert r.code == 0 and "如何更换硒鼓" in r.out and "# 更换硒鼓" not in r.out  # the heading is rendered
    assert "\x1b]8;" not in r.out  # no terminal hyperlink, javascript: or not
    data = kb("kb", "show", "1", "--json").json()
    assert data["body"].startswith("# 更换硒鼓") and data["state"] == "published"
    assert kb("kb", "show", "99").code == 3
    assert kb("kb", "show", "abc").code == 5


def test_edit_archive_and_roles(kb):
    r = kb("kb", "edit", "1", "--title", "更换硒鼓（新版）", "--json", who="bob@example.com")
    assert r.code == 0 and r.json()["changed"]["title"]["new"] == "更换硒鼓（新版）"
    assert kb("kb", "edit", "1", who="bob@example.com").code == 5  # nothing to change
    assert kb("agent", "add", "vic@example.com", "--name", "Vic", "--role", "viewer", who="ada@example.com").code == 0
    r = kb("kb", "publish", "2", who="vic@example.com")
    assert r.code == 6 and "only agents may write, publish or archive knowledge-base articles" in r.err
    assert kb("kb", "list", who="vic@example.com").code == 0  # viewers read
    r = kb("kb", "archive", "1", who="bob@example.com")
    assert r.code == 0 and "published -> archived" in r.err
    assert kb("kb", "search", "硒鼓", "--json").json() == []


def test_suggest_then_reply_with_the_article_counts_its_use(kb):
    kb("ticket", "create", "-s", "打印很淡", "--body", "是不是硒鼓没粉了？", "-r", "ann@example.com", who="bob@example.com")
    r = kb("kb", "suggest", "1", "--json")
    assert r.code == 0 and [a["id"] for a in r.json()] == [1]
    r = kb("ticket", "reply", "1", "--body", "您好，", "--article", "1", who="bob@example.com")
    assert r.code == 0, r.err
    messages = kb("ticket", "show", "1", "--json").json()["messages"]
    assert messages[-1]["body"].startswith("您好，\n\n# 更换硒鼓")
    assert kb("kb", "show", "1", "--json").json()["use_count"] == 1
    r = kb("ticket", "reply", "1", "--article", "2", who="bob@example.com")  # a draft
    assert r.code == 4 and "article 2 is draft" in r.err
    assert kb("ticket", "reply", "1", who="bob@example.com").code == 5  # neither --body nor --article


def test_from_ticket_makes_a_draft_without_internal_notes(kb):
    kb("ticket", "create", "-s", "Monitor flickers", "--body", "It flickers.", "-r", "ann@example.com", who="bob@example.com")
    kb("ticket", "note", "1", "--body", "internal: customer is difficult", who="bob@example.com")
    kb("ticket", "reply", "1", "--body", "Replace the cable.", who="bob@example.com")
    r = kb("kb", "from-ticket", "1", "--json", who="bob@example.com")
    assert r.code == 0, r.err
    body = r.json()["body"]
    assert "It flickers." in body and "Replace the cable." in body and "difficult" not in body
    assert r.json()["state"] == "draft" and r.json()["source_ticket"] == 1


def test_help_has_examples(kb):
    r = kb("kb", "add", "--help")
    assert r.code == 0 and "helpdesk kb add --title" in r.out
