"""Settings read from the environment (prefix ``ANALYTICS_``)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///analytics.db"


class Settings(BaseSettings):
    """Package settings: the database URL, the connection pool and the report time zone."""

    model_config = SettingsConfigDict(env_prefix="ANALYTICS_", extra="ignore")

    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        description="SQLAlchemy URL: sqlite+aiosqlite:///path or postgresql+asyncpg://...",
    )
    pool_size: int = Field(default=5, ge=1, le=100, description="Connections kept in the pool")
    max_overflow: int = Field(default=5, ge=0, le=100, description="Extra connections allowed")
    tz: str = Field(default="UTC", description="IANA time zone for days, months and buckets")
