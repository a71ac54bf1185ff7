"""Result of one run of the pattern detector."""

from __future__ import annotations

from analytics.domain.common import OutputModel, UtcDatetime, WriteResult
from analytics.domain.patterns import PatternFeedback


class PatternReport(OutputModel):
    """Failure patterns and cost spikes found for one tenant at one instant.

    ``window_start`` to ``window_end`` is the window of failed runs, and
    ``cost_window_start`` to ``window_end`` the window of costed runs. Each
    pattern is the stored feedback row with what the detection did to it
    (``created``, ``updated`` or ``unchanged``). ``truncated`` is true when a
    read returned its full limit, so some runs may be missing.
    """

    tenant_id: str
    window_start: UtcDatetime
    window_end: UtcDatetime
    cost_window_start: UtcDatetime
    failure_patterns: list[WriteResult[PatternFeedback]]
    cost_spikes: list[WriteResult[PatternFeedback]]
    failed_runs_read: int
    costed_runs_read: int
    truncated: bool
