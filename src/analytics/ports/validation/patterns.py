"""Value rules for pattern feedback, predictions and prediction outcomes.

Each function checks one argument of a port method field by field, in field
order, and reports the first broken rule with its path (``feedback.signature``,
``prediction.confidence``). It returns the normalised values that are stored:
enum members, UTC instants and a confidence in integer millionths.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from analytics.domain import (
    FeedbackSeverity,
    NewPatternFeedback,
    NewPrediction,
    PatternType,
    PredictionOutcome,
    PredictionType,
    SubjectType,
)
from analytics.ports.errors import InvalidInput
from analytics.ports.validation import common

MAX_RUN_ID = 64
MAX_SIGNATURE = 128
MAX_THRESHOLD_USED = 100
MAX_FEEDBACK_DESCRIPTION = 4096
MAX_PROVENANCE = 1000
MAX_OCCURRENCE_COUNT = 1_000_000_000
MAX_TIME_WINDOW_MINUTES = 527_040
MAX_SUBJECT_ID = 255
MAX_NOTES = 2048
MAX_CONTRIBUTING_FACTORS = 50
MAX_GENERATED_ID = 64


@dataclass(frozen=True)
class CheckedFeedback:
    """A ``NewPatternFeedback`` whose values passed every rule, ``detected_at`` in UTC."""

    pattern_type: PatternType
    severity: FeedbackSeverity
    description: str
    signature: str
    provenance: list[str]
    occurrence_count: int
    detected_at: datetime
    time_window_minutes: int | None
    threshold_used: str | None
    metadata: dict[str, Any] | None


@dataclass(frozen=True)
class CheckedPrediction:
    """A ``NewPrediction`` whose values passed every rule, with the confidence in millionths."""

    prediction_type: PredictionType
    subject_type: SubjectType
    subject_id: str
    confidence_e6: int
    prediction_value: dict[str, Any]
    contributing_factors: list[dict[str, Any]]
    created_at: datetime
    expires_at: datetime
    notes: str | None


def new_pattern_feedback(value: object, field: str = "feedback") -> CheckedFeedback:
    """Check a ``NewPatternFeedback`` argument and return its stored values."""
    common.model_instance(field, value, NewPatternFeedback)
    assert isinstance(value, NewPatternFeedback)

    return CheckedFeedback(
        pattern_type=common.enum_member(f"{field}.pattern_type", value.pattern_type, PatternType),
        severity=common.enum_member(f"{field}.severity", value.severity, FeedbackSeverity),
        description=common.free_text(
            f"{field}.description", value.description, MAX_FEEDBACK_DESCRIPTION
        ),
        signature=common.identifier(f"{field}.signature", value.signature, MAX_SIGNATURE),
        provenance=provenance(f"{field}.provenance", value.provenance),
        occurrence_count=common.integer(
            f"{field}.occurrence_count", value.occurrence_count, 1, MAX_OCCURRENCE_COUNT
        ),
        detected_at=common.instant(f"{field}.detected_at", value.detected_at),
        time_window_minutes=common.optional_integer(
            f"{field}.time_window_minutes", value.time_window_minutes, 1, MAX_TIME_WINDOW_MINUTES
        ),
        threshold_used=common.optional_identifier(
            f"{field}.threshold_used", value.threshold_used, MAX_THRESHOLD_USED
        ),
        metadata=common.optional_json_object(f"{field}.metadata", value.metadata),
    )


def provenance(field: str, values: object) -> list[str]:
    """Check a list of 0..1,000 distinct run ids and return it in the given order."""
    if isinstance(values, str | bytes) or not isinstance(values, Sequence):
        raise InvalidInput(field, values, "must be a list of run ids, not a single string")
    if len(values) > MAX_PROVENANCE:
        raise InvalidInput(
            field, f"<{len(values)} items>", f"must hold at most {MAX_PROVENANCE} run ids"
        )

    seen: set[str] = set()
    for index, item in enumerate(values):
        run_id = common.identifier(f"{field}[{index}]", item, MAX_RUN_ID)
        if run_id in seen:
            raise InvalidInput(f"{field}[{index}]", item, "must not repeat a run id")
        seen.add(run_id)
    return list(values)


def new_prediction(value: object, field: str = "prediction") -> CheckedPrediction:
    """Check a ``NewPrediction`` argument and return its stored values."""
    common.model_instance(field, value, NewPrediction)
    assert isinstance(value, NewPrediction)

    prediction_type = common.enum_member(
        f"{field}.prediction_type", value.prediction_type, PredictionType
    )
    subject_type = common.enum_member(f"{field}.subject_type", value.subject_type, SubjectType)
    subject_id = common.identifier(f"{field}.subject_id", value.subject_id, MAX_SUBJECT_ID)
    confidence_e6 = common.confidence_e6(f"{field}.confidence", value.confidence)
    prediction_value = common.json_object(f"{field}.prediction_value", value.prediction_value)
    factors = contributing_factors(f"{field}.contributing_factors", value.contributing_factors)
    created_at, expires_at = validity(field, value.created_at, value.expires_at)
    notes = common.optional_text(f"{field}.notes", value.notes, MAX_NOTES)

    return CheckedPrediction(
        prediction_type=prediction_type,
        subject_type=subject_type,
        subject_id=subject_id,
        confidence_e6=confidence_e6,
        prediction_value=prediction_value,
        contributing_factors=factors,
        created_at=created_at,
        expires_at=expires_at,
        notes=notes,
    )


def contributing_factors(field: str, values: object) -> list[dict[str, Any]]:
    """Check a JSON array of at most 50 objects."""
    if not isinstance(values, list):
        raise InvalidInput(field, values, "must be a list of JSON objects")
    if len(values) > MAX_CONTRIBUTING_FACTORS:
        raise InvalidInput(
            field,
            f"<{len(values)} items>",
            f"must hold at most {MAX_CONTRIBUTING_FACTORS} objects",
        )
    for index, item in enumerate(values):
        if not isinstance(item, dict):
            raise InvalidInput(f"{field}[{index}]", item, "must be a JSON object (a dict)")

    checked: list[dict[str, Any]] = common.json_value(field, values)
    return checked


def validity(field: str, created_at: object, expires_at: object) -> tuple[datetime, datetime]:
    """Check the validity ``[created_at, expires_at)``, which must not be empty."""
    start = common.instant(f"{field}.created_at", created_at)
    end = common.instant(f"{field}.expires_at", expires_at)
    if end <= start:
        raise InvalidInput(f"{field}.expires_at", expires_at, "must be after created_at")
    return start, end


def prediction_id(value: object) -> str:
    """Check ``prediction_id``, a generated ``pe_…`` id."""
    return common.identifier("prediction_id", value, MAX_GENERATED_ID)


def prediction_outcome(value: object) -> PredictionOutcome:
    """Check ``outcome``: a ``PredictionOutcome``, never ``None`` (an outcome is never cleared)."""
    if value is None:
        raise InvalidInput(
            "outcome", value, "must be confirmed, refuted or undetermined; None is not an outcome"
        )
    return common.enum_member("outcome", value, PredictionOutcome)


def outcome_value(value: object) -> dict[str, Any] | None:
    """Check ``outcome_value``: a JSON object or ``None``."""
    return common.optional_json_object("outcome_value", value)
