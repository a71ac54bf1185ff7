"""Seeded generation of the demo's three tenants.

* ``acme``: six users on ``chat.reply``, ``search.rank`` and ``summarize``, with
  priced ``gpt-4o`` and ``gpt-4o-mini`` calls and unpriced ``in-house-llm``
  calls. User ``dara``'s ``summarize`` calls grow about 2.5-fold through
  retries on the last two days. A daily tenant budget is near its limit
  yesterday and over it today, and a monthly ``chat.reply`` budget is at
  warning. Worker ``support-triage`` times out repeatedly in the last days,
  ``email-digest`` fails for two days and then recovers, ``report-writer``
  gets dearer from yesterday, and ``invoice-extractor``'s newest run costs
  four times its usual.
* ``globex``: steady traffic whose prompts grow over the last ten days, so
  the spend of the rolling week drifts while no single day spikes.
* ``initech``: two days of traffic, too little history for every rule.

Every value comes from one ``random.Random(seed)`` in a fixed order, and
every instant from the demo calendar, so one seed always gives the same rows.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from analytics.demo.calendar import HISTORY_DAYS, RUN_HOUR, DemoCalendar
from analytics.domain.costs import NewCostRecord
from analytics.domain.enums import EntityType, RunStatus, TraceStatus
from analytics.domain.runs import NewRun, NewTrace, NewWorkerRun
from analytics.engines.pricing import Pricer

FIRST_MINUTE = 6 * 60
"""Generated activity happens from 06:00 local ..."""

LAST_MINUTE = RUN_HOUR * 60 - 30
"""... until half an hour before the daily engine runs at 18:00."""

ACME_USERS = ("ana", "ben", "chen", "dara", "eli", "fay")
SPIKING_USER = "dara"
GLOBEX_USERS = ("gus", "hana")


@dataclass(frozen=True)
class BudgetSpec:
    """A budget the demo creates: scope, limits and warning threshold."""

    budget_type: EntityType
    entity_id: str | None
    daily_limit_usd: Decimal | None
    monthly_limit_usd: Decimal | None
    warn_threshold_pct: int


@dataclass
class TenantData:
    """Everything the demo writes for one tenant."""

    tenant_id: str
    cost_records: list[NewCostRecord] = field(default_factory=list)
    runs: list[NewRun] = field(default_factory=list)
    traces: list[NewTrace] = field(default_factory=list)
    worker_runs: list[NewWorkerRun] = field(default_factory=list)
    budgets: list[BudgetSpec] = field(default_factory=list)


@dataclass(frozen=True)
class _Call:
    """The fields of one call that the pricer reads."""

    model: str
    input_tokens: int
    output_tokens: int
    occurred_at: datetime


class DemoGenerator:
    """Generates the rows of the demo tenants from one seeded random generator."""

    def __init__(self, seed: int, calendar: DemoCalendar) -> None:
        self._random = random.Random(seed)
        self._calendar = calendar
        self._pricer = Pricer()

    def generate(self) -> list[TenantData]:
        """Return the rows of ``acme``, ``globex`` and ``initech``, in that order."""
        return [self._acme(), self._globex(), self._initech()]

    # Helpers shared by the tenants.

    def _minute(self) -> int:
        return self._random.randrange(FIRST_MINUTE, LAST_MINUTE)

    def _jitter(self, value: float, spread: float = 0.15) -> int:
        return max(1, round(value * self._random.uniform(1 - spread, 1 + spread)))

    def _money(self, value: float, spread: float) -> Decimal:
        amount = value * self._random.uniform(1 - spread, 1 + spread)
        return Decimal(f"{amount:.6f}")

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self._random.getrandbits(128), version=4))

    def _call(
        self,
        data: TenantData,
        days_ago: int,
        *,
        model: str,
        tokens: tuple[int, int],
        user: str,
        feature: str,
        is_retry: bool = False,
        spread: float = 0.15,
    ) -> None:
        occurred_at = self._calendar.at(days_ago, self._minute())
        input_tokens = self._jitter(tokens[0], spread)
        output_tokens = self._jitter(tokens[1], spread)
        call = _Call(model, input_tokens, output_tokens, occurred_at)
        price = self._pricer.price(call)
        data.cost_records.append(
            NewCostRecord(
                occurred_at=occurred_at,
                model=model,
                input_tokens=call.input_tokens,
                output_tokens=call.output_tokens,
                cost_usd=price.cost_usd,
                cost_source=price.cost_source,
                price_ref=price.price_ref,
                user_id=user,
                feature_tag=feature,
                request_id=f"{data.tenant_id}-req-{len(data.cost_records) + 1:06d}",
                is_retry=is_retry,
            )
        )

    def _calls(
        self,
        data: TenantData,
        days_ago: int,
        count: int,
        *,
        model: str,
        tokens: tuple[int, int],
        user: str,
        feature: str,
        is_retry: bool = False,
    ) -> None:
        for _ in range(count):
            self._call(
                data,
                days_ago,
                model=model,
                tokens=tokens,
                user=user,
                feature=feature,
                is_retry=is_retry,
            )

    # acme.

    def _acme(self) -> TenantData:
        data = TenantData("acme")
        for days_ago in _history():
            for user in ACME_USERS:
                self._acme_user_day(data, days_ago, user)
            self._usage_runs(data, days_ago, runs=4, traces=3)
        self._acme_workers(data)
        data.budgets = [
            BudgetSpec(EntityType.TENANT, None, Decimal("8.50"), None, 90),
            BudgetSpec(EntityType.FEATURE, "chat.reply", None, Decimal("1.90"), 80),
        ]
        return data

    def _acme_user_day(self, data: TenantData, days_ago: int, user: str) -> None:
        # Today is a busy chat day: twice the chat calls, each too small to spike.
        self._calls(
            data,
            days_ago,
            2 if days_ago == 0 else 1,
            model="gpt-4o",
            tokens=(8000, 1000),
            user=user,
            feature="chat.reply",
        )
        if days_ago == 0 and user == ACME_USERS[0]:
            self._long_chat(data, user)
        search_model = "in-house-llm" if days_ago % 2 else "gpt-4o-mini"
        self._call(
            data, days_ago, model=search_model, tokens=(1500, 50), user=user, feature="search.rank"
        )
        self._acme_summaries(data, days_ago, user)

    def _long_chat(self, data: TenantData, user: str) -> None:
        """Add today's one long chat call: about 0.50 USD, with exact token counts."""
        occurred_at = self._calendar.at(0, 12 * 60)
        call = _Call("gpt-4o", 160_000, 10_000, occurred_at)
        price = self._pricer.price(call)
        data.cost_records.append(
            NewCostRecord(
                occurred_at=occurred_at,
                model=call.model,
                input_tokens=call.input_tokens,
                output_tokens=call.output_tokens,
                cost_usd=price.cost_usd,
                cost_source=price.cost_source,
                price_ref=price.price_ref,
                user_id=user,
                feature_tag="chat.reply",
                request_id=f"{data.tenant_id}-req-{len(data.cost_records) + 1:06d}",
            )
        )

    def _acme_summaries(self, data: TenantData, days_ago: int, user: str) -> None:
        calls = 3 if user == SPIKING_USER else 4
        retries = self._retries(user, days_ago)
        for index in range(calls + retries):
            self._call(
                data,
                days_ago,
                model="gpt-4o",
                tokens=(100_000, 3000),
                user=user,
                feature="summarize",
                is_retry=index >= calls,
                # Summaries are alike in size, so daily spend varies little and
                # the budget story holds for other seeds too.
                spread=0.05,
            )

    def _retries(self, user: str, days_ago: int) -> int:
        """Return the retried summarize calls: a retry loop for one user on the last two days."""
        if user == SPIKING_USER and days_ago == 1:
            return 5
        if user == SPIKING_USER and days_ago == 0:
            return 6
        return 0

    def _usage_runs(self, data: TenantData, days_ago: int, *, runs: int, traces: int) -> None:
        for index in range(runs):
            created_at = self._calendar.at(days_ago, self._minute())
            run_id = f"{data.tenant_id}-run-{len(data.runs) + 1:05d}"
            data.runs.append(
                NewRun(
                    id=run_id,
                    status=RunStatus.COMPLETED,
                    created_at=created_at,
                    model="gpt-4o",
                    started_at=created_at,
                    finished_at=created_at + timedelta(seconds=self._jitter(40, 0.5)),
                    input_tokens=self._jitter(12000),
                    output_tokens=self._jitter(900),
                    cost_usd=self._money(0.04, 0.2),
                )
            )
            if index < traces:
                data.traces.append(
                    NewTrace(
                        trace_id=f"{data.tenant_id}-trace-{len(data.traces) + 1:05d}",
                        run_id=run_id,
                        status=TraceStatus.COMPLETED,
                        started_at=created_at,
                        completed_at=created_at + timedelta(seconds=self._jitter(30, 0.5)),
                    )
                )

    def _acme_workers(self, data: TenantData) -> None:
        for days_ago in _history():
            self._support_triage(data, days_ago)
            self._email_digest(data, days_ago)
            self._report_writer(data, days_ago)
            self._invoice_extractor(data, days_ago)

    def _worker_run(
        self,
        data: TenantData,
        worker: str,
        created_at: datetime,
        *,
        status: RunStatus = RunStatus.COMPLETED,
        error: str | None = None,
        cost_usd: Decimal | None = None,
    ) -> None:
        sequence = sum(1 for run in data.worker_runs if run.worker_id == worker) + 1
        latency_ms = self._jitter(20_000, 0.5)
        data.worker_runs.append(
            NewWorkerRun(
                id=f"{worker}-{sequence:04d}",
                worker_id=worker,
                task=worker.replace("-", "_"),
                status=status,
                created_at=created_at,
                started_at=created_at,
                completed_at=created_at + timedelta(milliseconds=latency_ms),
                error=error,
                total_tokens=self._jitter(6000),
                latency_ms=latency_ms,
                cost_usd=cost_usd,
            )
        )

    def _support_triage(self, data: TenantData, days_ago: int) -> None:
        """Add eight runs a day, and from two days ago sixteen, of which twelve time out."""
        troubled = days_ago <= 2
        for index in range(16 if troubled else 8):
            created_at = self._calendar.at(days_ago, self._minute())
            if troubled and index < 12:
                status = RunStatus.CRASHED if index % 4 == 3 else RunStatus.FAILED
                self._worker_run(
                    data, "support-triage", created_at, status=status, error=self._timeout()
                )
            elif self._random.random() < 0.05:
                error = f"Ticket {self._random.randint(1000, 99999)} has no priority field"
                self._worker_run(
                    data, "support-triage", created_at, status=RunStatus.FAILED, error=error
                )
            else:
                cost = self._money(0.05, 0.1)
                self._worker_run(data, "support-triage", created_at, cost_usd=cost)

    def _timeout(self) -> str:
        """Return one variant of the timeout error: other numbers, hosts and request ids."""
        milliseconds = self._random.choice((30000, 45000, 60000))
        host = self._random.choice(("helpdesk.example.com", "10.0.4.17:8443"))
        ticket = self._random.randint(10000, 99999)
        return (
            f"Timeout after {milliseconds} ms calling https://{host}/api/v2/tickets/{ticket} "
            f"(request {self._uuid()})"
        )

    def _email_digest(self, data: TenantData, days_ago: int) -> None:
        """Add two runs a day. Two days ago and yesterday six, five failing. Today six that pass."""
        failing = days_ago in (1, 2)
        count = 6 if days_ago <= 2 else 2
        for index in range(count):
            created_at = self._calendar.at(days_ago, self._minute())
            if failing and index < 5:
                error = (
                    "SMTP 421 service not available from mail.example.com, "
                    f"try again in {self._random.choice((60, 300))} seconds"
                )
                self._worker_run(
                    data, "email-digest", created_at, status=RunStatus.FAILED, error=error
                )
            else:
                self._worker_run(data, "email-digest", created_at, cost_usd=self._money(0.02, 0.1))

    def _report_writer(self, data: TenantData, days_ago: int) -> None:
        """Add three runs a day at about 1.00 USD, and at about 1.35 USD from yesterday."""
        mean = 1.35 if days_ago <= 1 else 1.0
        for _ in range(3):
            created_at = self._calendar.at(days_ago, self._minute())
            self._worker_run(data, "report-writer", created_at, cost_usd=self._money(mean, 0.04))

    def _invoice_extractor(self, data: TenantData, days_ago: int) -> None:
        """Add three runs a day at about 0.20 USD. Today's last run, at 17:30, costs 0.80 USD."""
        for _ in range(3):
            created_at = self._calendar.at(days_ago, self._random.randrange(FIRST_MINUTE, 17 * 60))
            cost = self._money(0.2, 0.08)
            self._worker_run(data, "invoice-extractor", created_at, cost_usd=cost)
        if days_ago == 0:
            created_at = self._calendar.at(0, 17 * 60 + 30)
            self._worker_run(data, "invoice-extractor", created_at, cost_usd=Decimal("0.80"))

    # globex.

    def _globex(self) -> TenantData:
        data = TenantData("globex")
        for days_ago in _history():
            growth = _prompt_growth(days_ago)
            for user in GLOBEX_USERS:
                for feature in ("assist.chat", "docs.qa"):
                    self._calls(
                        data,
                        days_ago,
                        3,
                        model="gpt-4o",
                        tokens=(round(120_000 * growth), 3000),
                        user=user,
                        feature=feature,
                    )
            self._usage_runs(data, days_ago, runs=2, traces=1)
        return data

    # initech.

    def _initech(self) -> TenantData:
        data = TenantData("initech")
        for days_ago in (1, 0):
            for user in ("kim", "lee"):
                self._calls(
                    data,
                    days_ago,
                    10,
                    model="gpt-4o-mini",
                    tokens=(3000, 400),
                    user=user,
                    feature="chat.reply",
                )
        return data


def _history() -> Iterator[int]:
    """Count days back from the oldest generated day to today (0)."""
    return iter(range(HISTORY_DAYS - 1, -1, -1))


def _prompt_growth(days_ago: int) -> float:
    """Return globex's prompt-size factor: 1 until ten days ago, then rising towards 1.65.

    The rise is steep at first and then levels off. The week before yesterday
    is thus well above the three weeks before it, a drift, while no single
    day is 40 % above the thirteen days before it, so no day spikes.
    """
    if days_ago >= 10:
        return 1.0
    return 1.0 + 0.65 * (1 - 0.5 ** (10 - days_ago))
