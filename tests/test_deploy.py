"""The deploy/ examples stay true: the units verify, their commands parse, the env file loads."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys

import pytest

from bot.cli.commands import build_parser
from bot.settings import load_settings
from tests.conftest import ROOT

DEPLOY = ROOT / "deploy"
VENV_PYTHON = "/opt/assessment-bot/.venv/bin/python"
UNITS = ("assessment-bot.service", "assessment-bot-backup.service", "assessment-bot-backup.timer")


def exec_lines(unit: str) -> list[list[str]]:
    text = (DEPLOY / unit).read_text()
    return [shlex.split(m) for m in re.findall(r"^ExecStart=(.+)$", text, re.M)]


def test_the_units_run_real_commands():
    for unit in ("assessment-bot.service", "assessment-bot-backup.service"):
        [argv] = exec_lines(unit)
        assert argv[:3] == [VENV_PYTHON, "-m", "bot"], unit
        args = build_parser().parse_args(argv[3:])  # exits (SystemExit) on an unknown command or option
        assert args.command in ("run", "backup")


def test_the_env_example_loads_and_sets_the_webhook(monkeypatch):
    for line in (DEPLOY / "assessment-bot.env.example").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, value = line.split("=", 1)
            monkeypatch.setenv(name, value)
    settings = load_settings()
    assert settings.telegram.token is not None and settings.admins.ids == [900000001]
    assert settings.telegram.webhook_url.endswith("/" + settings.telegram.webhook_path)
    assert (settings.health.port, settings.log.format) == (8081, "json")
    proxy = (DEPLOY / "nginx-webhook.conf").read_text()
    assert f"location = /{settings.telegram.webhook_path} " in proxy
    assert f"proxy_pass http://127.0.0.1:{settings.telegram.webhook_port};" in proxy
    sheet = settings.webapp  # the Mini App: its public path proxied to its port, by nginx and Caddy alike
    assert sheet.public_url.startswith("https://") and sheet.public_url.endswith(sheet.path)
    assert f"location {sheet.path} {{" in proxy and f"proxy_pass http://127.0.0.1:{sheet.port};" in proxy
    caddy = (DEPLOY / "Caddyfile").read_text()
    assert f"path {sheet.path} {sheet.path}/*" in caddy and f"reverse_proxy 127.0.0.1:{sheet.port}" in caddy


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_systemd_accepts_the_units(tmp_path):
    for unit in UNITS:
        text = (DEPLOY / unit).read_text().replace(VENV_PYTHON, sys.executable)
        (tmp_path / unit).write_text(text)
    done = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *(str(tmp_path / u) for u in UNITS)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr
