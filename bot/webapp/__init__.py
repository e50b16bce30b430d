"""The rating sheet, a Telegram Mini App: its initData check, its JSON API and its small web server."""
