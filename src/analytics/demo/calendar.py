"""The simulated calendar and clock of the demo, and its repeatable id generator."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from analytics.domain.time import load_zone

DEMO_TODAY = date(2024, 11, 5)
"""Today in the demo: the Tuesday after the 25-hour day 2024-11-03 in New York."""

DEMO_TZ = "America/New_York"
"""Zone of the demo's local days unless ``--tz`` is given."""

HISTORY_DAYS = 35
"""Days of generated history, today included."""

RUN_HOUR = 18
"""Local hour at which the demo runs each day's detection and predictions."""


@dataclass(frozen=True)
class DemoCalendar:
    """Local days counted back from the demo's today, and instants on them."""

    today: date
    tz: str

    def day(self, days_ago: int) -> date:
        """Return the local day ``days_ago`` days before today."""
        return self.today - timedelta(days=days_ago)

    def at(self, days_ago: int, minute_of_day: int) -> datetime:
        """Return the UTC instant of a local wall-clock minute on a day before today."""
        local_time = time(minute_of_day // 60, minute_of_day % 60)
        local = datetime.combine(self.day(days_ago), local_time, tzinfo=load_zone(self.tz))
        return local.astimezone(UTC)

    def run_time(self, days_ago: int) -> datetime:
        """Return the instant at which the demo runs the engines on a day: 18:00 local."""
        return self.at(days_ago, RUN_HOUR * 60)


@dataclass
class SimulatedClock:
    """A clock that returns a settable instant, so every run of the demo uses the same times."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now


@dataclass
class SequentialIds:
    """An id generator counting up from 1 in 32 hex digits, so stored ids repeat across runs."""

    issued: int = field(default=0)

    def __call__(self) -> str:
        self.issued += 1
        return f"{self.issued:032x}"
