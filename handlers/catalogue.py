"""The commands and who sees them in the menu: the catalogue and its rule live in bot.rules.menus."""

from __future__ import annotations

from bot.rules.menus import COMMANDS, Audience, Command, Standing, commands_for, menu_blocks, menu_commands

__all__ = ["COMMANDS", "Audience", "Command", "Standing", "commands_for", "menu_blocks", "menu_commands"]
