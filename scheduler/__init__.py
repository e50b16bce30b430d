"""The cycle's scheduled jobs (filled in by the scheduler issue)."""
