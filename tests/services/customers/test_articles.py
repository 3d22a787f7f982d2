"""Knowledge-base articles: states, roles, edits, the CJK search, what each state lets be found."""

from __future__ import annotations

import pytest
from sqlmodel import select

from helpdesk.errors import Conflict, Forbidden, Invalid, NotFound
from helpdesk.models import Article, Event
from helpdesk.services.customers import articles as kb
from tests.services.customers.kb_support import article


def titles(found) -> list[str]:
    return [a.title for a in found]


def test_an_article_about_toner_is_found_by_a_two_character_word_and_a_longer_phrase(desk, crew):
    article(desk, crew.agent, "如何更换硒鼓", "打印颜色很淡时，打开前盖，取出旧硒鼓，装入新的硒鼓。", category="打印机")
    article(desk, crew.agent, "VPN 连接断开", "Reconnect the VPN client 客户端 after the password change.")
    with desk.read() as s:
        assert titles(kb.search_articles(s, crew.viewer, "硒鼓")) == ["如何更换硒鼓"]
        assert titles(kb.search_articles(s, crew.viewer, "旧硒鼓")) == ["如何更换硒鼓"]  # one character longer
        assert titles(kb.search_articles(s, crew.viewer, "换硒鼓")) == ["如何更换硒鼓"]  # in the title
        assert titles(kb.search_articles(s, crew.viewer, "硒鼓粉")) == []  # not in the text
        assert titles(kb.search_articles(s, crew.viewer, "vpn 客户端")) == ["VPN 连接断开"]  # mixed scripts
        assert titles(kb.search_articles(s, crew.viewer, "passw")) == ["VPN 连接断开"]  # a Latin word is a prefix


def test_drafts_and_archived_articles_never_appear_in_search(desk, crew):
    article(desk, crew.agent, "硒鼓 draft", "硒鼓 unfinished", state="draft")
    gone = article(desk, crew.agent, "硒鼓 archived", "硒鼓 old model", state="archived")
    article(desk, crew.agent, "硒鼓 internal", "硒鼓 for agents", state="internal")
    article(desk, crew.agent, "硒鼓 published", "硒鼓 for everyone")
    with desk.read() as s:
        assert sorted(titles(kb.search_articles(s, crew.agent, "硒鼓"))) == ["硒鼓 internal", "硒鼓 published"]
        assert titles(kb.search_articles(s, crew.agent, "硒鼓", states=("draft",))) == ["硒鼓 draft"]
    desk.write(lambda s: kb.publish_article(s, crew.agent, gone))  # back from the archive
    with desk.read() as s:
        assert "硒鼓 archived" in titles(kb.search_articles(s, crew.agent, "硒鼓"))


def test_a_title_hit_ranks_above_a_body_hit(desk, crew):
    article(desk, crew.agent, "Printer offline", "Check the cable. The toner is not the cause.")
    article(desk, crew.agent, "Toner replacement", "Open the front cover and swap the cartridge.")
    with desk.read() as s:
        assert titles(kb.search_articles(s, crew.viewer, "toner")) == ["Toner replacement", "Printer offline"]


def test_editing_reindexes_bumps_the_version_and_records_each_field(desk, crew):
    aid = article(desk, crew.agent, "Old title", "about staplers")
    diff = desk.write(lambda s: kb.edit_article(s, crew.agent, aid, title="Stapler jams", body="about 订书机", category="Office"))
    assert set(diff) == {"title", "body", "category"}
    with desk.read() as s:
        a = s.get(Article, aid)
        assert (a.title, a.category, a.version) == ("Stapler jams", "Office", 3)  # 1 created, 2 published, 3 edited
        assert titles(kb.search_articles(s, crew.viewer, "订书机")) == ["Stapler jams"]
        assert kb.search_articles(s, crew.viewer, "staplers") == []
        fields = [e.field for e in s.exec(select(Event).where(Event.entity == "article", Event.entity_id == aid))]
        assert fields == ["created", "state", "title", "body", "category"]
    with pytest.raises(Conflict, match="changed since version 2"):
        desk.write(lambda s: kb.edit_article(s, crew.agent, aid, title="x", if_version=2))
    assert desk.write(lambda s: kb.edit_article(s, crew.agent, aid, title="Stapler jams")) == {}  # no change, no version
    desk.write(lambda s: kb.edit_article(s, crew.agent, aid, category=""))  # "" clears
    with desk.read() as s:
        assert s.get(Article, aid).category is None


def test_viewers_read_agents_write_and_publish(desk, crew):
    with pytest.raises(Forbidden, match="only agents may write, publish or archive knowledge-base articles; vic@example.com is viewer"):
        desk.write(lambda s: kb.add_article(s, crew.viewer, "T", "B"))
    aid = article(desk, crew.agent, "T", "B", state="draft")
    assert desk.write(lambda s: kb.publish_article(s, crew.agent, aid)) == {"state": ("draft", "published")}
    assert desk.write(lambda s: kb.publish_article(s, crew.agent, aid)) == {}  # already
    with pytest.raises(Forbidden):
        desk.write(lambda s: kb.archive_article(s, crew.viewer, aid))
    with desk.read() as s:
        assert kb.read_article(s, crew.viewer, aid).state == "published"
        assert [a.id for a in kb.list_articles(s, crew.viewer, state="published")] == [aid]


def test_bad_input_names_the_field_and_writes_nothing(desk, crew):
    for kwargs, field in [({"title": " ", "body": "x"}, "title"), ({"title": "x", "body": "\n \n"}, "body"),
                          ({"title": "x" * 301, "body": "x"}, "title")]:
        with pytest.raises(Invalid) as caught:
            desk.write(lambda s: kb.add_article(s, crew.agent, **kwargs))
        assert caught.value.field == field
    with pytest.raises(Invalid, match="unknown state 'gone'"):
        desk.write(lambda s: kb.set_state(s, crew.agent, 1, "gone"))
    with pytest.raises(NotFound, match="no article 99"):
        desk.write(lambda s: kb.publish_article(s, crew.agent, 99))
    with pytest.raises(Invalid, match="no letters or digits"):
        with desk.read() as s:
            kb.search_articles(s, crew.agent, "!!!")
    with desk.read() as s:
        assert kb.list_articles(s, crew.agent) == []


def test_list_filters_by_category_case_insensitively_and_by_state(desk, crew):
    article(desk, crew.agent, "A", "a", category="Printers")
    article(desk, crew.agent, "B", "b", category="VPN", state="draft")
    article(desk, crew.agent, "C", "c", category="printers", state="archived")
    with desk.read() as s:
        assert sorted(titles(kb.list_articles(s, crew.viewer, category="PRINTERS"))) == ["A", "C"]
        assert titles(kb.list_articles(s, crew.viewer, state="draft")) == ["B"]
        with pytest.raises(Invalid, match="use draft, internal, published, archived"):
            kb.list_articles(s, crew.viewer, state="live")
