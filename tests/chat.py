"""The tests' bureau in chat: the package's rehearsal harness (the real Application and the stand-in)."""

from bot.cli.rehearsal import ADMIN, GROUP, TOKEN, TZ, Bureau, at, bind_everyone, import_roster, running_bot

__all__ = ["ADMIN", "GROUP", "TOKEN", "TZ", "Bureau", "at", "bind_everyone", "import_roster", "running_bot"]
