"""Settings of the engines: one frozen pydantic model per engine.

Every threshold is a named field with its default and range. Each model also
carries the IANA time zone ``tz`` that local days are read in and the
``include_synthetic`` flag passed to every read. Values are checked against the
limits of the ports when a settings object is built, so a detection never
starts with a window or a batch that a port would reject.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from analytics.domain.time import load_zone

MAX_STREAK_DAYS = 366
"""Maximum ``max_days`` of the breach-streak reads."""

MAX_ENTITY_IDS = 1000
"""Maximum number of ids in one batch read of entities."""

MAX_RANGE_DAYS = 400
"""Maximum day range of a spend summary read."""

MAX_ACTIVITY_DAYS = 62
"""Maximum day range of the per-entity day-activity read."""

MAX_SPIKE_LOOKBACK_DAYS = MAX_ACTIVITY_DAYS - 1
"""Maximum spike streak look-back.

The cause read of entity spikes spans the episode's first day minus one through
``D``, that is the look-back plus one day, and must fit the day-activity read.
"""


class SpikeDenominator(StrEnum):
    """Baseline average that the spike rule takes as expected spend."""

    ACTIVE_DAY = "active_day"
    CALENDAR_DAY = "calendar_day"


class EngineSettings(BaseModel):
    """Fields shared by every engine's settings: the time zone and the synthetic-data flag."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tz: str = Field(
        default="UTC",
        description="IANA time-zone key in which local days and months are read.",
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


def _positive_decimal(default: str, description: str) -> Decimal:
    return Field(default=Decimal(default), gt=0, description=description)


