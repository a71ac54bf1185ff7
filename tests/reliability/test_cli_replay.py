"""Command-line replay: ingesting a file again adds nothing, and a changed cost is a conflict."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.reliability import figures
from tests.reliability.support import Database

HEADER = "request_id,occurred_at,model,user_id,feature_tag,input_tokens,output_tokens,cost_usd\n"
ROWS = 40


def _csv_line(n: int, cost: str) -> str:
    tag = "" if n % 4 == 0 else f"tag-{n % 3}"
    return f"req-{n:03d},2024-03-10T{n % 24:02d}:15:00Z,m{n % 2},u{n % 5},{tag},{n},1,{cost}\n"


def _ingest(database: Database, path: Path) -> tuple[int, dict[str, Any], str]:
    finished = subprocess.run(
        [
            sys.executable,
            "-m",
            "analytics.cli",
            "ingest",
            str(path),
            "--kind",
            "cost-records",
            "--tenant",
            "acme",
            "--db",
            database.url,
            "--format",
            "json",
            "--rejects",
            str(path.with_suffix(".rejects.jsonl")),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=path.parent,
    )
    summary = json.loads(finished.stdout) if finished.stdout.strip() else {}
    return finished.returncode, summary, finished.stderr


async def test_second_ingest_adds_nothing(database: Database, tmp_path: Path) -> None:
    path = tmp_path / "costs.csv"
    path.write_text(HEADER + "".join(_csv_line(n, f"0.{n:03d}") for n in range(ROWS)))

    first_code, first, _ = _ingest(database, path)
    after_first = await database.row_counts()
    second_code, second, _ = _ingest(database, path)
    after_second = await database.row_counts()

    assert first_code == 0
    assert first["created"] == ROWS
    assert after_first["cost_records"] == ROWS
    assert second_code == 0
    assert second["created"] == 0
    assert second["unchanged"] == ROWS
    assert second["rejected"] == 0
    assert after_second == after_first
    figures.add("cli.replayed", database.name, ROWS)


async def test_changed_cost_is_conflict(database: Database, tmp_path: Path) -> None:
    original = tmp_path / "costs.csv"
    original.write_text(HEADER + "".join(_csv_line(n, "0.100") for n in range(3)))
    changed = tmp_path / "changed.csv"
    changed.write_text(HEADER + _csv_line(1, "0.250"))
    _ingest(database, original)
    stored = await database.all_rows()

    code, summary, stderr = _ingest(database, changed)
    rejects = changed.with_suffix(".rejects.jsonl").read_text().splitlines()

    assert summary["created"] == 0
    assert summary["unchanged"] == 0
    assert summary["rejected"] == 1
    assert "payload_mismatch" in stderr
    assert json.loads(rejects[0])["field"] == "cost_usd"
    assert code == 1
    assert await database.all_rows() == stored
    figures.add("cli.replayed", database.name, 1)
