"""The cost-anomaly detector: spikes, drift and budgets of one tenant on one local day."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal

from analytics.domain import (
    CostAnomaly,
    EntityDimension,
    EntityType,
    NewAnomaly,
    day_start,
    local_date,
    system_clock,
)
from analytics.domain.detection import (
    DetectedAnomaly,
    DetectionOutcome,
    DetectionReport,
    DetectionRule,
    ScopeEvaluation,
    Verdict,
)
from analytics.domain.time import Clock
from analytics.engines.anomalies import drift as drift_rule
from analytics.engines.anomalies import spikes, writes
from analytics.engines.anomalies.budgets import (
    BudgetCheck,
    check_budgets,
    log_budget_check,
    read_budget_spend,
)
from analytics.engines.anomalies.causes import (
    CauseFinding,
    FeatureExcess,
    activity_by_day,
    derive_drift_cause,
    derive_spike_cause,
    drift_evidence,
    entity_spike_evidence,
    tenant_spike_evidence,
)
from analytics.engines.anomalies.numbers import ratio
from analytics.engines.anomalies.reads import DIMENSIONS, DetectionInputs, DetectionReader
from analytics.engines.anomalies.records import (
    anomaly_key,
    budget_anomaly,
    drift_anomaly,
    spike_anomaly,
    stored_cause,
)
from analytics.engines.anomalies.spikes import ScopeKey, SpikeCheck, SpikeEpisode, SpikeScope
from analytics.engines.anomalies.windows import DetectionWindows
from analytics.engines.settings import AnomalySettings
from analytics.ports import InvalidInput, UnitOfWork, UnitOfWorkFactory

logger = logging.getLogger(__name__)

_DEFAULT_SETTINGS = AnomalySettings()
_TENANT: ScopeKey = (EntityType.TENANT, None)
_EPOCH_DAY = date(1970, 1, 1)


class CostAnomalyDetector:
    """Finds spend spikes, sustained drift and budget warnings and excesses of a tenant.

    One ``detect`` call serves one tenant and one local day in one unit of
    work: it records breach days and the drift tracker, and stores one anomaly
    per spike episode, drift episode and budget period. Re-running it over the
    same data writes nothing, and an anomaly resolved within
    ``resolved_lookback_days`` suppresses its finding.
    """

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        *,
        settings: AnomalySettings = _DEFAULT_SETTINGS,
        clock: Clock = system_clock,
    ) -> None:
        self._uow_factory = uow_factory
        self._settings = settings
        self._clock = clock

    @property
    def settings(self) -> AnomalySettings:
        """The thresholds, windows, time zone and synthetic-data flag in use."""
        return self._settings

    async def detect(self, tenant_id: str, *, day: date | None = None) -> DetectionReport:
        """Detect anomalies of ``tenant_id`` on local day ``day`` (default: today in ``tz``).

        Raises InvalidInput(field="day") for a day after today, and lets every
        port error through unchanged; an error rolls back all writes of the call.
        """
        now = self._clock()
        windows = DetectionWindows.for_day(self._detection_day(day, now), self._settings)
        async with self._uow_factory() as uow:
            detection = _Detection(uow, tenant_id, windows, self._settings, now)
            report = await detection.run()
        _log_summary(report)
        return report

    def _detection_day(self, day: date | None, now: datetime) -> date:
        today = local_date(now, self._settings.tz)
        if day is None:
            return today
        if isinstance(day, datetime) or not isinstance(day, date):
            raise InvalidInput("day", day, "must be a datetime.date, a local calendar day")
        if day > today:
            raise InvalidInput(
                "day",
                day,
                f"is after today ({today} in {self._settings.tz}); pass today or an earlier day",
            )
        earliest = _earliest_day(self._settings)
        if day < earliest:
            raise InvalidInput(
                "day", day, f"must be on or after {earliest}, so that every window starts in 1970"
            )
        return day


class _Detection:
    """The state and steps of one ``detect`` call."""

    def __init__(
        self,
        uow: UnitOfWork,
        tenant_id: str,
        windows: DetectionWindows,
        settings: AnomalySettings,
        now: datetime,
    ) -> None:
        self.uow = uow
        self.tenant_id = tenant_id
        self.windows = windows
        self.settings = settings
        self.now = now
        self.reader = DetectionReader(uow, tenant_id, settings, windows)

    async def run(self) -> DetectionReport:
        """Read, evaluate every rule, write breaches and trackers, then store the anomalies."""
        inputs = await self.reader.read_inputs()
        budget_spend = await read_budget_spend(self.reader, inputs.budgets, inputs.tenant_today_usd)

        checks = self._check_spikes(inputs)
        drift_check = self._check_drift(inputs)
        # The spike streak reads below count D, so D's breach rows are written first.
        breaches = spikes.breaches_of(checks, self.windows.day)
        breaches += drift_rule.breaches_of(drift_check, inputs.drift_tracker, self.windows.day)
        await writes.record_breaches(self.uow, self.tenant_id, breaches)
        drift = await drift_rule.apply_drift(
            self.uow,
            self.tenant_id,
            drift_check,
            inputs.drift_tracker,
            self.windows.day,
            self.settings,
        )
        episodes = await self._spike_episodes(checks)
        budget_checks = check_budgets(inputs.budgets, budget_spend, self.windows, self.settings)
        for budget_check in budget_checks:
            log_budget_check(self.tenant_id, budget_check)

        findings = await self._spike_findings(episodes, checks)
        findings += await self._drift_findings(drift)
        findings += [
            budget_anomaly(self.tenant_id, check, self.windows, self.now)
            for check in budget_checks
            if check.anomaly_type is not None
        ]
        detected = await self._store(findings)

        evaluations = _spike_evaluations(checks, episodes)
        evaluations += _drift_evaluations(drift)
        evaluations += _budget_evaluations(budget_checks)
        return self._report(detected, evaluations)

    # Spikes.

    def _check_spikes(self, inputs: DetectionInputs) -> list[SpikeCheck]:
        scopes = [
            SpikeScope(EntityType.TENANT, None, inputs.tenant_today_usd, inputs.tenant_baseline)
        ]
        for dimension in DIMENSIONS:
            baselines = inputs.entity_baselines[dimension]
            entity_type = EntityType(dimension.value)
            scopes += [
                SpikeScope(
                    entity_type, spend.entity_id, spend.spend_usd, baselines[spend.entity_id]
                )
                for spend in inputs.entity_today[dimension]
            ]

        checks = [spikes.check_spike(scope, self.settings) for scope in scopes]
        for check in checks:
            spikes.log_check(self.tenant_id, check)
        return checks

    async def _spike_episodes(self, checks: Sequence[SpikeCheck]) -> list[SpikeEpisode]:
        breaching = [check for check in checks if check.breaches]
        streaks = await self._streaks(breaching)
        episodes = [
            spikes.decide_episode(
                check, streaks.get(check.scope.key, 1), self.windows.day, self.settings
            )
            for check in breaching
        ]
        return await self._continue_long_episodes(episodes)

    async def _streaks(self, breaching: Sequence[SpikeCheck]) -> dict[ScopeKey, int]:
        streaks: dict[ScopeKey, int] = {}
        if any(check.scope.key == _TENANT for check in breaching):
            streaks[_TENANT] = await self.reader.tenant_streak()
        for dimension in DIMENSIONS:
            entity_type = EntityType(dimension.value)
            ids = _entity_ids(
                check.scope for check in breaching if check.scope.entity_type is entity_type
            )
            entity_streaks = await self.reader.entity_streaks(entity_type, ids)
            streaks.update(((entity_type, key), days) for key, days in entity_streaks.items())
        return streaks

    async def _continue_long_episodes(self, episodes: list[SpikeEpisode]) -> list[SpikeEpisode]:
        if not any(spikes.needs_episode_history(episode, self.settings) for episode in episodes):
            return episodes

        open_anomalies = await self.reader.open_spike_anomalies()
        by_scope = spikes.open_anomalies_by_scope(open_anomalies)
        continued = []
        for episode in episodes:
            if spikes.needs_episode_history(episode, self.settings):
                episode = spikes.continue_episode(episode, by_scope, self.windows.day)
            continued.append(episode)
        return continued

    async def _spike_findings(
        self, episodes: Sequence[SpikeEpisode], checks: Sequence[SpikeCheck]
    ) -> list[NewAnomaly]:
        raised = [episode for episode in episodes if episode.verdict is Verdict.ANOMALY]
        causes = await self._spike_causes(raised, checks)
        return [
            spike_anomaly(
                self.tenant_id,
                episode,
                causes[episode.check.scope.key],
                self.windows,
                self.settings,
                self.now,
            )
            for episode in raised
        ]

    async def _spike_causes(
        self, raised: Sequence[SpikeEpisode], checks: Sequence[SpikeCheck]
    ) -> dict[ScopeKey, CauseFinding]:
        # A continued episode keeps the cause derived from its first day.
        causes = {
            episode.check.scope.key: stored_cause(episode.continued)
            for episode in raised
            if episode.continued is not None
        }
        fresh = [episode for episode in raised if episode.continued is None]

        tenant = next((episode for episode in fresh if episode.check.scope.key == _TENANT), None)
        if tenant is not None:
            causes[_TENANT] = await self._tenant_cause(tenant, checks)
        for dimension in DIMENSIONS:
            entity_type = EntityType(dimension.value)
            scoped = [
                episode for episode in fresh if episode.check.scope.entity_type is entity_type
            ]
            causes.update(await self._entity_causes(dimension, scoped))
        return causes

    async def _tenant_cause(
        self, episode: SpikeEpisode, checks: Sequence[SpikeCheck]
    ) -> CauseFinding:
        comparison = await self.reader.tenant_day_comparison(episode.first_day)
        features = _feature_excess(checks)
        expected = episode.check.expected_usd or Decimal(0)
        excess = episode.check.scope.current_usd - expected
        evidence = tenant_spike_evidence(comparison, features, excess)
        return derive_spike_cause(evidence, self.settings)

    async def _entity_causes(
        self, dimension: EntityDimension, episodes: Sequence[SpikeEpisode]
    ) -> dict[ScopeKey, CauseFinding]:
        if not episodes:
            return {}
        start_day = min(episode.first_day for episode in episodes) - timedelta(days=1)
        ids = _entity_ids(episode.check.scope for episode in episodes)
        activity = activity_by_day(await self.reader.entity_activity(dimension, ids, start_day))

        causes = {}
        for episode in episodes:
            entity_id = episode.check.scope.entity_id or ""
            evidence = entity_spike_evidence(entity_id, episode.first_day, activity)
            causes[episode.check.scope.key] = derive_spike_cause(evidence, self.settings)
        return causes

    # Drift.

    def _check_drift(self, inputs: DetectionInputs) -> drift_rule.DriftCheck:
        check = drift_rule.check_drift(inputs.drift_rolling, inputs.drift_baseline, self.settings)
        drift_rule.log_check(self.tenant_id, check)
        return check

    async def _drift_findings(self, drift: drift_rule.DriftResult) -> list[NewAnomaly]:
        if drift.verdict is not Verdict.ANOMALY:
            return []
        windows = self.windows
        rolling = await self.reader.feature_costs(
            windows.drift_rolling_start, windows.drift_rolling_end
        )
        baseline = await self.reader.feature_costs(
            windows.drift_baseline_start, windows.drift_baseline_end
        )
        evidence = drift_evidence(drift.check.rolling, drift.check.baseline, rolling, baseline)
        cause = derive_drift_cause(evidence, self.settings)
        return [drift_anomaly(self.tenant_id, drift, cause, self.settings, self.now)]

    # Storing and reporting.

    async def _store(self, findings: Sequence[NewAnomaly]) -> list[DetectedAnomaly]:
        if not findings:
            return []
        resolved = await self.reader.resolved_anomalies(self.now)
        suppressing = {anomaly_key(anomaly) for anomaly in resolved if self._suppresses(anomaly)}

        to_store = [finding for finding in findings if anomaly_key(finding) not in suppressing]
        results = iter(await writes.store_anomalies(self.uow, self.tenant_id, to_store))

        detected = []
        for finding in findings:
            if anomaly_key(finding) in suppressing:
                detected.append(
                    DetectedAnomaly(anomaly=finding, outcome=DetectionOutcome.SUPPRESSED)
                )
                continue
            result = next(results)
            outcome = DetectionOutcome(result.outcome.value)
            detected.append(DetectedAnomaly(anomaly=result.record, outcome=outcome))
        return detected

    def _suppresses(self, anomaly: CostAnomaly) -> bool:
        """Report whether a resolved anomaly was resolved within the look-back before ``D``."""
        if anomaly.resolved_at is None:
            return False
        first_day = self.windows.day - timedelta(days=self.settings.resolved_lookback_days)
        return anomaly.resolved_at >= day_start(first_day, self.settings.tz)

    def _report(
        self, detected: list[DetectedAnomaly], evaluations: list[ScopeEvaluation]
    ) -> DetectionReport:
        counts = {rule: dict.fromkeys(Verdict, 0) for rule in DetectionRule}
        for evaluation in evaluations:
            counts[evaluation.rule][evaluation.verdict] += 1
        return DetectionReport(
            tenant_id=self.tenant_id,
            day=self.windows.day,
            tz=self.settings.tz,
            detected_at=self.now,
            anomalies=detected,
            evaluations=[item for item in evaluations if item.verdict is not Verdict.NORMAL],
            counts=counts,
            truncated=bool(self.reader.cut_reads),
        )


# Evaluations.


def _spike_evaluations(
    checks: Sequence[SpikeCheck], episodes: Sequence[SpikeEpisode]
) -> list[ScopeEvaluation]:
    verdicts = {episode.check.scope.key: episode.verdict for episode in episodes}
    evaluations = []
    for check in checks:
        scope = check.scope
        evaluations.append(
            ScopeEvaluation(
                rule=DetectionRule.SPIKE,
                entity_type=scope.entity_type,
                entity_id=scope.entity_id,
                verdict=verdicts.get(scope.key, check.verdict),
                current_usd=scope.current_usd,
                expected_usd=check.expected_usd,
                ratio=check.ratio,
                active_days=scope.baseline.active_days,
            )
        )
    return evaluations


def _drift_evaluations(drift: drift_rule.DriftResult) -> list[ScopeEvaluation]:
    if drift.verdict is None:
        return []
    check = drift.check
    has_history = check.ratio is not None
    return [
        ScopeEvaluation(
            rule=DetectionRule.DRIFT,
            entity_type=EntityType.TENANT,
            entity_id=None,
            verdict=drift.verdict,
            current_usd=check.rolling_avg_usd,
            expected_usd=check.baseline_avg_usd if has_history else None,
            ratio=check.ratio,
            active_days=check.baseline.active_days,
        )
    ]


def _budget_evaluations(checks: Sequence[BudgetCheck]) -> list[ScopeEvaluation]:
    return [
        ScopeEvaluation(
            rule=DetectionRule.BUDGET,
            entity_type=check.budget.budget_type,
            entity_id=check.budget.entity_id,
            budget_period=check.period,
            verdict=check.verdict,
            current_usd=check.spend_usd,
            expected_usd=check.limit_usd,
            ratio=ratio(check.spend_usd, check.limit_usd),
            active_days=None,
        )
        for check in checks
    ]


# Helpers.


def _feature_excess(checks: Sequence[SpikeCheck]) -> list[FeatureExcess]:
    """Return each feature's spend on ``D`` above its expected spend, 0 expected without history."""
    excess = []
    for check in checks:
        scope = check.scope
        if scope.entity_type is EntityType.FEATURE and scope.entity_id is not None:
            expected = check.expected_usd if check.expected_usd is not None else Decimal(0)
            excess.append(FeatureExcess(scope.entity_id, scope.current_usd - expected))
    return excess


def _entity_ids(scopes: Iterable[SpikeScope]) -> list[str]:
    return [scope.entity_id for scope in scopes if scope.entity_id is not None]


def _earliest_day(settings: AnomalySettings) -> date:
    spike_days = settings.spike_baseline_days + 1
    drift_days = settings.drift_rolling_days + settings.drift_baseline_days
    return _EPOCH_DAY + timedelta(days=max(spike_days, drift_days))


def _log_summary(report: DetectionReport) -> None:
    outcomes = Counter(item.outcome for item in report.anomalies)
    outcome_text = ", ".join(
        f"{outcomes[outcome]} {outcome.value}" for outcome in DetectionOutcome if outcomes[outcome]
    )
    insufficient = sum(counts[Verdict.INSUFFICIENT_HISTORY] for counts in report.counts.values())
    logger.info(
        "%s, %s: %s anomalies (%s); %s scopes with insufficient history",
        report.tenant_id,
        report.day,
        len(report.anomalies),
        outcome_text or "none",
        insufficient,
    )
