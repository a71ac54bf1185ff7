"""The composition root: turn a database URL into a store with the right adapters.

```
store = await open_store("sqlite+aiosqlite:///analytics.db")
async with store.unit_of_work() as uow:
    await uow.cost_writes.create_cost_record("t1", record=...)
await store.close()
```
"""

from __future__ import annotations

import logging
import re

from sqlalchemy import text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from analytics.adapters import postgres, sqlite
from analytics.adapters.sql.errors import translate
from analytics.adapters.sql.session import IdFactory, uuid4_hex
from analytics.adapters.sql.unit_of_work import BackendPorts, SqlUnitOfWork
from analytics.domain.time import Clock, system_clock
from analytics.ports.errors import BackendUnavailable, CapabilityNotSupported, InvalidInput

logger = logging.getLogger(__name__)

POSTGRES_SCHEME = "postgresql+asyncpg"
SQLITE_SCHEME = "sqlite+aiosqlite"
ACCEPTED_SCHEMES = (SQLITE_SCHEME, POSTGRES_SCHEME)

_PASSWORD_IN_URL = re.compile(r"(://[^:/@]*:)[^@]*@")


def mask_url(url: str | URL) -> str:
    """Return a database URL with any password replaced by ``***``."""
    if isinstance(url, URL):
        return url.render_as_string(hide_password=True)
    return _PASSWORD_IN_URL.sub(r"\1***@", url)


def _accepted() -> str:
    return ", ".join(f"{scheme}://" for scheme in ACCEPTED_SCHEMES)


def parse_database_url(url: str) -> URL:
    """Parse a database URL and check that its scheme is one the package supports."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError, TypeError) as exc:
        raise InvalidInput(
            "url", mask_url(str(url)), f"is not a database URL; use one of {_accepted()}"
        ) from exc
    if parsed.drivername not in ACCEPTED_SCHEMES:
        raise InvalidInput(
            "url",
            mask_url(parsed),
            f"scheme {parsed.drivername!r} is not supported; use one of {_accepted()}",
        )
    return parsed


def backend_for(engine: AsyncEngine) -> BackendPorts:
    """Return the adapter package's ports for an engine's dialect."""
    dialect = engine.dialect.name
    if dialect == "postgresql":
        return postgres.BACKEND
    if dialect == "sqlite":
        return sqlite.BACKEND
    raise CapabilityNotSupported(
        "dialect", f"database dialect {dialect!r} is not supported; use SQLite or Postgres"
    )


class Store:
    """A database engine with the adapters of its backend, handing out units of work."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        clock: Clock = system_clock,
        id_factory: IdFactory = uuid4_hex,
    ) -> None:
        self.engine = engine
        self.backend = backend_for(engine)
        self._clock = clock
        self._id_factory = id_factory

    @classmethod
    def from_engine(
        cls,
        engine: AsyncEngine,
        *,
        clock: Clock = system_clock,
        id_factory: IdFactory = uuid4_hex,
    ) -> Store:
        """Build a store on an engine the application already has (no second pool).

        For SQLite, the engine should have been configured with
        ``analytics.adapters.sqlite.configure_engine`` so savepoints work.
        """
        return cls(engine, clock=clock, id_factory=id_factory)

    @property
    def dialect_name(self) -> str:
        """The backend's dialect name: ``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    def unit_of_work(self, *, read_only: bool = False) -> SqlUnitOfWork:
        """Return a new unit of work; enter it with ``async with``.

        With ``read_only=True`` the transaction only reads: writes raise
        ``ReadOnlyUnitOfWork``, and on SQLite it does not wait for a writer.
        """
        return SqlUnitOfWork(
            self.engine, self.backend, self._clock, self._id_factory, read_only=read_only
        )

    def read_only_unit_of_work(self) -> SqlUnitOfWork:
        """Return a new read-only unit of work, for engines that take a factory."""
        return self.unit_of_work(read_only=True)

    async def close(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()


def _create_engine(url: URL, pool_size: int, max_overflow: int) -> AsyncEngine:
    if url.drivername == SQLITE_SCHEME:
        sqlite.check_library_version()
        engine = create_async_engine(url)
        sqlite.configure_engine(engine)
        return engine
    return create_async_engine(
        url, pool_size=pool_size, max_overflow=max_overflow, pool_pre_ping=True
    )


def _where(url: URL) -> str:
    if url.drivername == SQLITE_SCHEME:
        return f"SQLite file {url.database or ':memory:'}"
    return f"Postgres at {url.host or 'localhost'}:{url.port or 5432}/{url.database or ''}"


async def _check_connection(engine: AsyncEngine, url: URL) -> None:
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as exc:
        error = translate(exc)
        await engine.dispose()
        raise BackendUnavailable(
            f"cannot connect to {_where(url)}: {error.message}",
            retryable=isinstance(error, BackendUnavailable) and error.retryable,
        ) from exc


async def open_store(
    url: str,
    *,
    clock: Clock = system_clock,
    id_factory: IdFactory = uuid4_hex,
    pool_size: int = 5,
    max_overflow: int = 5,
) -> Store:
    """Open a store for a database URL and check that the database accepts a connection.

    Accepted schemes: ``sqlite+aiosqlite:///path`` and
    ``postgresql+asyncpg://user@host:port/db``. Raises ``InvalidInput`` for a
    bad or unsupported URL (the password masked), ``CapabilityNotSupported``
    for a SQLite library older than 3.35, and ``BackendUnavailable`` naming the
    host and port when the database cannot be reached.
    """
    parsed = parse_database_url(url)
    engine = _create_engine(parsed, pool_size, max_overflow)
    await _check_connection(engine, parsed)
    logger.debug("opened store on %s", mask_url(parsed))
    return Store(engine, clock=clock, id_factory=id_factory)
