"""Local-day windows of one detection, derived from the detected day ``D`` and the settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from analytics.engines.settings import AnomalySettings


@dataclass(frozen=True)
class DetectionWindows:
    """Day ranges of one detection; every ``*_end`` day is excluded, as in the ports.

    The spike baseline ends the day before yesterday, so that a spike's first
    day does not lift the baseline its second day is judged against. The drift
    rolling window ends yesterday and the drift baseline is the days right
    before it: complete days only.
    """

    day: date
    month_start: date
    spike_baseline_start: date
    spike_baseline_end: date
    drift_rolling_start: date
    drift_rolling_end: date
    drift_baseline_start: date
    drift_baseline_end: date

    @classmethod
    def for_day(cls, day: date, settings: AnomalySettings) -> DetectionWindows:
        """Build the windows of detection day ``day``."""
        yesterday = day - timedelta(days=1)
        rolling_start = day - timedelta(days=settings.drift_rolling_days)
        return cls(
            day=day,
            month_start=day.replace(day=1),
            spike_baseline_start=yesterday - timedelta(days=settings.spike_baseline_days),
            spike_baseline_end=yesterday,
            drift_rolling_start=rolling_start,
            drift_rolling_end=day,
            drift_baseline_start=rolling_start - timedelta(days=settings.drift_baseline_days),
            drift_baseline_end=rolling_start,
        )

    @property
    def next_day(self) -> date:
        """The day after ``D``, the excluded end of ranges that include ``D``."""
        return self.day + timedelta(days=1)

    @property
    def yesterday(self) -> date:
        """The day before ``D``, the last day of the drift rolling window."""
        return self.day - timedelta(days=1)
