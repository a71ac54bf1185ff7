"""The committed reliability report equals the one rendered from this run's figures."""

from __future__ import annotations

import pytest

from tests.reliability import figures


def test_render_lists_every_figure() -> None:
    sample = {
        (figure.key, backend): 7 for figure in figures.FIGURES for backend in figures.BACKENDS
    }

    rendered = figures.render(sample)

    for figure in figures.FIGURES:
        assert f"| {figure.check} | {figure.label} | 7 | 7 |" in rendered


def test_report_matches_figures() -> None:
    # This test runs after every other test of the session (see conftest), so the
    # figures are complete when the whole reliability suite ran on both backends.
    collected = figures.collected()
    if not figures.is_complete(collected):
        pytest.skip("run the whole reliability suite on both backends to compare the report")

    committed = figures.REPORT_PATH.read_text(encoding="utf-8")

    assert committed == figures.render(collected)
