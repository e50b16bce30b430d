"""The one typed settings object: small groups, read from a TOML file and the environment."""

from __future__ import annotations

import datetime as dt
import os
import re
from contextvars import ContextVar
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from bot.rules.domain import Role

CONFIG_FILE_ENV = "ASSESSMENT_CONFIG"
DEFAULT_CONFIG_FILE = "assessment.toml"
ENV_PREFIX = "ASSESSMENT_"
URL_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+]*)://")

# The names operators of Telegram bots expect, mapped onto the nested settings.
FLAT_ENV_NAMES: dict[str, tuple[str, ...]] = {
    "BOT_TOKEN": ("telegram", "token"),
    "BOT_API_URL": ("telegram", "api_url"),
    "GROUP_CHAT_ID": ("telegram", "group_chat_id"),
    "WEBHOOK_URL": ("telegram", "webhook_url"),
    "WEBHOOK_SECRET": ("telegram", "webhook_secret"),
    "DATABASE_URL": ("database", "url"),
    "ADMIN_IDS": ("admins", "ids"),
    "WEBAPP_URL": ("webapp", "public_url"),
}

_config_file: ContextVar[Path | None] = ContextVar("config_file", default=None)


class TelegramSettings(BaseModel):
    """How to reach the Bot API and the bureau's group."""

    token: SecretStr | None = None
    api_url: str = "https://api.telegram.org/bot"
    file_url: str | None = None  # default: api_url with /bot replaced by /file/bot
    group_chat_id: int | None = None
    webhook_url: str | None = None  # set to use a webhook instead of long polling
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(8443, ge=1, le=65535)
    webhook_path: str = "telegram"
    concurrent_updates: int = Field(16, ge=1, le=256)

    @property
    def base_file_url(self) -> str:
        if self.file_url:
            return self.file_url
        if self.api_url.endswith("/bot"):
            return self.api_url[: -len("/bot")] + "/file/bot"
        return self.api_url.rstrip("/") + "/file/bot"


class DatabaseSettings(BaseModel):
    """Where the records live: a SQLite file by default, PostgreSQL by URL."""

    url: str = "sqlite:///assessment.db"
    echo: bool = False

    @field_validator("url")
    @classmethod
    def _supported(cls, value: str) -> str:
        # The scheme alone says the backend (sqlite, sqlite+aiosqlite, postgresql+asyncpg, postgres):
        # read here without SQLAlchemy, so the rules that take these settings stay free of it.
        scheme = URL_SCHEME.match(value)
        if scheme is None:
            raise ValueError("not a database URL (sqlite:///file.db or postgresql://user@host/db)")
        backend = scheme.group(1).split("+")[0]
        if backend not in ("sqlite", "postgresql", "postgres"):
            raise ValueError(f"unsupported database {backend!r}: use sqlite:/// or postgresql://")
        return value


class AdminSettings(BaseModel):
    """Bootstrap admins (督查指导科) by Telegram user id; more are granted in chat."""

    ids: list[int] = Field(default_factory=list)
    invite_valid_days: int = Field(14, ge=1, le=365)

    @field_validator("ids", mode="before")
    @classmethod
    def _split_commas(cls, value: Any) -> Any:
        if isinstance(value, int):
            return [value]
        if isinstance(value, str):
            return [part.strip() for part in value.replace(";", ",").split(",") if part.strip()]
        return value


class ScheduleSettings(BaseModel):
    """Times and working-day deadlines of the monthly and quarterly cycle."""

    timezone: str = "Asia/Shanghai"
    reminder_time: dt.time = dt.time(9, 0)
    deadline_time: dt.time = dt.time(18, 0)
    summary_deadline_workday: int = Field(3, ge=1, le=20)
    goals_workdays: int = Field(10, ge=1, le=30)
    registration_deadline_workday: int = Field(5, ge=1, le=20)
    rating_first_workday: int = Field(6, ge=1, le=30)
    rating_last_workday: int = Field(10, ge=1, le=40)
    publicity_workdays: int = Field(3, ge=1, le=20)
    publicity_same_day_before: dt.time = dt.time(12, 0)
    publicity_end_time: dt.time = dt.time(18, 0)
    tick_seconds: int = Field(60, ge=0, le=3600)  # how often the scheduler looks at what is due; 0: never

    @model_validator(mode="after")
    def _rating_window_in_order(self) -> ScheduleSettings:
        if self.rating_last_workday < self.rating_first_workday:
            raise ValueError("rating_last_workday must not be before rating_first_workday")
        return self


