"""Spike rule of the cost-anomaly detector: users, features and the tenant against their usual."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from analytics.domain import (
    AnomalySeverity,
    AnomalyType,
    BreachType,
    DailySpendSummary,
    EntityType,
)
from analytics.domain.detection import DetectionOutcome, DetectionRule, Verdict
from analytics.engines.anomalies.numbers import severity_for
from analytics.engines.anomalies.spikes import SpikeScope, check_spike, decide_episode
from analytics.engines.settings import AnomalySettings, SpikeDenominator
from tests.contract.harness import Harness
from tests.engines.anomaly_data import (
    D,
    add_spike_breach,
    at,
    detect_on,
    detected,
    evaluation,
    money,
    pct,
    record,
    seed,
    spike_example_records,
    verdict_counts,
)

TENANT = "acme"


async def _seed_example(backend: Harness, *, u1_breach_yesterday: bool = True) -> None:
    await seed(backend, TENANT, spike_example_records())
    if u1_breach_yesterday:
        await add_spike_breach(backend, TENANT, date(2024, 3, 14))


def _summary(total: str, active_days: int, calendar_days: int = 13) -> DailySpendSummary:
    total_usd = money(total)
    return DailySpendSummary(
        start_day=date(2024, 3, 1),
        end_day=date(2024, 3, 14),
        tz="UTC",
        total_usd=total_usd,
        requests=active_days,
        active_days=active_days,
        calendar_days=calendar_days,
        avg_per_active_day_usd=money(str(total_usd / active_days)) if active_days else None,
        avg_per_calendar_day_usd=money(str(total_usd / calendar_days)),
    )


# The worked example, through the ports.


async def test_spike_example_user_u1(backend: Harness) -> None:
    await _seed_example(backend)

    report = await detect_on(backend, TENANT, D)

    found = detected(report, AnomalyType.ABSOLUTE_SPIKE, "u1")
    assert found.outcome is DetectionOutcome.CREATED
    anomaly = found.anomaly
    assert anomaly.entity_type is EntityType.USER
    assert anomaly.severity is AnomalySeverity.MEDIUM
    assert anomaly.period_start == date(2024, 3, 14)
    assert anomaly.breach_count == 2
    assert anomaly.current_value_usd == money("5.00")
    assert anomaly.expected_value_usd == money("2.00")
    assert anomaly.deviation_pct == pct("150")
    assert anomaly.threshold_pct == pct("40")
    assert anomaly.budget_period is None
    assert anomaly.metadata["ratio"] == "2.500000"
    assert anomaly.metadata["baseline_active_days"] == 5
    assert anomaly.metadata["baseline_first_day"] == "2024-03-01"
    assert anomaly.metadata["baseline_last_day"] == "2024-03-13"
    assert anomaly.metadata["denominator"] == "active_day"

    u1 = evaluation(report, DetectionRule.SPIKE, "u1")
    assert u1.verdict is Verdict.ANOMALY
    assert u1.expected_usd == money("2.00")
    assert u1.ratio == pct("2.5")


async def test_spike_example_short_histories(backend: Harness) -> None:
    await _seed_example(backend)

    report = await detect_on(backend, TENANT, D)

    u2 = evaluation(report, DetectionRule.SPIKE, "u2")
    assert u2.verdict is Verdict.INSUFFICIENT_HISTORY
    assert u2.current_usd == money("4.00")
    assert u2.expected_usd is None
    assert u2.ratio is None
    assert u2.active_days == 2

    u4 = evaluation(report, DetectionRule.SPIKE, "u4")
    assert u4.verdict is Verdict.INSUFFICIENT_HISTORY
    assert u4.current_usd == money("0.40")
    assert u4.active_days == 0


async def test_spike_example_normal_scopes(backend: Harness) -> None:
    await _seed_example(backend)

    report = await detect_on(backend, TENANT, D)

    spike_scopes = {
        item.entity_id for item in report.evaluations if item.rule is DetectionRule.SPIKE
    }
    assert spike_scopes == {"u1", "u2", "u4", "summarize"}
    assert verdict_counts(report, DetectionRule.SPIKE) == {
        Verdict.ANOMALY: 2,
        Verdict.INSUFFICIENT_HISTORY: 2,
        Verdict.NORMAL: 2,
    }
    assert verdict_counts(report, DetectionRule.DRIFT) == {Verdict.NORMAL: 1}


async def test_spike_example_feature_first_day(backend: Harness) -> None:
    await _seed_example(backend)

    report = await detect_on(backend, TENANT, D)

    anomaly = detected(report, AnomalyType.ABSOLUTE_SPIKE, "summarize").anomaly
    assert anomaly.entity_type is EntityType.FEATURE
    assert anomaly.severity is AnomalySeverity.HIGH
    assert anomaly.period_start == D
    assert anomaly.breach_count == 1
    assert anomaly.expected_value_usd == money("3.00")
    assert anomaly.current_value_usd == money("10.50")
    assert anomaly.deviation_pct == pct("250")
    assert anomaly.metadata["ratio"] == "3.500000"


async def test_spike_example_writes_breach_rows(backend: Harness) -> None:
    await _seed_example(backend)

    await detect_on(backend, TENANT, D)

    async with backend.uow() as uow:
        port = uow.cost_anomalies
        streaks = await port.fetch_breach_streaks(
            TENANT,
            entity_type=EntityType.USER,
            entity_ids=["u1", "u2", "u3", "u4"],
            breach_type=BreachType.ABSOLUTE_SPIKE,
            day=D,
        )
        feature = await port.fetch_consecutive_breaches(
            TENANT,
            entity_type=EntityType.FEATURE,
            entity_id="summarize",
            breach_type=BreachType.ABSOLUTE_SPIKE,
            day=D,
        )
        tenant = await port.fetch_consecutive_breaches(
            TENANT,
            entity_type=EntityType.TENANT,
            entity_id=None,
            breach_type=BreachType.ABSOLUTE_SPIKE,
            day=D,
        )
    assert {streak.entity_id: streak.days for streak in streaks} == {
        "u1": 2,
        "u2": 0,
        "u3": 0,
        "u4": 0,
    }
    assert feature == 1
    assert tenant == 0


async def test_spike_example_calendar_day(backend: Harness) -> None:
    await _seed_example(backend)

    report = await detect_on(backend, TENANT, D, spike_denominator=SpikeDenominator.CALENDAR_DAY)

    u1 = evaluation(report, DetectionRule.SPIKE, "u1")
    assert u1.expected_usd == money("0.769230769")
    assert u1.ratio == pct("6.5")
    anomaly = detected(report, AnomalyType.ABSOLUTE_SPIKE, "u1").anomaly
    assert anomaly.severity is AnomalySeverity.HIGH
    assert anomaly.metadata["denominator"] == "calendar_day"
    assert "per calendar day" in anomaly.message


async def test_single_breach_day_is_pending(backend: Harness) -> None:
    await _seed_example(backend, u1_breach_yesterday=False)

    report = await detect_on(backend, TENANT, D)

    u1 = evaluation(report, DetectionRule.SPIKE, "u1")
    assert u1.verdict is Verdict.BREACH_PENDING
    assert all(item.anomaly.entity_id != "u1" for item in report.anomalies)
    async with backend.uow() as uow:
        breached = await uow.cost_anomalies.fetch_breach_exists_today(
            TENANT,
            entity_type=EntityType.USER,
            entity_id="u1",
            breach_type=BreachType.ABSOLUTE_SPIKE,
            day=D,
        )
    assert breached


async def test_immediate_ratio_disabled(backend: Harness) -> None:
    await _seed_example(backend)

    report = await detect_on(backend, TENANT, D, spike_immediate_ratio=None)

    summarize = evaluation(report, DetectionRule.SPIKE, "summarize")
    assert summarize.verdict is Verdict.BREACH_PENDING
    assert [item.anomaly.entity_id for item in report.anomalies] == ["u1"]


async def test_spike_message_format(backend: Harness) -> None:
    await _seed_example(backend)

    report = await detect_on(backend, TENANT, D)

    u1 = detected(report, AnomalyType.ABSOLUTE_SPIKE, "u1").anomaly
    assert u1.message == (
        "Spend of user u1 on 2024-03-15 was $5.00, 2.5× its usual $2.00 per active day "
        "(day 2 in a row); cause: unknown."
    )
    summarize = detected(report, AnomalyType.ABSOLUTE_SPIKE, "summarize").anomaly
    assert summarize.message.startswith(
        "Spend of feature summarize on 2024-03-15 was $10.50, 3.5× its usual $3.00 "
        "per active day (first day); cause: "
    )


async def test_tenant_spike_with_local_days(backend: Harness) -> None:
    # 20:00 UTC on the 15th is 01:30 on the 16th in Kolkata, so that record is
    # spend of the 16th there.
    records = [
        *(record(date(2024, 3, day), "10.00") for day in range(1, 14)),
        record(D, "50.00"),
        record(D, "7.00").model_copy(update={"occurred_at": at(D, 20)}),
    ]
    await seed(backend, TENANT, records)

    kolkata = await detect_on(backend, TENANT, D, tz="Asia/Kolkata")
    utc = await detect_on(backend, TENANT, D)

    assert evaluation(kolkata, DetectionRule.SPIKE, None).current_usd == money("50.00")
    assert evaluation(kolkata, DetectionRule.SPIKE, None).expected_usd == money("10.00")
    assert evaluation(utc, DetectionRule.SPIKE, None).current_usd == money("57.00")
    assert kolkata.tz == "Asia/Kolkata"


# Pure checks of the rule.


def test_tenant_example_is_normal() -> None:
    scope = SpikeScope(EntityType.TENANT, None, money("26.00"), _summary("260.00", 13))

    check = check_spike(scope, AnomalySettings())

    assert check.verdict is Verdict.NORMAL
    assert check.expected_usd == money("20.00")
    assert check.ratio == pct("1.3")


def test_ratio_rounding_edge_fires() -> None:
    # 13.999995 / 10 = 1.3999995, which rounds half to even to 1.400000.
    scope = SpikeScope(EntityType.TENANT, None, money("13.999995"), _summary("130.00", 13))

    check = check_spike(scope, AnomalySettings())

    assert check.ratio == pct("1.4")
    assert check.verdict is Verdict.BREACH_PENDING
    assert check.deviation_pct == pct("40")


def test_zero_baseline_is_insufficient() -> None:
    scope = SpikeScope(EntityType.USER, "u9", money("3.00"), _summary("0", 5))

    check = check_spike(scope, AnomalySettings())

    assert check.verdict is Verdict.INSUFFICIENT_HISTORY


def test_streak_decides_episode() -> None:
    scope = SpikeScope(EntityType.USER, "u1", money("5.00"), _summary("10.00", 5))
    check = check_spike(scope, AnomalySettings())

    pending = decide_episode(check, 1, D, AnomalySettings())
    raised = decide_episode(check, 4, D, AnomalySettings())

    assert pending.verdict is Verdict.BREACH_PENDING
    assert raised.verdict is Verdict.ANOMALY
    assert raised.first_day == date(2024, 3, 12)
    assert raised.breach_count == 4


def test_spike_severity_bands() -> None:
    high, medium = Decimal("3.00"), Decimal("2.00")

    assert severity_for(pct("3.0"), high, medium) is AnomalySeverity.HIGH
    assert severity_for(pct("2.999999"), high, medium) is AnomalySeverity.MEDIUM
    assert severity_for(pct("2.0"), high, medium) is AnomalySeverity.MEDIUM
    assert severity_for(pct("1.999999"), high, medium) is AnomalySeverity.LOW
