"""``analytics demo`` prints the same tour for the same seed, equal to a stored copy.

Regenerate the stored copy after an intended change with
``ANALYTICS_UPDATE_GOLDEN=1 pytest tests/integration/test_demo_golden.py``
and review the difference before committing it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

GOLDEN = Path(__file__).parent / "golden" / "demo.txt"
UPDATE_VARIABLE = "ANALYTICS_UPDATE_GOLDEN"


def run_demo(directory: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    # Only PATH and HOME pass through, so no ANALYTICS_*, COLUMNS or colour setting
    # of the machine changes the output.
    environment = {key: os.environ[key] for key in ("PATH", "HOME") if key in os.environ}
    return subprocess.run(
        [sys.executable, "-m", "analytics.cli", "demo", "--path", "demo.db", *arguments],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=environment,
    )


def test_demo_output_is_repeatable_and_matches_golden(tmp_path: Path) -> None:
    first_directory = tmp_path / "first"
    second_directory = tmp_path / "second"
    first_directory.mkdir()
    second_directory.mkdir()

    first = run_demo(first_directory)
    second = run_demo(second_directory)

    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    assert first.stdout == second.stdout
    assert str(tmp_path) not in first.stdout
    if os.environ.get(UPDATE_VARIABLE) == "1":
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(first.stdout, encoding="utf-8")
    assert first.stdout == GOLDEN.read_text(encoding="utf-8")


def test_demo_story(tmp_path: Path) -> None:
    result = run_demo(tmp_path)

    assert result.returncode == 0, result.stderr
    output = result.stdout
    assert "Breach pending (not yet an anomaly): user dara (spike)." in output
    assert "retry_loop" in output
    assert "budget_exceeded" in output
    assert "prompt_growth" in output
    assert "timeout after <n> ms calling <url> (request <uuid>)" in output
    assert "invoice-extractor-0106" in output
    assert "Insufficient history: tenant (spike), tenant (drift)." in output
    assert "confirmed" in output
    assert "refuted" in output


def test_demo_other_seed_differs(tmp_path: Path) -> None:
    default = run_demo(tmp_path)
    other = run_demo(tmp_path, "--seed", "8")

    assert default.returncode == 0, default.stderr
    assert other.returncode == 0, other.stderr
    assert "seed 8" in other.stdout
    assert other.stdout != default.stdout
    assert "retry_loop" in other.stdout
    assert "prompt_growth" in other.stdout
    assert "budget_exceeded" in other.stdout
