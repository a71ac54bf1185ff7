"""Results of the predictor: predictions made, subjects skipped, outcomes checked, accuracy."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from analytics.domain.common import OutputDecimal, OutputModel, UtcDatetime
from analytics.domain.enums import (
    PredictionOutcome,
    PredictionType,
    SubjectType,
    WriteOutcome,
)
from analytics.domain.patterns import PredictionEvent


class SkipReason(StrEnum):
    """Reason the predictor made no prediction of a type for a subject."""

    INSUFFICIENT_HISTORY = "insufficient_history"
    """Too few runs in the input window to judge."""

    BELOW_THRESHOLD = "below_threshold"
    """The measured rate or overrun stayed below the threshold that predicts."""

    ALREADY_VALID = "already_valid"
    """A prediction of this type for the subject is still valid, so none is added."""


class SkippedSubject(OutputModel):
    """A subject and prediction type for which no prediction was made, and why."""

    subject_type: SubjectType
    subject_id: str
    prediction_type: PredictionType
    reason: SkipReason


class OutcomeCheck(OutputModel):
    """Outcome recorded for one expired prediction, measured over its validity window.

    ``window_start`` to ``window_end`` is the prediction's validity
    ``[created_at, expires_at)``. ``outcome_value`` contains the run counts and the
    measured rate or mean cost. ``write_outcome`` shows whether the port stored
    the outcome (``updated``) or found it already stored (``unchanged``).
    """

    prediction_id: str
    prediction_type: PredictionType
    subject_type: SubjectType
    subject_id: str
    window_start: UtcDatetime
    window_end: UtcDatetime
    outcome: PredictionOutcome
    outcome_value: dict[str, Any]
    write_outcome: WriteOutcome


class PredictionReport(OutputModel):
    """Result of one predictor run for one tenant at the instant ``at``.

    ``outcomes`` are the checks of expired predictions made first,
    ``predictions`` the stored new predictions and ``skipped`` the subjects
    that got none. ``truncated`` is true when a read returned its full limit,
    so some runs or predictions may be missing.
    """

    tenant_id: str
    at: UtcDatetime
    outcomes: list[OutcomeCheck]
    predictions: list[PredictionEvent]
    skipped: list[SkippedSubject]
    truncated: bool


class PredictionAccuracy(OutputModel):
    """Outcome counts of one prediction type over predictions made in a window.

    ``precision`` is ``confirmed / (confirmed + refuted)`` with six places, or
    ``None`` when both are zero. Undetermined and pending predictions do not
    count towards it.
    """

    prediction_type: PredictionType
    confirmed: int
    refuted: int
    undetermined: int
    pending: int
    precision: OutputDecimal | None

    @property
    def total(self) -> int:
        """All predictions of the type made in the window."""
        return self.confirmed + self.refuted + self.undetermined + self.pending
