"""Drift rule of the cost-anomaly detector: the tenant's rolling average against its baseline."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from analytics.domain import (
    AnomalySeverity,
    AnomalyType,
    DailySpendSummary,
    DerivedCause,
    DriftTracker,
    EntityType,
    NewCostRecord,
)
from analytics.domain.detection import DetectionOutcome, DetectionReport, DetectionRule, Verdict
from analytics.engines.anomalies.drift import check_drift
from analytics.engines.settings import AnomalySettings
from tests.contract.harness import Harness
from tests.engines.anomaly_data import (
    D,
    at,
    daily_records,
    detect_on,
    detected,
    evaluation,
    money,
    pct,
    record,
    seed,
    verdict_counts,
)

TENANT = "acme"


def _drift_records() -> list[NewCostRecord]:
    """Untagged daily spend for the drift sequence of 03-15 to 03-19.

    10.00 a day from 02-16 to 03-09, 14.20 from 03-10 to 03-14, 10.00 on the
    15th and 16th, 14.20 on the 17th and 3.28 on the 18th. For 03-15, 03-16
    and 03-17 the baseline sums to 210.00 over 21 days and the rolling window
    91.00 over 7 (ratio 1.3); for 03-18 they are 214.20 and 91.00 (ratio
    1.274510); for 03-19 218.40 and 80.08 (ratio 1.1).
    """
    return [
        *daily_records(date(2024, 2, 16), date(2024, 3, 9), "10.00"),
        *daily_records(date(2024, 3, 10), date(2024, 3, 14), "14.20"),
        *daily_records(date(2024, 3, 15), date(2024, 3, 16), "10.00"),
        record(date(2024, 3, 17), "14.20"),
        record(date(2024, 3, 18), "3.28"),
    ]


async def _tracker(backend: Harness) -> DriftTracker | None:
    async with backend.uow() as uow:
        return await uow.cost_anomalies.fetch_drift_tracking(
            TENANT, entity_type=EntityType.TENANT, entity_id=None
        )


async def _drift_ratio(backend: Harness, day: date) -> Decimal | None:
    """Return the drift ratio of ``day``, read through the same ports as the detector."""
    async with backend.uow() as uow:
        port = uow.cost_anomalies
        rolling = await port.fetch_rolling_avg(TENANT, last_day=day - timedelta(days=1), days=7)
        baseline = await port.fetch_baseline_avg(
            TENANT, start_day=day - timedelta(days=28), end_day=day - timedelta(days=7)
        )
    return check_drift(rolling, baseline, AnomalySettings()).ratio


def _drift(report: DetectionReport) -> Verdict:
    return evaluation(report, DetectionRule.DRIFT, None).verdict


async def test_drift_sequence_counts_days(backend: Harness) -> None:
    await seed(backend, TENANT, _drift_records())

    first = await detect_on(backend, TENANT, date(2024, 3, 15))
    first_tracker = await _tracker(backend)
    second = await detect_on(backend, TENANT, date(2024, 3, 16))
    counts_before_rerun = await backend.row_counts()
    tracker_before_rerun = await _tracker(backend)
    rerun = await detect_on(backend, TENANT, date(2024, 3, 16), clock_hour=23)

    assert _drift(first) is Verdict.BREACH_PENDING
    assert first_tracker is not None
    assert first_tracker.drift_days_count == 1
    assert first_tracker.first_drift_date == date(2024, 3, 15)
    assert _drift(second) is Verdict.BREACH_PENDING
    assert tracker_before_rerun is not None
    assert tracker_before_rerun.drift_days_count == 2
    assert _drift(rerun) is Verdict.BREACH_PENDING
    assert await _tracker(backend) == tracker_before_rerun
    assert await backend.row_counts() == counts_before_rerun
    assert first.anomalies == []
    assert rerun.anomalies == []


async def test_drift_example_numbers(backend: Harness) -> None:
    await seed(backend, TENANT, _drift_records())

    report = await detect_on(backend, TENANT, date(2024, 3, 15))

    drift = evaluation(report, DetectionRule.DRIFT, None)
    assert drift.current_usd == money("13.00")
    assert drift.expected_usd == money("10.00")
    assert drift.ratio == pct("1.3")
    assert drift.active_days == 21
    tracker = await _tracker(backend)
    assert tracker is not None
    assert tracker.rolling_avg_usd == money("13.00")
    assert tracker.baseline_avg_usd == money("10.00")
    assert tracker.drift_pct == pct("30")


async def test_drift_raised_on_third_day(backend: Harness) -> None:
    await seed(backend, TENANT, _drift_records())
    for day in (15, 16, 16):
        await detect_on(backend, TENANT, date(2024, 3, day))

    report = await detect_on(backend, TENANT, date(2024, 3, 17))

    assert _drift(report) is Verdict.ANOMALY
    found = detected(report, AnomalyType.SUSTAINED_DRIFT, None)
    assert found.outcome is DetectionOutcome.CREATED
    anomaly = found.anomaly
    assert anomaly.severity is AnomalySeverity.LOW
    assert anomaly.period_start == date(2024, 3, 15)
    assert anomaly.breach_count == 3
    assert anomaly.deviation_pct == pct("30")
    assert anomaly.threshold_pct == pct("25")
    assert anomaly.current_value_usd == money("13.00")
    assert anomaly.expected_value_usd == money("10.00")
    assert anomaly.derived_cause is DerivedCause.UNKNOWN
    assert anomaly.message == (
        "Spend of tenant acme averaged $13.00 per day from 2024-03-10 to 2024-03-16, "
        "1.3× its $10.00 per day from 2024-02-18 to 2024-03-09 (day 3 of drift); "
        "cause: unknown."
    )
    assert anomaly.metadata["ratio"] == "1.300000"
    assert anomaly.metadata["rolling_first_day"] == "2024-03-10"
    assert anomaly.metadata["baseline_last_day"] == "2024-03-09"
    assert anomaly.metadata["baseline_active_days"] == 21


async def test_drift_continues_then_resets(backend: Harness) -> None:
    await seed(backend, TENANT, _drift_records())
    for day in (15, 16, 16):
        await detect_on(backend, TENANT, date(2024, 3, day))
    raised = await detect_on(backend, TENANT, date(2024, 3, 17))
    raised_id = detected(raised, AnomalyType.SUSTAINED_DRIFT, None).anomaly.id

    continued = await detect_on(backend, TENANT, date(2024, 3, 18))
    ended = await detect_on(backend, TENANT, date(2024, 3, 19))

    found = detected(continued, AnomalyType.SUSTAINED_DRIFT, None)
    assert found.outcome is DetectionOutcome.UPDATED
    assert found.anomaly.id == raised_id
    assert found.anomaly.breach_count == 4
    assert found.anomaly.period_start == date(2024, 3, 15)
    assert found.anomaly.deviation_pct == pct("27.451")
    assert found.anomaly.last_detected_at == at(date(2024, 3, 18), 23)

    assert await _drift_ratio(backend, date(2024, 3, 19)) == pct("1.1")
    assert verdict_counts(ended, DetectionRule.DRIFT) == {Verdict.NORMAL: 1}
    assert ended.anomalies == []
    assert await _tracker(backend) is None
    async with backend.uow() as uow:
        open_anomalies = await uow.cost_anomalies.list_anomalies(
            TENANT, start=at(date(2024, 3, 1)), end=at(date(2024, 4, 1)), resolved=False
        )
    assert [anomaly.id for anomaly in open_anomalies] == [raised_id]


async def test_drift_backfill_skips_tracker(backend: Harness) -> None:
    await seed(backend, TENANT, _drift_records())
    await detect_on(backend, TENANT, date(2024, 3, 16))
    tracker = await _tracker(backend)
    counts = await backend.row_counts()

    backfill = await detect_on(backend, TENANT, date(2024, 3, 15), clock_hour=23)

    assert verdict_counts(backfill, DetectionRule.DRIFT) == {}
    assert await _tracker(backend) == tracker
    assert await backend.row_counts() == counts


async def test_drift_short_baseline_is_insufficient(backend: Harness) -> None:
    await seed(backend, TENANT, daily_records(date(2024, 3, 2), date(2024, 3, 14), "10.00"))

    report = await detect_on(backend, TENANT, D)

    drift = evaluation(report, DetectionRule.DRIFT, None)
    assert drift.verdict is Verdict.INSUFFICIENT_HISTORY
    assert drift.active_days == 6
    assert drift.ratio is None
    assert await _tracker(backend) is None


def _summary(total: str, days: int, active_days: int) -> DailySpendSummary:
    total_usd = money(total)
    return DailySpendSummary(
        start_day=date(2024, 2, 1),
        end_day=date(2024, 2, 1 + days),
        tz="UTC",
        total_usd=total_usd,
        requests=active_days,
        active_days=active_days,
        calendar_days=days,
        avg_per_active_day_usd=money(str(total_usd / active_days)) if active_days else None,
        avg_per_calendar_day_usd=money(str(total_usd / days)),
    )


def test_drift_check_example() -> None:
    check = check_drift(_summary("91.00", 7, 7), _summary("210.00", 21, 21), AnomalySettings())

    assert check.verdict is Verdict.BREACH_PENDING
    assert check.ratio == pct("1.3")
    assert check.deviation_pct == pct("30")


def test_drift_needs_minimum_excess() -> None:
    # Ratio 1.5, but only 0.50 more per day.
    check = check_drift(_summary("10.50", 7, 7), _summary("21.00", 21, 21), AnomalySettings())

    assert check.ratio == pct("1.5")
    assert check.verdict is Verdict.NORMAL


def test_drift_zero_baseline_is_insufficient() -> None:
    check = check_drift(_summary("91.00", 7, 7), _summary("0", 21, 21), AnomalySettings())

    assert check.verdict is Verdict.INSUFFICIENT_HISTORY
