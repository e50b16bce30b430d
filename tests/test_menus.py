"""The rule of menus and /help (bot.rules.menus): each person's commands are what he may do now."""

from __future__ import annotations

from bot.rules.menus import Audience, Standing, allowed_now, menu_blocks, menu_commands

STAFF = {"summary", "goals", "registration"}


def test_a_ratee_gets_the_staff_commands_and_the_phase_ones_only_in_their_phase():
    quiet = Standing(bound=True, ratee=True)
    assert allowed_now(quiet) == {"me", "help"} | STAFF
    assert "objection" in allowed_now(Standing(bound=True, ratee=True, in_publicity=True))
    assert "feedback" in allowed_now(Standing(bound=True, ratee=True, feedback_open=True))
    assert "rate" in allowed_now(Standing(bound=True, ratee=True, ballots_to_give=True))


def test_leaders_get_no_staff_commands_and_see_the_results():
    principal = Standing(bound=True, reviewer=True, leadership=True, in_publicity=True, feedback_open=True)
    assert allowed_now(principal) == {"me", "help", "review", "results"}
    head = Standing(bound=True, ratee=True, reviewer=True)
    assert "review" in allowed_now(head) and "results" not in allowed_now(head)


def test_an_admin_gets_his_commands_and_results_once_in_his_own_block():
    admin = Standing(admin=True)
    blocks = dict(menu_blocks(admin))
    assert "results" in {c.name for c in blocks[Audience.ADMIN]} and Audience.REVIEWER not in blocks
    names = [c.name for c in menu_commands(Standing(bound=True, leadership=True, reviewer=True, admin=True))]
    assert names.count("results") == 1 and "status" in names and "me" in names
    assert allowed_now(Standing()) == set()  # a stranger
