"""@mentions in internal notes: who is named, notified and made a follower; what is only a warning."""

from __future__ import annotations

from helpdesk.services.collaboration.followers import followers_of
from helpdesk.services.collaboration.mentions import find_mentions
from helpdesk.services.tickets.conversation import add_agent_message
from tests.services.collaboration.collab_support import add_agents, events, notes_of, ticket


def names(text: str, keys) -> list[tuple[str, str | None]]:
    return [(m.written, m.key) for m in find_mentions(text, set(keys))]


def test_mentions_are_found_by_the_longest_agent_key_that_starts_there():
    keys = {"bob", "bob@example.com", "bob agent", "李伟", "李伟明", "li"}
    assert names("@bob 请看一下", keys) == [("bob", "bob")]
    assert names("请@李伟看一下，@李伟明也看看", keys) == [("李伟", "李伟"), ("李伟明", "李伟明")]
    assert names("cc @bob@example.com.", keys) == [("bob@example.com", "bob@example.com")]
    assert names("@Bob Agent, thanks", keys) == [("Bob Agent", "bob agent")]
    assert names("@bobby and @bob.", keys) == [("bobby", None), ("bob", "bob")]
    assert names("mail bob@example.com or @ alone", keys) == []  # an address is not a mention
    assert names("@王五请看", keys) == [("王五请看", None)]


def test_bob_is_told_of_a_chinese_note_and_follows_the_ticket(desk, crew):
    """The issue's acceptance: "@bob 请看一下" in a note."""
    n = ticket(desk, crew)
    desk.write(lambda s: add_agent_message(s, crew.admin, n, "@bob 请看一下", kind="note"))
    [note] = notes_of(desk, crew.agent)
    assert (note.kind, note.ticket_id, note.read_at) == ("mention", n, None)
    assert "请看一下" in note.text and "Ada Admin" in note.text
    with desk.read() as s:
        assert [a.email for a in followers_of(s, n)] == ["bob@example.com"]
    assert [e.new for e in events(desk, n, "follower")] == ["bob@example.com"]


def test_cjk_names_emails_and_local_parts_all_name_an_agent(desk, crew):
    li, wang = add_agents(desk, crew, ("li.wei@example.com", "李伟", "support"), ("wang@example.com", "王芳", None))
    n = ticket(desk, crew)
    desk.write(lambda s: add_agent_message(s, crew.agent, n, "@李伟请帮忙看看 @wang@example.com @admin.x", kind="note"))
    assert [x.kind for x in notes_of(desk, li)] == ["mention"]
    assert [x.kind for x in notes_of(desk, wang)] == ["mention"]
    [warning] = events(desk, n, "mention_warning")
    assert warning.new == "@admin.x" and "matches no agent" in warning.reason
    assert notes_of(desk, crew.admin) == []  # "admin.x" is not ada


def test_an_unknown_name_is_a_warning_and_the_note_is_still_saved(desk, crew):
    n = ticket(desk, crew)
    desk.write(lambda s: add_agent_message(s, crew.agent, n, "@nobody please look", kind="note"))
    assert notes_of(desk, crew.admin) == notes_of(desk, crew.agent) == []
    with desk.read() as s:
        assert followers_of(s, n) == []
    [warning] = events(desk, n, "mention_warning")
    assert warning.new == "@nobody" and warning.actor == "bob@example.com"
    assert events(desk, n, "note")  # the note itself was recorded


def test_a_public_reply_mentions_nobody_and_nobody_is_told_of_mentioning_themselves(desk, crew):
    n = ticket(desk, crew)
    desk.write(lambda s: add_agent_message(s, crew.admin, n, "@bob will call you", kind="reply"))
    desk.write(lambda s: add_agent_message(s, crew.agent, n, "@bob note to self, @bob again", kind="note"))
    assert notes_of(desk, crew.agent) == []
    assert events(desk, n, "follower") == [] and events(desk, n, "mention_warning") == []


def test_a_name_two_agents_share_is_a_warning_naming_how_to_fix_it(desk, crew):
    [robert] = add_agents(desk, crew, ("bob@other.example", "Robert", None))
    n = ticket(desk, crew)
    desk.write(lambda s: add_agent_message(s, crew.admin, n, "@bob?", kind="note"))
    [warning] = events(desk, n, "mention_warning")
    assert "2 agents" in warning.reason and "email" in warning.reason
    desk.write(lambda s: add_agent_message(s, crew.admin, n, "@bob@other.example?", kind="note"))
    assert notes_of(desk, crew.agent) == [] and [x.kind for x in notes_of(desk, robert)] == ["mention"]
