"""Every statement the adapters send to the database touches exactly one tenant.

With rows of two tenants in every table, the scenario calls all 61 port
methods for tenant ``t1`` twice (the second round replays the writes) and
captures each statement sent to the driver with a SQLAlchemy
``before_cursor_execute`` listener. Then:

* each SELECT, UPDATE and DELETE has at least one ``tenant_id = <bound value>``
  comparison per tenant-table reference, and every such value is ``t1``;
* each INSERT gives ``t1`` as the ``tenant_id`` of every row, and an
  ``INSERT ... SELECT`` filters its SELECT as above;
* an ``INSERT ... SELECT`` that reads no tenant table, such as the inserts in
  the CTEs of one statement, selects a bound ``t1`` as its ``tenant_id``;
* transaction control (BEGIN, SAVEPOINT, RELEASE, ROLLBACK, COMMIT, PRAGMA)
  is excluded explicitly, and any other statement fails the test.

This is the property that lets each statement be routed to one shard when the
tables are distributed by ``tenant_id``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import event

from analytics.adapters.sql.schema import TENANT_TABLES
from analytics.ports import AnalyticsError, UnitOfWork
from tests.contract.example_data import (
    load_cost_records,
    load_runs_and_traces,
    load_worker_runs,
)
from tests.contract.harness import Harness
from tests.contract.method_calls import ALL_METHODS, VALID_CALLS

TENANT = "t1"
OTHER_TENANT = "t2"
TRANSACTION_CONTROL = frozenset({"BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK", "COMMIT", "PRAGMA"})
TABLE_NAMES = frozenset(table.name for table in TENANT_TABLES)

_STRING_OR_IDENTIFIER = re.compile(r"'(?:[^']|'')*'|\"[^\"]*\"")
_PLACEHOLDER = re.compile(r"\?|\$(\d+)")
_TENANT_EQUALS = re.compile(r"(?:\b\w+\.)?\btenant_id\s*=\s*(\?|\$\d+)")
_TENANT_OTHER_PREDICATE = re.compile(r"\btenant_id\s*(?:<>|!=|\bIN\b|\bLIKE\b|\bIS\b)", re.I)
_TABLE_REFERENCE = re.compile(r"\b(FROM|JOIN|UPDATE|INTO)\s+(\w+)\b(?!\.)", re.I)
_INSERT_SELECT = re.compile(r"\bINSERT INTO (\w+) \(([^()]*)\) SELECT ", re.I)


@dataclass(frozen=True)
class Captured:
    """One statement sent to the driver while a port method ran."""

    method: str
    sql: str
    parameters: Any
    executemany: bool

    @property
    def verb(self) -> str:
        words = self.sql.split(None, 1)
        return words[0].upper() if words else ""

    def parameter_rows(self) -> list[Sequence[Any]]:
        if self.executemany:
            return list(self.parameters)
        return [self.parameters]


def _blank_quoted(sql: str) -> str:
    """Replace string literals and quoted identifiers by same-length filler, unquoting names."""

    def blank(match: re.Match[str]) -> str:
        text = match.group(0)
        if text.startswith('"'):
            return " " + text[1:-1] + " "
        return "'" + "_" * (len(text) - 2) + "'"

    return _STRING_OR_IDENTIFIER.sub(blank, sql)


def _placeholder_index(sql: str, position: int) -> int:
    """Return the parameter index of the placeholder starting at ``position``."""
    match = _PLACEHOLDER.match(sql, position)
    assert match is not None
    if match.group(1) is not None:
        return int(match.group(1)) - 1
    return sum(1 for _ in _PLACEHOLDER.finditer(sql, 0, position))


def _tenant_filter_values(sql: str, parameters: Sequence[Any]) -> list[Any]:
    values = []
    for match in _TENANT_EQUALS.finditer(sql):
        values.append(parameters[_placeholder_index(sql, match.start(1))])
    return values


def _read_table_references(sql: str) -> list[str]:
    return [
        name
        for keyword, name in _TABLE_REFERENCE.findall(sql)
        if keyword.upper() != "INTO" and name in TABLE_NAMES
    ]


def _top_level_groups(text: str) -> Iterator[tuple[int, str]]:
    """Yield ``(offset, contents)`` of each top-level parenthesised group of ``text``."""
    depth = 0
    start = 0
    for position, character in enumerate(text):
        if character == "(":
            if depth == 0:
                start = position + 1
            depth += 1
        elif character == ")":
            depth -= 1
            if depth == 0:
                yield start, text[start:position]


def _split_top_level(text: str) -> list[tuple[int, str]]:
    """Split on commas outside parentheses; return (offset, item) pairs."""
    items = []
    depth = 0
    start = 0
    for position, character in enumerate(text):
        if character == "(":
            depth += 1
        elif character == ")":
            depth -= 1
        elif character == "," and depth == 0:
            items.append((start, text[start:position]))
            start = position + 1
    items.append((start, text[start:]))
    return items


def _insert_row_tenants(sql: str, parameters: Sequence[Any]) -> list[Any]:
    """Return the tenant_id value of each VALUES row of an INSERT."""
    head, _, tail = sql.partition(" VALUES ")
    _offset, column_list = next(_top_level_groups(head))
    columns = [name.strip() for _, name in _split_top_level(column_list)]
    tenant_position = columns.index("tenant_id")
    rows_part = re.split(r"\s(?:ON CONFLICT|RETURNING)\s", tail)[0]
    rows_offset = len(head) + len(" VALUES ")
    tenants = []
    for group_offset, group in _top_level_groups(rows_part):
        item_offset, item = _split_top_level(group)[tenant_position]
        value = item.strip()
        assert _PLACEHOLDER.fullmatch(value.split("::")[0]), (
            f"tenant_id of an INSERT row is not a bound value: {value!r} in {sql}"
        )
        position = rows_offset + group_offset + item_offset + item.index(value)
        tenants.append(parameters[_placeholder_index(sql, position)])
    return tenants


def _select_list(text: str) -> str:
    """Return ``text`` up to its first FROM outside parentheses."""
    depth = 0
    for position, character in enumerate(text):
        if character == "(":
            depth += 1
        elif character == ")":
            depth -= 1
        elif depth == 0 and re.match(r"\sFROM\s", text[position:], re.I):
            return text[:position]
    return text


def _selected_tenants(sql: str, parameters: Sequence[Any]) -> list[Any]:
    """Return the bound tenant_id of each ``INSERT INTO <tenant table> (...) SELECT``."""
    tenants = []
    for match in _INSERT_SELECT.finditer(sql):
        if match.group(1) not in TABLE_NAMES:
            continue
        columns = [name.strip() for _, name in _split_top_level(match.group(2))]
        items = _split_top_level(_select_list(sql[match.end() :]))
        offset, item = items[columns.index("tenant_id")]
        value = item.strip()
        assert _PLACEHOLDER.match(value), f"tenant_id of an INSERT ... SELECT is {value!r} in {sql}"
        position = match.end() + offset + item.index(value)
        tenants.append(parameters[_placeholder_index(sql, position)])
    return tenants


def check_statement(statement: Captured) -> None:
    """Assert that one captured statement addresses only tenant ``t1``."""
    sql = _blank_quoted(statement.sql)
    where = f"{statement.method}: {statement.sql}"
    assert not _TENANT_OTHER_PREDICATE.search(sql), f"tenant_id predicate other than '=' in {where}"
    for parameters in statement.parameter_rows():
        if statement.verb == "INSERT":
            _check_insert(sql, parameters, where)
        else:
            _check_filtered(sql, parameters, where)


def _check_filtered(sql: str, parameters: Sequence[Any], where: str) -> None:
    values = _tenant_filter_values(sql, parameters)
    references = _read_table_references(sql)
    if not references:
        tenants = _selected_tenants(sql, parameters)
        assert tenants, f"no tenant table read or written in {where}"
        assert set(tenants) == {TENANT}, f"inserted tenant_id values {tenants} in {where}"
        return
    assert len(values) >= len(references), f"a table read without a tenant_id filter in {where}"
    assert set(values) == {TENANT}, f"tenant_id values {values} in {where}"


def _check_insert(sql: str, parameters: Sequence[Any], where: str) -> None:
    if " VALUES " in sql:
        tenants = _insert_row_tenants(sql, parameters)
        assert tenants, f"no rows found in {where}"
        assert set(tenants) == {TENANT}, f"row tenant_id values {tenants} in {where}"
    else:
        _check_filtered(sql, parameters, where)


def _bound_method(uow: UnitOfWork, name: str) -> Any:
    attribute, method = name.split(".")
    return getattr(getattr(uow, attribute), method)


async def _call_every_method(backend: Harness, tenant_id: str, log: list[str] | None) -> None:
    for name in ALL_METHODS:
        if log is not None:
            log.append(name)
        try:
            async with backend.uow() as uow:
                await _bound_method(uow, name)(tenant_id, **VALID_CALLS[name]())
        except AnalyticsError:
            # NotFound for by-id calls and Conflict on replays still issue their statements.
            pass


async def _seed_two_tenants(backend: Harness) -> None:
    await load_cost_records(backend.uow)
    await load_runs_and_traces(backend.uow)
    await load_worker_runs(backend.uow)
    await _call_every_method(backend, OTHER_TENANT, None)
    await _call_every_method(backend, TENANT, None)


async def _capture_statements(backend: Harness) -> tuple[list[Captured], list[str]]:
    captured: list[Captured] = []
    called: list[str] = []

    def record(
        _connection: Any, _cursor: Any, sql: str, parameters: Any, _context: Any, many: bool
    ) -> None:
        method = called[-1] if called else "(outside a port call)"
        captured.append(Captured(method, sql.strip(), parameters, many))

    sync_engine = backend.store.engine.sync_engine
    event.listen(sync_engine, "before_cursor_execute", record)
    try:
        for _ in range(2):
            await _call_every_method(backend, TENANT, called)
    finally:
        event.remove(sync_engine, "before_cursor_execute", record)
    return captured, called


@pytest.fixture
async def statements(backend: Harness) -> tuple[list[Captured], list[str]]:
    await _seed_two_tenants(backend)
    return await _capture_statements(backend)


async def test_scenario_calls_every_method(statements: tuple[list[Captured], list[str]]) -> None:
    _captured, called = statements
    assert set(called) == set(ALL_METHODS)
    assert len(ALL_METHODS) == 61


async def test_every_statement_is_checked(statements: tuple[list[Captured], list[str]]) -> None:
    captured, _called = statements
    unexpected = [
        statement
        for statement in captured
        if statement.verb not in TRANSACTION_CONTROL
        and statement.verb not in {"SELECT", "WITH", "INSERT", "UPDATE", "DELETE"}
    ]
    assert unexpected == []


async def test_statements_filter_one_tenant(statements: tuple[list[Captured], list[str]]) -> None:
    captured, _called = statements
    checked = [statement for statement in captured if statement.verb not in TRANSACTION_CONTROL]
    assert len(checked) >= len(ALL_METHODS)
    for statement in checked:
        check_statement(statement)


async def test_inserts_carry_one_tenant(statements: tuple[list[Captured], list[str]]) -> None:
    captured, _called = statements
    inserts = [statement for statement in captured if statement.verb == "INSERT"]
    assert inserts
    for statement in inserts:
        check_statement(statement)


@pytest.mark.parametrize(
    ("sql", "parameters"),
    [
        ("SELECT x FROM cost_records WHERE cost_records.tenant_id = ? AND id = ?", ("t2", "a")),
        ("SELECT x FROM cost_records WHERE id = ?", ("a",)),
        ("SELECT x FROM cost_records WHERE tenant_id IN (?, ?)", ("t1", "t2")),
        ("SELECT x FROM runs JOIN traces ON 1 = 1 WHERE runs.tenant_id = $1", ("t1",)),
        ("SELECT x FROM runs WHERE tenant_id = $1 OR tenant_id = $2", ("t1", "t2")),
        ("UPDATE runs SET status = ? WHERE id = ?", ("failed", "r1")),
        ("DELETE FROM runs WHERE tenant_id = 't1'", ()),
        ("INSERT INTO runs (id, tenant_id) VALUES (?, ?), (?, ?)", ("a", "t1", "b", "t2")),
        ("INSERT INTO runs (id, tenant_id) VALUES ($1, 't1')", ("a",)),
        (
            "WITH i AS (INSERT INTO runs (tenant_id, id) SELECT $1::VARCHAR AS tenant_id, b.id "
            "FROM unnest($2::TEXT[]) AS b(id) RETURNING runs.id) SELECT i.id FROM i",
            ("t2", ["a"]),
        ),
        (
            "WITH i AS (INSERT INTO runs (tenant_id, id) SELECT b.tenant_id, b.id "
            "FROM unnest($1::TEXT[], $2::TEXT[]) AS b(tenant_id, id) RETURNING runs.id) "
            "SELECT i.id FROM i",
            (["t1"], ["a"]),
        ),
    ],
)
def test_check_rejects_cross_tenant_statement(sql: str, parameters: tuple[Any, ...]) -> None:
    with pytest.raises(AssertionError):
        check_statement(Captured("example", sql, parameters, executemany=False))


@pytest.mark.parametrize(
    ("sql", "parameters"),
    [
        ("SELECT x FROM cost_records WHERE cost_records.tenant_id = ? AND id = ?", ("t1", "a")),
        (
            "SELECT x FROM runs JOIN traces ON traces.tenant_id = $2 WHERE runs.tenant_id = $1",
            ("t1", "t1"),
        ),
        ("INSERT INTO runs (id, tenant_id) VALUES (?, ?), (?, ?)", ("a", "t1", "b", "t1")),
        ("INSERT INTO runs (id, tenant_id) VALUES ($1, $2::VARCHAR)", ("a", "t1")),
        (
            "WITH i AS (INSERT INTO runs (tenant_id, id) SELECT $1::VARCHAR AS tenant_id, b.id "
            "FROM unnest($2::TEXT[]) AS b(id) RETURNING runs.id), "
            "s AS (INSERT INTO traces (tenant_id, n) SELECT $1::VARCHAR, count(*) FROM i) "
            "SELECT i.id FROM i",
            ("t1", ["a"]),
        ),
    ],
)
def test_check_accepts_single_tenant_statement(sql: str, parameters: tuple[Any, ...]) -> None:
    check_statement(Captured("example", sql, parameters, executemany=False))
