"""Export the README screenshots from the real app: `python docs/screenshots/make.py`.

Uses a fresh demo desk in a temporary directory at a fixed instant, so the
pictures change only when the app does."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import time_machine

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))
FROZEN = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)
SHOTS = {  # name: (size, keys)
    "queue": ((160, 42), []),
    "queue-80x24": ((80, 24), ["g", "a", "j", "space", "j", "space"]),
    "ticket": ((100, 40), ["enter", "e"]),
    "reply": ((100, 30), ["r", *"Thanks, the new toner ships today."]),
    "help": ((120, 42), ["question_mark"]),
}


async def shoot(db: str, name: str, size, keys) -> None:
    from helpdesk.app import HelpdeskApp

    app = HelpdeskApp(db=db, who="mei@demo.helpdesk", background=False, poll_seconds=3600)
    async with app.run_test(size=size) as pilot:
        for _ in range(3):
            await app.workers.wait_for_complete()
            await pilot.pause()
        await pilot.pause(0.2)
        await pilot.press(*keys)
        for _ in range(3):
            await app.workers.wait_for_complete()
            await pilot.pause()
        app.save_screenshot(f"{name}.svg", path=str(HERE))


def main() -> None:
    os.environ["TZ"] = "UTC"
    time.tzset()
    with tempfile.TemporaryDirectory() as tmp, time_machine.travel(FROZEN, tick=False):
        os.environ["HELPDESK_CONFIG"] = str(Path(tmp) / "config.toml")
        from helpdesk.db import open_desk
        from helpdesk.services.setup import initialise

        db = str(Path(tmp) / "demo.db")
        desk = open_desk(db)
        initialise(desk, demo=True)
        desk.close()
        for name, (size, keys) in SHOTS.items():
            asyncio.run(shoot(db, name, size, keys))
            print(HERE / f"{name}.svg")


if __name__ == "__main__":
    main()
