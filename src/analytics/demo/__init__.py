"""A seeded, repeatable demo: generated tenants in a SQLite file and a run of every engine.

```
results = await build_demo(Path("analytics-demo.db"), seed=7, tz="America/New_York")
```
"""

from __future__ import annotations

from pathlib import Path

from analytics import migrations
from analytics.bootstrap import open_store
from analytics.demo.calendar import DEMO_TODAY, DEMO_TZ, DemoCalendar, SequentialIds, SimulatedClock
from analytics.demo.data import DemoGenerator
from analytics.demo.files import create_demo_file, is_demo_file, remove_database
from analytics.demo.tour import Tour, TourResults, rows_of, write_tenant

DEFAULT_SEED = 7


def sqlite_url(path: Path) -> str:
    """Return the database URL of a SQLite file path."""
    return f"sqlite+aiosqlite:///{path}"


async def build_demo(path: Path, *, seed: int = DEFAULT_SEED, tz: str = DEMO_TZ) -> TourResults:
    """Create the demo file at ``path``, fill it, and run every engine on it.

    The file must not exist. Today is 2024-11-05 in ``tz``, and every write
    and engine run uses a simulated clock and sequential ids, so one seed
    always gives the same results.
    """
    calendar = DemoCalendar(DEMO_TODAY, tz)
    clock = SimulatedClock(calendar.run_time(0))
    create_demo_file(path)
    store = await open_store(sqlite_url(path), clock=clock, id_factory=SequentialIds())
    try:
        await migrations.upgrade(store.engine)
        tenants = DemoGenerator(seed, calendar).generate()
        for data in tenants:
            await write_tenant(store.unit_of_work, data)
        tour = Tour(store.unit_of_work, clock, calendar, [data.tenant_id for data in tenants])
        results = await tour.run()
    finally:
        await store.close()
    results.rows_written = {data.tenant_id: rows_of(data) for data in tenants}
    return results


__all__ = [
    "DEFAULT_SEED",
    "DEMO_TODAY",
    "DEMO_TZ",
    "TourResults",
    "build_demo",
    "is_demo_file",
    "remove_database",
    "sqlite_url",
]
