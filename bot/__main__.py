"""`python -m bot`: the command line."""

from bot.cli.commands import main

raise SystemExit(main())
