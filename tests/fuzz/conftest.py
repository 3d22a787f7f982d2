"""Fuzz tests: the inputs tried per target go to HELPDESK_FUZZ_REPORT (bench/fuzz.py)."""

from __future__ import annotations

import json
import os


def pytest_sessionfinish(session, exitstatus):
    target = os.environ.get("HELPDESK_FUZZ_REPORT")
    if not target:
        return
    from fuzz_support import PROFILE, TRIED

    with open(target, "w", encoding="utf-8") as out:
        json.dump({"profile": PROFILE, "tried": dict(sorted(TRIED.items()))}, out, indent=2)
