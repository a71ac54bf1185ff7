"""Types shared by the predictor's rules: the input window and one rule's verdict."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from analytics.domain import NewPrediction, PredictionType
from analytics.domain.prediction_reports import SkipReason

ADVISORY_NOTE = "Advisory prediction from recent worker runs; nothing acts on it automatically."
"""``notes`` of every prediction the predictor stores."""


@dataclass(frozen=True)
class InputWindow:
    """The input window ``[start, end)`` of one predictor run; ``end`` is the prediction time."""

    start: datetime
    end: datetime


@dataclass(frozen=True)
class Evaluation:
    """Verdict of one rule for one worker: a prediction to store, or the reason for none."""

    subject_id: str
    prediction_type: PredictionType
    prediction: NewPrediction | None
    reason: SkipReason | None

    @classmethod
    def skip(
        cls, subject_id: str, prediction_type: PredictionType, reason: SkipReason
    ) -> Evaluation:
        """Return the verdict that makes no prediction, for ``reason``."""
        return cls(subject_id, prediction_type, None, reason)
