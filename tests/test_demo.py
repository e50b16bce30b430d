"""`python -m bot demo`, as the README's first command runs it: exits 0 and shows the group's notice."""

import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow


def test_the_demo_plays_a_quarter_and_prints_the_publicity_notice(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "bot", "demo", "-o", str(tmp_path / "demo")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert (
        "本局工作群看到的公示" in out
        and "【公示】" in out
        and "公示期：2026年10月21日至2026年10月23日 18:00" in out
    )
    assert "主要领导用按钮评分" in out and "纸质测评票导入356张" not in out
    assert (tmp_path / "demo" / "results-2026Q3.xlsx").exists()
    assert (tmp_path / "demo" / "demo.db").exists()
