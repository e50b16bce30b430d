"""Telegram handlers, grouped by who uses them (filled in by the chat issue)."""