class StartSettings(BaseModel):
    """From which month the bot takes part (going live); an admin's /firstmonth in chat wins over it."""

    first_month: str | None = None  # "2026-08"; none: the first whole month after the roster is loaded

    @field_validator("first_month")
    @classmethod
    def _a_month(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        match = re.fullmatch(r"([0-9]{4})-([0-9]{2})", value.strip())
        if match is None or not 1 <= int(match.group(2)) <= 12:
            raise ValueError("a month written YYYY-MM, e.g. 2026-08")
        return match.group(0)

    @property
    def month(self) -> tuple[int, int] | None:
        if self.first_month is None:
            return None
        year, month = self.first_month.split("-")
        return int(year), int(month)


class DeliverySettings(BaseModel):
    """How fast the outbox sends: under Telegram's limits (30/s overall, 1/s per chat, 20/min a group)."""

    per_second: float = Field(28.0, gt=0, le=1000)
    per_chat_interval: float = Field(1.05, ge=0, le=60)
    group_per_minute: int = Field(19, ge=1, le=1000)
    # Each person's command menu is recomputed at most this often (seconds): it reads everyone's standing
    # (roles, open phases, ballots outstanding), too much for every round of a broadcast.
    menu_interval: float = Field(5.0, ge=0, le=3600)


class IndicatorItem(BaseModel):
    """One scored item: a name and the most points it can get."""

    name: str = Field(min_length=1, max_length=40)
    max_points: int = Field(ge=1, le=100)


def equal_weights(names: list[str], total: int = 100) -> list[IndicatorItem]:
    """Split `total` into whole points over `names`, the remainder to the first items."""
    if not names:
        raise ValueError("a template needs at least one item")
    base, extra = divmod(total, len(names))
    return [IndicatorItem(name=n, max_points=base + (1 if i < extra else 0)) for i, n in enumerate(names)]


def _items_summing_to_100(value: Any) -> Any:
    """Accept a list of names (equal weights) or of {name, max_points} that sum to 100."""
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return equal_weights(value)
    return value


class IndicatorSettings(BaseModel):
    """The 5 common indicators and the individual templates per role (SPEC section 4)."""

    common: list[IndicatorItem] = Field(
        default_factory=lambda: [
            IndicatorItem(name=n, max_points=20)
            for n in ("政治素质", "职业道德", "工作作风", "廉洁自律", "出勤情况")
        ]
    )
    section_head: list[IndicatorItem] = Field(
        default_factory=lambda: equal_weights(
            ["履职能力", "决策能力", "工作作风与思路", "学习与管理运用", "组织协调"]
        )
    )
    window_staff: list[IndicatorItem] = Field(
        default_factory=lambda: equal_weights(
            ["业务能力", "答疑解惑", "应变处理", "服务态度", "服务承诺落实", "工作纪律"]
        )
    )
    staff: list[IndicatorItem] = Field(
        default_factory=lambda: equal_weights(
            ["岗位职责与任务完成", "工作质量", "工作效率", "学习与创新", "协作配合"]
        )
    )

    @field_validator("section_head", "window_staff", "staff", mode="before")
    @classmethod
    def _names_mean_equal_weights(cls, value: Any) -> Any:
        return _items_summing_to_100(value)

    @field_validator("common", "section_head", "window_staff", "staff")
    @classmethod
    def _unique_names(cls, items: list[IndicatorItem]) -> list[IndicatorItem]:
        names = [i.name for i in items]
        if len(set(names)) != len(names):
            raise ValueError("item names must be unique within a list")
        if not items:
            raise ValueError("at least one item is needed")
        return items

    @field_validator("section_head", "window_staff", "staff")
    @classmethod
    def _sum_to_100(cls, items: list[IndicatorItem]) -> list[IndicatorItem]:
        total = sum(i.max_points for i in items)
        if total != 100:
            raise ValueError(f"individual weights must sum to 100, not {total}")
        return items

    def template_for(self, role: Role) -> list[IndicatorItem]:
        if role is Role.SECTION_HEAD:
            return self.section_head
        if role is Role.WINDOW_STAFF:
            return self.window_staff
        return self.staff


class RuleSettings(BaseModel):
    """Every number of the score and tier rules (SPEC sections 4-6), with SPEC's defaults."""

    weight_principal: Decimal = Decimal("0.4")
    weight_supervisor: Decimal = Decimal("0.3")
    weight_peers: Decimal = Decimal("0.3")
    common_share: Decimal = Field(Decimal("0.5"), ge=0, le=1)
    threshold_good: Decimal = Decimal("85")
    threshold_fair: Decimal = Decimal("75")
    threshold_average: Decimal = Decimal("60")
    quota_share: Decimal = Field(Decimal("0.4"), ge=0, le=1)
    trim_peers: bool = False
    trim_min_ballots: int = Field(5, ge=3)
    min_peer_ballots: int = Field(3, ge=0)
    score_places: int = Field(2, ge=0, le=4)
    peer_scope: Literal["section", "bureau"] = "section"

    @model_validator(mode="after")
    def _consistent(self) -> RuleSettings:
        weights = (self.weight_principal, self.weight_supervisor, self.weight_peers)
        if any(w < 0 for w in weights) or sum(weights) != 1:
            raise ValueError("the three group weights must be non-negative and sum to 1")
        if not (100 >= self.threshold_good >= self.threshold_fair >= self.threshold_average >= 0):
            raise ValueError("thresholds must satisfy 100 >= good >= fair >= average >= 0")
        if self.trim_peers and self.trim_min_ballots < self.min_peer_ballots + 2:
            # a trim leaves two ballots fewer: a trimmed mean of fewer than min_peer_ballots (a median of
            # three is one ballot) would show a peer's ballot (SPEC 4)
            raise ValueError(
                f"trim_min_ballots must be at least min_peer_ballots + 2 = {self.min_peer_ballots + 2}"
            )
        return self


class CalendarSettings(BaseModel):
    """Corrections to the official calendar, for years the library does not know yet."""

    extra_workdays: list[dt.date] = Field(default_factory=list)
    extra_holidays: list[dt.date] = Field(default_factory=list)

    @model_validator(mode="after")
    def _disjoint(self) -> CalendarSettings:
        both = set(self.extra_workdays) & set(self.extra_holidays)
        if both:
            raise ValueError(f"days both workday and holiday: {sorted(both)}")
        return self


class LogSettings(BaseModel):
    """What `run` logs: the level, and lines as text (key=value) or one JSON object each."""

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    format: Literal["text", "json"] = "text"

    @field_validator("level", "format", mode="before")
    @classmethod
    def _any_case(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        return value.upper() if value.lower() in ("debug", "info", "warning", "error") else value.lower()


class HealthSettings(BaseModel):
    """Monitoring: an optional HTTP port answering GET /health, and what counts as healthy."""

    port: int | None = Field(None, ge=1, le=65535)  # none: no HTTP answer, only `python -m bot health`
    listen: str = "127.0.0.1"
    max_backlog_seconds: int = Field(600, ge=1)  # a due outbox message older than this is unhealthy
    max_tick_age_seconds: int | None = Field(None, ge=1)  # default: 5 ticks, at least 5 minutes


class WebAppSettings(BaseModel):
    """The rating sheet (a Telegram Mini App): served over HTTPS at `public_url`; none, no sheet at all."""

    public_url: str | None = None  # e.g. https://bot.example.gov.cn/sheet, behind the reverse proxy
    listen: str = "127.0.0.1"
    port: int = Field(8082, ge=0, le=65535)  # its own small aiohttp server; 0: any free port (tests)
    path: str = "/sheet"
    max_age_seconds: int = Field(86400, ge=1)  # how old a page's initData (its auth_date) may be
    max_body_bytes: int = Field(16384, ge=1024)

    @field_validator("public_url")
    @classmethod
    def _https(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("https://"):  # local ports stand behind an https one
            raise ValueError("Telegram opens Mini Apps over HTTPS only: an https:// URL")
        return value.rstrip("/") if value else None

    @field_validator("path")
    @classmethod
    def _rooted(cls, value: str) -> str:
        if not value.startswith("/") or value == "/" or value.endswith("/"):
            raise ValueError("a path like /sheet")
        return value


class Settings(BaseSettings):
    """All settings of the bot."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="forbid",
        validate_default=True,
    )

    bureau_name: str = "市行政审批服务局"
    telegram: TelegramSettings = Field(default_factory=TelegramSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    admins: AdminSettings = Field(default_factory=AdminSettings)
    schedule: ScheduleSettings = Field(default_factory=ScheduleSettings)
    start: StartSettings = Field(default_factory=StartSettings)
    delivery: DeliverySettings = Field(default_factory=DeliverySettings)
    indicators: IndicatorSettings = Field(default_factory=IndicatorSettings)
    rules: RuleSettings = Field(default_factory=RuleSettings)
    calendar: CalendarSettings = Field(default_factory=CalendarSettings)
    log: LogSettings = Field(default_factory=LogSettings)
    health: HealthSettings = Field(default_factory=HealthSettings)
    webapp: WebAppSettings = Field(default_factory=WebAppSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [
            init_settings,
            env_settings,
            FlatEnvSource(settings_cls),
        ]
        path = config_file_path()
        if path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)


class FlatEnvSource(PydanticBaseSettingsSource):
    """Reads BOT_TOKEN, BOT_API_URL, DATABASE_URL, ADMIN_IDS and GROUP_CHAT_ID."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for env_name, (group, key) in FLAT_ENV_NAMES.items():
            value = os.environ.get(env_name)
            if value is not None and value != "":
                data.setdefault(group, {})[key] = value
        return data


def config_file_path() -> Path | None:
    """The TOML file in force: the one given, else $ASSESSMENT_CONFIG, else ./assessment.toml."""
    chosen = _config_file.get()
    if chosen is not None:
        return chosen
    named = os.environ.get(CONFIG_FILE_ENV)
    if named:
        return Path(named)
    default = Path(DEFAULT_CONFIG_FILE)
    return default if default.exists() else None


class SettingsError(Exception):
    """Settings that do not validate; `problems` names each bad setting."""

    def __init__(self, problems: list[tuple[str, str, str]]) -> None:
        self.problems = problems  # (dotted setting name, environment variable, message)
        super().__init__("; ".join(f"{name}: {msg}" for name, _env, msg in problems))


def env_name_for(path: tuple[str | int, ...]) -> str:
    """The environment variable that sets the setting at `path`."""
    keys = tuple(str(p) for p in path if not isinstance(p, int))
    for env_name, target in FLAT_ENV_NAMES.items():
        if keys[: len(target)] == target:
            return env_name
    return ENV_PREFIX + "__".join(k.upper() for k in keys)


def load_settings(config_file: str | Path | None = None, **overrides: Any) -> Settings:
    """Build the settings or raise SettingsError naming every bad setting."""
    path = Path(config_file) if config_file is not None else None
    if path is not None and not path.exists():
        raise SettingsError([("config_file", CONFIG_FILE_ENV, f"file not found: {path}")])
    token = _config_file.set(path)
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = tuple(error["loc"])
            name = ".".join(str(p) for p in loc) or "settings"
            problems.append((name, env_name_for(loc), error["msg"]))
        raise SettingsError(problems) from None
    except ValueError as exc:  # e.g. a TOML file that does not parse
        raise SettingsError([("config_file", CONFIG_FILE_ENV, str(exc))]) from None
    finally:
        _config_file.reset(token)
