"""CSAT, response rate and NPS from the desk's surveys and ratings (services/customers/surveys.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import true, update

from helpdesk.models import Survey
from helpdesk.services.customers.surveys import rate
from helpdesk.services.insight import satisfaction

from .support import Story, local, shanghai_desk


@pytest.fixture
def story(desk, crew):
    shanghai_desk(desk, crew)
    return Story(desk, crew)


def test_eight_good_two_bad_of_twelve_surveyed(story, crew):
    ids = [story.create(local("2026-03-02 10:00"), assignee=crew.agent.email) for _ in range(12)]
    for tid in ids:
        story.reply(local("2026-03-02 11:00"), tid)
        story.status(local("2026-03-03 10:00"), tid, "solved")
    # the worker mailed every survey the next day
    story.at(local("2026-03-04 10:00"), lambda s: s.execute(
        update(Survey).values(status="sent", sent_at=local("2026-03-04 10:00"))))
    nps = {0: 10, 1: 9, 2: 7, 8: 3}  # two promoters, a passive, a detractor
    for n, tid in enumerate(ids[:10]):
        how = "good" if n < 8 else "bad"
        story.at(local("2026-03-05 10:00"), lambda s: rate(s, crew.agent, tid, how, nps=nps.get(n)))
    out = story.report(period="2026-03", now=local("2026-04-01 12:00"))
    assert out["csat"] == {"rated": 10, "good": 8, "surveyed": 12, "rate": 0.8, "response_rate": 10 / 12}
    assert out["nps"] == 25 and "satisfaction" not in out
    earlier = story.report(period="2026-02", now=local("2026-04-01 12:00"))
    assert earlier["csat"]["rated"] == 0 and earlier["csat"]["rate"] is None and earlier["nps"] is None
    with story.desk.read() as s:
        by_agent = satisfaction.counts(s, true(), local("2026-03-01 00:00"), local("2026-04-01 00:00"), by_agent=True)
    assert by_agent == {crew.agent.agent_id: satisfaction.Counts(12, 10, 8, 2, 1, 1)}
