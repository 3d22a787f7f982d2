"""Write commands with --json print the ticket after the change plus `changed`, so scripts chain --if-version."""

from __future__ import annotations

import json
import os
import subprocess
import sys

BOB = "bob@example.com"

TICKET_KEYS = {"id", "subject", "status", "priority", "type", "channel", "requester", "organization", "assignee",
               "team", "tags", "fields", "external_id", "created_at", "updated_at", "first_response_at",
               "solved_at", "closed_at", "sla", "version", "changed", "asset"}


def create(cli, *args) -> int:
    r = cli("ticket", "create", "--quiet", *args, who=BOB)
    assert r.code == 0, r.err
    return int(r.out)


def version(cli, n: int) -> int:
    return cli("ticket", "show", str(n), "--json").json()["version"]


def run(cli, *args):
    r = cli("ticket", *args, "--json", who=BOB)
    assert r.code == 0, r.err
    return r.json()


def test_update_prints_the_ticket_with_its_new_version_and_what_changed(staffed):
    n = create(staffed, "-s", "Printer", "-t", "old")
    before = version(staffed, n)
    t = run(staffed, "update", str(n), "--priority", "high", "--add-tag", "new", "--field", "serial=X-1")
    assert set(t) == TICKET_KEYS | {"merged_into"}
    assert t["version"] > before and t["version"] == version(staffed, n)
    assert t["changed"] == {"priority": {"old": "normal", "new": "high"}, "tags": {"old": ["old"], "new": ["new", "old"]},
                            "field.serial": {"old": None, "new": "X-1"}}
    assert (t["priority"], t["tags"], t["fields"]) == ("high", ["new", "old"], {"serial": "X-1"})


def test_update_of_several_prints_tickets_and_no_change_keeps_the_version(staffed):
    a, b = create(staffed, "-s", "A", "-p", "high"), create(staffed, "-s", "B")
    va, vb = version(staffed, a), version(staffed, b)
    data = run(staffed, "update", str(a), str(b), "--priority", "high")
    assert [(t["id"], t["version"], t["changed"]) for t in data["tickets"]] == [
        (a, va, {}), (b, vb + 1, {"priority": {"old": "normal", "new": "high"}})]


def test_reply_shows_the_message_and_the_status_it_moved(staffed):
    n = create(staffed, "-s", "VPN")
    before = version(staffed, n)
    t = run(staffed, "reply", str(n), "--body", "Try again")
    shown = staffed("ticket", "show", str(n), "--json").json()
    assert t["message"] == {"id": shown["messages"][-1]["id"], "kind": "reply"}
    assert t["version"] == shown["version"] > before
    assert set(t["changed"]) == {"reply", "first_response_at", "status"}
    assert t["changed"]["status"] == {"old": "new", "new": "open"} and t["status"] == "open"
    assert t["changed"]["first_response_at"]["new"] == t["first_response_at"]  # ISO 8601, as in the ticket


def test_note_changes_no_status(staffed):
    n = create(staffed, "-s", "VPN")
    t = run(staffed, "note", str(n), "--body", "on 5GHz")
    assert t["message"]["kind"] == "note" and t["status"] == "new"
    assert t["changed"] == {"note": {"old": None, "new": "7 characters"}}


def test_close_then_reopen(staffed):
    a, b = create(staffed, "-s", "A"), create(staffed, "-s", "B")
    one = run(staffed, "close", str(a))
    assert one["status"] == "closed" and one["changed"] == {"status": {"old": "new", "new": "closed"}}
    many = run(staffed, "close", str(a), str(b))["tickets"]
    assert [(t["id"], t["changed"]) for t in many] == [(a, {}), (b, {"status": {"old": "new", "new": "closed"}})]
    assert many[0]["version"] == one["version"]  # already closed: nothing written
    back = run(staffed, "reopen", str(a))
    assert back["version"] > one["version"] and back["changed"] == {"status": {"old": "closed", "new": "open"}}


