"""Budget rule of the cost-anomaly detector: daily and monthly limits of active budgets."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from analytics.domain import AnomalySeverity, AnomalyType, Budget, BudgetPeriod, EntityType
from analytics.domain.detection import DetectionOutcome, DetectionRule, Verdict
from analytics.engines.anomalies.budgets import check_limit
from analytics.engines.settings import AnomalySettings
from tests.contract.harness import Harness
from tests.engines.anomaly_data import (
    D,
    at,
    detect_on,
    detected,
    money,
    pct,
    record,
    seed,
    stored,
    verdict_counts,
)

TENANT = "acme"


async def _budget(backend: Harness, **fields: object) -> str:
    async with backend.uow() as uow:
        result = await uow.cost_writes.create_or_update_budget(TENANT, **fields)  # type: ignore[arg-type]
    return result.record.id


async def _tenant_daily_100(backend: Harness) -> str:
    return await _budget(
        backend,
        budget_type=EntityType.TENANT,
        daily_limit_usd=Decimal("100"),
        warn_threshold_pct=80,
    )


async def test_daily_warning_medium(backend: Harness) -> None:
    budget_id = await _tenant_daily_100(backend)
    await seed(backend, TENANT, [record(D, "85.00")])

    report = await detect_on(backend, TENANT, D)

    found = detected(report, AnomalyType.BUDGET_WARNING, None)
    assert found.outcome is DetectionOutcome.CREATED
    anomaly = found.anomaly
    assert anomaly.entity_type is EntityType.TENANT
    assert anomaly.severity is AnomalySeverity.MEDIUM
    assert anomaly.budget_period is BudgetPeriod.DAILY
    assert anomaly.period_start == D
    assert anomaly.current_value_usd == money("85.00")
    assert anomaly.expected_value_usd == money("100.00")
    assert anomaly.deviation_pct == pct("-15")
    assert anomaly.threshold_pct == pct("-20")
    assert anomaly.breach_count == 1
    assert anomaly.budget_id == budget_id
    assert anomaly.derived_cause is None
    assert anomaly.metadata == {
        "usage_pct": "85.000000",
        "warn_threshold_pct": 80,
        "hard_limit_enabled": False,
        "period_first_day": "2024-03-15",
        "period_last_day": "2024-03-15",
    }
    assert anomaly.message == (
        "Spend of tenant acme on 2024-03-15 was $85.00, 85% of its daily budget of $100.00 "
        "(warning at 80%)."
    )


async def test_daily_warning_high(backend: Harness) -> None:
    await _tenant_daily_100(backend)
    await seed(backend, TENANT, [record(D, "95.00")])

    report = await detect_on(backend, TENANT, D)

    anomaly = detected(report, AnomalyType.BUDGET_WARNING, None).anomaly
    assert anomaly.severity is AnomalySeverity.HIGH
    assert anomaly.deviation_pct == pct("-5")


async def test_daily_exceeded(backend: Harness) -> None:
    await _tenant_daily_100(backend)
    await seed(backend, TENANT, [record(D, "120.00")])

    report = await detect_on(backend, TENANT, D)

    anomaly = detected(report, AnomalyType.BUDGET_EXCEEDED, None).anomaly
    assert anomaly.severity is AnomalySeverity.HIGH
    assert anomaly.deviation_pct == pct("20")
    assert anomaly.threshold_pct == pct("0")
    assert anomaly.message == (
        "Spend of tenant acme on 2024-03-15 was $120.00, 120% of its daily budget of $100.00 "
        "(over the limit)."
    )
    assert verdict_counts(report, DetectionRule.BUDGET) == {Verdict.ANOMALY: 1}


async def test_below_warning_is_normal(backend: Harness) -> None:
    await _tenant_daily_100(backend)
    await seed(backend, TENANT, [record(D, "79.99")])

    report = await detect_on(backend, TENANT, D)

    assert report.anomalies == []
    assert verdict_counts(report, DetectionRule.BUDGET) == {Verdict.NORMAL: 1}


async def test_monthly_feature_warning(backend: Harness) -> None:
    budget_id = await _budget(
        backend,
        budget_type=EntityType.FEATURE,
        entity_id="chat.reply",
        monthly_limit_usd=Decimal("50"),
        warn_threshold_pct=80,
        hard_limit_enabled=True,
    )
    await seed(
        backend,
        TENANT,
        [
            record(date(2024, 2, 29), "30.00", feature="chat.reply"),
            record(date(2024, 3, 1), "20.00", feature="chat.reply"),
            record(date(2024, 3, 10), "21.00", feature="chat.reply"),
            record(date(2024, 3, 10), "99.00", feature="search.rank"),
        ],
    )

    report = await detect_on(backend, TENANT, D)

    anomaly = detected(report, AnomalyType.BUDGET_WARNING, "chat.reply").anomaly
    assert anomaly.entity_type is EntityType.FEATURE
    assert anomaly.budget_period is BudgetPeriod.MONTHLY
    assert anomaly.period_start == date(2024, 3, 1)
    assert anomaly.current_value_usd == money("41.00")
    assert anomaly.expected_value_usd == money("50.00")
    assert anomaly.severity is AnomalySeverity.MEDIUM
    assert anomaly.metadata["usage_pct"] == "82.000000"
    assert anomaly.metadata["hard_limit_enabled"] is True
    assert anomaly.budget_id == budget_id
    assert anomaly.message == (
        "Spend of feature chat.reply from 2024-03-01 through 2024-03-15 was $41.00, 82% of its "
        "monthly budget of $50.00 (warning at 80%)."
    )


async def test_month_to_date_of_backfilled_day(backend: Harness) -> None:
    await _budget(
        backend,
        budget_type=EntityType.FEATURE,
        entity_id="chat.reply",
        monthly_limit_usd=Decimal("50"),
    )
    await seed(
        backend,
        TENANT,
        [
            record(date(2024, 3, 1), "20.00", feature="chat.reply"),
            record(date(2024, 3, 10), "21.00", feature="chat.reply"),
        ],
    )

    report = await detect_on(backend, TENANT, date(2024, 3, 5), clock_hour=23)

    assert report.anomalies == []
    assert verdict_counts(report, DetectionRule.BUDGET) == {Verdict.NORMAL: 1}


async def test_daily_and_monthly_are_separate(backend: Harness) -> None:
    await _budget(
        backend,
        budget_type=EntityType.USER,
        entity_id="u1",
        daily_limit_usd=Decimal("10"),
        monthly_limit_usd=Decimal("30"),
    )
    await seed(
        backend,
        TENANT,
        [record(date(2024, 3, 2), "23.00", user="u1"), record(D, "12.00", user="u1")],
    )

    report = await detect_on(backend, TENANT, D)

    exceeded = stored(report)
    assert [(item.budget_period, item.period_start) for item in exceeded] == [
        (BudgetPeriod.DAILY, D),
        (BudgetPeriod.MONTHLY, date(2024, 3, 1)),
    ]
    assert [item.current_value_usd for item in exceeded] == [money("12.00"), money("35.00")]
    assert {item.anomaly_type for item in exceeded} == {AnomalyType.BUDGET_EXCEEDED}
    assert len({item.id for item in exceeded}) == 2


async def test_budget_entity_without_records(backend: Harness) -> None:
    await _budget(
        backend, budget_type=EntityType.USER, entity_id="ghost", daily_limit_usd=Decimal("1")
    )
    await seed(backend, TENANT, [record(D, "5.00", user="u1")])

    report = await detect_on(backend, TENANT, D)

    assert report.anomalies == []
    assert verdict_counts(report, DetectionRule.BUDGET) == {Verdict.NORMAL: 1}


async def test_inactive_budget_is_ignored(backend: Harness) -> None:
    await _budget(
        backend, budget_type=EntityType.TENANT, daily_limit_usd=Decimal("1"), is_active=False
    )
    await seed(backend, TENANT, [record(D, "5.00")])

    report = await detect_on(backend, TENANT, D)

    assert report.anomalies == []
    assert verdict_counts(report, DetectionRule.BUDGET) == {}


async def test_budget_evaluation_fields(backend: Harness) -> None:
    await _tenant_daily_100(backend)
    await seed(backend, TENANT, [record(D, "85.00")])

    report = await detect_on(backend, TENANT, D)

    budget = [item for item in report.evaluations if item.rule is DetectionRule.BUDGET]
    assert len(budget) == 1
    assert budget[0].budget_period is BudgetPeriod.DAILY
    assert budget[0].current_usd == money("85.00")
    assert budget[0].expected_usd == money("100.00")
    assert budget[0].ratio == pct("0.85")
    assert budget[0].active_days is None


def _tenant_budget(warn_threshold_pct: int) -> Budget:
    return Budget(
        id="cb_1",
        tenant_id=TENANT,
        budget_type=EntityType.TENANT,
        entity_id=None,
        daily_limit_usd=money("100"),
        monthly_limit_usd=None,
        warn_threshold_pct=warn_threshold_pct,
        hard_limit_enabled=False,
        is_active=True,
        created_at=at(D),
        updated_at=at(D),
    )


def test_usage_rounds_before_comparing() -> None:
    # 79.9999995 % rounds half to even to 80.000000 and warns.
    check = check_limit(
        _tenant_budget(80),
        BudgetPeriod.DAILY,
        D,
        Decimal("79.999999500"),
        Decimal("100.000000000"),
        AnomalySettings(),
    )

    assert check.usage_pct == pct("80")
    assert check.anomaly_type is AnomalyType.BUDGET_WARNING
    assert check.threshold_pct == pct("-20")
