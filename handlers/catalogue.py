"""The commands, who sees them in the menu, and the usage line admins get on wrong arguments."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Audience(StrEnum):
    STAFF = "staff"
    REVIEWER = "reviewer"
    ADMIN = "admin"


@dataclass(frozen=True)
class Command:
    name: str
    audience: Audience


COMMANDS = (
    Command("me", Audience.STAFF),
    Command("summary", Audience.STAFF),
    Command("goals", Audience.STAFF),
    Command("registration", Audience.STAFF),
    Command("objection", Audience.STAFF),
    Command("feedback", Audience.STAFF),
    Command("help", Audience.STAFF),
    Command("review", Audience.REVIEWER),
    Command("rate", Audience.REVIEWER),
    Command("status", Audience.ADMIN),
    Command("invite", Audience.ADMIN),
    Command("open", Audience.ADMIN),
    Command("extend", Audience.ADMIN),
    Command("close", Audience.ADMIN),
    Command("remind", Audience.ADMIN),
    Command("affirm", Audience.ADMIN),
    Command("veto", Audience.ADMIN),
    Command("exempt", Audience.ADMIN),
    Command("leave", Audience.ADMIN),
    Command("raters", Audience.ADMIN),
    Command("results", Audience.ADMIN),
    Command("confirm", Audience.ADMIN),
    Command("change", Audience.ADMIN),
    Command("publish", Audience.ADMIN),
    Command("objections", Audience.ADMIN),
    Command("resolve", Audience.ADMIN),
    Command("calendar", Audience.ADMIN),
    Command("admins", Audience.ADMIN),
    Command("firstmonth", Audience.ADMIN),
    Command("export", Audience.ADMIN),
    Command("bindgroup", Audience.ADMIN),
)


def commands_for(*audiences: Audience) -> list[Command]:
    return [c for c in COMMANDS if c.audience in audiences]
