"""Settings of the pattern detector, the predictor and the usage-and-cost report.

Each engine takes one frozen model. Every threshold is a named field with its
default and range. Values that a port would reject later are rejected when the
settings object is built, for example a limit above the port's maximum or a
window longer than a feedback row can state. The message names the setting
and the limit. Override a value by construction or with ``model_copy(update=...)``;
``model_copy`` skips validation, so prefer construction for new values.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from analytics.domain.time import load_zone

MAX_WINDOW_MINUTES = 527_040
"""Maximum window a feedback row can state (``time_window_minutes``): 366 days."""

MAX_RUN_READ_LIMIT = 10_000
"""Maximum ``limit`` of the worker-run reads."""

MAX_PROVENANCE = 1_000
"""Maximum number of run ids in one feedback row."""

MAX_SAMPLE_CHARS = 4_096
"""Maximum length of a stored error sample, which keeps feedback metadata within the JSON limit."""

MAX_REPORT_WINDOW_DAYS = 36_500
"""Maximum configurable report window, about 100 years."""


class EngineSettings(BaseModel):
    """Fields every engine has: the time zone of local days and the synthetic-data switch."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tz: str = Field(
        default="UTC",
        description="IANA time-zone key of local days and series buckets, such as 'Europe/Berlin'.",
    )
    include_synthetic: bool = Field(
        default=False,
        description="Whether reads include rows marked synthetic (test or generated traffic).",
    )

    @field_validator("tz")
    @classmethod
    def _check_zone(cls, value: str) -> str:
        load_zone(value)
        return value


def _require_window(name: str, window: timedelta) -> None:
    """Check that a window is positive, whole minutes, and at most 366 days."""
    if window <= timedelta(0):
        raise ValueError(f"{name} must be positive, got {window}")
    if window % timedelta(minutes=1):
        raise ValueError(f"{name} must be a whole number of minutes, got {window}")
    if window > timedelta(minutes=MAX_WINDOW_MINUTES):
        raise ValueError(
            f"{name} must be at most {MAX_WINDOW_MINUTES} minutes (366 days), "
            f"the longest window a feedback row can state; got {window}"
        )


class PatternSettings(EngineSettings):
    """Thresholds of ``PatternDetector``: repeated failures and cost spikes of worker runs."""

    failure_window: timedelta = Field(
        default=timedelta(hours=24),
        description="Length of the window of failed and crashed runs, ending at detection time.",
    )
    failure_min_occurrences: int = Field(
        default=3, ge=1, description="Runs with one error signature that make a warning."
    )
    failure_critical_occurrences: int = Field(
        default=10, ge=1, description="Runs with one error signature that make a critical pattern."
    )
    provenance_limit: int = Field(
        default=50,
        ge=1,
        le=MAX_PROVENANCE,
        description="Newest run ids kept in a failure pattern's provenance.",
    )
    sample_chars: int = Field(
        default=500,
        ge=1,
        le=MAX_SAMPLE_CHARS,
        description="Characters of the newest error text stored as a pattern's sample.",
    )
    cost_window: timedelta = Field(
        default=timedelta(days=7),
        description="Length of the window of completed runs with a cost, ending at detection time.",
    )
    cost_min_runs: int = Field(
        default=5,
        ge=2,
        description="Costed runs a worker needs in the window before its newest run is judged.",
    )
    cost_history_runs: int = Field(
        default=50,
        ge=1,
        le=MAX_PROVENANCE - 1,
        description="Earlier runs, newest first, whose mean cost the newest run is compared with.",
    )
    cost_spike_pct: Decimal = Field(
        default=Decimal(50),
        gt=0,
        description="Percentage above the mean at which the newest run's cost is a spike.",
    )
    cost_critical_pct: Decimal = Field(
        default=Decimal(200),
        gt=0,
        description="Percentage above the mean from which a cost spike is critical.",
    )
    fetch_limit: int = Field(
        default=10_000,
        ge=1,
        le=MAX_RUN_READ_LIMIT,
        description="Limit of both run reads; a read that returns this many may be cut.",
    )

    @model_validator(mode="after")
    def _check_related(self) -> Self:
        _require_window("failure_window", self.failure_window)
        _require_window("cost_window", self.cost_window)
        if self.failure_critical_occurrences < self.failure_min_occurrences:
            raise ValueError(
                "failure_critical_occurrences must be at least failure_min_occurrences "
                f"({self.failure_min_occurrences}), got {self.failure_critical_occurrences}"
            )
        if self.cost_critical_pct < self.cost_spike_pct:
            raise ValueError(
                f"cost_critical_pct must be at least cost_spike_pct ({self.cost_spike_pct}), "
                f"got {self.cost_critical_pct}"
            )
        return self


class PredictionSettings(EngineSettings):
    """Thresholds of ``Predictor``: failure likelihood and cost overrun per worker."""

    lookback: timedelta = Field(
        default=timedelta(days=7),
        description="Length of the input window of a prediction, ending at the prediction time.",
    )
    validity: timedelta = Field(
        default=timedelta(hours=24),
        description="How long a prediction stays valid; its outcome is checked over this window.",
    )
    failure_min_runs: int = Field(
        default=10, ge=1, description="Terminal runs a worker needs for a failure prediction."
    )
    failure_rate_threshold: Decimal = Field(
        default=Decimal("0.30"),
        gt=0,
        le=1,
        description="Failure rate (failed and crashed over terminal runs) that predicts failures.",
    )
    confidence_z: Decimal = Field(
        default=Decimal("1.96"),
        gt=0,
        description="z value of the Wilson score interval around the failure rate (1.96: 95 %).",
    )
    cost_recent_runs: int = Field(
        default=3, ge=1, description="Newest costed runs whose mean is the recent cost."
    )
    cost_min_historical_runs: int = Field(
        default=3, ge=1, description="Earlier costed runs needed beside the recent ones."
    )
    cost_max_runs: int = Field(
        default=200,
        ge=2,
        le=MAX_RUN_READ_LIMIT,
        description="Costed runs used per worker, newest first.",
    )
    cost_overrun_pct: Decimal = Field(
        default=Decimal(30),
        gt=0,
        description="Projected percentage above the historical mean that predicts an overrun.",
    )
    cost_confidence_cap: Decimal = Field(
        default=Decimal("0.95"),
        gt=0,
        le=1,
        description="Highest confidence of a cost-overrun prediction.",
    )
    cost_full_confidence_runs: int = Field(
        default=10,
        ge=1,
        description="Runs used at which a cost prediction's confidence is no longer scaled down.",
    )
    outcome_min_runs: int = Field(
        default=3,
        ge=1,
        description="Runs in a prediction's validity window needed to judge its outcome.",
    )

    @model_validator(mode="after")
    def _check_related(self) -> Self:
        if self.lookback <= timedelta(0):
            raise ValueError(f"lookback must be positive, got {self.lookback}")
        if self.validity <= timedelta(0):
            raise ValueError(f"validity must be positive, got {self.validity}")
        needed = self.cost_recent_runs + self.cost_min_historical_runs
        if self.cost_max_runs < needed:
            raise ValueError(
                "cost_max_runs must be at least cost_recent_runs + cost_min_historical_runs "
                f"({needed}), got {self.cost_max_runs}"
            )
        return self


class ReportSettings(EngineSettings):
    """Limits of ``AnalyticsReports``."""

    max_window_days: int = Field(
        default=400,
        ge=1,
        le=MAX_REPORT_WINDOW_DAYS,
        description="Maximum length of a report window, in days of 24 hours.",
    )
