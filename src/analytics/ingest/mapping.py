"""Turn a source row into field values with ``--map``, ``--value``, ``--set``, ``--key``.

Fields are filled in this order: a column named like a field maps to it;
``--map FIELD=SOURCE`` maps a column, or a template such as
``{benchmark}/{instance_id}``; ``--value FIELD:FROM=TO`` recodes exact
mapped values (an empty FROM matches an empty cell); ``--set FIELD=VALUE``
gives every row a constant. ``tenant_id`` comes from ``--map`` or
``--tenant``, exactly one. The idempotency key is a mapped column, or the
hash of the ``--key`` columns, or else the hash of the whole row.
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from analytics.ingest.errors import IngestUsageError
from analytics.ingest.keys import RowOccurrences, hashed_key
from analytics.ingest.kinds import TENANT_FIELD, Kind
from analytics.ingest.readers import SourceRow
from analytics.ingest.values import cell_text


@dataclass(frozen=True)
class MappingOptions:
    """The mapping options as given on the command line."""

    maps: Sequence[str] = ()
    recodes: Sequence[str] = ()
    constants: Sequence[str] = ()
    key_columns: str | None = None
    tenant: str | None = None


@dataclass(frozen=True)
class ColumnSource:
    """A field read from one column."""

    column: str

    def read(self, values: Mapping[str, object]) -> object:
        """Return the cell, or ``None`` when the row has no such column."""
        return values.get(self.column)

    def columns(self) -> tuple[str, ...]:
        """Return the columns this source reads."""
        return (self.column,)


@dataclass(frozen=True)
class TemplateSource:
    """A field built from literal text and ``{column}`` placeholders.

    The value is missing when any placeholder's cell is empty, so a required
    field is rejected instead of stored with a hole in it.
    """

    parts: tuple[tuple[str, str | None], ...]

    def read(self, values: Mapping[str, object]) -> object:
        """Return the filled template, or ``None`` when a placeholder's cell is empty."""
        pieces: list[str] = []
        for literal, column in self.parts:
            pieces.append(literal)
            if column is None:
                continue
            text = cell_text(values.get(column))
            if not text:
                return None
            pieces.append(text)
        return "".join(pieces)

    def columns(self) -> tuple[str, ...]:
        """Return the columns named by the placeholders."""
        return tuple(column for _literal, column in self.parts if column is not None)


Source = ColumnSource | TemplateSource


@dataclass
class RowMapper:
    """Maps source rows to raw field values for one kind; build it with ``build_mapper``."""

    kind: Kind
    sources: dict[str, Source]
    constants: dict[str, str]
    recodes: dict[str, dict[str, str]]
    key_columns: tuple[str, ...] | None
    hash_missing_key: bool
    occurrences: RowOccurrences = field(default_factory=RowOccurrences)

    def map(self, row: SourceRow) -> dict[str, object]:
        """Return the raw value of every filled field of ``row``; ``None`` is a missing value."""
        values: dict[str, object] = {}
        for name, source in self.sources.items():
            values[name] = self._recode(name, source.read(row.values))
        values.update(self.constants)
        key = self.kind.key_field
        if self.key_columns is not None:
            values[key] = hashed_key(cell_text(row.values.get(c)) or "" for c in self.key_columns)
        elif self.hash_missing_key and cell_text(values.get(key)) in (None, ""):
            values[key] = self.occurrences.key(row.fingerprint)
        return values

    def _recode(self, name: str, value: object) -> object:
        table = self.recodes.get(name)
        if table is None:
            return value
        text = cell_text(value)
        return table.get(text or "", value)


def build_mapper(kind: Kind, options: MappingOptions, columns: Sequence[str] | None) -> RowMapper:
    """Check the mapping options against the kind and the file's columns.

    ``columns`` is the CSV header, or ``None`` for JSON lines, whose objects
    have no fixed columns. Raises IngestUsageError for an unknown field, a
    field mapped or set twice, a field both mapped and set, a column missing
    from the header, a recode with no effect, or a tenant given both ways or
    not at all.
    """
    maps = _pairs("--map", options.maps, kind)
    constants = _pairs("--set", options.constants, kind)
    _check_no_overlap(maps, constants)
    _add_tenant(maps, constants, options.tenant, columns)
    key_columns = _key_columns(options.key_columns, kind, maps, constants)

    sources = {name: _source(name, text) for name, text in maps.items()}
    sources = _by_name(kind, sources, constants, columns) | sources
    if key_columns is not None:
        sources.pop(kind.key_field, None)
    _check_columns(sources, key_columns, columns)

    recodes = _recodes(options.recodes, kind, sources, constants)
    return RowMapper(
        kind,
        sources,
        constants,
        recodes,
        key_columns,
        _hashes_missing_key(kind.key_field, maps, constants, columns, key_columns),
    )


def _hashes_missing_key(
    key: str,
    maps: Mapping[str, str],
    constants: Mapping[str, str],
    columns: Sequence[str] | None,
    key_columns: tuple[str, ...] | None,
) -> bool:
    """Tell whether a row without a key value gets the hash of the whole row.

    A key from ``--key``, ``--set``, ``--map`` or a CSV column of the key's
    name is never replaced: a row whose key cell is empty is rejected. In a
    JSON-lines file the key's name is read where an object has it, and the
    other objects are keyed by their whole line.
    """
    if key_columns is not None or key in constants or key in maps:
        return False
    return columns is None or key not in columns


