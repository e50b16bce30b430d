"""The assessment rules as pure functions over plain data, and their calendar: no Telegram, no database."""
