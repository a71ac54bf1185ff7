"""The cost-anomaly detector as a whole: re-runs, feedback, tenants, inputs and bounded work."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import event

from analytics.domain import (
    AnomalySeverity,
    AnomalyType,
    BreachType,
    DerivedCause,
    EntityType,
    NewAnomaly,
    NewCostRecord,
)
from analytics.domain.detection import DetectionOutcome, DetectionRule, Verdict
from analytics.engines.anomalies import CostAnomalyDetector
from analytics.engines.settings import AnomalySettings
from analytics.ports import InvalidInput
from tests.contract.harness import Harness
from tests.engines.anomaly_data import (
    D,
    add_spike_breach,
    at,
    daily_records,
    detect_on,
    detected,
    make_detector,
    money,
    record,
    seed,
    spike_example_records,
    stored,
    verdict_counts,
)

TENANT = "acme"


async def _seed_example(backend: Harness, tenant_id: str = TENANT) -> None:
    await seed(backend, tenant_id, spike_example_records())
    await add_spike_breach(backend, tenant_id, date(2024, 3, 14))
    async with backend.uow() as uow:
        await uow.cost_writes.create_or_update_budget(
            tenant_id, budget_type=EntityType.TENANT, daily_limit_usd=Decimal("30")
        )


# Re-runs and feedback.


async def test_rerun_writes_nothing(backend: Harness) -> None:
    await _seed_example(backend)
    first = await detect_on(backend, TENANT, D, clock_hour=20)
    counts = await backend.row_counts()

    again = await detect_on(backend, TENANT, D, clock_hour=23)

    assert [item.outcome for item in first.anomalies] == [DetectionOutcome.CREATED] * 3
    assert [item.outcome for item in again.anomalies] == [DetectionOutcome.UNCHANGED] * 3
    assert await backend.row_counts() == counts
    assert [item.id for item in stored(again)] == [item.id for item in stored(first)]
    assert all(item.last_detected_at == at(D, 20) for item in stored(again))
    assert again.evaluations == first.evaluations


async def test_new_data_updates_in_place(backend: Harness) -> None:
    await _seed_example(backend)
    first = await detect_on(backend, TENANT, D, clock_hour=20)
    await seed(backend, TENANT, [record(D, "1.00", user="u1", minute=45)])
    counts = await backend.row_counts()

    again = await detect_on(backend, TENANT, D, clock_hour=23)

    u1_before = detected(first, AnomalyType.ABSOLUTE_SPIKE, "u1").anomaly
    u1 = detected(again, AnomalyType.ABSOLUTE_SPIKE, "u1")
    assert u1.outcome is DetectionOutcome.UPDATED
    assert u1.anomaly.id == u1_before.id
    assert u1.anomaly.current_value_usd == money("6.00")
    assert u1.anomaly.last_detected_at == at(D, 23)
    assert await backend.row_counts() == counts


async def test_resolved_spike_is_suppressed(backend: Harness) -> None:
    await _seed_example(backend)
    first = await detect_on(backend, TENANT, D, clock_hour=20)
    u1_id = detected(first, AnomalyType.ABSOLUTE_SPIKE, "u1").anomaly.id
    backend.clock.now = at(D, 21)
    async with backend.uow() as uow:
        await uow.cost_anomalies.resolve_anomaly(TENANT, anomaly_id=u1_id)
    counts = await backend.row_counts()

    again = await detect_on(backend, TENANT, D, clock_hour=23)

    u1 = detected(again, AnomalyType.ABSOLUTE_SPIKE, "u1")
    assert u1.outcome is DetectionOutcome.SUPPRESSED
    assert isinstance(u1.anomaly, NewAnomaly)
    assert u1.anomaly.period_start == date(2024, 3, 14)
    assert detected(again, AnomalyType.ABSOLUTE_SPIKE, "summarize").outcome is (
        DetectionOutcome.UNCHANGED
    )
    assert await backend.row_counts() == counts


async def test_resolved_budget_period_raised_once(backend: Harness) -> None:
    async with backend.uow() as uow:
        await uow.cost_writes.create_or_update_budget(
            TENANT, budget_type=EntityType.TENANT, daily_limit_usd=Decimal("10")
        )
    await seed(backend, TENANT, [record(D - timedelta(days=1), "12.00"), record(D, "15.00")])
    yesterday = await detect_on(backend, TENANT, D - timedelta(days=1))
    async with backend.uow() as uow:
        await uow.cost_anomalies.resolve_anomaly(TENANT, anomaly_id=stored(yesterday)[0].id)

    rerun = await detect_on(backend, TENANT, D - timedelta(days=1), clock_hour=23)
    today = await detect_on(backend, TENANT, D)

    assert [item.outcome for item in rerun.anomalies] == [DetectionOutcome.SUPPRESSED]
    assert [item.outcome for item in today.anomalies] == [DetectionOutcome.CREATED]
    assert today.anomalies[0].anomaly.period_start == D


async def test_old_resolution_does_not_suppress(backend: Harness) -> None:
    async with backend.uow() as uow:
        await uow.cost_writes.create_or_update_budget(
            TENANT, budget_type=EntityType.TENANT, daily_limit_usd=Decimal("10")
        )
    await seed(backend, TENANT, [record(D, "15.00")])
    first = await detect_on(backend, TENANT, D)
    async with backend.uow() as uow:
        await uow.cost_anomalies.resolve_anomaly(TENANT, anomaly_id=stored(first)[0].id)

    # Sixty days later the resolution is outside the 45-day look-back.
    backend.clock.now = at(D + timedelta(days=60))
    again = await make_detector(backend).detect(TENANT, day=D)

    assert [item.outcome for item in again.anomalies] == [DetectionOutcome.CREATED]
    assert stored(again)[0].id != stored(first)[0].id


# Tenants and inputs.


async def test_two_tenants_stay_apart(backend: Harness) -> None:
    await _seed_example(backend, "acme")
    # globex has the same user ids but steady spend.
    await seed(
        backend,
        "globex",
        [
            *daily_records(date(2024, 3, 1), D, "2.00", user="u1"),
            *daily_records(date(2024, 3, 1), D, "3.00", feature="summarize"),
        ],
    )

    acme = await detect_on(backend, "acme", D)
    globex = await detect_on(backend, "globex", D)

    assert len(acme.anomalies) == 3
    assert globex.anomalies == []
    assert verdict_counts(globex, DetectionRule.SPIKE) == {Verdict.NORMAL: 3}
    assert verdict_counts(globex, DetectionRule.BUDGET) == {}
    async with backend.uow() as uow:
        listed = await uow.cost_anomalies.list_anomalies(
            "globex", start=at(D - timedelta(days=30)), end=at(D + timedelta(days=1))
        )
        globex_breaches = await uow.cost_anomalies.fetch_breach_exists_today(
            "globex",
            entity_type=EntityType.USER,
            entity_id="u1",
            breach_type=BreachType.ABSOLUTE_SPIKE,
            day=D,
        )
    assert listed == []
    assert not globex_breaches


async def test_future_day_is_rejected(backend: Harness) -> None:
    backend.clock.now = at(D, 23)
    detector = make_detector(backend)
    counts = await backend.row_counts()

    with pytest.raises(InvalidInput) as raised:
        await detector.detect(TENANT, day=D + timedelta(days=1))

    assert raised.value.field == "day"
    assert "after today" in raised.value.reason
    assert await backend.row_counts() == counts


async def test_day_must_be_a_date(backend: Harness) -> None:
    backend.clock.now = at(D, 23)
    detector = make_detector(backend)

    with pytest.raises(InvalidInput) as raised:
        await detector.detect(TENANT, day=at(D))

    assert raised.value.field == "day"


async def test_day_defaults_to_today_in_zone(backend: Harness) -> None:
    # 23:00 UTC on the 15th is already the 16th in Kolkata.
    backend.clock.now = at(D, 23)

    utc = await make_detector(backend).detect(TENANT)
    kolkata = await make_detector(backend, tz="Asia/Kolkata").detect(TENANT)

    assert utc.day == D
    assert kolkata.day == date(2024, 3, 16)
    assert kolkata.tz == "Asia/Kolkata"
    assert kolkata.detected_at == at(D, 23)


async def test_invalid_tenant_propagates(backend: Harness) -> None:
    backend.clock.now = at(D, 23)

    with pytest.raises(InvalidInput) as raised:
        await make_detector(backend).detect(" acme")

    assert raised.value.field == "tenant_id"


def test_bad_zone_is_rejected() -> None:
    with pytest.raises(ValidationError, match="tz"):
        AnomalySettings(tz="+05:30")


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("spike_streak_lookback_days", 62, "at most 61"),
        ("max_entities", 1001, "at most 1000"),
        ("spike_baseline_days", 401, "less than or equal to 400"),
        ("drift_baseline_days", 401, "less than or equal to 400"),
        ("spike_ratio", Decimal(0), "greater than 0"),
        ("cause_feature_share", Decimal("1.5"), "less than or equal to 1"),
        ("spike_consecutive_days", 0, "greater than or equal to 1"),
    ],
)
def test_settings_reject_port_limits(setting: str, value: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message) as raised:
        AnomalySettings(**{setting: value})

    assert setting in str(raised.value)


def test_settings_defaults() -> None:
    settings = AnomalySettings()

    assert settings.spike_ratio == Decimal("1.40")
    assert settings.spike_streak_lookback_days == 31
    assert settings.resolved_lookback_days == 45
    assert settings.tz == "UTC"
    assert settings.include_synthetic is False
    assert settings.model_copy(update={"spike_ratio": Decimal("1.5")}).spike_ratio == Decimal("1.5")


async def test_synthetic_records_only_when_asked(backend: Harness) -> None:
    baseline = daily_records(date(2024, 3, 1), date(2024, 3, 13), "10.00")
    synthetic = record(D, "90.00").model_copy(update={"is_synthetic": True})
    await seed(backend, TENANT, [*baseline, record(D, "10.00"), synthetic])

    plain = await detect_on(backend, TENANT, D)
    with_synthetic = await detect_on(backend, TENANT, D, include_synthetic=True)

    assert verdict_counts(plain, DetectionRule.SPIKE) == {Verdict.NORMAL: 1}
    assert verdict_counts(with_synthetic, DetectionRule.SPIKE) == {Verdict.ANOMALY: 1}


async def test_cut_entity_list_sets_truncated(backend: Harness, caplog: Any) -> None:
    await seed(backend, TENANT, [record(D, "1.00", user=f"u{i}") for i in range(3)])

    with caplog.at_level(logging.WARNING, logger="analytics.engines"):
        cut = await detect_on(backend, TENANT, D, max_entities=2)
    whole = await detect_on(backend, TENANT, D, max_entities=4)

    assert cut.truncated
    assert not whole.truncated
    assert "fetch_entity_today_spend(user)" in caplog.text


async def test_summary_logged_at_info(backend: Harness, caplog: Any) -> None:
    await _seed_example(backend)

    with caplog.at_level(logging.INFO, logger="analytics.engines"):
        await detect_on(backend, TENANT, D)

    assert "acme, 2024-03-15: 3 anomalies (3 created); 2 scopes with insufficient history" in (
        caplog.text
    )


# Long episodes.


async def _long_episode(backend: Harness, *, open_anomaly: bool) -> None:
    """u1 spikes on the 15th after breaching every day since the 5th."""
    await seed(
        backend,
        TENANT,
        [
            *(record(date(2024, 3, day), "2.00", user="u1") for day in (1, 2, 3, 4, 5)),
            record(D, "5.00", user="u1"),
        ],
    )
    for day in range(5, 15):
        await add_spike_breach(backend, TENANT, date(2024, 3, day))
    if not open_anomaly:
        return
    earlier = NewAnomaly(
        anomaly_type=AnomalyType.ABSOLUTE_SPIKE,
        severity=AnomalySeverity.MEDIUM,
        entity_type=EntityType.USER,
        entity_id="u1",
        budget_period=None,
        period_start=date(2024, 3, 5),
        detected_at=at(date(2024, 3, 14), 23),
        current_value_usd=Decimal("4"),
        expected_value_usd=Decimal("2"),
        deviation_pct=Decimal("100"),
        threshold_pct=Decimal("40"),
        breach_count=10,
        derived_cause=DerivedCause.RETRY_LOOP,
        message="Spend of user u1 on 2024-03-14 was $4.00.",
        metadata={"cause_evidence": {"summary": "retry loop (retry share 0.5, was 0)"}},
    )
    async with backend.uow() as uow:
        await uow.cost_anomalies.upsert_anomaly(TENANT, anomaly=earlier)


async def test_long_episode_is_continued(backend: Harness) -> None:
    await _long_episode(backend, open_anomaly=True)

    report = await detect_on(backend, TENANT, D, spike_streak_lookback_days=3)

    found = detected(report, AnomalyType.ABSOLUTE_SPIKE, "u1")
    assert found.outcome is DetectionOutcome.UPDATED
    assert found.anomaly.period_start == date(2024, 3, 5)
    assert found.anomaly.breach_count == 11
    assert found.anomaly.derived_cause is DerivedCause.RETRY_LOOP
    assert found.anomaly.message.endswith(
        "(day 11 in a row); cause: retry loop (retry share 0.5, was 0)."
    )
    assert found.anomaly.metadata["streak_days"] == 3


async def test_streak_at_lookback_without_open_anomaly(backend: Harness) -> None:
    await _long_episode(backend, open_anomaly=False)

    report = await detect_on(backend, TENANT, D, spike_streak_lookback_days=3)

    found = detected(report, AnomalyType.ABSOLUTE_SPIKE, "u1")
    assert found.outcome is DetectionOutcome.CREATED
    assert found.anomaly.period_start == date(2024, 3, 13)
    assert found.anomaly.breach_count == 3


# Bounded work.


@contextmanager
def _count_statements(backend: Harness) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    engine = backend.store.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _scaled_records(size: int) -> list[NewCostRecord]:
    """Records of ``size`` users and features, one of each spiking, a spiking and drifting tenant.

    Every user ``u<i>`` shares its records with feature ``f<i>``: 1.00 on three
    baseline days and 1.00 on the 15th, except u0 and f0 with 10.00. Untagged
    spend of 100.00 a day in the drift baseline, 300.00 a day in the rolling
    window and 5,000.00 on the 15th makes the tenant spike and drift.
    """
    records = []
    for i in range(size):
        user, feature = f"u{i:04d}", f"f{i:04d}"
        for days_before in (10, 8, 6):
            day = D - timedelta(days=days_before)
            records.append(record(day, "1.00", user=user, feature=feature))
        records.append(record(D, "10.00" if i == 0 else "1.00", user=user, feature=feature))
    records += daily_records(D - timedelta(days=28), D - timedelta(days=8), "100.00")
    records += daily_records(D - timedelta(days=7), D - timedelta(days=1), "300.00")
    records.append(record(D, "5000.00"))
    return records


async def _seed_scaled(backend: Harness, tenant_id: str, size: int) -> None:
    await seed(backend, tenant_id, _scaled_records(size))
    # Limits that no scope reaches, so the budgets add reads but no findings.
    limit = Decimal("1000000")
    scopes: list[tuple[EntityType, str | None]] = [(EntityType.TENANT, None)]
    for i in range(size):
        scopes += [(EntityType.USER, f"u{i:04d}"), (EntityType.FEATURE, f"f{i:04d}")]
    async with backend.uow() as uow:
        for entity_type, entity_id in scopes:
            await uow.cost_writes.create_or_update_budget(
                tenant_id,
                budget_type=entity_type,
                entity_id=entity_id,
                daily_limit_usd=limit,
                monthly_limit_usd=limit,
            )


async def _detect_counting(backend: Harness, tenant_id: str) -> tuple[int, Any]:
    backend.clock.now = at(D, 23)
    detector = CostAnomalyDetector(
        backend.uow, settings=AnomalySettings(drift_consecutive_days=1), clock=backend.clock
    )
    with _count_statements(backend) as statements:
        report = await detector.detect(tenant_id, day=D)
    return len(statements), report


async def test_statement_count_independent_of_size(backend: Harness) -> None:
    await _seed_scaled(backend, "small", 10)
    await _seed_scaled(backend, "large", 1000)

    small_count, small = await _detect_counting(backend, "small")
    large_count, large = await _detect_counting(backend, "large")

    assert small_count == large_count
    assert small_count >= 26, "fewer statements than the detector makes reads"
    # Every rule fired, so the count covers the breach, streak, cause and feedback reads.
    expected = [
        (AnomalyType.ABSOLUTE_SPIKE, None),
        (AnomalyType.ABSOLUTE_SPIKE, "u0000"),
        (AnomalyType.ABSOLUTE_SPIKE, "f0000"),
        (AnomalyType.SUSTAINED_DRIFT, None),
    ]
    for report in (small, large):
        found = [(item.anomaly.anomaly_type, item.anomaly.entity_id) for item in report.anomalies]
        assert found == expected
    assert verdict_counts(small, DetectionRule.BUDGET) == {Verdict.NORMAL: 42}
    assert verdict_counts(large, DetectionRule.BUDGET) == {Verdict.NORMAL: 4002}
    assert large.truncated
    assert not small.truncated


def _spiking_records(size: int) -> list[NewCostRecord]:
    """Records where ``size`` users, ``size`` features and the tenant spike, and the tenant drifts.

    Every user ``u<i>`` shares its records with feature ``f<i>``: 1.00 on three
    baseline days and 10.00 on the 15th, a ratio that raises a spike on its
    first breach day. The untagged spend is that of ``_scaled_records``.
    """
    records = []
    for i in range(size):
        user, feature = f"u{i:04d}", f"f{i:04d}"
        for days_before in (10, 8, 6):
            day = D - timedelta(days=days_before)
            records.append(record(day, "1.00", user=user, feature=feature))
        records.append(record(D, "10.00", user=user, feature=feature))
    records += daily_records(D - timedelta(days=28), D - timedelta(days=8), "100.00")
    records += daily_records(D - timedelta(days=7), D - timedelta(days=1), "300.00")
    records.append(record(D, "5000.00"))
    return records


async def _seed_spiking(backend: Harness, tenant_id: str, size: int) -> None:
    await seed(backend, tenant_id, _spiking_records(size))
    # A daily limit that every user and feature exceeds, so each adds a budget anomaly.
    async with backend.uow() as uow:
        for i in range(size):
            for entity_type, entity_id in (
                (EntityType.USER, f"u{i:04d}"),
                (EntityType.FEATURE, f"f{i:04d}"),
            ):
                await uow.cost_writes.create_or_update_budget(
                    tenant_id,
                    budget_type=entity_type,
                    entity_id=entity_id,
                    daily_limit_usd=Decimal("5"),
                )


async def test_statement_count_independent_of_findings(backend: Harness) -> None:
    await _seed_spiking(backend, "few", 5)
    await _seed_spiking(backend, "many", 200)

    few_count, few = await _detect_counting(backend, "few")
    many_count, many = await _detect_counting(backend, "many")
    # A re-run finds the same anomalies and leaves every stored row unchanged.
    few_rerun_count, few_rerun = await _detect_counting(backend, "few")
    many_rerun_count, many_rerun = await _detect_counting(backend, "many")

    # Per entity: a user and a feature spike and exceed their budgets. Plus the
    # tenant's spike and drift.
    assert len(few.anomalies) == 4 * 5 + 2
    assert len(many.anomalies) == 4 * 200 + 2
    assert {item.outcome for item in [*few.anomalies, *many.anomalies]} == {
        DetectionOutcome.CREATED
    }
    assert {item.outcome for item in [*few_rerun.anomalies, *many_rerun.anomalies]} == {
        DetectionOutcome.UNCHANGED
    }
    assert few_count == many_count
    assert few_rerun_count == many_rerun_count
