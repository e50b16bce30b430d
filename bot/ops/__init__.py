"""Operating the bot: logs, the health check and backups."""
