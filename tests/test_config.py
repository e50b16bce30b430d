"""Settings: defaults, the environment, a TOML file, and errors naming the bad setting."""

from decimal import Decimal

import pytest

from bot.cli.commands import main
from bot.settings import SettingsError, load_settings


def test_defaults_are_the_specs():
    s = load_settings()
    assert s.telegram.api_url == "https://api.telegram.org/bot"
    assert s.telegram.token is None
    assert s.database.url == "sqlite:///assessment.db"
    assert s.schedule.timezone == "Asia/Shanghai"
    assert (s.rules.weight_principal, s.rules.weight_supervisor, s.rules.weight_peers) == (
        Decimal("0.4"),
        Decimal("0.3"),
        Decimal("0.3"),
    )
    assert (s.rules.threshold_good, s.rules.threshold_fair, s.rules.threshold_average) == (85, 75, 60)
    assert s.rules.quota_share == Decimal("0.4")
    assert [i.max_points for i in s.indicators.common] == [20] * 5
    assert [i.max_points for i in s.indicators.window_staff] == [17, 17, 17, 17, 16, 16]
    assert s.schedule.summary_deadline_workday == 3 and s.schedule.publicity_workdays == 3


def test_operator_environment_names(monkeypatch):
    monkeypatch.setenv("BOT_TOKEN", "123:abc")
    monkeypatch.setenv("BOT_API_URL", "http://127.0.0.1:8081/bot")
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@db/x")
    monkeypatch.setenv("ADMIN_IDS", "11, 22,33")
    monkeypatch.setenv("GROUP_CHAT_ID", "-100123")
    s = load_settings()
    assert s.telegram.token.get_secret_value() == "123:abc"
    assert s.telegram.api_url == "http://127.0.0.1:8081/bot"
    assert s.database.url == "postgresql://u@db/x"
    assert s.admins.ids == [11, 22, 33]
    assert s.telegram.group_chat_id == -100123
    assert "123:abc" not in repr(s)


def test_nested_environment_and_toml_file(tmp_path, monkeypatch):
    path = tmp_path / "bureau.toml"
    path.write_text(
        'bureau_name = "曲阜市行政审批服务局"\n'
        "[rules]\nquota_share = 0.3\ntrim_peers = true\n"
        '[indicators]\nstaff = ["甲", "乙", "丙"]\n'
        "[calendar]\nextra_holidays = [2027-02-11]\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("ASSESSMENT_RULES__THRESHOLD_GOOD", "88")
    s = load_settings(path)
    assert s.bureau_name == "曲阜市行政审批服务局"
    assert s.rules.quota_share == Decimal("0.3")
    assert s.rules.trim_peers is True
    assert s.rules.threshold_good == Decimal("88")
    assert [(i.name, i.max_points) for i in s.indicators.staff] == [("甲", 34), ("乙", 33), ("丙", 33)]
    assert str(s.calendar.extra_holidays[0]) == "2027-02-11"


def test_environment_beats_the_file(tmp_path, monkeypatch):
    path = tmp_path / "a.toml"
    path.write_text('[database]\nurl = "sqlite:///from-file.db"\n', encoding="utf-8")
    monkeypatch.setenv("DATABASE_URL", "sqlite:///from-env.db")
    assert load_settings(path).database.url == "sqlite:///from-env.db"


@pytest.mark.parametrize(
    ("env", "value", "setting"),
    [
        ("ADMIN_IDS", "12,abc", "admins.ids.1"),
        ("ASSESSMENT_RULES__WEIGHT_PEERS", "0.5", "rules"),
        ("ASSESSMENT_RULES__QUOTA_SHARE", "1.5", "rules.quota_share"),
        ("ASSESSMENT_SCHEDULE__REMINDER_TIME", "25:00", "schedule.reminder_time"),
        ("GROUP_CHAT_ID", "the-group", "telegram.group_chat_id"),
        ("WEBAPP_URL", "http://127.0.0.1:8082/sheet", "webapp.public_url"),  # Telegram opens https only
        ("WEBAPP_URL", "http://localhost/sheet", "webapp.public_url"),
        ("WEBAPP_URL", "http://bot.example.gov.cn/sheet", "webapp.public_url"),
    ],
)
def test_a_bad_setting_is_named(monkeypatch, env, value, setting):
    monkeypatch.setenv(env, value)
    with pytest.raises(SettingsError) as info:
        load_settings()
    assert setting in [name for name, _env, _msg in info.value.problems]


def test_individual_weights_must_sum_to_100(tmp_path):
    path = tmp_path / "a.toml"
    path.write_text('[[indicators.staff]]\nname = "甲"\nmax_points = 60\n', encoding="utf-8")
    with pytest.raises(SettingsError) as info:
        load_settings(path)
    assert info.value.problems[0][0] == "indicators.staff"


def test_cli_reports_a_bad_setting_in_chinese_and_exits_2(monkeypatch, capsys):
    monkeypatch.setenv("ASSESSMENT_RULES__QUOTA_SHARE", "many")
    assert main(["migrate"]) == 2
    err = capsys.readouterr().err
    assert "配置有误" in err and "rules.quota_share" in err and "ASSESSMENT_RULES__QUOTA_SHARE" in err


def test_missing_config_file_is_an_error(tmp_path, capsys):
    assert main(["--config", str(tmp_path / "nope.toml"), "migrate"]) == 2
    assert "nope.toml" in capsys.readouterr().err


def test_run_without_token_says_which_setting(capsys):
    assert main(["run"]) == 2
    assert "BOT_TOKEN" in capsys.readouterr().err


def test_a_trim_that_would_leave_fewer_than_min_peer_ballots_is_refused():
    """A trimmed mean of three ballots is the middle one: one peer's ballot on every sheet (SPEC 4)."""
    from pydantic import ValidationError

    from bot.settings import RuleSettings

    with pytest.raises(ValidationError, match="min_peer_ballots \\+ 2 = 5"):
        RuleSettings(trim_peers=True, trim_min_ballots=3)
    with pytest.raises(ValidationError, match="= 6"):
        RuleSettings(trim_peers=True, trim_min_ballots=5, min_peer_ballots=4)
    assert RuleSettings(trim_peers=True, trim_min_ballots=5).trim_min_ballots == 5
    assert RuleSettings(trim_peers=False, trim_min_ballots=3).trim_min_ballots == 3  # no trim: no matter
