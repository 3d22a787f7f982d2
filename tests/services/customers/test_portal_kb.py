"""The knowledge base as customers see it: published articles only, feedback, safe HTML."""

from __future__ import annotations

import pytest

from helpdesk.errors import NotFound
from helpdesk.models import Article
from helpdesk.services.customers import portal_kb
from helpdesk.services.customers.articles import publish_article
from helpdesk.services.customers.portal_kb import render_html, safe_url
from tests.services.customers.kb_support import article


def test_a_draft_is_not_found_until_published_and_internal_or_archived_never(desk, crew):
    draft = article(desk, crew.agent, "更换硒鼓", "硒鼓 steps", state="draft")
    internal = article(desk, crew.agent, "硒鼓 for agents", "硒鼓 internal", state="internal")
    archived = article(desk, crew.agent, "硒鼓 old", "硒鼓 old", state="archived")
    with desk.read() as s:
        for aid in (draft, internal, archived, 999):
            with pytest.raises(NotFound, match=f"no article {aid}$"):  # the same answer as for none at all
                portal_kb.show_published(s, aid)
        assert portal_kb.search_published(s, "硒鼓") == [] and portal_kb.list_published(s) == []
    desk.write(lambda s: publish_article(s, crew.agent, draft))
    with desk.read() as s:
        assert portal_kb.show_published(s, draft).title == "更换硒鼓"
        assert [a.id for a in portal_kb.search_published(s, "硒鼓")] == [draft]
        assert [a.id for a in portal_kb.list_published(s)] == [draft]


def test_feedback_counts_for_published_articles_only(desk, crew):
    aid = article(desk, crew.agent, "Toner", "swap it")
    hidden = article(desk, crew.agent, "Draft", "x", state="draft")
    desk.write(lambda s: portal_kb.record_feedback(s, aid, True))
    desk.write(lambda s: portal_kb.record_feedback(s, aid, True))
    desk.write(lambda s: portal_kb.record_feedback(s, aid, False))
    with pytest.raises(NotFound):
        desk.write(lambda s: portal_kb.record_feedback(s, hidden, True))
    with desk.read() as s:
        a = s.get(Article, aid)
        assert (a.helpful, a.not_helpful) == (2, 1)
        assert s.get(Article, hidden).helpful == 0


def test_list_published_by_category(desk, crew):
    article(desk, crew.agent, "A", "a", category="Printers")
    article(desk, crew.agent, "B", "b", category="VPN")
    with desk.read() as s:
        assert [a.title for a in portal_kb.list_published(s, category="printers")] == ["A"]


HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](java\tscript:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](javascript&colon;alert(1))",
    "[x](%6Aavascript:alert(1))",
    "[x](<javascript:alert(1)>)",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD4=)",
    "![x](data:image/svg+xml;base64,PHN2Zz4=)",
    "![x](javascript:alert(1))",
    '![x](https://x.cn/a.png "a\\" onerror=\\"alert(1)")',
    "<javascript:alert(1)>",
    "[r]: javascript:alert(1)\n\n[r]",
    "<iframe src=https://evil.cn></iframe>",
    '<svg onload="alert(1)">',
    "<style>body{display:none}</style>",
    "`<b>` and ```\n<script>\n```",
]


@pytest.mark.parametrize("markdown", HOSTILE)
def test_hostile_markdown_renders_to_no_tag_no_handler_and_no_dangerous_link(markdown):
    html = render_html(markdown).lower()
    for bad in ("<script", "<img src=x", "<iframe", "<svg", "<style", "onerror=\"", "onload=\"",
                'href="javascript', 'href="vbscript', 'href="data', 'src="data', 'src="javascript', 'href="&', "&#106;avascript:alert(1)\""):
        assert bad not in html, (markdown, html)
    assert "<a " not in html or 'href="https://' in html or 'href="mailto:' in html


def test_safe_markdown_keeps_its_links_headings_lists_and_images():
    html = render_html("# 更换硒鼓\n\n1. 打开[前盖](https://help.example.cn/cover)\n2. See [page 2](/kb/2) or "
                       "[mail](mailto:help@example.cn)\n\n![cover](https://help.example.cn/c.png)\n\n**注意**")
    assert "<h1>更换硒鼓</h1>" in html and "<ol>" in html and "<strong>注意</strong>" in html
    assert '<a href="https://help.example.cn/cover" rel="nofollow noopener noreferrer" target="_blank">前盖</a>' in html
    assert '<a href="/kb/2" rel="nofollow noopener noreferrer">page 2</a>' in html
    assert 'href="mailto:help@example.cn"' in html
    assert '<img src="https://help.example.cn/c.png" alt="cover" />' in html


def test_an_unsafe_link_stays_as_its_visible_text():
    assert render_html("[点这里](javascript:alert(1))").strip() == "<p>[点这里](javascript:alert(1))</p>"


@pytest.mark.parametrize("url,ok", [("https://a.cn", True), ("http://a.cn", True), ("mailto:a@b.cn", True),
                                    ("/kb/1", True), ("#top", True), ("kb/1?x=a:b", True), ("a/b:c", True),
                                    ("javascript:x", False), (" JAVASCRIPT:x", False), ("java\nscript:x", False),
                                    ("data:text/html,x", False), ("vbscript:x", False), ("file:///etc/passwd", False),
                                    ("javascript&colon;x", False)])
def test_safe_url(url, ok):
    assert safe_url(url) is ok
