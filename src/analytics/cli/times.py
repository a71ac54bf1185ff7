"""Parsing of command-line times, days and durations.

A date (``2024-11-05``) is the start of that local day in ``--tz``. An instant
is ISO 8601 (``2024-11-05T18:00``, ``2024-11-05 18:00:00+01:00``, ``...Z``); one
without an offset is read in ``--tz``. A duration is a whole number followed by
``m`` (minutes), ``h`` (hours) or ``d`` (days of 24 hours): ``90m``, ``24h``,
``7d``. A bad value raises ``click.BadParameter`` naming it, which the command
line reports as a usage error (exit code 2).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import click

from analytics.domain.time import day_start, load_zone
from analytics.ports.errors import InvalidInput

_DURATION = re.compile(r"(\d+)\s*([mhd])")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_day(value: str) -> date:
    """Parse a calendar date ``YYYY-MM-DD``."""
    text = value.strip()
    if not _DATE.fullmatch(text):
        raise click.BadParameter(f"{value!r} is not a date; use YYYY-MM-DD, such as 2024-11-05")
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise click.BadParameter(f"{value!r} is not a valid date: {error}") from error


def parse_instant(value: str, tz: str) -> datetime:
    """Parse a date or an ISO 8601 instant into an aware datetime.

    A date is the start of that day in ``tz``; an instant without an offset
    is local time in ``tz``.
    """
    text = value.strip()
    if _DATE.fullmatch(text):
        try:
            return day_start(parse_day(text), tz)
        except InvalidInput as error:
            raise click.BadParameter(f"{value!r} is out of range: {error.message}") from error
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as error:
        raise click.BadParameter(
            f"{value!r} is not a date or an ISO 8601 time; use YYYY-MM-DD or "
            "YYYY-MM-DDTHH:MM[:SS][+HH:MM], such as 2024-11-05T18:00"
        ) from error
    if parsed.utcoffset() is None:
        return parsed.replace(tzinfo=load_zone(tz))
    return parsed


def parse_duration(value: str) -> timedelta:
    """Parse a positive duration such as ``90m``, ``24h`` or ``7d``."""
    match = _DURATION.fullmatch(value.strip().lower())
    if match is None:
        raise click.BadParameter(
            f"{value!r} is not a duration; use a whole number with m, h or d, such as 90m, 24h, 7d"
        )
    amount = int(match.group(1))
    if amount <= 0:
        raise click.BadParameter(f"{value!r} is not a positive duration")
    try:
        return timedelta(**{_UNITS[match.group(2)]: amount})
    except OverflowError as error:
        raise click.BadParameter(f"{value!r} is too long a duration") from error


def format_duration(duration: timedelta) -> str:
    """Format a duration in the largest of ``d``, ``h`` or ``m`` that divides it."""
    minutes = int(duration.total_seconds()) // 60
    if minutes % 1440 == 0:
        return f"{minutes // 1440}d"
    if minutes % 60 == 0:
        return f"{minutes // 60}h"
    return f"{minutes}m"
