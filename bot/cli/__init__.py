"""The command line: `python -m bot COMMAND`, and the demo it plays."""

from bot.cli.commands import main

__all__ = ["main"]