def _pairs(option: str, items: Sequence[str], kind: Kind) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for item in items:
        name, separator, value = item.partition("=")
        name = name.strip()
        if not separator or not name:
            raise IngestUsageError(f"{option} {item!r}: expected FIELD=VALUE")
        _check_field(option, name, kind)
        if name in pairs:
            raise IngestUsageError(f"{option} gives the field {name} twice")
        pairs[name] = value
    return pairs


def _check_field(option: str, name: str, kind: Kind) -> None:
    if name not in kind.fields:
        raise IngestUsageError(
            f"{option}: {name!r} is not a field of {kind.name}; fields: {', '.join(kind.fields)}"
        )


def _check_no_overlap(maps: Mapping[str, str], constants: Mapping[str, str]) -> None:
    both = sorted(set(maps) & set(constants))
    if both:
        raise IngestUsageError(
            f"the field {both[0]} is both mapped (--map) and set (--set); keep one of them"
        )


def _add_tenant(
    maps: dict[str, str],
    constants: dict[str, str],
    tenant: str | None,
    columns: Sequence[str] | None,
) -> None:
    """Put ``--tenant`` among the constants, checking that the tenant comes from one place."""
    if tenant is not None:
        if TENANT_FIELD in maps or TENANT_FIELD in constants:
            raise IngestUsageError(
                "the tenant is given twice: pass either --tenant or --map tenant_id=COLUMN"
            )
        constants[TENANT_FIELD] = tenant
        return
    has_column = columns is None or TENANT_FIELD in columns
    if TENANT_FIELD not in maps and TENANT_FIELD not in constants and not has_column:
        raise IngestUsageError(
            "no tenant: pass --tenant ID, or --map tenant_id=COLUMN to read it from the file"
        )


def _key_columns(
    text: str | None, kind: Kind, maps: Mapping[str, str], constants: Mapping[str, str]
) -> tuple[str, ...] | None:
    if text is None:
        return None
    key = kind.key_field
    if key in maps or key in constants:
        raise IngestUsageError(
            f"--key and a --map or --set of {key} both give the key; keep one of them"
        )
    names = tuple(name.strip() for name in text.split(","))
    if not all(names):
        raise IngestUsageError(f"--key {text!r}: expected COLUMN[,COLUMN...]")
    return names


def _source(name: str, text: str) -> Source:
    if "{" not in text and "}" not in text:
        if not text:
            raise IngestUsageError(f"--map {name}=: the column name is empty")
        return ColumnSource(text)
    return TemplateSource(_template_parts(name, text))


def _template_parts(name: str, text: str) -> tuple[tuple[str, str | None], ...]:
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as error:
        raise IngestUsageError(f"--map {name}={text}: invalid template ({error})") from error
    parts: list[tuple[str, str | None]] = []
    for literal, column, spec, conversion in parsed:
        if column == "" or spec or conversion:
            raise IngestUsageError(
                f"--map {name}={text}: a placeholder must be a bare {{column}} name"
            )
        parts.append((literal, column))
    return tuple(parts)


def _by_name(
    kind: Kind,
    sources: Mapping[str, Source],
    constants: Mapping[str, str],
    columns: Sequence[str] | None,
) -> dict[str, Source]:
    """Map each remaining field to the column of the same name.

    In a JSON-lines file every object may have other keys, so every
    remaining field reads the key of its name when the object has it.
    """
    filled = set(sources) | set(constants)
    return {
        name: ColumnSource(name)
        for name in kind.fields
        if name not in filled and (columns is None or name in columns)
    }


def _check_columns(
    sources: Mapping[str, Source],
    key_columns: tuple[str, ...] | None,
    columns: Sequence[str] | None,
) -> None:
    if columns is None:
        return
    needed = [column for source in sources.values() for column in source.columns()]
    needed.extend(key_columns or ())
    missing = [column for column in dict.fromkeys(needed) if column not in columns]
    if missing:
        raise IngestUsageError(
            f"the column(s) {', '.join(missing)} are not in the file's header; "
            f"columns: {', '.join(columns)}"
        )


def _recodes(
    items: Sequence[str],
    kind: Kind,
    sources: Mapping[str, Source],
    constants: Mapping[str, str],
) -> dict[str, dict[str, str]]:
    tables: dict[str, dict[str, str]] = {}
    for item in items:
        name, original, replacement = _recode(item, kind)
        if name not in sources or name in constants:
            raise IngestUsageError(
                f"--value {item!r} has no effect because {name} is not read from a column"
            )
        table = tables.setdefault(name, {})
        if original in table:
            raise IngestUsageError(f"--value recodes {original!r} of {name} twice")
        table[original] = replacement
    return tables


def _recode(item: str, kind: Kind) -> tuple[str, str, str]:
    name, colon, rest = item.partition(":")
    original, equals, replacement = rest.partition("=")
    name = name.strip()
    if not colon or not equals or not name:
        raise IngestUsageError(f"--value {item!r}: expected FIELD:FROM=TO")
    _check_field("--value", name, kind)
    return name, original, replacement