def test_merge_prints_the_target_and_what_happened_to_both(staffed):
    src, dst = create(staffed, "-s", "Dup", "--body", "from the dup"), create(staffed, "-s", "Main")
    before = version(staffed, dst)
    t = run(staffed, "merge", str(src), "--into", str(dst))
    assert t["id"] == dst and t["version"] > before
    assert t["changed"] == {"merged": {"old": None, "new": f"#{src} (1 messages)"},
                            "source.status": {"old": "new", "new": "closed"},
                            "source.merged_into": {"old": None, "new": dst}}
    assert t["source"] == {"id": src, "version": version(staffed, src)}


def test_link_prints_both_tickets(staffed):
    a, b = create(staffed, "-s", "A"), create(staffed, "-s", "B")
    first = run(staffed, "link", str(a), str(b))["tickets"]
    assert [(t["id"], t["changed"]) for t in first] == [
        (a, {"link": {"old": None, "new": f"#{b}"}}), (b, {"link": {"old": None, "new": f"#{a}"}})]
    again = run(staffed, "link", str(b), str(a))["tickets"]
    assert [(t["id"], t["version"], t["changed"]) for t in again] == [(b, first[1]["version"], {}), (a, first[0]["version"], {})]


def test_bulk_preview_is_clearly_not_applied_and_yes_prints_the_tickets(staffed):
    a, b = create(staffed, "-s", "spam 1", "-t", "spam"), create(staffed, "-s", "spam 2", "-t", "spam", "-p", "low")
    va = version(staffed, a)
    preview = run(staffed, "bulk", "tag:spam", "--set", "priority=low")
    assert preview == {"applied": False, "matched": 2, "would_change": {str(a): {"priority": {"old": "normal", "new": "low"}}},
                       "unchanged": [b], "skipped": {}}
    assert version(staffed, a) == va
    done = run(staffed, "bulk", "tag:spam", "--set", "status=closed", "--yes")
    assert (done["applied"], done["matched"], done["unchanged"], done["skipped"]) == (True, 2, [], {})
    assert [(t["id"], t["status"], t["changed"]) for t in done["tickets"]] == [
        (n, "closed", {"status": {"old": "new", "new": "closed"}}) for n in (a, b)]
    assert done["tickets"][0]["version"] == version(staffed, a) > va


def test_human_output_stays_on_stderr(staffed):
    n = create(staffed, "-s", "A")
    r = staffed("ticket", "update", str(n), "--priority", "high", who=BOB)
    assert (r.out, r.err.strip()) == ("", f"#{n}: priority normal -> high")


def test_a_rejected_write_with_json_is_one_json_error(staffed):
    n = create(staffed, "-s", "A")
    r = staffed("ticket", "reopen", str(n), "--json", who=BOB)
    assert r.code == 4 and r.out == ""
    assert json.loads(r.err)["error"] == "conflict"


CHAIN = """
set -e
n=$(helpdesk ticket create -s "Chained" --quiet)
old=$(helpdesk ticket show $n --json | python -c 'import json,sys;print(json.load(sys.stdin)["version"])')
v=$(helpdesk ticket update $n --priority high --json | python -c 'import json,sys;print(json.load(sys.stdin)["version"])')
helpdesk ticket update $n --status pending --if-version $v
echo "versions $old $v"
helpdesk ticket update $n --status open --if-version $v || echo "stale exit $?"
"""


def test_a_shell_script_chains_if_version_from_the_json(tmp_path):
    bin_dir = os.path.dirname(sys.executable)  # the installed `helpdesk` and this `python`
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
           "HELPDESK_DB": str(tmp_path / "chain.db")}
    add = subprocess.run([sys.executable, "-m", "helpdesk", "agent", "add", BOB, "--name", "Bob"],
                         env=env, capture_output=True, text=True, timeout=120)
    assert add.returncode == 0, add.stderr
    env["HELPDESK_AGENT"] = BOB
    r = subprocess.run(["sh", "-c", CHAIN], env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    words = r.stdout.split()
    old, v = int(words[words.index("versions") + 1]), int(words[words.index("versions") + 2])
    assert v > old
    assert "stale exit 4" in r.stdout
    assert "changed since version" in r.stderr
    shown = json.loads(subprocess.run([sys.executable, "-m", "helpdesk", "ticket", "show", "1", "--json"], env=env,
                                      capture_output=True, text=True, timeout=120).stdout)
    assert (shown["status"], shown["priority"], shown["version"]) == ("pending", "high", v + 1)
