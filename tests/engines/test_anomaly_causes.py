"""Cause derivation of the cost-anomaly detector: retries, prompts, features and traffic."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from analytics.domain import (
    AnomalyType,
    CostTotals,
    DerivedCause,
    FeatureCost,
    FeatureCostBreakdown,
)
from analytics.engines.anomalies.causes import (
    DriftEvidence,
    FeatureExcess,
    SpikeEvidence,
    derive_drift_cause,
    derive_spike_cause,
    drift_feature_excess,
    feature_test,
    growth_ratio,
    retry_test,
)
from analytics.engines.settings import AnomalySettings
from tests.contract.harness import Harness
from tests.engines.anomaly_data import (
    D,
    add_spike_breach,
    daily_records,
    detect_on,
    detected,
    money,
    pct,
    record,
    seed,
)

TENANT = "acme"
SETTINGS = AnomalySettings()


def _spike_evidence(**changes: object) -> SpikeEvidence:
    fields: dict[str, object] = {
        "first_day": D,
        "retry_share": pct("0.02"),
        "retry_share_before": pct("0.02"),
        "avg_input_tokens": pct("100"),
        "avg_input_tokens_before": pct("100"),
        "requests": 100,
        "requests_before": 100,
    }
    fields.update(changes)
    return SpikeEvidence(**fields)  # type: ignore[arg-type]


# Pure tests.


def test_retry_share_example() -> None:
    # 50 retries of 200 requests on S, 0.04 on the day before.
    finding = derive_spike_cause(
        _spike_evidence(retry_share=pct("0.25"), retry_share_before=pct("0.04")), SETTINGS
    )

    assert finding.cause is DerivedCause.RETRY_LOOP
    assert finding.summary == "retry loop (retry share 0.25, was 0.04)"
    assert finding.evidence["retry_share"] == "0.250000"
    assert finding.evidence["retry_share_before"] == "0.040000"
    assert finding.evidence["first_day"] == "2024-03-15"
    assert finding.evidence["day_before"] == "2024-03-14"


def test_retry_needs_minimum_share() -> None:
    # Five times the earlier share, but below the 0.10 minimum.
    result = retry_test(pct("0.05"), pct("0.01"), SETTINGS)

    assert not result.passed


def test_retry_missing_earlier_share_is_zero() -> None:
    result = retry_test(pct("0.2"), None, SETTINGS)

    assert result.passed
    assert result.evidence["retry_share_before"] is None


def test_retry_share_must_grow() -> None:
    # 0.29 is below 1.5 × 0.20.
    result = retry_test(pct("0.29"), pct("0.2"), SETTINGS)

    assert not result.passed


def test_prompt_growth() -> None:
    finding = derive_spike_cause(
        _spike_evidence(avg_input_tokens=pct("1300"), avg_input_tokens_before=pct("1000")),
        SETTINGS,
    )

    assert finding.cause is DerivedCause.PROMPT_GROWTH
    assert finding.evidence["prompt_ratio"] == "1.300000"
    assert finding.summary == "prompt growth (mean input tokens 1300, was 1000)"


def test_traffic_growth() -> None:
    finding = derive_spike_cause(_spike_evidence(requests=130, requests_before=100), SETTINGS)

    assert finding.cause is DerivedCause.TRAFFIC_GROWTH
    assert finding.evidence["requests"] == 130
    assert finding.evidence["traffic_ratio"] == "1.300000"
    assert finding.summary == "traffic growth (requests 130, was 100)"


def test_earlier_zero_never_grows() -> None:
    assert growth_ratio(Decimal(10), Decimal(0)) is None
    assert growth_ratio(Decimal(10), None) is None
    assert growth_ratio(None, Decimal(5)) is None


def test_first_passing_test_wins() -> None:
    finding = derive_spike_cause(
        _spike_evidence(
            retry_share=pct("0.5"),
            retry_share_before=pct("0.1"),
            avg_input_tokens=pct("300"),
            requests=300,
        ),
        SETTINGS,
    )

    assert finding.cause is DerivedCause.RETRY_LOOP
    assert finding.evidence["prompt_ratio"] == "3.000000"
    assert finding.evidence["traffic_ratio"] == "3.000000"


def test_nothing_passes_is_unknown() -> None:
    finding = derive_spike_cause(_spike_evidence(), SETTINGS)

    assert finding.cause is DerivedCause.UNKNOWN
    assert finding.summary == "unknown"
    assert finding.evidence["summary"] == "unknown"


def test_feature_surge_example() -> None:
    # Tenant excess 50.00 - 20.00; chat.reply 40.00 against its usual 12.00.
    features = [FeatureExcess("chat.reply", money("28")), FeatureExcess("search", money("2"))]

    result = feature_test(features, money("30"), SETTINGS)

    assert result.passed
    assert result.evidence["feature_share"] == "0.933333"
    assert result.evidence["top_feature"] == "chat.reply"
    assert result.evidence["top_feature_excess_usd"] == "28.000000000"
    assert result.evidence["tenant_excess_usd"] == "30.000000000"


def test_feature_surge_tie_takes_first_tag() -> None:
    features = [FeatureExcess("b", money("20")), FeatureExcess("a", money("20"))]

    result = feature_test(features, money("30"), SETTINGS)

    assert result.evidence["top_feature"] == "a"


def test_feature_surge_below_share() -> None:
    result = feature_test([FeatureExcess("chat.reply", money("17.99"))], money("30"), SETTINGS)

    assert result.evidence["feature_share"] == "0.599667"
    assert not result.passed


def _breakdown(*items: tuple[str | None, str, int]) -> FeatureCostBreakdown:
    costs = [
        FeatureCost(
            feature_tag=tag,
            requests=requests,
            spend_usd=money(spend),
            input_tokens=requests * 100,
            output_tokens=0,
        )
        for tag, spend, requests in items
    ]
    requests = sum(item.requests for item in costs)
    total = CostTotals(
        groups=len(costs),
        requests=requests,
        spend_usd=sum((item.spend_usd for item in costs), money("0")),
        input_tokens=requests * 100,
        output_tokens=0,
        unpriced_requests=0,
    )
    rest = CostTotals(
        groups=0,
        requests=0,
        spend_usd=money("0"),
        input_tokens=0,
        output_tokens=0,
        unpriced_requests=0,
    )
    return FeatureCostBreakdown(items=costs, rest=rest, total=total)


def test_drift_feature_excess_per_day() -> None:
    rolling = _breakdown(("chat.reply", "70.00", 7), (None, "21.00", 7))
    baseline = _breakdown(
        ("chat.reply", "63.00", 21), ("search", "21.00", 21), (None, "126.00", 21)
    )

    excess = drift_feature_excess(rolling, 7, baseline, 21)

    assert excess == [
        FeatureExcess("chat.reply", money("7.00")),
        FeatureExcess("search", money("-1.00")),
    ]


def test_drift_feature_surge() -> None:
    evidence = DriftEvidence(
        avg_input_tokens=pct("100"),
        avg_input_tokens_before=pct("100"),
        requests_per_day=pct("2"),
        requests_per_day_before=pct("2"),
        features=[FeatureExcess("chat.reply", money("2.40"))],
        tenant_excess_usd=money("3.00"),
    )

    finding = derive_drift_cause(evidence, SETTINGS)

    assert finding.cause is DerivedCause.FEATURE_SURGE
    assert finding.evidence["feature_share"] == "0.800000"
    assert "retry_share" not in finding.evidence


def test_drift_traffic_per_day() -> None:
    evidence = DriftEvidence(
        avg_input_tokens=pct("100"),
        avg_input_tokens_before=pct("100"),
        requests_per_day=pct("3"),
        requests_per_day_before=pct("2"),
        features=[],
        tenant_excess_usd=money("3.00"),
    )

    finding = derive_drift_cause(evidence, SETTINGS)

    assert finding.cause is DerivedCause.TRAFFIC_GROWTH
    assert finding.evidence["requests_per_day"] == "3.000000"
    assert finding.summary == "traffic growth (requests per day 3, was 2)"


# Through the ports.


async def test_feature_surge_of_tenant_spike(backend: Harness) -> None:
    # The tenant usually spends 20.00 a day, chat.reply 12.00 on its five days.
    chat = daily_records(date(2024, 3, 1), date(2024, 3, 5), "12.00", feature="chat.reply")
    other = [
        *daily_records(date(2024, 2, 16), date(2024, 2, 29), "20.00"),
        *daily_records(date(2024, 3, 1), date(2024, 3, 5), "8.00"),
        *daily_records(date(2024, 3, 6), date(2024, 3, 14), "20.00"),
    ]
    today = [record(D, "40.00", feature="chat.reply"), record(D, "10.00")]
    await seed(backend, TENANT, [*chat, *other, *today])

    report = await detect_on(backend, TENANT, D, spike_consecutive_days=1)

    anomaly = detected(report, AnomalyType.ABSOLUTE_SPIKE, None).anomaly
    assert anomaly.current_value_usd == money("50.00")
    assert anomaly.expected_value_usd == money("20.00")
    assert anomaly.derived_cause is DerivedCause.FEATURE_SURGE
    evidence = anomaly.metadata["cause_evidence"]
    assert evidence["top_feature"] == "chat.reply"
    assert evidence["top_feature_excess_usd"] == "28.000000000"
    assert evidence["tenant_excess_usd"] == "30.000000000"
    assert evidence["feature_share"] == "0.933333"
    assert evidence["retry_share"] == "0.000000"
    assert evidence["prompt_ratio"] == "1.000000"
    assert anomaly.message.endswith(
        "cause: feature surge (chat.reply +$28.00 per day, 0.93 of the excess)."
    )


async def test_spike_message_with_retry_loop(backend: Harness) -> None:
    # u1's episode began on the 14th: 50 retries of 200 requests, against 1 of 25 on the 13th.
    baseline = [
        *(record(date(2024, 3, day), "2.00", user="u1") for day in (9, 10, 11, 12)),
        *(record(date(2024, 3, 13), "0.08", user="u1", minute=i, retry=i == 0) for i in range(25)),
    ]
    first_day = [
        record(date(2024, 3, 14), "0.02", user="u1", minute=i % 60, retry=i < 50)
        for i in range(200)
    ]
    await seed(backend, TENANT, [*baseline, *first_day, record(D, "5.00", user="u1")])
    await add_spike_breach(backend, TENANT, date(2024, 3, 14))

    report = await detect_on(backend, TENANT, D)

    anomaly = detected(report, AnomalyType.ABSOLUTE_SPIKE, "u1").anomaly
    assert anomaly.derived_cause is DerivedCause.RETRY_LOOP
    assert anomaly.message == (
        "Spend of user u1 on 2024-03-15 was $5.00, 2.5× its usual $2.00 per active day "
        "(day 2 in a row); cause: retry loop (retry share 0.25, was 0.04)."
    )
    evidence = anomaly.metadata["cause_evidence"]
    assert evidence["first_day"] == "2024-03-14"
    assert evidence["requests"] == 200
    assert evidence["requests_before"] == 25


async def test_prompt_growth_of_user_spike(backend: Harness) -> None:
    baseline = [
        record(date(2024, 3, day), "2.00", user="u1", input_tokens=1000) for day in range(9, 15)
    ]
    today = record(D, "9.00", user="u1", input_tokens=1500)
    await seed(backend, TENANT, [*baseline, today])

    report = await detect_on(backend, TENANT, D)

    anomaly = detected(report, AnomalyType.ABSOLUTE_SPIKE, "u1").anomaly
    assert anomaly.derived_cause is DerivedCause.PROMPT_GROWTH
    assert anomaly.metadata["cause_evidence"]["prompt_ratio"] == "1.500000"
    assert anomaly.metadata["cause_evidence"]["avg_input_tokens_before"] == "1000.000000"
