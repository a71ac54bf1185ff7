"""The CostWriteDriver shared by the SQL backends."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from analytics.adapters.sql.session import SqlSession
from analytics.domain import (
    UNSET,
    Budget,
    CostRecord,
    EntityType,
    FeatureTag,
    NewCostRecord,
    Unset,
    WriteResult,
)


class SqlCostWriteDriver:
    """CostWriteDriver on SQLAlchemy Core, for every SQL backend."""

    def __init__(self, session: SqlSession) -> None:
        self._session = session

    async def create_feature_tag(
        self,
        tenant_id: str,
        *,
        tag: str,
        display_name: str,
        description: str | None = None,
        budget_usd: Decimal | None = None,
    ) -> FeatureTag:
        raise NotImplementedError("CostWriteDriver.create_feature_tag is not built yet")

    async def update_feature_tag(
        self,
        tenant_id: str,
        *,
        tag: str,
        display_name: str | Unset = UNSET,
        description: str | Unset | None = UNSET,
        budget_usd: Decimal | Unset | None = UNSET,
        is_active: bool | Unset = UNSET,
    ) -> FeatureTag:
        raise NotImplementedError("CostWriteDriver.update_feature_tag is not built yet")

    async def create_cost_record(
        self,
        tenant_id: str,
        *,
        record: NewCostRecord,
    ) -> WriteResult[CostRecord]:
        raise NotImplementedError("CostWriteDriver.create_cost_record is not built yet")

    async def create_or_update_budget(
        self,
        tenant_id: str,
        *,
        budget_type: EntityType,
        entity_id: str | None = None,
        daily_limit_usd: Decimal | None = None,
        monthly_limit_usd: Decimal | None = None,
        warn_threshold_pct: int = 80,
        hard_limit_enabled: bool = False,
        is_active: bool = True,
    ) -> WriteResult[Budget]:
        raise NotImplementedError("CostWriteDriver.create_or_update_budget is not built yet")

    async def create_cost_records(
        self,
        tenant_id: str,
        *,
        records: Sequence[NewCostRecord],
    ) -> list[WriteResult[CostRecord]]:
        raise NotImplementedError("CostWriteDriver.create_cost_records is not built yet")

    async def get_feature_tag(
        self,
        tenant_id: str,
        *,
        tag: str,
    ) -> FeatureTag | None:
        raise NotImplementedError("CostWriteDriver.get_feature_tag is not built yet")

    async def list_feature_tags(
        self,
        tenant_id: str,
        *,
        is_active: bool | None = None,
        limit: int = 500,
    ) -> list[FeatureTag]:
        raise NotImplementedError("CostWriteDriver.list_feature_tags is not built yet")
