"""Pattern feedback and prediction events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from analytics.domain.common import (
    EnumInput,
    InputDecimal,
    InputModel,
    OutputDecimal,
    OutputModel,
    UtcDatetime,
)
from analytics.domain.enums import (
    FeedbackSeverity,
    PatternType,
    PredictionOutcome,
    PredictionType,
    SubjectType,
)


class NewPatternFeedback(InputModel):
    """One detection of a failure or cost pattern, as passed to ``insert_feedback``.

    ``signature`` is the stable key of the pattern (for example a hash of a
    normalised error text) and ``provenance`` the ids of the runs that show it.
    """

    pattern_type: EnumInput[PatternType]
    severity: EnumInput[FeedbackSeverity]
    description: str
    signature: str
    provenance: list[str]
    occurrence_count: int
    detected_at: datetime
    time_window_minutes: int | None = None
    threshold_used: str | None = None
    metadata: dict[str, Any] | None = None


class PatternFeedback(OutputModel):
    """Stored pattern: the fields of ``NewPatternFeedback`` plus its history and acknowledgement.

    ``detected_at`` is the latest detection and ``first_detected_at`` the earliest.
    """

    pattern_type: PatternType
    severity: FeedbackSeverity
    description: str
    signature: str
    provenance: list[str]
    occurrence_count: int
    detected_at: UtcDatetime
    time_window_minutes: int | None = None
    threshold_used: str | None = None
    metadata: dict[str, Any] | None = None
    id: str
    tenant_id: str
    first_detected_at: UtcDatetime
    created_at: UtcDatetime
    updated_at: UtcDatetime
    acknowledged: bool
    acknowledged_at: UtcDatetime | None
    acknowledged_by: str | None


class NewPrediction(InputModel):
    """Prediction as passed to ``insert_prediction``; ``confidence`` is between 0 and 1."""

    prediction_type: EnumInput[PredictionType]
    subject_type: EnumInput[SubjectType]
    subject_id: str
    confidence: InputDecimal
    prediction_value: dict[str, Any]
    contributing_factors: list[dict[str, Any]]
    created_at: datetime
    expires_at: datetime
    notes: str | None = None


class PredictionEvent(OutputModel):
    """Stored prediction: the fields of ``NewPrediction`` plus id, tenant and outcome.

    Predictions are advisory and never trigger actions by themselves. The
    outcome fields are ``None`` while the prediction is pending and are written
    once, when the outcome is recorded.
    """

    prediction_type: PredictionType
    subject_type: SubjectType
    subject_id: str
    confidence: OutputDecimal
    prediction_value: dict[str, Any]
    contributing_factors: list[dict[str, Any]]
    created_at: UtcDatetime
    expires_at: UtcDatetime
    notes: str | None = None
    id: str
    tenant_id: str
    is_advisory: bool = True
    outcome: PredictionOutcome | None = None
    outcome_value: dict[str, Any] | None = None
    outcome_checked_at: UtcDatetime | None = None


class PredictionOutcomeCount(OutputModel):
    """Number of predictions of one type with one outcome; ``None`` counts pending ones."""

    prediction_type: PredictionType
    outcome: PredictionOutcome | None
    count: int
