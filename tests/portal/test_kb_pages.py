"""The portal's help center: published articles only, CJK search, safe Markdown, feedback on POST."""

from __future__ import annotations

import re
import warnings

import pytest
from portal_support import mailing

from helpdesk.models import Article
from tests.services.customers.kb_support import article

warnings.filterwarnings("ignore", message=".*httpx.*")
from starlette.testclient import TestClient  # noqa: E402

from helpdesk.portal.app import create_app  # noqa: E402

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture
def portal(desk, crew):
    mailing(desk, crew.admin)
    return create_app(desk, base_url="http://testserver")


@pytest.fixture
def articles(desk, crew):
    return {
        "toner": article(desk, crew.agent, "更换硒鼓", "打印机提示**硒鼓**寿命将尽时，按以下步骤更换。"),
        "draft": article(desk, crew.agent, "硒鼓回收 draft", "内部草稿", state="draft"),
        "internal": article(desk, crew.agent, "硒鼓 internal", "只给客服看", state="internal"),
        "hostile": article(desk, crew.agent, "<script>alert(1)</script> VPN",
                           "[click](javascript:alert(1)) and <img src=x onerror=alert(1)>"),
    }


def test_only_published_articles_are_listed_found_and_shown(portal, articles):
    c = TestClient(portal)
    listing = c.get("/kb").text
    assert "更换硒鼓" in listing and "draft" not in listing and "internal" not in listing
    found = c.get("/kb", params={"q": "硒鼓"}).text
    assert f'href="/kb/{articles["toner"]}"' in found and "内部草稿" not in found
    assert "更换硒鼓" in c.get("/kb", params={"q": "换硒鼓"}).text  # one character longer
    assert "No article matches" in c.get("/kb", params={"q": "!!!"}).text
    page = c.get(f"/kb/{articles['toner']}")
    assert page.status_code == 200 and "<strong>硒鼓</strong>" in page.text
    missing = c.get("/kb/99999")
    for hidden in ("draft", "internal"):
        r = c.get(f"/kb/{articles[hidden]}")
        assert (r.status_code, r.content) == (404, missing.content)
    assert c.get("/kb/abc").status_code == 404


def test_outside_text_in_an_article_is_never_markup(portal, articles):
    text = TestClient(portal).get(f"/kb/{articles['hostile']}").text
    assert "<script>alert(1)</script>" not in text and "&lt;script&gt;" in text
    assert 'href="javascript' not in text and "click" in text  # the link's text stays, as text
    assert "<img" not in text


def test_feedback_is_counted_on_post_with_csrf_only(portal, articles, desk):
    c = TestClient(portal)
    aid = articles["toner"]
    token = CSRF.search(c.get(f"/kb/{aid}").text).group(1)
    assert c.post(f"/kb/{aid}", data={"helpful": "yes"}, follow_redirects=False).status_code == 403
    done = c.post(f"/kb/{aid}", data={"csrf": token, "helpful": "yes"}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"/kb/{aid}?done=1"
    assert "Thank you for your feedback" in c.get(done.headers["location"]).text
    c.post(f"/kb/{aid}", data={"csrf": token, "helpful": "no"}, follow_redirects=False)
    draft = c.post(f"/kb/{articles['draft']}", data={"csrf": token, "helpful": "yes"}, follow_redirects=False)
    assert draft.status_code == 404
    with desk.read() as s:
        toner, hidden = s.get(Article, aid), s.get(Article, articles["draft"])
        assert (toner.helpful, toner.not_helpful, hidden.helpful) == (1, 1, 0)


def test_the_help_center_speaks_chinese_to_a_chinese_browser(portal, articles):
    c = TestClient(portal, headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert "帮助中心" in c.get("/kb").text and 'href="/kb"' in c.get("/").text
