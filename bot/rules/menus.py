"""Which commands a person may use now: his command menu and his /help, decided in one pure function."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Audience(StrEnum):
    """Whose commands: everyone bound (and the admins), ratees, reviewers and raters, the admins."""

    PERSONAL = "personal"
    STAFF = "staff"
    REVIEWER = "reviewer"
    ADMIN = "admin"


@dataclass(frozen=True)
class Command:
    name: str
    audience: Audience


COMMANDS = (
    Command("me", Audience.PERSONAL),
    Command("summary", Audience.STAFF),
    Command("goals", Audience.STAFF),
    Command("registration", Audience.STAFF),
    Command("objection", Audience.STAFF),
    Command("feedback", Audience.STAFF),
    Command("help", Audience.PERSONAL),
    Command("review", Audience.REVIEWER),
    Command("rate", Audience.REVIEWER),
    Command("results", Audience.REVIEWER),  # the leadership's read-only view; the admins' own is theirs
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


@dataclass(frozen=True)
class Standing:
    """What a person's commands depend on, now: his roles and the phases open to him."""

    bound: bool = False  # an active person bound to this account
    ratee: bool = False  # assessed: writes summaries, goals and registrations
    reviewer: bool = False  # a bureau leader or a section head: reviews documents
    leadership: bool = False  # the principal or a supervisor: sees the proposal the leadership decides on
    admin: bool = False
    ballots_to_give: bool = False  # rates in a rating open now, with ballots not yet submitted
    in_publicity: bool = False  # a quarter's results are in publicity (objections are received)
    feedback_open: bool = False  # a quarter is final: the ratee's opinion on his result is heard


def allowed_now(standing: Standing) -> set[str]:
    """The names of the commands this person may use now (the rule of menus and /help)."""
    s = standing
    names = set()
    if s.bound or s.admin:
        names.add("help")
    if s.bound:
        names.add("me")
    if s.bound and s.ratee:
        names |= {"summary", "goals", "registration"}
        if s.in_publicity:
            names.add("objection")
        if s.feedback_open:
            names.add("feedback")
    if s.bound and s.reviewer:
        names.add("review")
    if s.bound and s.ballots_to_give:
        names.add("rate")
    if (s.bound and s.leadership) or s.admin:
        names.add("results")
    if s.admin:
        names |= {c.name for c in COMMANDS if c.audience is Audience.ADMIN}
    return names


def menu_blocks(standing: Standing) -> list[tuple[Audience, list[Command]]]:
    """The commands of /help by block, in the catalogue's order; /results once, with the admins' if his."""
    names = allowed_now(standing)
    blocks: dict[Audience, list[Command]] = {}
    for command in COMMANDS:
        if command.name not in names:
            continue
        if command.name == "results" and (command.audience is Audience.ADMIN) != standing.admin:
            continue
        blocks.setdefault(command.audience, []).append(command)
    return [(audience, blocks[audience]) for audience in Audience if audience in blocks]


def menu_commands(standing: Standing) -> list[Command]:
    """The command menu: the blocks' commands one after another."""
    return [command for _audience, commands in menu_blocks(standing) for command in commands]


def commands_for(*audiences: Audience) -> list[Command]:
    """Every command of these audiences (each name once)."""
    seen, found = set(), []
    for command in COMMANDS:
        if command.audience in audiences and command.name not in seen:
            seen.add(command.name)
            found.append(command)
    return found
