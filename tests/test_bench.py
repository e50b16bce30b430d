"""The benchmarks still run: the quarter computation at a tiny size (its figures are not checked)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT


@pytest.mark.slow
def test_the_compute_benchmark_runs_at_a_tiny_size():
    done = subprocess.run(
        [sys.executable, "-m", "bench.compute", "--ratees", "30", "--db", "sqlite", "--no-traced"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "machine:" in done.stdout and "PostgreSQL" in done.stdout
    assert "[sqlite] compute 30 ratees" in done.stdout and "30 results written" in done.stdout


@pytest.mark.slow
def test_the_import_bomb_benchmark_runs_on_its_small_files():
    done = subprocess.run(
        [sys.executable, "-m", "bench.bombs", "--quick"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "dimension.xlsx" in done.stdout and "refused: too_many_rows" in done.stdout


@pytest.mark.slow
def test_the_sheet_benchmark_runs_at_a_tiny_size():
    done = subprocess.run(
        [sys.executable, "-m", "bench.sheet", "--raters", "3", "--seconds", "1", "--warmup", "0.5"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "[sqlite] sheet saves, 3 raters, paced:" in done.stdout and "flat out" in done.stdout
    assert " 0 errors" in done.stdout and "p95" in done.stdout