class AnomalySettings(EngineSettings):
    """Thresholds and window lengths of the ``CostAnomalyDetector``.

    Ratios compare rounded six-place values and fire when the value is greater
    than or equal to the threshold. Day counts are local calendar days.
    """

    spike_ratio: Decimal = _positive_decimal(
        "1.40",
        "A scope breaches when its spend on the day divided by its expected spend reaches this.",
    )
    spike_baseline_days: int = Field(
        default=13,
        ge=1,
        le=MAX_RANGE_DAYS,
        description="Length in days of the spike baseline, which ends the day before yesterday.",
    )
    spike_denominator: SpikeDenominator = Field(
        default=SpikeDenominator.ACTIVE_DAY,
        description="Baseline average used as expected spend: per active day or per calendar day.",
    )
    spike_min_active_days: int = Field(
        default=3,
        ge=1,
        description="Fewer active days in the spike baseline give insufficient history.",
    )
    spike_min_excess_usd: Decimal = Field(
        default=Decimal("1.00"),
        ge=0,
        description="Spend minus expected spend below this many USD is normal, whatever the ratio.",
    )
    spike_consecutive_days: int = Field(
        default=2,
        ge=1,
        description="Breach days in a row before a spike anomaly is raised.",
    )
    spike_immediate_ratio: Decimal | None = Field(
        default=Decimal("3.00"),
        gt=0,
        description="A ratio this high raises a spike on its first breach day; None disables it.",
    )
    spike_streak_lookback_days: int = Field(
        default=31,
        ge=1,
        description="Days the breach-streak reads look back (their max_days).",
    )
    max_entities: int = Field(
        default=1000,
        ge=1,
        description="Users and features evaluated per dimension, top spenders of the day first.",
    )
    drift_ratio: Decimal = _positive_decimal(
        "1.25",
        "The tenant drifts on a day when rolling average divided by baseline average reaches this.",
    )
    drift_rolling_days: int = Field(
        default=7,
        ge=1,
        le=MAX_RANGE_DAYS,
        description="Length in days of the drift rolling window, which ends yesterday.",
    )
    drift_baseline_days: int = Field(
        default=21,
        ge=1,
        le=MAX_RANGE_DAYS,
        description="Length in days of the drift baseline, just before the rolling window.",
    )
    drift_min_active_days: int = Field(
        default=7,
        ge=1,
        description="Fewer active days in the drift baseline give insufficient history.",
    )
    drift_min_excess_usd: Decimal = Field(
        default=Decimal("1.00"),
        ge=0,
        description="Rolling minus baseline average per day below this many USD is normal.",
    )
    drift_consecutive_days: int = Field(
        default=3,
        ge=1,
        description="Drifting days in a row before a drift anomaly is raised.",
    )
    spike_high_ratio: Decimal = _positive_decimal(
        "3.00", "A spike with at least this ratio has severity high."
    )
    spike_medium_ratio: Decimal = _positive_decimal(
        "2.00", "A spike with at least this ratio, below the high band, has severity medium."
    )
    drift_high_ratio: Decimal = _positive_decimal(
        "2.00", "A drift with at least this ratio has severity high."
    )
    drift_medium_ratio: Decimal = _positive_decimal(
        "1.50", "A drift with at least this ratio, below the high band, has severity medium."
    )
    budget_high_pct: Decimal = Field(
        default=Decimal("90"),
        gt=0,
        le=100,
        description="A budget warning at or above this usage percentage has severity high.",
    )
    cause_retry_ratio: Decimal = _positive_decimal(
        "1.5", "Retry loop: the retry share must be at least this many times the earlier share."
    )
    cause_retry_min_share: Decimal = Field(
        default=Decimal("0.10"),
        ge=0,
        le=1,
        description="Retry loop: the retry share on the episode's first day must reach this.",
    )
    cause_prompt_ratio: Decimal = _positive_decimal(
        "1.3", "Prompt growth: mean input tokens per request must grow by this ratio."
    )
    cause_feature_share: Decimal = Field(
        default=Decimal("0.6"),
        ge=0,
        le=1,
        description="Feature surge: share of the tenant excess the top feature must reach.",
    )
    cause_traffic_ratio: Decimal = _positive_decimal(
        "1.3", "Traffic growth: the request count must grow by this ratio."
    )
    resolved_lookback_days: int = Field(
        default=45,
        ge=1,
        description="Days before the detected day in which a resolution suppresses a finding.",
    )

    @field_validator("spike_streak_lookback_days")
    @classmethod
    def _check_streak_lookback(cls, value: int) -> int:
        if value > MAX_SPIKE_LOOKBACK_DAYS:
            raise ValueError(
                f"spike_streak_lookback_days must be at most {MAX_SPIKE_LOOKBACK_DAYS}: "
                f"the breach-streak read accepts up to {MAX_STREAK_DAYS} days, but the cause "
                f"read of entity spikes spans the look-back plus one day and accepts up to "
                f"{MAX_ACTIVITY_DAYS} days"
            )
        return value

    @field_validator("max_entities")
    @classmethod
    def _check_max_entities(cls, value: int) -> int:
        if value > MAX_ENTITY_IDS:
            raise ValueError(
                f"max_entities must be at most {MAX_ENTITY_IDS}, the largest id batch "
                "that the baseline and streak reads accept"
            )
        return value

    @field_validator("spike_consecutive_days", "drift_consecutive_days")
    @classmethod
    def _check_consecutive_days(cls, value: int) -> int:
        if value > MAX_STREAK_DAYS:
            raise ValueError(
                f"consecutive days must be at most {MAX_STREAK_DAYS}, the largest breach count "
                "an anomaly stores"
            )
        return value

    @model_validator(mode="after")
    def _check_relations(self) -> Self:
        _require_at_most(
            "spike_min_active_days",
            self.spike_min_active_days,
            "spike_baseline_days",
            self.spike_baseline_days,
        )
        _require_at_most(
            "drift_min_active_days",
            self.drift_min_active_days,
            "drift_baseline_days",
            self.drift_baseline_days,
        )
        _require_at_most(
            "spike_consecutive_days",
            self.spike_consecutive_days,
            "spike_streak_lookback_days",
            self.spike_streak_lookback_days,
        )
        _require_at_most(
            "spike_medium_ratio", self.spike_medium_ratio, "spike_high_ratio", self.spike_high_ratio
        )
        _require_at_most(
            "drift_medium_ratio", self.drift_medium_ratio, "drift_high_ratio", self.drift_high_ratio
        )
        return self


def _require_at_most(
    name: str, value: Decimal | int, limit_name: str, limit: Decimal | int
) -> None:
    if value > limit:
        raise ValueError(f"{name} ({value}) must not exceed {limit_name} ({limit})")


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
